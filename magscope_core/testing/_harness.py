"""Run one manager in this process, on a thread, with real shared memory and a real pipe.

A :class:`ManagerHarness` is to a manager what the hub is, minus the process: it builds the
manager from its :class:`~magscope_core.ManagerSpec`, gives it the session's shared
resources (real shared memory, with its telemetry ring), runs ``setup`` and the manager's
own event loop (ticks, ``wait_objects``, command dispatch) on a thread, and talks to it
over a real :func:`multiprocessing.Pipe` with the same envelopes the hub uses. Commands the
manager sends to other managers go to a :class:`~magscope_core.testing.CommandRecorder`.

In-process means fast (no interpreter start, no imports again) and inspectable
(``harness.manager`` is the live object); :func:`~magscope_core.testing.start_hub` runs the
same manager in a spawned process when a test needs the real thing.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from multiprocessing import Pipe
from typing import Any

import numpy as np

from magscope_core._builtin import Quit
from magscope_core._commands import Command, CommandSpec, Route, validate_command
from magscope_core._core_plugin import CORE_COMMANDS
from magscope_core._hub import Hub
from magscope_core._hub_child import ManagerEntry
from magscope_core._import_path import resolve_factory
from magscope_core._manager import ManagerProcess
from magscope_core._manager_child import Bootstrap
from magscope_core._messages import (
    CommandError,
    Envelope,
    ErrorReport,
    RemoteError,
    Reply,
)
from magscope_core._registry import HUB
from magscope_core._session import Session
from magscope_core._specs import ManagerSpec
from magscope_core._status import ManagerState
from magscope_core.testing._recorder import CommandRecorder

__all__ = ["ManagerHarness"]


class ManagerHarness:
    """One manager running in-process, driven like the hub drives it.

    Parameters
    ----------
    spec
        The manager's spec (as the plugin's ``magscope_managers`` returns it).
    commands
        The plugin's own command specs (``magscope_commands``); commands the manager
        handles that nobody declared are registered as direct commands.
    recorder
        Where commands the manager sends to others are recorded (a new one by default).
    peers
        Other managers to pretend are running, with the command types each handles:
        commands sent to them are recorded (and requests answered by the recorder).
    plugin, distribution
        Names used in error reports.

    Examples
    --------
    ::

        with ManagerHarness(ManagerSpec("focus", MyFocus)) as focus:
            focus.call(MoveFocus(z_nm=500.0))
            state = focus.call(GetFocus())
    """

    def __init__(self, spec: ManagerSpec, *, commands: Iterable[CommandSpec] = (),
                 recorder: CommandRecorder | None = None,
                 peers: Mapping[str, Sequence[type[Command]]] | None = None,
                 plugin: str = "under-test", distribution: str = "under-test") -> None:
        self.spec = spec
        self.name = spec.name
        self.recorder = recorder or CommandRecorder()
        self.errors: list[ErrorReport] = []
        self.events: list[Any] = []
        self.teardowns = 0
        self._commands = list(commands)
        self._peers = dict(peers or {})
        self._plugin, self._distribution = plugin, distribution
        self._ids = itertools.count(1)
        self._pending: dict[int, Future[Reply]] = {}
        self._send_lock = threading.Lock()
        self._ready = threading.Event()
        self._setup_error: BaseException | None = None
        self._closing = threading.Event()
        self._session: Session | None = None
        self.manager: ManagerProcess | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self, timeout: float = 30.0) -> ManagerHarness:
        """Create the shared memory, build the manager, run ``setup`` and its loop.

        Raises
        ------
        Exception
            Whatever the manager's constructor or ``setup`` raised.
        TimeoutError
            If ``setup`` did not finish within ``timeout`` seconds.
        """
        factory = resolve_factory(self.spec.factory)
        handlers = getattr(factory, "handlers", None)
        if handlers is None:
            raise TypeError(f"manager {self.name!r}: factory {factory!r} is not a "
                            "ManagerProcess subclass")
        known = {s.name for s in (*CORE_COMMANDS, *self._commands)}
        extra = [CommandSpec(cmd, Route.DIRECT, True) for cmd, _ in handlers()
                 if cmd.__name__ not in known]
        entry = ManagerEntry(self.spec, self._plugin, self._distribution)
        registry = Hub.build_registry(
            [entry], [(c, self._plugin, self._distribution) for c in (*self._commands, *extra)])
        for peer, types in self._peers.items():
            registry.add_handlers(peer, [(t, "recorded") for t in types], "peer", "test-peer")
        columns = tuple(getattr(factory, "telemetry_columns", ()))
        capacity = int(getattr(factory, "telemetry_capacity", 100_000))
        self._session = Session.create(
            manager_names=[self.name, *self._peers], tracks_capacity=1000, max_beads=16,
            profile_length=64, telemetry={self.name: (columns, capacity)} if columns else None)
        for peer in self._peers:
            self._session.status.set_state(peer, ManagerState.RUNNING)
        self._conn, child_conn = Pipe(duplex=True)
        boot = Bootstrap(self.name, factory, dict(self.spec.options), self._plugin,
                         self._distribution, child_conn, registry, self._session.resources,
                         0.2, logging.INFO)
        try:
            manager = factory(**self.spec.options)
            if not isinstance(manager, ManagerProcess):
                raise TypeError(f"factory {factory!r} of manager {self.name!r} returned "
                                f"{type(manager).__name__}, expected a ManagerProcess")
            manager._bind(boot)
        except BaseException:
            self._session.close()
            raise
        self.manager = manager
        self._reader = threading.Thread(target=self._read, name=f"harness-{self.name}-reader",
                                        daemon=True)
        self._reader.start()
        self._runner = threading.Thread(target=self._run, name=f"harness-{self.name}",
                                        daemon=True)
        self._runner.start()
        if not self._ready.wait(timeout):
            raise TimeoutError(f"manager {self.name!r}: setup() did not finish in {timeout:g} s")
        if self._setup_error is not None:
            self.stop()
            raise self._setup_error
        return self

    def _run(self) -> None:
        manager = self.manager
        assert manager is not None and self._session is not None
        try:
            manager.configure(self._session.resources)
            manager.setup()
            self._session.status.set_state(self.name, ManagerState.RUNNING)
        except BaseException as exc:
            self._setup_error = exc
            self._ready.set()
            self._teardown()
            return
        self._ready.set()
        try:
            manager._loop()
        except Exception as exc:
            self.errors.append(ErrorReport(self.name, self._plugin, self._distribution,
                                           RemoteError.from_exception(exc, self.name), True))
        finally:
            self._teardown()

    def _teardown(self) -> None:
        assert self.manager is not None
        self.teardowns += 1
        try:
            self.manager.teardown()
        except Exception as exc:
            self.errors.append(ErrorReport(self.name, self._plugin, self._distribution,
                                           RemoteError.from_exception(exc, "teardown"), False))

    def stop(self, timeout: float = 10.0) -> None:
        """Send ``Quit``, wait for the loop and ``teardown`` to end, free the memory.

        Raises
        ------
        TimeoutError
            If the manager did not stop within ``timeout`` seconds.
        """
        if self._session is None:
            return
        try:
            if self._runner.is_alive():
                self.send(Quit())
                self._runner.join(timeout)
                if self._runner.is_alive():
                    raise TimeoutError(f"manager {self.name!r} did not stop within "
                                       f"{timeout:g} s of Quit")
        finally:
            self._closing.set()
            self._reader.join(2.0)
            self._conn.close()
            self._session.close()
            self._session = None

    def __enter__(self) -> ManagerHarness:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ talking
    def send(self, command: Command) -> None:
        """Send a command to the manager without waiting."""
        validate_command(command)
        with self._send_lock:
            self._conn.send(Envelope(command, HUB, 0, self.name))

    def call(self, command: Command, timeout: float = 5.0) -> Any:
        """Send a request and return the handler's value.

        Raises
        ------
        CommandError
            If the handler raised (the message holds its error) or no reply came in time.
        """
        validate_command(command)
        rid = next(self._ids)
        future: Future[Reply] = Future()
        self._pending[rid] = future
        with self._send_lock:
            self._conn.send(Envelope(command, HUB, rid, self.name))
        try:
            reply = future.result(timeout)
        except FutureTimeout:
            raise CommandError(f"{type(command).__name__}: no reply from {self.name!r} "
                               f"within {timeout:g} s") from None
        finally:
            self._pending.pop(rid, None)
        if reply.error is not None:
            raise CommandError(f"{type(command).__name__} failed: {reply.error}",
                               remote=reply.error)
        return reply.value

    def _read(self) -> None:
        while not self._closing.is_set():
            try:
                if not self._conn.poll(0.05):
                    continue
                msg = self._conn.recv()
            except (EOFError, OSError):
                return
            if isinstance(msg, Reply):
                future = self._pending.get(msg.request_id)
                if future is not None:
                    future.set_result(msg)
            elif isinstance(msg, Envelope):
                self._route(msg)
            elif isinstance(msg, ErrorReport):
                self.errors.append(msg)
            else:
                self.events.append(msg)

    def _route(self, msg: Envelope) -> None:
        self.recorder.record(msg.command, sender=msg.sender, target=msg.target,
                             request=bool(msg.request_id))
        if not msg.request_id:
            return
        try:
            reply = Reply(msg.request_id, msg.target or "peer", msg.sender,
                          self.recorder.answer(msg.command))
        except Exception as exc:
            reply = Reply(msg.request_id, msg.target or "peer", msg.sender, None,
                          RemoteError.from_exception(exc, "test recorder"))
        with self._send_lock:
            self._conn.send(reply)

    # ------------------------------------------------------------------ inspecting
    @property
    def telemetry_columns(self) -> tuple[str, ...]:
        """The telemetry columns, ``t`` first (empty without telemetry)."""
        cols = tuple(getattr(resolve_factory(self.spec.factory), "telemetry_columns", ()))
        return ("t", *cols) if cols else ()

    def telemetry(self) -> np.ndarray:
        """Every telemetry row recorded so far, ``(n, 1 + len(columns))``."""
        if self._session is None or not self.telemetry_columns:
            return np.zeros((0, len(self.telemetry_columns)))
        ring = self._session.resources.telemetry(self.name)
        return np.asarray(ring.latest(ring.capacity))

    def raise_errors(self) -> None:
        """Raise AssertionError listing the errors the manager reported, if any."""
        if self.errors:
            lines = [f"{e.manager}: {e.error}" for e in self.errors]
            raise AssertionError("manager reported errors:\n" + "\n".join(lines))
