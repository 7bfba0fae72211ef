"""A session's shared memory: created by the hub, unlinked on every exit path."""

from __future__ import annotations

import atexit
import logging
from collections.abc import Sequence
from typing import Any

from magscope_core._buffers import (
    STANDARD_COUNTERS,
    BeadRoiTable,
    LiveProfile,
    SessionMemory,
    SharedCounters,
    TracksMatrix,
    VideoRing,
    cleanup_stale_segments,
    new_session_id,
)
from magscope_core._camera import CameraInfo
from magscope_core._resources import SharedResources
from magscope_core._status import StatusBoard, status_fields

__all__ = ["Session"]

log = logging.getLogger("magscope.hub")


class Session:
    """Own every shared buffer of one run of the hub.

    Segment names are ``magscope-<pid>-<token>-<name>``, so two sessions never collide
    and a later start can remove what a dead session left (see
    :func:`~magscope_core.cleanup_stale_segments`).
    """

    def __init__(self, memory: SessionMemory, resources: SharedResources,
                 n_stacks: int, stack_size: int) -> None:
        self.memory = memory
        self.resources = resources
        self.session_id = memory.session_id
        self.status = StatusBoard(resources.counters())
        self._n_stacks = n_stacks
        self._stack_size = stack_size
        self._ring: VideoRing | None = None
        self._closed = False
        atexit.register(self.close)

    @classmethod
    def create(
        cls,
        manager_names: Sequence[str],
        n_stacks: int = 10,
        stack_size: int = 10,
        tracks_capacity: int = 1_000_000,
        max_beads: int = 10_000,
        profile_length: int = 2560,
        telemetry: dict[str, tuple[tuple[str, ...], int]] | None = None,
    ) -> Session:
        """Remove stale segments of dead sessions, then create this session's buffers."""
        removed = cleanup_stale_segments()
        if removed:
            log.warning("removed %d shared-memory segments left by dead sessions: %s",
                        len(removed), ", ".join(removed[:5]))
        memory = SessionMemory(new_session_id())
        try:
            fields = [*STANDARD_COUNTERS, *status_fields(manager_names)]
            counters = SharedCounters.create(memory, fields)
            tracks = TracksMatrix.create(memory, capacity=tracks_capacity)
            rois = BeadRoiTable.create(memory, capacity=max_beads)
            profile = LiveProfile.create(memory, max_length=profile_length)
            telemetry_rings = {
                name: TracksMatrix.create(
                    memory, capacity=capacity, columns=("t", *columns), name=f"tel{i}"
                )
                for i, (name, (columns, capacity)) in enumerate(sorted((telemetry or {}).items()))
            }
        except BaseException:
            memory.close()
            raise
        import multiprocessing as mp

        notify_recv, notify_send = mp.get_context("spawn").Pipe(duplex=False)
        resources = SharedResources(
            stack_notify_send=notify_send,
            stack_notify_recv=notify_recv,
            session_id=memory.session_id,
            counters_handle=counters.handle,
            tracks_handle=tracks.handle,
            rois_handle=rois.handle,
            profile_handle=profile.handle,
            telemetry_handles={n: t.handle for n, t in telemetry_rings.items()},
        )
        resources._attached.update(
            counters=counters, tracks=tracks, rois=rois, profile=profile
        )
        for n, ring in telemetry_rings.items():
            resources._attached[f"telemetry:{n}"] = ring
        return cls(memory, resources, n_stacks, stack_size)

    def attach_camera(self, info: CameraInfo) -> Any:
        """Create the video ring for a camera (once) and return its handle.

        A camera manager that restarts gets the same ring back if its geometry is
        unchanged.

        Raises
        ------
        ValueError
            If a camera with another geometry connects to a running session.
        """
        if self._ring is None:
            self._ring = VideoRing.create(
                self.memory,
                n_stacks=self._n_stacks,
                stack_size=self._stack_size,
                height=info.height,
                width=info.width,
                dtype=info.dtype,
            )
            self.resources.ring_handle = self._ring.handle
            self.resources.camera_info = info
            self.resources._attached["ring"] = self._ring
            log.info(
                "camera %s connected: %dx%d %s (%d bit), %.1f fps, %.1f nm/px; ring %d x %d frames",
                info.model or "?", info.width, info.height, info.dtype, info.bits, info.fps,
                info.nm_per_px, self._n_stacks, self._stack_size,
            )
        else:
            old = self.resources.camera_info
            assert old is not None
            if (old.width, old.height, old.dtype) != (info.width, info.height, info.dtype):
                raise ValueError(
                    f"camera geometry changed from {old.width}x{old.height} {old.dtype} to "
                    f"{info.width}x{info.height} {info.dtype}; restart the session"
                )
            self.resources.camera_info = info
        return self._ring.handle

    def ring_stats(self) -> dict[str, Any]:
        """Figures of the video ring (empty before a camera connected)."""
        import attrs

        return attrs.asdict(self._ring.stats()) if self._ring is not None else {}

    def counters_snapshot(self) -> dict[str, Any]:
        """All shared counters as a dict."""
        return dict(self.resources.counters().snapshot())

    def close(self) -> None:
        """Detach and unlink every segment of this session (idempotent)."""
        if self._closed:
            return
        self._closed = True
        try:
            self.resources.close()
        finally:
            self.memory.close()
        atexit.unregister(self.close)
