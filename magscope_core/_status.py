"""Per-manager state and heartbeat, kept in the session's shared counters."""

from __future__ import annotations

import enum
import time
from collections.abc import Iterable
from typing import Any

__all__ = ["ManagerState", "StatusBoard", "status_fields"]


class ManagerState(enum.IntEnum):
    """Life state of a manager process."""

    STOPPED = 0
    STARTING = 1
    RUNNING = 2
    STOPPING = 3
    FAILED = 4
    RESTARTING = 5


def status_fields(names: Iterable[str]) -> list[tuple[str, str]]:
    """Counter fields ``(name, kind)`` for the managers ``names``."""
    fields: list[tuple[str, str]] = []
    for name in names:
        fields += [
            (f"mgr.{name}.state", "int"),
            (f"mgr.{name}.beat", "float"),
            (f"mgr.{name}.pid", "int"),
            (f"mgr.{name}.restarts", "int"),
        ]
    return fields


class StatusBoard:
    """Read and write manager states in a :class:`~magscope_core.SharedCounters`.

    Each field has one writer at a time: the hub writes ``state`` while a manager is not
    running, the manager itself writes ``beat`` and its ``RUNNING`` state.
    """

    def __init__(self, counters: Any) -> None:
        self._c = counters

    def state(self, name: str) -> ManagerState:
        """Current state of ``name`` (STOPPED for an unknown manager)."""
        try:
            return ManagerState(int(self._c.get(f"mgr.{name}.state")))
        except KeyError:
            return ManagerState.STOPPED

    def set_state(self, name: str, state: ManagerState) -> None:
        """Set the state of ``name``."""
        self._c.set(f"mgr.{name}.state", int(state))

    def beat(self, name: str) -> None:
        """Record a heartbeat of ``name`` now.

        Uses ``time.monotonic`` (system-wide on Linux, immune to wall-clock steps).
        """
        self._c.set(f"mgr.{name}.beat", time.monotonic())

    def last_beat(self, name: str) -> float:
        """``time.monotonic()`` of the last heartbeat of ``name`` (0 if never)."""
        return float(self._c.get(f"mgr.{name}.beat"))

    def set_pid(self, name: str, pid: int) -> None:
        """Record the process id of ``name``."""
        self._c.set(f"mgr.{name}.pid", pid)

    def pid(self, name: str) -> int:
        """Process id of ``name`` (0 if not started)."""
        return int(self._c.get(f"mgr.{name}.pid"))

    def set_restarts(self, name: str, n: int) -> None:
        """Record how often ``name`` was restarted."""
        self._c.set(f"mgr.{name}.restarts", n)

    def restarts(self, name: str) -> int:
        """How often ``name`` was restarted."""
        return int(self._c.get(f"mgr.{name}.restarts"))
