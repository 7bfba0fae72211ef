"""What travels on the pipes between the hub and the manager processes.

Commands are wrapped in an :class:`Envelope`; answers to requests come back as a
:class:`Reply`; the rest are small control records. Frames never travel here.
"""

from __future__ import annotations

import traceback as _traceback
from typing import Any

import attrs

from magscope_core._commands import Command

__all__ = [
    "CommandError",
    "Envelope",
    "ErrorReport",
    "Goodbye",
    "KeepState",
    "Launched",
    "Progress",
    "Ready",
    "RemoteError",
    "Reply",
]


class CommandError(RuntimeError):
    """A command could not be delivered or its handler failed.

    Attributes
    ----------
    remote
        The :class:`RemoteError` describing the failure on the receiving side, if any.
    """

    def __init__(self, message: str, remote: RemoteError | None = None) -> None:
        super().__init__(message)
        self.remote = remote


@attrs.frozen
class RemoteError:
    """An exception that happened in another process, as text."""

    type: str
    message: str
    traceback: str = ""
    where: str = ""

    @classmethod
    def from_exception(cls, exc: BaseException, where: str) -> RemoteError:
        """Capture ``exc`` (with its traceback) raised in ``where``."""
        tb = "".join(_traceback.format_exception(type(exc), exc, exc.__traceback__))
        return cls(type(exc).__name__, str(exc), tb, where)

    def __str__(self) -> str:
        return f"{self.type} in {self.where}: {self.message}"


@attrs.frozen
class Envelope:
    """A command on its way.

    Parameters
    ----------
    command
        The command record.
    sender
        Routing name of the sender (a manager name or ``"hub"``).
    request_id
        Non-zero when the sender waits for a :class:`Reply`.
    target
        The manager it goes to (``None``: the hub resolves the route).
    """

    command: Command
    sender: str
    request_id: int = 0
    target: str | None = None


@attrs.frozen
class Reply:
    """The answer to a request: a value, or an error."""

    request_id: int
    sender: str
    to: str
    value: Any = None
    error: RemoteError | None = None


@attrs.frozen
class Ready:
    """A manager finished ``setup()`` and entered its loop."""

    manager: str
    pid: int


@attrs.frozen
class Launched:
    """A manager's process runs: the interpreter started and its plugin is imported.

    Sent first thing by every manager process, before the factory and ``setup()``; the
    hub's start-up deadline then becomes ``start_timeout_s`` from here.
    """

    manager: str
    pid: int


@attrs.frozen
class Progress:
    """A manager reports a start-up step that takes a while (``setup()`` still runs).

    Each report also tells the hub the manager is alive: its start-up deadline starts
    again from the report, so a long but working ``setup()`` is shown, never killed.
    """

    manager: str
    message: str


@attrs.frozen
class KeepState:
    """A manager's state to hand to its next process if the supervisor restarts it.

    Sent by :meth:`~magscope_core.ManagerProcess.keep_state`; the hub keeps the latest
    one per manager for the session (plain, picklable data).
    """

    manager: str
    state: Any


@attrs.frozen
class Goodbye:
    """A manager finished ``teardown()`` and is about to exit."""

    manager: str


@attrs.frozen
class ErrorReport:
    """An exception in a manager process, reported to the hub.

    ``fatal`` is true when the process is going down because of it (an exception in
    ``setup`` or the loop); false for a failing command handler, which never kills the
    receiver. ``configuration`` is true for a
    :class:`~magscope_core.ConfigurationError`: the user's configuration is wrong, so
    the hub does not restart the manager.
    """

    manager: str
    plugin: str
    distribution: str
    error: RemoteError
    fatal: bool
    configuration: bool = False
