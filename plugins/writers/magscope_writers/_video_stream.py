"""A sequence of ImageJ TIFF files for one kind of video, each with a JSON sidecar.

Files hold at most ``frames_per_file`` frames (fewer if the pixels would pass
:data:`~magscope_writers._imagej.MAX_PIXEL_BYTES`) and are named
``<prefix> <YYYY-MM-DD HH-MM-SS.fff>.tif`` from the local time of their first frame.
A new file also starts when the frame layout changes (another set of beads, ROI size or
dtype). Next to each ``.tif`` a ``.json`` sidecar with the same stem is replaced
atomically after every stack: per-frame timestamps and frame numbers, bead ids and every
change of ROI origin, so that the timing survives a crash even before the TIFF's
``Labels`` are written at the end.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from magscope_core._disk_space import is_no_space
from magscope_writers._errors import WriterError
from magscope_writers._imagej import MAX_PIXEL_BYTES, ImageJStackFile
from magscope_writers._jsonable import jsonable
from magscope_writers._naming import create_unique, local_iso, local_stamp, seconds_to_ns

__all__ = ["SIDECAR_FORMAT", "VideoStream", "ns_label"]

SIDECAR_FORMAT = "magscope-video"
IMAGEJ_DTYPES = ("uint8", "uint16", "int16", "float32")
"""Pixel types ImageJ reads; others (uint32 cameras) are stored as float32, which is exact
up to 2**24."""


def ns_label(ns: int) -> str:
    """Epoch seconds with microseconds, as text (``"1764075520.629624"``): an ImageJ label."""
    sec, us = divmod((int(ns) + 500) // 1000, 1_000_000)
    return f"{sec}.{us:06d}"


class VideoStream:
    """Writes frames of one layout family into numbered-by-time TIFF files.

    Parameters
    ----------
    writer
        Writer name, for error messages.
    out_dir, prefix
        Folder and file-name prefix (``"Video"`` or ``"Video ROIs"``).
    frames_per_file
        Most frames per file.
    nm_per_px, unit
        Pixel size, and the calibration unit (``"um"`` or ``"nm"``).
    fps
        Nominal frame rate (ImageJ frame interval), 0 if unknown.
    common
        Metadata copied into every sidecar (camera, session metadata, options).
    written
        List shared by the writer's streams: each TIFF (once it holds a frame) and its
        sidecar (once written) are appended, so the writer can return every path in
        creation order. A file that never got a frame is removed, and so is a
        temporary sidecar that could not be written.
    """

    def __init__(self, writer: str, out_dir: Path, prefix: str, *, frames_per_file: int,
                 nm_per_px: float, unit: str, fps: float, common: dict[str, Any],
                 written: list[Path]) -> None:
        self.writer = writer
        self.out_dir = out_dir
        self.prefix = prefix
        self.frames_per_file = frames_per_file
        self.nm_per_px = nm_per_px
        self.unit = unit
        self.fps = fps
        self.common = common
        self.rois: dict[str, Any] | None = None  # full frames: the bead ROIs in force
        self.written = written
        self.paths: list[Path] = []
        self._file: ImageJStackFile | None = None
        self._key: tuple[Any, ...] | None = None
        self._side: dict[str, Any] = {}
        self._cap = frames_per_file

    @property
    def current_path(self) -> Path | None:
        """The TIFF being written, if any."""
        return self._file.path if self._file is not None else None

    def append(self, frames: np.ndarray, timestamps: np.ndarray, frame_numbers: np.ndarray,
               bead_ids: np.ndarray | None = None, roi_x0: np.ndarray | None = None,
               roi_y0: np.ndarray | None = None) -> None:
        """Append ``(n, C, Y, X)`` ROI frames (with bead ids and origins) or ``(n, Y, X)`` frames.

        Raises
        ------
        WriterError
            If a timestamp is invalid or writing fails; the file being written keeps its
            committed frames and the next call starts a new file.
        """
        n = int(frames.shape[0])
        if n == 0:
            return
        try:
            ts_ns = seconds_to_ns(np.asarray(timestamps))
        except ValueError as exc:
            raise WriterError(self.writer, f"checking {n} frames for", self.current_path,
                              str(exc)) from exc
        ids = None if bead_ids is None else [int(b) for b in bead_ids]
        stored = frames.dtype if frames.dtype.name in IMAGEJ_DTYPES else np.dtype(np.float32)
        key = (frames.shape[1:], stored.str, None if ids is None else tuple(ids))
        if self._file is not None and key != self._key:
            self.finish()
        i = 0
        while i < n:
            if self._file is None:
                self._start(key, frames, stored, ids, int(ts_ns[i]))
            f = self._file
            assert f is not None
            k = min(self._cap - f.frames, n - i)
            try:
                f.append(frames[i:i + k].astype(stored, copy=False), ns_label(int(ts_ns[i])))
            except Exception as exc:
                kept = (f"the file keeps its first {f.frames} frames" if f.frames
                        else "the empty file was removed")
                self._abandon(f"{type(exc).__name__}: {exc}")
                raise WriterError(
                    self.writer, f"appending {k} frames to", f.path,
                    f"{type(exc).__name__}: {exc}; {kept} and the next frames go to a new "
                    "file", no_space=is_no_space(exc),
                ) from exc
            if f.path not in self.written:
                self.written.append(f.path)
            self._record(ts_ns[i:i + k], frame_numbers[i:i + k], f.frames - k, roi_x0, roi_y0)
            try:
                self._write_sidecar()
            except OSError as exc:
                raise WriterError(self.writer, "updating the sidecar", self._sidecar_path(),
                                  f"{type(exc).__name__}: {exc}; the video frames themselves "
                                  f"were written to {f.path.name}",
                                  no_space=is_no_space(exc)) from exc
            if self._sidecar_path() not in self.written:
                self.written.append(self._sidecar_path())
            if f.frames >= self._cap:
                self.finish()
            i += k

    def set_rois(self, entry: dict[str, Any]) -> None:
        """Bead ROIs (``frame``, ``bead_ids``, ``x0``, ``y0``, ``size``) from a frame on.

        Every file's sidecar lists the ROIs in force at its start and each change (key
        ``rois``), so a full-frame video knows where its beads were.
        """
        self.rois = entry
        if self._file is not None:
            self._side["rois"].append(entry)

    def _start(self, key: tuple[Any, ...], frames: np.ndarray, stored: np.dtype[Any],
               ids: list[int] | None, first_ns: int) -> None:
        channels = 0 if ids is None else len(ids)
        # pixels plus about 160 bytes of IFD per plane must stay below MAX_PIXEL_BYTES
        planes = max(channels, 1)
        frame_bytes = int(np.prod(frames.shape[1:])) * stored.itemsize + 160 * planes
        self._cap = max(1, min(self.frames_per_file, MAX_PIXEL_BYTES // max(frame_bytes, 1)))
        px_per_unit = (1000.0 if self.unit == "um" else 1.0) / self.nm_per_px
        stem = f"{self.prefix} {local_stamp(first_ns, 3)}"

        def create(path: Path) -> ImageJStackFile:
            if path.with_suffix(".json").exists():
                raise FileExistsError(path)
            return ImageJStackFile.create(path, channels=channels, px_per_unit=px_per_unit,
                                          unit=self.unit,
                                          finterval=1.0 / self.fps if self.fps > 0 else None)

        try:
            path, f = create_unique(self.out_dir, stem, ".tif", create)
        except Exception as exc:
            raise WriterError(self.writer, f"creating a '{self.prefix}' file in", self.out_dir,
                              f"{type(exc).__name__}: {exc}") from exc
        self._file, self._key = f, key
        self.paths.append(path)
        self._side = {
            "format": SIDECAR_FORMAT,
            "format_version": 1,
            "tiff": path.name,
            "axes": f.axes,
            "frame_shape": [int(s) for s in frames.shape[1:]],
            "dtype": stored.name,
            "source_dtype": frames.dtype.name,
            "frames": 0,
            "complete": False,
            "file_start_local": local_iso(first_ns),
            "nm_per_px": self.nm_per_px,
            "resolution": {"px_per_unit": px_per_unit, "unit": self.unit},
            "labels": "one per plane (T x C): epoch seconds of the plane's frame",
            "bead_ids": ids,
            "roi_origins": [] if ids is not None else None,
            "rois": [self.rois] if self.rois is not None and ids is None else [],
            "timestamps_ns": [],
            "frame_numbers": [],
            **self.common,
        }

    def _record(self, ts_ns: np.ndarray, numbers: np.ndarray, first: int,
                x0: np.ndarray | None, y0: np.ndarray | None) -> None:
        s = self._side
        s["timestamps_ns"].extend(int(t) for t in ts_ns)
        s["frame_numbers"].extend(int(v) for v in np.asarray(numbers).tolist())
        s["frames"] = first + int(ts_ns.shape[0])
        if x0 is not None and y0 is not None:
            xs, ys = [int(v) for v in x0], [int(v) for v in y0]
            last = s["roi_origins"][-1] if s["roi_origins"] else None
            if last is None or last["x0"] != xs or last["y0"] != ys:
                s["roi_origins"].append({"frame": first, "x0": xs, "y0": ys})

    def _sidecar_path(self) -> Path:
        assert self._file is not None
        return self._file.path.with_suffix(".json")

    def _write_sidecar(self) -> None:
        path = self._sidecar_path()
        _replace_text(path, json.dumps(jsonable(self._side), indent=1))

    def finish(self) -> None:
        """Close the current file: write its IFDs, ``Labels`` and ``Info``, mark it complete."""
        f = self._file
        if f is None:
            return
        s = self._side
        channels = max(f.channels, 1)
        labels = [ns_label(t) for t in s["timestamps_ns"] for _ in range(channels)]
        info = {k: s[k] for k in ("format", "bead_ids", "roi_origins", "rois", "nm_per_px",
                                  "resolution", "file_start_local")}
        info["first_frame_number"] = s["frame_numbers"][0] if s["frame_numbers"] else None
        try:
            f.close(labels, json.dumps(jsonable(info)))
            s["complete"] = True
            self._write_sidecar()
        except Exception as exc:
            raise WriterError(self.writer, "finishing", f.path,
                              f"{type(exc).__name__}: {exc}; its frames are on disk and "
                              "its sidecar lists their timestamps",
                              no_space=is_no_space(exc)) from exc
        finally:
            self._file = None
            self._key = None

    def _abandon(self, error: str) -> None:
        f = self._file
        if f is None:
            return
        f.abandon()
        self._file = None
        self._key = None
        if f.frames == 0:  # nothing committed: leave nothing behind
            side = f.path.with_suffix(".json")
            for p in (f.path, side):
                p.unlink(missing_ok=True)
                if p in self.written:
                    self.written.remove(p)
            if f.path in self.paths:
                self.paths.remove(f.path)
            return
        self._side["error"] = error
        try:
            _replace_text(f.path.with_suffix(".json"), json.dumps(jsonable(self._side), indent=1))
        except OSError:
            pass  # the error being raised already names the file

    def add_stats(self, stats: dict[str, Any]) -> list[str]:
        """Add the run's ``stats`` to every sidecar written; return problems as text."""
        problems = []
        for path in self.paths:
            side = path.with_suffix(".json")
            if not side.exists():
                continue  # never written (the disk was full): nothing to add to
            try:
                data = json.loads(side.read_text())
                data["stats"] = jsonable(stats)
                _replace_text(side, json.dumps(data, indent=1))
            except (OSError, ValueError) as exc:
                problems.append(f"adding stats to {side}: {type(exc).__name__}: {exc}")
        return problems


def _replace_text(path: Path, text: str) -> None:
    """Replace ``path`` atomically with ``text``; no ``.tmp`` is left if writing fails."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
