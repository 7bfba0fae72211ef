"""The hub: starts manager processes, routes commands, supervises, and shuts down.

The hub lives in the main process. One thread (``magscope-hub``) owns every child
process and pipe: it blocks in :func:`multiprocessing.connection.wait` on all command
pipes, all process sentinels and a wake-up pipe, so it reacts at once to a message or a
death and otherwise sleeps. Other threads (the CLI, a GUI, tests) talk to it through
:meth:`Hub.send`, :meth:`Hub.call` and :meth:`Hub.stop`, which hand work to that thread.

The hub is assembled from mixins, one concept each: :mod:`magscope_core._router` (what
the hub thread does with each message), :mod:`magscope_core._supervisor` (spawning,
restarts, start-up waits, shutdown), :mod:`magscope_core._hub_handlers` (the commands
the hub answers itself) and :mod:`magscope_core._beads` (the bead commands).
"""

from __future__ import annotations

import functools
import itertools
import logging
import multiprocessing as mp
import queue
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from multiprocessing.connection import Connection, wait
from typing import Any

import attrs

from magscope_core._beads import BeadHandlers
from magscope_core._builtin import SetAcquisition
from magscope_core._commands import Command, CommandSpec, Route, validate_command
from magscope_core._core_plugin import CORE_COMMANDS
from magscope_core._hub_child import Child, ManagerEntry, telemetry_layout
from magscope_core._hub_handlers import HubHandlers
from magscope_core._import_path import resolve_factory
from magscope_core._messages import CommandError, Envelope, ErrorReport
from magscope_core._registry import HUB, CommandRegistry
from magscope_core._router import Router
from magscope_core._session import Session
from magscope_core._startup import StartupListeners, StartupStep
from magscope_core._status import ManagerState
from magscope_core._supervisor import Supervisor

__all__ = ["Hub", "HubConfig", "ManagerEntry"]

log = logging.getLogger("magscope.hub")


@attrs.frozen
class HubConfig:
    """Start-up parameters of a hub (normally taken from the ``core`` settings)."""

    n_stacks: int = 10
    stack_size: int = 10
    tracks_capacity: int = 1_000_000
    max_beads: int = 10_000
    profile_length: int = 2560
    heartbeat_interval_s: float = 0.5
    heartbeat_timeout_s: float = 10.0
    join_timeout_s: float = 10.0
    start_timeout_s: float = 30.0
    """Seconds ``setup()`` may run without reporting progress before it counts as hung."""
    launch_timeout_s: float = 120.0
    """Seconds from spawning a manager until its process runs our code (the Python
    interpreter started and the plugin imported). Generous: on a loaded machine imports
    alone can take tens of seconds, and that is not a hung setup."""
    log_level: int = logging.INFO
    roi_size: int = 64


