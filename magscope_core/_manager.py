"""The manager process base class: one OS process per manager.

A manager subclasses :class:`ManagerProcess`, marks its command handlers with
:func:`handles` and overrides the hooks it needs (``configure``, ``setup``, ``tick``,
``teardown``, ...). This module holds the class: its hooks, its messaging (``send``,
``call``, ``report_progress``, ``keep_state``) and the event loop that runs in the child.
How the child process is started and ended (bootstrap record, signals, error reports,
exit codes) is :mod:`magscope_core._manager_child`.

The event loop blocks on the command pipe (and :meth:`ManagerProcess.wait_objects`) with
a timeout, dispatches commands to ``@handles`` methods and calls
:meth:`ManagerProcess.tick` every ``tick_interval`` seconds: no busy spinning. An
exception in a command handler is reported (or returned to the caller of a request) and
never kills the process.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from magscope_core._builtin import Quit, Shutdown
from magscope_core._commands import Command, validate_command
from magscope_core._messages import (
    CommandError,
    Envelope,
    ErrorReport,
    Goodbye,
    KeepState,
    Progress,
    RemoteError,
    Reply,
)
from magscope_core._registry import HUB
from magscope_core._status import ManagerState, StatusBoard

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from magscope_core._manager_child import Bootstrap
    from magscope_core._resources import SharedResources

__all__ = ["ManagerProcess", "handles"]

F = TypeVar("F", bound=Callable[..., Any])
_HANDLES_ATTR = "__magscope_handles__"
log = logging.getLogger("magscope.manager")


def handles(*command_types: type[Command]) -> Callable[[F], F]:
    """Mark a :class:`ManagerProcess` method as the handler of some command types.

    The method receives the command record and may return a value, which is sent back
    to the caller of a request::

        class Focus(ManagerProcess):
            @handles(MoveFocus)
            def move(self, cmd: MoveFocus) -> float:
                ...
    """
    if not command_types:
        raise TypeError("@handles needs at least one command class")

    def mark(func: F) -> F:
        setattr(func, _HANDLES_ATTR, (*getattr(func, _HANDLES_ATTR, ()), *command_types))
        return func

    return mark


class _ConnSender:
    """Thread-safe sending on one Connection (also used as a logging 'queue')."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._lock = threading.Lock()

    def send(self, obj: object) -> None:
        with self._lock:
            self._conn.send(obj)

    def put_nowait(self, record: logging.LogRecord) -> None:  # QueueHandler protocol
        try:
            self.send(record)
        except (OSError, ValueError):
            pass


