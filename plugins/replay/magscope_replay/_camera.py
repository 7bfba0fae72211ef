"""The replay camera: a recorded video played behind the camera contract.

Per frame it waits until the frame is due (recorded rate, a given rate, or not at all),
copies the frame from the mapped file into the ring slot (the only copy) and returns the
frame's recorded timestamp. ROI videos are drawn into a camera frame: each ROI at its
recorded origin in a frame of the recorded camera size when the file has them, else side
by side (a mosaic); the background is set once per ring slot, not per frame.
"""

from __future__ import annotations

import json
import logging
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from magscope_core import CameraError, CameraInfo, ConfigurationError
from magscope_replay._settings import RATE_RECORDED, ReplayCameraOptions
from magscope_replay._source import VideoSource, open_video

__all__ = ["PACE_S", "ReplayCamera", "ReplayFinished", "RoiLayout", "roi_layout"]

log = logging.getLogger("magscope.replay")

_DEFAULT_NM_PER_PX = 100.0
PACE_S = 0.002
"""Shortest wait between two batches of ``grab_many_into`` (2 ms: kHz rates in batches,
about 10 frames a batch at 5 kHz; the per-batch cost is then spread over more frames)."""
_LIVE = ("fps", "loop", "at_end", "timestamps")
_CLOCK_STEP_S = 1e-6
"""Least step between two frames stamped with the replay's clock (HDF5 keeps ns)."""


class ReplayFinished(CameraError):
    """The video was played to its end (``loop`` off): no more frames."""


class RoiLayout:
    """Where the ROIs of a ROI video sit in the replayed camera frame.

    Attributes
    ----------
    ids, x0, y0
        Bead id and ROI origin of each channel.
    size
        ROI side (px).
    shape
        ``(height, width)`` of the camera frame.
    recorded
        True: the file's own origins and frame size; False: a mosaic.
    """

    def __init__(self, ids: np.ndarray, x0: np.ndarray, y0: np.ndarray, size: int,
                 shape: tuple[int, int], recorded: bool) -> None:
        self.ids, self.x0, self.y0 = ids, x0, y0
        self.size, self.shape, self.recorded = size, shape, recorded


def _overlap(x0: np.ndarray, y0: np.ndarray, size: int) -> bool:
    for i in range(len(x0)):
        dx = np.abs(x0[i + 1:] - x0[i]) < size
        dy = np.abs(y0[i + 1:] - y0[i]) < size
        if np.any(dx & dy):
            return True
    return False


