"""The hub's record of one manager process."""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Mapping
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

import attrs

from magscope_core._import_path import resolve_factory
from magscope_core._specs import ManagerSpec

__all__ = ["Child", "ManagerEntry", "signal_name", "telemetry_layout"]

log = logging.getLogger("magscope.hub")


@attrs.frozen
class ManagerEntry:
    """A manager to start, with the plugin and distribution that provided it.

    ``kind`` is ``"camera"`` for the camera manager (started first, so the video ring
    can be sized from the camera's metadata before anyone else starts).
    """

    spec: ManagerSpec
    plugin: str = "magscope-core"
    distribution: str = "magscope-core"
    kind: str = "manager"


@attrs.define(eq=False)
class Child:
    """A running (or dead) manager process, owned by the hub thread."""

    name: str
    entry: ManagerEntry
    proc: BaseProcess
    conn: Connection | None
    ready: bool = False
    pid: int = 0
    said_goodbye: bool = False
    watching: bool = True
    restarts: int = 0
    restart_at: float | None = None
    restart_times: list[float] = attrs.field(factory=list)
    started_at: float = attrs.field(factory=time.monotonic)
    """When it was spawned, then its latest sign of start-up progress."""
    launched: bool = False
    """Its process runs our code (interpreter up, plugin imported): see ``Launched``."""

    def start_deadline(self, config: Any) -> float:
        """``time.monotonic()`` after which a manager still in ``setup()`` counts as hung."""
        limit = config.start_timeout_s if self.launched else max(config.launch_timeout_s,
                                                                 config.start_timeout_s)
        return self.started_at + float(limit)
    config_error: str = ""
    """The message of a :class:`~magscope_core.ConfigurationError` it died of ("": none)."""
    kept_state: Any = None
    """The latest state it asked to keep (a ``KeepState`` message): handed to
    the process that replaces it after a restart."""

    def send(self, obj: Any) -> None:
        """Send ``obj`` to the process.

        A broken pipe closes it; the death itself is handled when the sentinel fires.
        """
        if self.conn is None:
            return
        try:
            self.conn.send(obj)
        except (BrokenPipeError, EOFError, OSError) as exc:
            log.debug("pipe to %s broke: %s", self.name, exc)
            self.close_conn()

    def close_conn(self) -> None:
        """Close the hub's end of the pipe."""
        if self.conn is not None:
            try:
                self.conn.close()
            except OSError:
                pass
            self.conn = None


def telemetry_layout(
    entries: Mapping[str, ManagerEntry],
) -> dict[str, tuple[tuple[str, ...], int]]:
    """Telemetry columns and capacity of each manager whose class declares columns."""
    layout = {}
    for name, entry in entries.items():
        factory = resolve_factory(entry.spec.factory)  # an import path is imported here
        columns = tuple(getattr(factory, "telemetry_columns", ()))
        if columns:
            layout[name] = (columns, int(getattr(factory, "telemetry_capacity", 100_000)))
    return layout


def signal_name(code: int | None) -> str:
    """`` (SIGKILL)`` for a negative exit code, else an empty string."""
    if code is None or code >= 0:
        return ""
    try:
        return f" ({signal.Signals(-code).name})"
    except ValueError:
        return ""
