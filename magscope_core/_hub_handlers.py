"""The hub's own commands: what the hub answers itself (status, ping, shutdown, ...).

A mixin of :class:`~magscope_core.Hub`; every handler runs in the hub thread. The table
``_HUB_HANDLERS`` maps each command the hub owns to its handler; the router
(:mod:`magscope_core._router`) calls them, and :meth:`Hub.build_registry` registers them
as owned by the hub.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from magscope_core._beads import BEAD_HANDLERS, GetBeads
from magscope_core._builtin import (
    CameraConnected,
    FilesWritten,
    GetStatus,
    Ping,
    PipelineFinished,
    SetAcquisition,
    Shutdown,
)
from magscope_core._commands import Command
from magscope_core._hub_child import Child, ManagerEntry
from magscope_core._messages import ErrorReport

if TYPE_CHECKING:
    from magscope_core._session import Session
    from magscope_core._startup import StartupListeners

__all__ = ["HubHandlers"]

log = logging.getLogger("magscope.hub")


class HubHandlers:
    """Handlers of the commands the hub owns (see :class:`~magscope_core.Hub`)."""

    session: Session | None
    errors: list[ErrorReport]
    files: dict[str, list[str]]
    acquiring: bool
    pipeline_final: dict[str, Any] | None
    startup: StartupListeners
    _entries: dict[str, ManagerEntry]
    _children: dict[str, Child]
    _ring_ready: threading.Event
    request_stop: Callable[[str], None]
    _on_get_beads: Callable[[GetBeads], list[tuple[int, int, int, int]]]

    _HUB_HANDLERS: dict[type[Command], str] = {
        Shutdown: "_on_shutdown",
        GetStatus: "_on_status",
        Ping: "_on_ping",
        CameraConnected: "_on_camera_connected",
        FilesWritten: "_on_files_written",
        SetAcquisition: "_on_set_acquisition",
        PipelineFinished: "_on_pipeline_finished",
        **BEAD_HANDLERS,
    }

    @classmethod
    def _hub_handler_types(cls) -> list[tuple[type[Command], str]]:
        return list(cls._HUB_HANDLERS.items())

    def _on_shutdown(self, cmd: Shutdown) -> None:
        log.info("shutdown requested: %s", cmd.reason or "no reason given")
        self.request_stop(cmd.reason or "Shutdown command")

    def _on_ping(self, cmd: Ping) -> Any:
        return cmd.payload

    def _on_status(self, cmd: GetStatus) -> dict[str, Any]:
        return self.status()

    def _on_camera_connected(self, cmd: CameraConnected) -> dict[str, Any]:
        assert self.session is not None
        handle = self.session.attach_camera(cmd.info)
        self._ring_ready.set()
        info = cmd.info
        self.startup.emit("camera", "progress",
                          f"camera connected: {info.model or 'camera'} {info.width}x"
                          f"{info.height} {info.dtype}, {info.fps:g} fps")
        return {"ring": handle, "acquiring": self.acquiring}

    def _on_pipeline_finished(self, cmd: PipelineFinished) -> None:
        self.pipeline_final = {"stacks": cmd.stacks, "frames": cmd.frames,
                               "failed_writers": dict(cmd.failed_writers),
                               "stacks_tracked": cmd.stacks_tracked,
                               "stacks_failed": cmd.stacks_failed,
                               "worker_restarts": cmd.worker_restarts,
                               "worker_timeouts": cmd.worker_timeouts}

    def _on_set_acquisition(self, cmd: SetAcquisition) -> None:
        self.acquiring = cmd.on

    def _on_files_written(self, cmd: FilesWritten) -> None:
        known = self.files.setdefault(cmd.writer, [])
        known.extend(p for p in cmd.paths if p not in known)

    def status(self) -> dict[str, Any]:
        """Managers (state, pid, restarts), counters and buffer figures, as plain data."""
        assert self.session is not None
        managers = {
            name: {
                "state": self.session.status.state(name).name.lower(),
                "pid": (self._children[name].proc.pid if name in self._children else None),
                "restarts": self._children[name].restarts if name in self._children else 0,
                "plugin": entry.plugin,
                "distribution": entry.distribution,
            }
            for name, entry in self._entries.items()
        }
        return {
            "session": self.session.session_id,
            "managers": managers,
            "counters": self.session.counters_snapshot(),
            "ring": self.session.ring_stats(),
            "beads": self._on_get_beads(GetBeads()),
            "acquiring": self.acquiring,
            "errors": len(self.errors),
        }