class ManagerProcess:
    """Base class of every manager process (camera, hardware, trackers, writers, ...).

    Subclass it, declare command handlers with :func:`handles`, and override the hooks
    you need. The object is built *inside* its own process, so it may open device
    handles in :meth:`setup`.

    Attributes
    ----------
    tick_interval
        Seconds between :meth:`tick` calls, or ``None`` for a purely event-driven
        manager. The loop blocks in between; it never spins.
    name
        The manager's routing name (set by the hub from its spec).
    log
        A logger named ``magscope.<name>``; records reach the hub's log with the
        process name.
    resources
        The session's :class:`~magscope_core.SharedResources`.
    kept_state
        What the previous process of this manager passed to :meth:`keep_state` before
        the supervisor restarted it (None on the first start): read it in :meth:`setup`
        to carry on where it stopped.
    """

    tick_interval: float | None = None
    _handler_table: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        table: dict[str, str] = {}
        types: dict[str, type[Command]] = {}
        for klass in reversed(cls.__mro__):  # subclasses override their bases' handlers
            for attr, value in vars(klass).items():
                for cmd in getattr(value, _HANDLES_ATTR, ()):
                    table[cmd.__name__] = attr
                    types[cmd.__name__] = cmd
        cls._handler_table = table
        cls._handler_types = types

    _handler_types: ClassVar[dict[str, type[Command]]] = {}

    def __init__(self, **options: Any) -> None:
        self.options = options
        self.name = "unnamed"
        self.log = logging.getLogger("magscope.manager")
        self._quitting = False
        self._backlog: deque[Any] = deque()
        self._request_ids = itertools.count(1)
        self.kept_state: Any = None

    # ------------------------------------------------------------------ class API
    @classmethod
    def handlers(cls) -> list[tuple[type[Command], str]]:
        """``(command class, method name)`` for every ``@handles`` method."""
        return [(cls._handler_types[n], m) for n, m in sorted(cls._handler_table.items())]

    # ------------------------------------------------------------------ hooks
    def configure(self, resources: SharedResources) -> None:
        """Receive the session's shared resources (attach buffers here or lazily)."""

    def setup(self) -> None:
        """Open devices and prepare; runs in the child before the loop starts."""

    def tick(self) -> None:
        """Periodic work, called every :attr:`tick_interval` seconds when set."""

    def wait_objects(self) -> Sequence[Any]:
        """Extra objects (connections, sockets, sentinels) the loop should wait on."""
        return ()

    def on_ready(self, obj: Any) -> None:
        """Called when one of :meth:`wait_objects` is ready."""

    def teardown(self) -> None:
        """Close devices; runs once when the manager ends (also after an error)."""

    @handles(Quit)
    def _on_quit(self, cmd: Quit) -> None:
        self._quitting = True

    # ------------------------------------------------------------------ messaging
    def send(self, command: Command, *, to: str | None = None) -> None:
        """Send a command without waiting (fire and forget).

        Raises
        ------
        UnknownCommandError
            If no plugin defines the command.
        CommandError
            If it has no receiver or its receiver is not running.
        CommandValidationError
            If a field has the wrong type.
        """
        target = self._check_route(command, to)
        self._sender.send(Envelope(command, self.name, 0, target))

    def call(self, command: Command, *, timeout: float = 5.0, to: str | None = None) -> Any:
        """Send a request and wait for its reply; return the handler's value.

        Commands that arrive while waiting are kept and handled afterwards.

        Raises
        ------
        CommandError
            If the receiver raised (the message includes its error), is not running,
            or did not answer within ``timeout`` seconds.
        """
        target = self._check_route(command, to)
        if target is None:
            raise CommandError(
                f"{type(command).__name__} is a broadcast command; use send(), not call()"
            )
        rid = next(self._request_ids)
        self._sender.send(Envelope(command, self.name, rid, target))
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._conn.poll(remaining):
                raise CommandError(
                    f"{type(command).__name__}: no reply from {target or 'its owner'} within "
                    f"{timeout:g} s"
                )
            msg = self._recv()
            if isinstance(msg, Reply) and msg.request_id == rid:
                if msg.error is not None:
                    raise CommandError(
                        f"{type(command).__name__} failed: {msg.error}", remote=msg.error
                    )
                return msg.value
            if msg is not None:
                self._backlog.append(msg)

    def report_progress(self, message: str) -> None:
        """Tell the hub (and a GUI's start-up view) what a long ``setup()`` is doing.

        Call it from :meth:`setup` whenever a step takes more than a second or two
        (connecting to a device, compiling kernels, homing a stage), and again every few
        seconds while it lasts: each report restarts the hub's start-up deadline, so a
        setup that keeps reporting is never killed as hung.
        """
        self._status.beat(self.name)
        try:
            self._sender.send(Progress(self.name, message))
        except (OSError, ValueError) as exc:
            self.log.debug("could not report progress: %s", exc)

    def keep_state(self, state: Any) -> None:
        """Hand ``state`` (plain, picklable data) to this manager's next process.

        The hub keeps the latest state per manager for the session; if the process dies
        and the supervisor restarts it, the new one finds it in :attr:`kept_state`. Call
        it whenever the state worth restoring changes (settings, on/off, targets).
        """
        try:
            self._sender.send(KeepState(self.name, state))
        except (OSError, ValueError) as exc:
            self.log.debug("could not keep the state: %s", exc)

    def quit(self) -> None:
        """Ask the hub to end the whole session (every manager gets ``Quit``)."""
        self.send(Shutdown(reason=f"requested by {self.name}"))

    @property
    def quitting(self) -> bool:
        """Whether this manager is on its way out."""
        return self._quitting

    def _check_route(self, command: Command, to: str | None) -> str | None:
        validate_command(command)
        entry = self._registry.get(command)
        targets = entry.owners if to is None else (to,)
        if not targets:
            hint = f"; {entry.spec.enable_hint}" if entry.spec.enable_hint else ""
            raise CommandError(
                f"{entry.name}: no running manager handles it (defined by plugin "
                f"{entry.plugin!r}, {entry.distribution}){hint}"
            )
        if entry.route.value == "broadcast":
            return None
        target = targets[0]
        if target != HUB and self._status.state(target) not in (
            ManagerState.RUNNING,
            ManagerState.STARTING,
        ):
            raise CommandError(
                f"{entry.name}: manager {target!r} is {self._status.state(target).name.lower()}"
            )
        return target

    # ------------------------------------------------------------------ child side
    def _bind(self, boot: Bootstrap, sender: _ConnSender | None = None) -> None:
        self.name = boot.name
        self.plugin = boot.plugin
        self.distribution = boot.distribution
        self.log = logging.getLogger(f"magscope.{boot.name}")
        self.resources = boot.resources
        self._conn = boot.conn
        self._sender = sender or _ConnSender(boot.conn)
        self._registry = boot.registry
        self._heartbeat_interval = boot.heartbeat_interval
        self.kept_state = boot.kept_state
        self._status = StatusBoard(boot.resources.counters())

    def _recv(self) -> Any:
        """Receive one message; a message that cannot be unpickled is reported, not fatal."""
        try:
            return self._conn.recv()
        except (EOFError, OSError):
            self._quitting = True
            self._hub_gone = True
            return None
        except Exception as exc:
            self._report(exc, fatal=False, where=f"{self.name} (receiving a message)")
            return None

    def _report(self, exc: BaseException, *, fatal: bool, where: str) -> None:
        remote = RemoteError.from_exception(exc, where)
        try:
            self._sender.send(ErrorReport(self.name, self.plugin, self.distribution, remote, fatal))
        except Exception:
            log.error("%s: could not report %s", self.name, remote)

    def _dispatch(self, msg: Any) -> None:
        if not isinstance(msg, Envelope):
            if isinstance(msg, Reply):
                return  # a late reply to a request that timed out
            self._report(
                TypeError(f"malformed message {type(msg).__name__}: {msg!r:.200}"),
                fatal=False,
                where=self.name,
            )
            return
        name = type(msg.command).__name__
        method = self._handler_table.get(name)
        where = f"{self.name}.{method or '?'}({name})"
        try:
            if method is None:
                raise CommandError(f"manager {self.name!r} has no handler for {name}")
            validate_command(msg.command)
            value = getattr(self, method)(msg.command)
        except Exception as exc:
            if msg.request_id:
                self._sender.send(
                    Reply(msg.request_id, self.name, msg.sender, None,
                          RemoteError.from_exception(exc, where))
                )
            else:
                self._report(exc, fatal=False, where=where)
            return
        if msg.request_id:
            try:
                self._sender.send(Reply(msg.request_id, self.name, msg.sender, value))
            except Exception as exc:  # e.g. an unpicklable return value
                self._sender.send(
                    Reply(msg.request_id, self.name, msg.sender, None,
                          RemoteError.from_exception(exc, where))
                )

    def _loop(self) -> None:
        from multiprocessing.connection import wait

        next_tick = time.monotonic()
        while not self._quitting:
            while self._backlog and not self._quitting:
                self._dispatch(self._backlog.popleft())
            now = time.monotonic()
            timeout = self._heartbeat_interval
            if self.tick_interval is not None:
                timeout = max(0.0, min(timeout, next_tick - now))
            extra = list(self.wait_objects())
            ready = wait([self._conn, *extra], timeout)
            self._status.beat(self.name)
            for obj in ready:
                if obj is self._conn:
                    # drain what is there now, bounded so ticks still happen
                    for _ in range(256):
                        msg = self._recv()
                        if msg is not None:
                            self._dispatch(msg)
                        if self._quitting or not self._conn.poll(0):
                            break
                else:
                    self.on_ready(obj)
            if self.tick_interval is not None and time.monotonic() >= next_tick:
                self.tick()
                next_tick = max(next_tick + self.tick_interval, time.monotonic() - 1.0)

    def _finish(self) -> None:
        """Say goodbye and drain the pipe until the hub closes it."""
        if getattr(self, "_hub_gone", False):
            return
        try:
            self._sender.send(Goodbye(self.name))
            deadline = time.monotonic() + 2.0
            while time.monotonic() < deadline and self._conn.poll(0.2):
                self._conn.recv()
        except (EOFError, OSError):
            pass
        except Exception:
            pass
