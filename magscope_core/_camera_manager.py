"""The camera manager: runs a camera plugin's object and fills the video ring."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from magscope_core._bead_search import BeadSearchHandlers
from magscope_core._beadfind import find_beads
from magscope_core._builtin import (
    CameraConnected,
    FindBeads,
    GetCameraSettings,
    SetAcquisition,
    SetCameraSetting,
)
from magscope_core._camera import Camera, CameraError, CameraInfo
from magscope_core._config_errors import call_factory
from magscope_core._import_path import resolve_factory
from magscope_core._manager import ManagerProcess, handles

__all__ = ["CameraManager"]


class CameraManager(BeadSearchHandlers, ManagerProcess):
    """Owns the camera: connect, grab frames straight into ring slots, apply settings.

    The loop blocks inside :meth:`Camera.grab_into` (the camera paces itself), checking
    the command pipe between frames. A full ring never blocks the camera: the frame is
    grabbed into a scratch buffer and counted as dropped.

    Parameters
    ----------
    camera_factory
        The camera spec's factory (module level, importable).
    camera_options
        Keyword arguments for the factory.
    grab_timeout
        Seconds to wait for one frame before counting a timeout.
    search_process
        Run bead searches in a process of their own (default), not in a thread of this
        one (``benchmarks/bench_similar_beads.py --grabbing`` compares both).
    batch_frames
        Most frames a camera with ``grab_many_into`` delivers per call (1: one frame per
        call, ``grab_into``; setting ``core.camera_batch_frames``, ADR 0015).
    """

    tick_interval = 0.0  # grab every loop turn; grab_into itself blocks until a frame

    def __init__(
        self,
        camera_factory: Callable[..., Camera],
        camera_options: dict[str, Any] | None = None,
        grab_timeout: float = 0.5,
        search_process: bool = True,
        batch_frames: int = 1,
    ) -> None:
        super().__init__()
        self._batch = max(1, int(batch_frames))
        self._search_process = search_process
        self._factory = camera_factory
        self._camera_options = dict(camera_options or {})
        self._grab_timeout = grab_timeout
        self.camera: Camera | None = None
        self.info: CameraInfo | None = None
        self.acquiring = False
        self._stack_live = True  # the stack being filled is live-only (acquisition off)
        self._last_stack = -1

    def setup(self) -> None:
        """Build and connect the camera, publish its metadata, attach the ring."""
        factory = resolve_factory(self._factory)  # an import path is imported here
        name = getattr(factory, "__qualname__", repr(factory))
        camera = call_factory(factory, self._camera_options, f"camera {name}")
        self.camera = camera
        info = camera.connect()
        if not isinstance(info, CameraInfo):
            raise CameraError(
                f"camera {type(camera).__name__}.connect() returned {type(info).__name__}, "
                "expected magscope_core.CameraInfo"
            )
        self.info = info
        reply = self.call(CameraConnected(info), timeout=30.0)
        self.acquiring = bool(reply["acquiring"])
        self.resources.ring_handle = reply["ring"]
        self.resources.camera_info = info
        self.ring = self.resources.ring()
        self.counters = self.resources.counters()
        self._scratch = np.zeros(info.shape, dtype=info.dtype)
        self._notify = self.resources.stack_notify_send
        self._stack_size = self.ring.stack_size
        lost = getattr(camera, "frames_lost", None)
        self._frames_lost = lost if callable(lost) else None
        self._lost_seen = int(lost()) if callable(lost) else 0
        many = getattr(camera, "grab_many_into", None)
        self._grab_many = many if callable(many) and self._batch > 1 else None
        # on_frame per frame only for subclasses that use it (the simulator's ground truth)
        self._per_frame = type(self).on_frame is not CameraManager.on_frame
        self.log.info("connected %s (%dx%d, %s)", info.model or type(camera).__name__,
                      info.width, info.height, info.dtype)

    def tick(self) -> None:
        """Grab one frame into the next ring slot (or the scratch buffer).

        With acquisition off, frames still go to the ring, marked live-only: the live
        view keeps running while the pipeline neither tracks nor saves them. A switch
        takes effect at the next stack, so every stack is wholly acquired or wholly
        live-only (a stack stays the unit of tracking and saving). A full ring with
        acquisition off costs nothing (the frame goes to the scratch buffer, no drop).
        """
        assert self.camera is not None
        self.search_tick()
        if self.ring.fill_position == 0:
            self._stack_live = not self.acquiring
        live = self._stack_live
        if self._grab_many is not None:
            self._tick_many(live)
            return
        slot = self.ring.slot()
        target = slot if slot is not None else self._scratch
        c0 = time.thread_time()
        t = self.camera.grab_into(target, self._grab_timeout)
        self.counters.add("camera_grab_cpu_s", time.thread_time() - c0)
        if t is None:
            self.counters.add("camera_timeouts", 1)
            return
        self.counters.add("camera_frames", 1)
        self.counters.set("camera_last_frame_t", float(t))
        self._count_lost()
        if slot is None:
            if not live:
                self.ring.drop()
                self.counters.add("frames_dropped", 1)
            return
        number = self.ring.commit(float(t), live_only=live)
        if not live:
            self.on_frame(number, float(t))
        if self.ring.frames_written % self._stack_size == 0:
            self._poke()

    def _tick_many(self, live: bool) -> None:
        """Let the camera write several frames into consecutive ring slots at once."""
        assert self._grab_many is not None
        slots = self.ring.slots(self._batch)
        # the ring full: one frame into the scratch buffer
        target = self._scratch[None] if slots is None else slots
        c0 = time.thread_time()
        stamps = self._grab_many(target, self._grab_timeout)
        self.counters.add("camera_grab_cpu_s", time.thread_time() - c0)
        if stamps is None or len(stamps) == 0:
            self.counters.add("camera_timeouts", 1)
            return
        stamps = np.asarray(stamps, np.float64)
        n = int(stamps.shape[0])
        self.counters.add("camera_frames", n)
        self.counters.set("camera_last_frame_t", float(stamps[-1]))
        self._count_lost()
        if slots is None:
            if not live:
                self.ring.drop(n)
                self.counters.add("frames_dropped", n)
            return
        first = self.ring.commit_many(stamps, live_only=live)
        if self._per_frame and not live:
            for k in range(n):
                self.on_frame(first + k, float(stamps[k]))
        if self.ring.fill_position == 0:
            self._poke()

    def _count_lost(self) -> None:
        """Add the frames the camera's SDK itself dropped to the session's count."""
        if self._frames_lost is not None:
            lost = int(self._frames_lost())
            if lost > self._lost_seen:
                self.counters.add("frames_dropped", lost - self._lost_seen)
                self._lost_seen = lost

    def on_frame(self, frame_number: int, timestamp: float) -> None:
        """Called after each frame is stored in the ring (subclasses may record extras)."""

    def _poke(self) -> None:
        try:
            self._notify.send_bytes(b"s")
        except (BlockingIOError, OSError):
            pass

    def teardown(self) -> None:
        """End a bead search process; disconnect the camera."""
        self.close_search()
        if self.camera is not None:
            self.camera.disconnect()
            self.camera = None

    @handles(SetCameraSetting)
    def set_setting(self, cmd: SetCameraSetting) -> dict[str, Any]:
        """Apply one setting and return all settings."""
        assert self.camera is not None
        self.camera.set_setting(cmd.name, cmd.value)
        return dict(self.camera.get_settings())

    @handles(GetCameraSettings)
    def get_settings(self, cmd: GetCameraSettings) -> dict[str, Any]:
        """Return all camera settings."""
        assert self.camera is not None
        return dict(self.camera.get_settings())

    @handles(FindBeads)
    def find_beads(self, cmd: FindBeads) -> list[tuple[float, float]]:
        """Bead centres: from the camera if it knows them, else found in the newest frame."""
        assert self.camera is not None and self.info is not None
        half = cmd.size / 2
        known = getattr(self.camera, "bead_positions", None)
        if callable(known):
            centres: list[tuple[float, float]] = []
            for site in known():
                x, y = getattr(site, "roi_center", (site.x_px, site.y_px))
                inside = (half <= x <= self.info.width - half
                          and half <= y <= self.info.height - half)
                # an ROI must hold one bead: skip beads whose ROI would overlap another's
                apart = all(abs(x - cx) >= cmd.size or abs(y - cy) >= cmd.size
                            for cx, cy in centres)
                if inside and apart:
                    centres.append((float(x), float(y)))
            return centres[: cmd.n]
        latest = self.ring.peek_latest()
        frame = latest.frame if latest is not None else self._scratch
        return find_beads(frame, cmd.n, cmd.size)

    @handles(SetAcquisition)
    def set_acquisition(self, cmd: SetAcquisition) -> None:
        """Start or stop filling the ring."""
        self.acquiring = cmd.on