class Hub(BeadHandlers, HubHandlers, Router, Supervisor):
    """Run a session: shared memory, manager processes, command routing, supervision.

    Parameters
    ----------
    managers
        The managers to start (a camera manager first, if any).
    commands
        ``(CommandSpec, plugin, distribution)`` for every command the plugins define;
        the core's own commands are added automatically.
    config
        Start-up parameters.

    Use it as a context manager, or call :meth:`start` and :meth:`stop`::

        with Hub(entries, commands) as hub:
            hub.call(Ping(payload=1))
    """

    def __init__(
        self,
        managers: Sequence[ManagerEntry],
        commands: Iterable[tuple[CommandSpec, str, str]] = (),
        config: HubConfig | None = None,
    ) -> None:
        self.config = config or HubConfig()
        self.roi_size = self.config.roi_size
        self._entries = {e.spec.name: e for e in managers}
        if len(self._entries) != len(managers):
            names = [e.spec.name for e in managers]
            dup = sorted({n for n in names if names.count(n) > 1})
            raise ValueError(f"manager names must be unique; duplicated: {dup}")
        self.registry = self.build_registry(managers, commands)
        self._ctx = mp.get_context("spawn")
        self._children: dict[str, Child] = {}
        self._jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        pipe: tuple[Connection, Connection] = self._ctx.Pipe(duplex=False)
        self._wake_r, self._wake_w = pipe
        self._futures: dict[int, Future[Any]] = {}
        self._ids = itertools.count(1)
        self._thread: threading.Thread | None = None
        self._stop_requested = threading.Event()
        self._stopped = threading.Event()
        self._ring_ready = threading.Event()
        self.stop_reason = ""
        self.errors: list[ErrorReport] = []
        self.files: dict[str, list[str]] = {}
        self.acquiring = False
        self.pipeline_final: dict[str, Any] | None = None
        self.session: Session | None = None
        self._started = False
        self.startup = StartupListeners()

    def add_startup_listener(self, listener: Callable[[StartupStep], None]) -> None:
        """Call ``listener(step)`` for each :class:`~magscope_core.StartupStep`.

        Steps already emitted are replayed first. The listener runs in the hub's threads
        and must return quickly (a GUI hands the step to its own thread).
        """
        self.startup.add(listener)

    @property
    def config_errors(self) -> list[ErrorReport]:
        """Fatal :class:`~magscope_core.ConfigurationError` reports (never restarted)."""
        return [e for e in self.errors if e.fatal and e.configuration]

    @property
    def startup_steps(self) -> list[StartupStep]:
        """The start-up steps so far."""
        return list(self.startup.steps)

    @classmethod
    def build_registry(
        cls,
        managers: Sequence[ManagerEntry],
        commands: Iterable[tuple[CommandSpec, str, str]] = (),
    ) -> CommandRegistry:
        """The command registry of a session with these managers and plugin commands.

        Raises
        ------
        CommandConflictError
            Naming both plugins, if two define the same command or two managers own a
            direct command.
        UnknownCommandError
            If a manager handles a command that no plugin registered.
        """
        registry = CommandRegistry()
        for spec in CORE_COMMANDS:
            registry.add_command(spec, "magscope-core", "magscope-core")
        for spec, plugin, dist in commands:
            registry.add_command(spec, plugin, dist)
        registry.add_handlers(HUB, cls._hub_handler_types(), "magscope-core", "magscope-core")
        for entry in managers:
            handlers = getattr(resolve_factory(entry.spec.factory), "handlers", None)
            if handlers is None:
                raise TypeError(
                    f"manager {entry.spec.name!r} (plugin {entry.plugin!r}, "
                    f"{entry.distribution}): factory {entry.spec.factory!r} is not a "
                    "ManagerProcess subclass"
                )
            registry.add_handlers(entry.spec.name, handlers(), entry.plugin, entry.distribution)
        return registry

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Create the shared memory, start every manager and wait until they are up.

        Raises
        ------
        RuntimeError
            If the hub was already started.
        """
        if self._started:
            raise RuntimeError("a Hub can be started only once; create a new one")
        self._started = True
        self.startup.restart_clock()
        c = self.config
        self.session = Session.create(
            manager_names=list(self._entries),
            n_stacks=c.n_stacks,
            stack_size=c.stack_size,
            tracks_capacity=c.tracks_capacity,
            max_beads=c.max_beads,
            profile_length=c.profile_length,
            telemetry=telemetry_layout(self._entries),
        )
        self.startup.emit("hub", "progress", "shared memory ready")
        self._thread = threading.Thread(target=self._run, name="magscope-hub", daemon=True)
        self._thread.start()
        cameras = [n for n, e in self._entries.items() if e.kind == "camera"]
        rest = [n for n in self._entries if n not in cameras]
        for name in cameras:
            self._submit(functools.partial(self._spawn, name)).result(timeout=10)
        if cameras and not self._wait_until(
            lambda: self._ring_ready.is_set() or self._all_down(cameras), cameras
        ):
            log.warning("the camera did not connect within %.0f s", c.start_timeout_s)
        wrong = [n for n in cameras if self._children[n].config_error]
        if wrong:  # nothing can run without the camera: start nothing else
            self.startup.emit("hub", "session-failed",
                              f"session not started: {self._children[wrong[0]].config_error}")
            return
        for name in rest:
            if self._stop_requested.is_set():
                break
            self._submit(functools.partial(self._spawn, name)).result(timeout=10)
        self._wait_until(lambda: self._all_settled(list(self._entries)), list(self._entries))
        if self._stop_requested.is_set():
            self.startup.emit("hub", "session-failed",
                              f"start-up cancelled: {self.stop_reason or 'stop requested'}")
            return
        failed = [n for n in self._entries
                  if self.session.status.state(n) in (ManagerState.FAILED,
                                                      ManagerState.RESTARTING)]
        if failed:
            self.startup.emit("hub", "session-failed",
                              f"session started without {', '.join(failed)}")
        else:
            self.startup.emit("hub", "session-ready", "session ready")
        if cameras:
            # every consumer is up: now let frames flow into the ring
            self.send(SetAcquisition(on=True))

    def __enter__(self) -> Hub:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def request_stop(self, reason: str = "") -> None:
        """Ask for the session to end (thread- and signal-safe); see :meth:`wait`."""
        if not self._stop_requested.is_set():
            self.stop_reason = reason
            self._stop_requested.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until a stop is requested; return whether it was."""
        return self._stop_requested.wait(timeout)

    @property
    def stop_requested(self) -> bool:
        """Whether something asked the session to end."""
        return self._stop_requested.is_set()

    def stop(self) -> None:
        """End the session and release its shared memory.

        Every manager gets ``Quit``; those still alive after the join timeout are
        terminated, then killed. Every shared-memory segment is unlinked. Safe to call
        more than once.
        """
        if self._thread is None or self._stopped.is_set():
            self._release_memory()
            return
        self.request_stop(self.stop_reason or "stop() called")
        if self._thread.is_alive():
            done = self._submit(self._shutdown_children)
            try:
                done.result(timeout=self.config.join_timeout_s + 10)
            except Exception as exc:  # pragma: no cover - last resort
                log.error("shutdown did not finish cleanly: %s", exc)
            self._stopped.set()
            self._wake()
            self._thread.join(timeout=5)
        self._kill_leftovers()
        self._release_memory()

    # ------------------------------------------------------------------ talking
    def send(self, command: Command, *, to: str | None = None) -> None:
        """Send a command from the hub side without waiting for an answer."""
        validate_command(command)
        entry = self.registry.get(command)
        self._submit(lambda: self._route(Envelope(command, HUB, 0, to), entry_checked=entry))

    def call(self, command: Command, *, timeout: float = 5.0, to: str | None = None) -> Any:
        """Send a request and wait for the value its handler returns.

        Raises
        ------
        CommandError
            If the receiver raised, is not running, or did not answer in time.
        """
        validate_command(command)
        entry = self.registry.get(command)
        if entry.route is Route.BROADCAST:
            raise CommandError(f"{entry.name} is a broadcast command; use send(), not call()")
        rid = next(self._ids)
        fut: Future[Any] = Future()
        self._futures[rid] = fut
        self._submit(lambda: self._route(Envelope(command, HUB, rid, to), entry_checked=entry))
        try:
            return fut.result(timeout=timeout)
        except FutureTimeout:
            raise CommandError(
                f"{entry.name}: no reply from {to or ', '.join(entry.owners) or 'anyone'} "
                f"within {timeout:g} s"
            ) from None
        finally:
            self._futures.pop(rid, None)

    def state(self, name: str) -> ManagerState:
        """Current state of manager ``name``."""
        assert self.session is not None
        return self.session.status.state(name)

    def pid(self, name: str) -> int | None:
        """Process id of manager ``name`` (None if it is not running)."""
        child = self._children.get(name)
        return child.proc.pid if child and child.proc.is_alive() else None

    def restarts(self, name: str) -> int:
        """How many times manager ``name`` was restarted."""
        child = self._children.get(name)
        return child.restarts if child else 0

    @property
    def resources(self) -> Any:
        """The session's :class:`~magscope_core.SharedResources` (hub side)."""
        assert self.session is not None
        return self.session.resources

    # ------------------------------------------------------------------ hub thread
    def _submit(self, job: Callable[[], Any]) -> Future[Any]:
        fut: Future[Any] = Future()

        def run() -> None:
            try:
                fut.set_result(job())
            except BaseException as exc:
                fut.set_exception(exc)

        self._jobs.put(run)
        self._wake()
        return fut

    def _wake(self) -> None:
        try:
            self._wake_w.send_bytes(b"!")
        except OSError:
            pass

    def _run(self) -> None:
        while not self._stopped.is_set():
            conns = {c.conn: c for c in self._children.values() if c.conn is not None}
            sentinels = {c.proc.sentinel: c for c in self._children.values() if c.watching}
            timeout = self._next_timeout()
            try:
                ready = wait([self._wake_r, *conns, *sentinels], timeout)
            except OSError:
                ready = []
            for obj in ready:
                if obj is self._wake_r:
                    while self._wake_r.poll():
                        self._wake_r.recv_bytes()
                elif obj in conns:
                    self._drain(conns[obj])
                elif obj in sentinels:
                    self._on_exit(sentinels[obj])
            while True:
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    break
                job()
            self._supervise()

    def _next_timeout(self) -> float:
        timeout = self.config.heartbeat_interval_s
        now = time.monotonic()
        for child in self._children.values():
            if child.restart_at is not None:
                timeout = min(timeout, max(0.0, child.restart_at - now))
        return timeout
