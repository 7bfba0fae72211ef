"""The replay camera's manager: bursts of frames, no drops on request, a clean end.

On top of :class:`magscope_core.CameraManager`:

- **Acquisition off holds the video** (the session's start-up included): no frame is
  played into the live view only, so none is skipped.
- **Bursts.** Frames that are already due (``fps=0``, or a replay running behind) are
  grabbed in one loop turn, up to :data:`BURST` frames or :data:`BURST_S` seconds, so the
  manager's per-turn cost (pipe poll, heartbeat) is paid once per burst, not per frame.
- **wait_when_full.** When the ring has no free stack, wait for the pipeline instead of
  dropping the frame: offline re-tracking loses nothing.
- **The end of a video played once.** The stack being filled is completed with
  live-only frames (the pipeline tracks and saves only the real ones), and once every
  stack has been tracked and written the session is ended (``Shutdown``), or, with
  ``at_end=pause``, kept running without frames (until ``loop`` is switched on: the video
  then plays again).
- **Bead ROIs.** Those of the camera option ``rois`` (a ROI video's recorded ROIs by
  default, with their ids and size) are added before the first frame; ``FindBeads``
  then finds nothing more, and otherwise finds the beads in the video's first frame.
"""

from __future__ import annotations

import time
from typing import Any

from magscope_core import (
    AddBead,
    CameraManager,
    FindBeads,
    GetBeads,
    Shutdown,
    find_beads,
    handles,
)
from magscope_replay._camera import ReplayCamera, ReplayFinished

__all__ = ["BURST", "BURST_S", "ReplayCameraManager"]

BURST = 256
"""Most frames grabbed in one loop turn."""
BURST_S = 0.005
"""Most seconds one burst may take (commands are answered between bursts)."""
_FULL_WAIT_S = 0.0005
_DRAIN_WAIT_S = 0.002
_HOLD_WAIT_S = 0.01


class ReplayCameraManager(CameraManager):
    """Runs :class:`~magscope_replay.ReplayCamera` (see the module notes)."""

    def setup(self) -> None:
        """Build the camera (the video is opened and checked here), connect, attach."""
        self._wait_full = bool(self._camera_options.get("wait_when_full", False))
        self._finished = False
        self._ended = False
        super().setup()
        self._added = self._add_start_rois()

    def _add_start_rois(self) -> int:
        """Add the camera's start ROIs (those already in the table are kept: a restart)."""
        rois = self._replay.start_rois
        if not rois:
            return 0
        have = {int(b[0]) for b in self.call(GetBeads(), timeout=10.0)}
        for bead_id, x0, y0, size in rois:
            if bead_id not in have:
                self.call(AddBead(x=x0 + size / 2, y=y0 + size / 2, size=size,
                                  bead_id=bead_id), timeout=10.0)
        self.log.info("added %d bead ROI(s) from %s before the first frame", len(rois),
                      self._replay.source.name)
        return len(rois)

    @property
    def _replay(self) -> ReplayCamera:
        cam = self.camera
        assert isinstance(cam, ReplayCamera)
        return cam

    def tick(self) -> None:
        """Grab the frames that are due (a burst), or finish the video."""
        if self._finished:
            self._after_end()
            return
        cam = self._replay
        if not self.acquiring:  # acquisition off: the video holds (nothing is skipped)
            cam.hold()
            time.sleep(_HOLD_WAIT_S)
            return
        deadline = time.perf_counter() + BURST_S
        for _ in range(BURST):
            if (self._wait_full and self.acquiring and self.ring.fill_position == 0
                    and self.ring.slot() is None):
                time.sleep(_FULL_WAIT_S)  # the ring is full: the pipeline frees a stack
                return
            try:
                super().tick()
            except ReplayFinished:
                self._end_of_video()
                return
            if cam.due_in() > 0 or time.perf_counter() > deadline:
                return

    def _end_of_video(self) -> None:
        """Complete the stack being filled with live-only frames and tell the pipeline."""
        self._finished = True
        cam = self._replay
        if self.ring.fill_position > 0:
            stamp = float(self.counters.get("camera_last_frame_t"))
            while self.ring.fill_position > 0:
                if self.ring.slot() is None:  # cannot happen mid-stack; be safe
                    break
                self.ring.commit(stamp, live_only=True)
            self._poke()
        then = ("the session ends once every frame is written" if cam.at_end == "stop"
                else "at_end=pause: the session stays, without frames")
        self.log.info("replay of %s ended after %d frames (%d loops); %s", cam.source.name,
                      cam.frames_played, cam.get_settings()["loops"], then)

    def _after_end(self) -> None:
        """Once the pipeline has taken every stack, end the session (at_end=stop).

        With ``at_end=pause``, switching ``loop`` on plays the video again.
        """
        if not self._ended and not self._replay.ended:  # loop on after a paused end
            self._finished = False
            self.log.info("replay of %s: loop on, playing again", self._replay.source.name)
            return
        if self._ended or self._replay.at_end != "stop":
            time.sleep(0.05)
            return
        stats = self.ring.stats()
        if stats.stacks_ready or stats.stacks_claimed:
            time.sleep(_DRAIN_WAIT_S)
            return
        self._ended = True
        cam = self._replay
        self.send(Shutdown(reason=f"replay finished: {cam.frames_played} frames of "
                           f"{cam.source.name}"))

    @handles(FindBeads)
    def find_beads(self, cmd: FindBeads) -> list[tuple[float, float]]:
        """None when the camera added its ROIs; else beads found in the first frame."""
        if self._added:
            return []
        lay = self._replay.layout
        if lay is None:
            return find_beads(self._replay.first_frame(), cmd.n, cmd.size)
        if lay.size != cmd.size:
            self.log.warning("the video's ROIs are %d px, the session's ROI size is %d px: "
                             "ROIs are centred on the recorded ones (set core.roi_size %d "
                             "to place them exactly)", lay.size, cmd.size, lay.size)
        half = lay.size / 2
        return [(float(x) + half, float(y) + half)
                for x, y in zip(lay.x0.tolist(), lay.y0.tolist(), strict=True)][: cmd.n]

    def get_info(self) -> dict[str, Any]:
        """The video's settings (for tests and status)."""
        return self._replay.get_settings()
