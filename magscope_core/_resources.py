"""Handles to the session's shared buffers, attached lazily in each process."""

from __future__ import annotations

from typing import Any

import attrs

from magscope_core._camera import CameraInfo

__all__ = ["SharedResources"]


@attrs.define
class SharedResources:
    """The session's shared memory, as picklable handles plus lazily attached buffers.

    The hub creates the buffers and passes this record to every manager process; a
    manager calls :meth:`ring`, :meth:`tracks`, ... to attach (once) what it uses.
    """

    session_id: str
    counters_handle: Any
    tracks_handle: Any = None
    rois_handle: Any = None
    profile_handle: Any = None
    ring_handle: Any = None
    camera_info: CameraInfo | None = None
    stack_notify_send: Any = None
    telemetry_handles: dict[str, Any] = attrs.field(factory=dict)
    stack_notify_recv: Any = None
    _attached: dict[str, Any] = attrs.field(factory=dict, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        state = {f.name: getattr(self, f.name) for f in attrs.fields(type(self))}
        state["_attached"] = {}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for key, value in state.items():
            object.__setattr__(self, key, value)

    def _attach(self, key: str, handle: Any, cls_name: str) -> Any:
        buf = self._attached.get(key)
        if buf is None:
            if handle is None:
                raise RuntimeError(
                    f"shared buffer {key!r} is not available in session {self.session_id} "
                    "(no camera connected yet?)"
                )
            from magscope_core import _buffers

            buf = getattr(_buffers, cls_name).attach(handle)
            self._attached[key] = buf
        return buf

    def counters(self) -> Any:
        """The session's :class:`~magscope_core.SharedCounters`."""
        return self._attach("counters", self.counters_handle, "SharedCounters")

    def ring(self) -> Any:
        """The video :class:`~magscope_core.VideoRing` (after the camera connected)."""
        return self._attach("ring", self.ring_handle, "VideoRing")

    def tracks(self) -> Any:
        """The :class:`~magscope_core.TracksMatrix`."""
        return self._attach("tracks", self.tracks_handle, "TracksMatrix")

    def rois(self) -> Any:
        """The :class:`~magscope_core.BeadRoiTable`."""
        return self._attach("rois", self.rois_handle, "BeadRoiTable")

    def profile(self) -> Any:
        """The :class:`~magscope_core.LiveProfile`."""
        return self._attach("profile", self.profile_handle, "LiveProfile")

    def telemetry(self, name: str) -> Any:
        """The telemetry :class:`~magscope_core.TracksMatrix` of hardware manager ``name``."""
        handle = self.telemetry_handles.get(name)
        if handle is None:
            raise KeyError(
                f"manager {name!r} has no telemetry ring (set telemetry_columns on its "
                f"class); rings exist for: {', '.join(sorted(self.telemetry_handles)) or 'none'}"
            )
        return self._attach(f"telemetry:{name}", handle, "TracksMatrix")

    def close(self) -> None:
        """Detach every buffer this process attached (never unlinks)."""
        for buf in self._attached.values():
            try:
                buf.close()
            except Exception:
                pass
        self._attached.clear()
