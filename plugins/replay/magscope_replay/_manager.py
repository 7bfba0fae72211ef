"""The replay camera's manager: bursts of frames, no drops on request, a clean end.

On top of :class:`magscope_core.CameraManager`:

- **Bursts.** Frames that are already due (``fps=0``, or a replay running behind) are
  grabbed in one loop turn, up to :data:`BURST` frames or :data:`BURST_S` seconds, so the
  manager's per-turn cost (pipe poll, heartbeat) is paid once per burst, not per frame.
- **wait_when_full.** When the ring has no free stack, wait for the pipeline instead of
  dropping the frame: offline re-tracking loses nothing.
- **The end of a video played once.** The stack being filled is completed with
  live-only frames (the pipeline tracks and saves only the real ones), and once every
  stack has been tracked and written the session is ended (``Shutdown``), or, with
  ``at_end=pause``, kept running without frames.
- **Bead ROIs.** ``FindBeads`` returns the recorded ROIs of a ROI video (exactly placed
  when ``core.roi_size`` is the recorded size), else the beads found in the first frame.
"""

from __future__ import annotations

import time
from typing import Any

from magscope_core import CameraManager, FindBeads, Shutdown, find_beads, handles
from magscope_replay._camera import ReplayCamera, ReplayFinished

__all__ = ["BURST", "BURST_S", "ReplayCameraManager"]

BURST = 256
"""Most frames grabbed in one loop turn."""
BURST_S = 0.005
"""Most seconds one burst may take (commands are answered between bursts)."""
_FULL_WAIT_S = 0.0005
_DRAIN_WAIT_S = 0.002


class ReplayCameraManager(CameraManager):
    """Runs :class:`~magscope_replay.ReplayCamera` (see the module notes)."""

    def setup(self) -> None:
        """Build the camera (the video is opened and checked here), connect, attach."""
        self._wait_full = bool(self._camera_options.get("wait_when_full", False))
        self._finished = False
        self._ended = False
        super().setup()

    @property
    def _replay(self) -> ReplayCamera:
        cam = self.camera
        assert isinstance(cam, ReplayCamera)
        return cam

    def tick(self) -> None:
        """Grab the frames that are due (a burst), or finish the video."""
        if self._finished:
            self._drain()
            return
        cam = self._replay
        deadline = time.perf_counter() + BURST_S
        for _ in range(BURST):
            if (self._wait_full and self.acquiring and self.ring.fill_position == 0
                    and self.ring.slot() is None):
                time.sleep(_FULL_WAIT_S)  # the ring is full: the pipeline frees a stack
                return
            try:
                super().tick()
            except ReplayFinished:
                self._finish()
                return
            if cam.due_in() > 0 or time.perf_counter() > deadline:
                return

    def _finish(self) -> None:
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
        self.log.info("replay of %s ended after %d frames (%d loops)", cam.source.name,
                      cam.frames_played, cam.get_settings()["loops"])

    def _drain(self) -> None:
        """Once the pipeline has taken every stack, end the session (at_end=stop)."""
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
        """The recorded ROIs' centres (ROI videos), else beads found in the first frame."""
        lay = self._replay.layout
        if lay is None:
            return find_beads(self._replay.first_frame(), cmd.n, cmd.size)
        if lay.size != cmd.size:
            self.log.warning("the video's ROIs are %d px, the session's ROI size is %d px: "
                             "ROIs are centred on the recorded ones (set core.roi_size %d "
                             "to place them exactly)", lay.size, cmd.size, lay.size)
        half = lay.size / 2
        return [(float(x) + half, float(y) + half)
                for x, y in zip(lay.x0.tolist(), lay.y0.tolist())][: cmd.n]

    def get_info(self) -> dict[str, Any]:
        """The video's settings (for tests and status)."""
        return self._replay.get_settings()