def roi_layout(source: VideoSource) -> RoiLayout | None:
    """The ROI layout of a ROI video: its recorded ROIs or a mosaic (None: full frames).

    ROI videos are placed at their recorded origins when the file gives them and the
    camera frame size, and the ROIs fit and do not overlap; otherwise side by side in a
    grid. Full-frame videos have none (their beads are found in the first frame).
    """
    if source.kind == "full":
        return None
    n, size, _ = source.frame_shape
    ids = source.bead_ids if source.bead_ids is not None else np.arange(n, dtype=np.int64)
    o = source.roi_origins
    if o is not None and source.frame_size is not None and len(o) == n:
        h, w = source.frame_size
        fits = bool(np.all((o >= 0) & (o[:, :1] + size <= w) & (o[:, 1:] + size <= h)))
        if fits and not _overlap(o[:, 0], o[:, 1], size):
            return RoiLayout(ids, o[:, 0].copy(), o[:, 1].copy(), size, (h, w), True)
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    j = np.arange(n)
    return RoiLayout(ids, (j % cols) * size, (j // cols) * size, size,
                     (rows * size, cols * size), False)


class ReplayCamera:
    """Plays a recorded video as a camera (implements :class:`magscope_core.Camera`).

    Parameters are the options of :class:`~magscope_replay.ReplayCameraOptions`.
    ``wait_when_full`` is used by :class:`~magscope_replay.ReplayCameraManager` and
    ignored here.

    Raises
    ------
    ConfigurationError
        The video cannot be played (see :func:`~magscope_replay.open_video`).
    """

    def __init__(self, path: str = "", fps: float = RATE_RECORDED, loop: bool = False,
                 at_end: str = "stop", timestamps: str = "recorded",
                 wait_when_full: bool = False, rois: str = "auto", preload: bool = False,
                 dataset: str = "", nm_per_px: float = 0.0) -> None:
        source = open_video(path, dataset)
        if preload and source.mapped:
            source = source.loaded()
        self.source = source
        for note in source.notes:
            log.warning("replay: %s", note)
        self._fps = float(fps)
        self.loop = bool(loop)
        self.at_end = at_end
        self.timestamps = timestamps
        self._nm = float(nm_per_px) or source.nm_per_px or _DEFAULT_NM_PER_PX
        rec = source.recorded_fps()
        if self._fps == RATE_RECORDED and rec is None:
            raise ConfigurationError(
                f"replay: {source.name} has no timestamps or frame interval, so its "
                "recorded rate is unknown; give one with -O fps=N (0: as fast as possible)")
        self._recorded_fps = rec
        self.layout = roi_layout(source)
        self.start_rois = self._start_rois(rois)
        self._bits_of = {"uint8": 8, "uint16": 16, "uint32": 32}
        n = source.n_frames
        stamps = source.timestamps
        if stamps is not None and n > 1:
            self._period = float(stamps[-1] - stamps[0]) + 1.0 / (rec or 1.0)
        else:
            self._period = n / (rec or 1.0)
        self._rel = (stamps - stamps[0]) if stamps is not None else None
        self._i = 0  # next frame
        self._pass = 0  # completed loops
        self._part = 0
        self._t0: float | None = None  # monotonic time of frame 0 of pass 0
        self._epoch0 = 0.0
        self._last_clock = 0.0
        self._resume = False
        self._filled: set[int] = set()  # ring slots whose ROI-video background is set
        self._bg = 0
        self._connected = False
        self.frames_played = 0
        self.ended = False
        """True once the video was played to its end with ``loop`` off."""

    # ------------------------------------------------------------------ contract
    def connect(self) -> CameraInfo:
        """Publish the video's frame size, pixel type, pixel size and rate."""
        s = self.source
        if s.kind == "rois":
            assert self.layout is not None
            h, w = self.layout.shape
            first = np.asarray(s.frame(0))
            self._bg = int(np.median(first)) if first.size else 0
        else:
            h, w = s.frame_shape
        dtype = s.dtype.name
        self._connected = True
        fps = self._fps if self._fps > 0 else (self._recorded_fps or 1000.0)
        return CameraInfo(width=int(w), height=int(h), dtype=dtype,
                          bits=self._bits_of[dtype], nm_per_px=self._nm, fps=fps,
                          model=f"replay of {s.name} ({s.format})",
                          serial=str(s.paths[0]))

    def _offset(self) -> float:
        """Seconds from the clock origin to the next frame (-inf: at once)."""
        if self._fps == 0:
            return -math.inf
        if self._fps > 0:
            return (self._pass * self.source.n_frames + self._i) / self._fps
        if self._rel is not None:
            return self._pass * self._period + float(self._rel[self._i % self.source.n_frames])
        assert self._recorded_fps is not None
        return (self._pass * self.source.n_frames + self._i) / self._recorded_fps

    def _due(self) -> float:
        """Monotonic time the next frame is due (-inf: at once)."""
        assert self._t0 is not None
        return self._t0 + self._offset()

    def hold(self) -> None:
        """Pause: when frames are asked for again, the next one is due at once."""
        if self._t0 is not None:
            self._t0 = None
            self._resume = True

    def due_in(self) -> float:
        """Seconds until the next frame is due (0 or less: now, or the video ended)."""
        if self._t0 is None or self._fps == 0 or self._i >= self.source.n_frames:
            return 0.0
        return self._due() - time.monotonic()

    def grab_into(self, out: np.ndarray, timeout: float) -> float | None:
        """Wait until the next frame is due, copy it into ``out``, return its timestamp.

        Raises
        ------
        ReplayFinished
            The video ended and ``loop`` is off.
        """
        s = self.source
        self._begin()
        wait = self._due() - time.monotonic()
        if wait > 0:
            if wait > timeout:
                time.sleep(timeout)
                return None
            time.sleep(wait)
        i = self._i
        while i >= s.starts[self._part + 1]:
            self._part += 1
        frame = s.parts[self._part][i - int(s.starts[self._part])]
        if s.kind == "full":
            np.copyto(out, frame, casting="unsafe")
        else:
            self._draw_rois(out, frame)
        self._i += 1
        self.frames_played += 1
        return self._stamp(i)

    def _begin(self) -> None:
        """Start the next pass (looping) and the clock, if due; the end raises."""
        s = self.source
        if self._i >= s.n_frames:
            if not self.loop:
                self.ended = True
                raise ReplayFinished(f"replay of {s.name}: all {s.n_frames} frames played")
            self._i, self._part = 0, 0
            self._pass += 1
        if self._t0 is None:
            now = time.monotonic()
            if self._resume:  # after a hold or a new rate: the next frame is due now
                offset = self._offset()
                self._t0 = now - offset if math.isfinite(offset) else now
                self._resume = False
            else:
                self._t0, self._epoch0 = now, time.time()

    def grab_many_into(self, out: np.ndarray, timeout: float) -> np.ndarray | None:
        """Copy every frame already due (at most ``len(out)``) into ``out``; timestamps.

        Waits until the next frame is due, and at least :data:`PACE_S`, so a kHz rate is
        played in batches of the frames due meanwhile (one wake-up and one copy per
        batch). With ``timestamps=now`` each frame gets the time it was due, so a batch
        does not hide how long its first frames waited.

        Raises
        ------
        ReplayFinished
            The video ended and ``loop`` is off.
        """
        s = self.source
        self._begin()
        assert self._t0 is not None
        wait = self._due() - time.monotonic()
        if wait > timeout:
            time.sleep(timeout)
            return None
        if wait > 0:
            time.sleep(max(wait, min(PACE_S, timeout)))
        now = time.monotonic()
        i = self._i
        while i >= s.starts[self._part + 1]:
            self._part += 1
        k = min(len(out), s.n_frames - i, int(s.starts[self._part + 1]) - i)
        if self._fps != 0:
            k = max(1, min(k, self._last_due(now) - i + 1))
        frames = s.parts[self._part][i - int(s.starts[self._part]):][:k]
        if s.kind == "full":
            np.copyto(out[:k], frames, casting="unsafe")
        else:
            for j in range(k):
                self._draw_rois(out[j], frames[j])
        self._i += k
        self.frames_played += k
        if self.timestamps == "now" and self._fps != 0:
            due = self._t0 + np.array([self._offset_of(j) for j in range(i, i + k)])
            return time.time() - np.maximum(now - due, 0.0)
        return self._stamps(i, k)

    def _offset_of(self, i: int) -> float:
        """Seconds from the clock origin to frame ``i`` of the current pass."""
        saved, self._i = self._i, i
        try:
            return self._offset()
        finally:
            self._i = saved

    def _last_due(self, now: float) -> int:
        """Index (in this pass) of the last frame due at monotonic time ``now``."""
        assert self._t0 is not None
        n = self.source.n_frames
        if self._fps <= 0 and self._rel is not None:
            rel = now - self._t0 - self._pass * self._period
            return int(np.searchsorted(self._rel, rel, side="right")) - 1
        rate = self._fps if self._fps > 0 else (self._recorded_fps or 1.0)
        return math.floor((now - self._t0) * rate + 1e-9) - self._pass * n

    def _stamps(self, i: int, k: int) -> np.ndarray:
        """Timestamps of frames ``i .. i + k - 1`` of this pass (arrays, no loop per frame).

        ``recorded``: the file's timestamps (shifted by the video's length per loop); a
        file without them is stamped on the grid of the rate played (``fps=N``) or, at
        ``fps=0``, of its recorded rate, from the replay's start. Otherwise (``now``, or
        ``fps=0`` and no rate known) the replay's clock, strictly increasing: frames of
        one batch are :data:`_CLOCK_STEP_S` apart, so every frame keeps its own time.
        """
        rate = self._fps if self._fps > 0 else self._recorded_fps
        if self.timestamps == "now" or (self.source.timestamps is None and rate is None):
            return self._clock(k)
        if self.source.timestamps is not None:
            return (np.asarray(self.source.timestamps[i:i + k], dtype=np.float64)
                    + self._pass * self._period)
        assert rate is not None
        frames = self._pass * self.source.n_frames + np.arange(i, i + k, dtype=np.float64)
        return self._epoch0 + frames / rate

    def _stamp(self, i: int) -> float:
        """:meth:`_stamps` of frame ``i`` alone."""
        return float(self._stamps(i, 1)[0])

    def _clock(self, k: int) -> np.ndarray:
        """``k`` strictly increasing times of the replay's clock (seconds since the epoch)."""
        t = max(time.time(), self._last_clock + _CLOCK_STEP_S)
        out = t + np.arange(k, dtype=np.float64) * _CLOCK_STEP_S
        self._last_clock = float(out[-1])
        return out

    def _draw_rois(self, out: np.ndarray, rois: np.ndarray) -> None:
        lay = self.layout
        assert lay is not None
        key = out.__array_interface__["data"][0]
        if key not in self._filled:  # a ring slot seen for the first time: background
            out.fill(self._bg)
            self._filled.add(key)
        s = lay.size
        for j in range(rois.shape[0]):
            x, y = int(lay.x0[j]), int(lay.y0[j])
            np.copyto(out[y:y + s, x:x + s], rois[j], casting="unsafe")

    def disconnect(self) -> None:
        """Nothing to release (the mapped file closes with the process)."""
        self._connected = False

    def get_settings(self) -> dict[str, Any]:
        """Options, plus the video's frame count, the position being played and ``ended``.

        ``ended`` is true once the video was played to its end with ``loop`` off (with
        ``at_end=pause`` the session then stays, without frames).
        """
        s = self.source
        return {"path": ";".join(str(p) for p in s.paths), "fps": self._fps,
                "loop": self.loop, "at_end": self.at_end, "timestamps": self.timestamps,
                "nm_per_px": self._nm, "format": s.format, "kind": s.kind,
                "n_frames": s.n_frames, "position": self._i, "loops": self._pass,
                "ended": self.ended,
                "recorded_fps": self._recorded_fps, "memory_mapped": s.mapped}

    def set_setting(self, name: str, value: Any) -> None:
        """Change ``fps``, ``loop``, ``at_end`` or ``timestamps`` while playing.

        ``loop=true`` after the video ended (``at_end=pause``) plays it again: the next
        pass starts at once.
        """
        from magscope_core import check_option

        if name not in _LIVE:
            raise CameraError(f"replay camera setting {name!r} cannot change while playing; "
                              f"these can: {', '.join(_LIVE)}")
        value = check_option(ReplayCameraOptions, name, value, "camera 'replay'")
        if name == "fps":
            if value == RATE_RECORDED and self._recorded_fps is None:
                raise CameraError("replay: the video's recorded rate is unknown")
            # keep the frame being due now: restart the clock at the current frame
            self._fps = float(value)
            self.hold()
        else:
            setattr(self, name, value)
            if name == "loop" and value and self.ended:
                # played to its end and paused there: looping plays it again, from now
                self.ended = False
                self.hold()

    # ------------------------------------------------------------------ extras
    def _start_rois(self, spec: str) -> list[tuple[int, int, int, int]]:
        """``(bead_id, x0, y0, size)`` of the ROIs to add before the first frame."""
        if spec == "none":
            return []
        if spec == "auto":
            lay = self.layout
            s = self.source
            if lay is None and s.roi_size and s.bead_ids is not None and \
                    s.roi_origins is not None:  # a full-frame video with its ROIs
                return [(int(i), int(x), int(y), int(s.roi_size)) for i, (x, y) in
                        zip(s.bead_ids.tolist(), s.roi_origins.tolist(), strict=True)]
            if lay is None:
                return []
            cols = (lay.ids.tolist(), lay.x0.tolist(), lay.y0.tolist())
            return [(int(i), int(x), int(y), lay.size)
                    for i, x, y in zip(*cols, strict=True)]
        try:
            rows = json.loads(Path(spec).read_text())
            out = [(int(r[0]), int(r[1]), int(r[2]), int(r[3])) for r in rows]
        except (OSError, ValueError, TypeError, IndexError) as exc:
            raise ConfigurationError(
                f"replay: rois={spec!r} is not 'auto', 'none' or a readable JSON file of "
                f"[[bead_id, x0, y0, size], ...] ({type(exc).__name__}: {exc})") from None
        return out


    @property
    def path(self) -> Path:
        """The (first) file played."""
        return self.source.paths[0]

    def render(self, start: int, stop: int) -> np.ndarray:
        """Frames ``start`` to ``stop`` as the camera shows them, ``(n, height, width)``."""
        s = self.source
        if s.kind == "full":
            return np.asarray(s.chunk(start, stop), dtype=s.dtype)
        assert self.layout is not None
        rois = np.asarray(s.chunk(start, stop))
        out = np.empty((rois.shape[0], *self.layout.shape), dtype=s.dtype)
        bg = int(np.median(np.asarray(s.frame(0))))
        saved, self._filled = self._filled, set()
        for k in range(rois.shape[0]):
            out[k].fill(bg)
            self._filled.add(out[k].__array_interface__["data"][0])
            self._draw_rois(out[k], rois[k])
        self._filled = saved
        return out

    def first_frame(self) -> np.ndarray:
        """Frame 0 as the camera shows it (ROI videos drawn into the camera frame)."""
        s = self.source
        if s.kind == "full":
            return np.array(s.frame(0), dtype=s.dtype)
        assert self.layout is not None
        out = np.empty(self.layout.shape, dtype=s.dtype)
        self._bg = int(np.median(np.asarray(s.frame(0))))
        out.fill(self._bg)
        saved, self._filled = self._filled, set()
        self._draw_rois(out, np.asarray(s.frame(0)))
        self._filled = saved
        return out
