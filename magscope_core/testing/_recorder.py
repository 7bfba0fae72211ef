"""Recording the commands a plugin sends: :class:`CommandRecorder` and :class:`RecordingHub`."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import attrs

from magscope_core._commands import Command

__all__ = ["CommandRecorder", "Recorded", "RecordingHub"]

C = TypeVar("C", bound=Command)


@attrs.frozen
class Recorded:
    """One command seen by a :class:`CommandRecorder`.

    Attributes
    ----------
    command
        The command record.
    sender
        Who sent it (a manager name, or ``"panel"`` through a :class:`RecordingHub`).
    target
        The addressee given or resolved (None: its owner, or a broadcast).
    request
        Whether the sender waited for a reply.
    t
        ``time.monotonic()`` when it was recorded.
    """

    command: Command
    sender: str
    target: str | None
    request: bool
    t: float


class CommandRecorder:
    """Keeps every command it is given, in order, and answers requests if told how.

    A :class:`~magscope_core.testing.ManagerHarness` records here what its manager sends
    to other managers; a :class:`RecordingHub` records what a panel sends to the hub.
    Waiting is on a condition variable (no polling).

    Examples
    --------
    ::

        recorder.respond(GetFocus, lambda cmd: {"z_nm": 0.0})
        ...
        changed = recorder.wait_for(SimFocusChanged, lambda c: c.z_nm > 100)
    """

    def __init__(self) -> None:
        self._items: list[Recorded] = []
        self._responders: dict[type[Command], Callable[[Any], Any]] = {}
        self._cond = threading.Condition()

    def record(self, command: Command, *, sender: str = "", target: str | None = None,
               request: bool = False) -> None:
        """Add one command (thread-safe) and wake whoever waits."""
        with self._cond:
            self._items.append(Recorded(command, sender, target, request, time.monotonic()))
            self._cond.notify_all()

    def respond(self, command_type: type[C], answer: Callable[[C], Any]) -> None:
        """Answer requests of ``command_type`` with ``answer(command)``."""
        self._responders[command_type] = answer

    def answer(self, command: Command) -> Any:
        """The answer to a recorded request.

        Raises
        ------
        LookupError
            If no responder was registered for the command's type (the message says how).
        """
        fn = self._responders.get(type(command))
        if fn is None:
            raise LookupError(
                f"the test recorder has no answer for {type(command).__name__}; register one "
                f"with recorder.respond({type(command).__name__}, lambda cmd: ...)")
        return fn(command)

    @property
    def records(self) -> list[Recorded]:
        """Everything recorded so far (a copy)."""
        with self._cond:
            return list(self._items)

    @property
    def commands(self) -> list[Command]:
        """The recorded commands, in order."""
        return [r.command for r in self.records]

    def of_type(self, command_type: type[C]) -> list[C]:
        """The recorded commands of one type, in order."""
        return [c for c in self.commands if type(c) is command_type]  # type: ignore[misc]

    def clear(self) -> None:
        """Forget everything recorded (responders stay)."""
        with self._cond:
            self._items.clear()

    def wait_for(self, command_type: type[C], predicate: Callable[[C], bool] | None = None,
                 timeout: float = 5.0) -> C:
        """Wait until a command of ``command_type`` (matching ``predicate``) is recorded.

        Returns the first match, including one recorded before the call.

        Raises
        ------
        TimeoutError
            Naming the type and what was recorded meanwhile.
        """
        deadline = time.monotonic() + timeout

        def match() -> C | None:
            for r in self._items:
                if type(r.command) is command_type and (predicate is None
                                                        or predicate(r.command)):  # type: ignore[arg-type]
                    return r.command  # type: ignore[return-value]
            return None

        with self._cond:
            found = match()
            while found is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = ", ".join(sorted({type(r.command).__name__ for r in self._items}))
                    raise TimeoutError(
                        f"no {command_type.__name__} recorded within {timeout:g} s "
                        f"(recorded: {seen or 'nothing'})")
                self._cond.wait(remaining)
                found = match()
            return found


class RecordingHub:
    """A hub that records every ``send`` and ``call`` before passing it on.

    Give it to a panel (``PanelContext(RecordingHub(hub, recorder), ...)``) to check
    which commands the panel sends; everything else is the real hub's.

    Parameters
    ----------
    hub
        The real :class:`~magscope_core.Hub`.
    recorder
        Where to record.
    sender
        The name recorded as the sender.
    """

    def __init__(self, hub: Any, recorder: CommandRecorder, sender: str = "panel") -> None:
        self._hub = hub
        self.recorder = recorder
        self._sender = sender

    def send(self, command: Command, *, to: str | None = None) -> None:
        """Record, then send through the real hub."""
        self.recorder.record(command, sender=self._sender, target=to)
        self._hub.send(command, to=to)

    def call(self, command: Command, *, timeout: float = 5.0, to: str | None = None) -> Any:
        """Record, then call through the real hub."""
        self.recorder.record(command, sender=self._sender, target=to, request=True)
        return self._hub.call(command, timeout=timeout, to=to)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._hub, name)
