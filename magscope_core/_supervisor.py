"""Supervision: start manager processes, notice deaths, restart, shut down.

A mixin of :class:`~magscope_core.Hub`; every method runs in the hub thread, which owns
the child processes and their pipes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import wait
from typing import TYPE_CHECKING, Any

from magscope_core._builtin import Quit
from magscope_core._hub_child import Child, ManagerEntry, signal_name
from magscope_core._logging import CONSOLE_ATTR
from magscope_core._manager_child import Bootstrap, child_main
from magscope_core._messages import Envelope
from magscope_core._registry import HUB, CommandRegistry
from magscope_core._status import ManagerState

if TYPE_CHECKING:
    from magscope_core._hub import HubConfig
    from magscope_core._session import Session
    from magscope_core._startup import StartupListeners

__all__ = ["Supervisor"]

log = logging.getLogger("magscope.hub")


class Supervisor:
    """Process management half of the hub (see :class:`~magscope_core.Hub`)."""

    config: HubConfig
    session: Session | None
    registry: CommandRegistry
    _entries: dict[str, ManagerEntry]
    _children: dict[str, Child]
    _ctx: Any
    _stop_requested: threading.Event
    request_stop: Callable[[str], None]
    _drain: Callable[[Child], None]
    startup: StartupListeners

    # ------------------------------------------------------------------ processes
    def _spawn(self, name: str) -> None:
        assert self.session is not None
        entry = self._entries[name]
        old = self._children.get(name)
        parent_conn, child_conn = self._ctx.Pipe(duplex=True)
        boot = Bootstrap(
            name=name,
            factory=entry.spec.factory,
            options=dict(entry.spec.options),
            plugin=entry.plugin,
            distribution=entry.distribution,
            conn=child_conn,
            registry=self.registry,
            resources=self.session.resources,
            heartbeat_interval=self.config.heartbeat_interval_s,
            log_level=self.config.log_level,
            kept_state=old.kept_state if old is not None else None,
        )
        proc = self._ctx.Process(target=child_main, args=(boot,), name=f"magscope:{name}")
        status = self.session.status
        status.set_state(name, ManagerState.STARTING)
        status.beat(name)
        proc.start()
        child_conn.close()
        status.set_pid(name, proc.pid or 0)
        child = Child(name=name, entry=entry, proc=proc, conn=parent_conn)
        self.startup.emit(name, "starting", f"starting {entry.spec.description or name}")
        if old is not None:
            child.restarts = old.restarts
            child.restart_times = old.restart_times
            child.kept_state = old.kept_state
        self._children[name] = child

    def _on_exit(self, child: Child) -> None:
        assert self.session is not None
        child.watching = False
        child.proc.join(0.5)
        self._drain(child)
        child.close_conn()
        code = child.proc.exitcode
        status = self.session.status
        if self._stop_requested.is_set() or (child.said_goodbye and code == 0):
            status.set_state(child.name, ManagerState.STOPPED)
            log.info("manager %s stopped (exit code %s)", child.name, code)
            return
        if child.config_error:
            # the same configuration would fail the same way: never restarted
            status.set_state(child.name, ManagerState.FAILED)
            log.info("manager %r stopped on a configuration error; not restarted: %s",
                     child.name, child.config_error, extra={CONSOLE_ATTR: False})
            if child.entry.spec.restart.on_failure == "stop_all":
                self.request_stop(f"manager {child.name!r}: configuration error")
            return
        policy = child.entry.spec.restart
        log.error(
            "manager %r (plugin %r, distribution %s) died unexpectedly: exit code %s%s",
            child.name, child.entry.plugin, child.entry.distribution, code, signal_name(code),
        )
        now = time.monotonic()
        recent = [t for t in child.restart_times if now - t < policy.window_s]
        if policy.on_failure == "stop_all":
            status.set_state(child.name, ManagerState.FAILED)
            self.request_stop(f"manager {child.name!r} died (policy stop_all)")
        elif policy.on_failure == "restart" and len(recent) < policy.max_restarts:
            delay = policy.delay(len(recent) + 1)
            status.set_state(child.name, ManagerState.RESTARTING)
            child.restart_at = now + delay
            child.restart_times = [*recent, now]
            log.warning("restarting manager %r in %.2f s (restart %d of %d)",
                        child.name, delay, len(recent) + 1, policy.max_restarts)
        else:
            status.set_state(child.name, ManagerState.FAILED)
            if policy.on_failure == "restart":
                reason = f"gave up after {len(recent)} restarts in {policy.window_s:g} s"
            else:
                reason = f"policy {policy.on_failure}"
            log.error("manager %r left failed (%s)", child.name, reason)

    def _supervise(self) -> None:
        if self.session is None or self._stop_requested.is_set():
            return
        now = time.monotonic()
        for child in list(self._children.values()):
            if child.restart_at is not None and now >= child.restart_at:
                child.restart_at = None
                child.restarts += 1
                self.session.status.set_restarts(child.name, child.restarts)
                self._spawn(child.name)
            elif child.watching and child.ready and child.proc.is_alive():
                last = self.session.status.last_beat(child.name)
                if now - last > self.config.heartbeat_timeout_s:
                    log.error("manager %r missed its heartbeat for %.1f s; killing it",
                              child.name, now - last)
                    child.proc.kill()
            elif (child.watching and not child.ready and child.proc.is_alive()
                  and now > child.start_deadline(self.config)):
                if child.launched:
                    log.error("manager %r did not finish setup() within %.0f s (and reported "
                              "no progress); killing it", child.name,
                              self.config.start_timeout_s)
                else:
                    log.error("manager %r did not start running within %.0f s of being "
                              "spawned; killing it", child.name,
                              max(self.config.launch_timeout_s, self.config.start_timeout_s))
                child.proc.kill()
                child.proc.join(1.0)  # dead before the next turn: one message, not dozens

    def _shutdown_children(self) -> None:
        """Runs in the hub thread: Quit, join, terminate, kill."""
        assert self.session is not None
        quit_env = Envelope(Quit(), HUB)
        for child in self._children.values():
            child.restart_at = None
            if child.proc.is_alive():
                self.session.status.set_state(child.name, ManagerState.STOPPING)
                if child.conn is not None:
                    child.send(quit_env)
        deadline = time.monotonic() + self.config.join_timeout_s
        while time.monotonic() < deadline:
            alive = [c for c in self._children.values() if c.proc.is_alive()]
            if not alive:
                break
            conns = [c.conn for c in alive if c.conn is not None]
            ready = wait([*conns, *(c.proc.sentinel for c in alive)], 0.1)
            for c in alive:
                if c.conn is not None and c.conn in ready:
                    self._drain(c)
        for sig in ("terminate", "kill"):
            alive = [c for c in self._children.values() if c.proc.is_alive()]
            for c in alive:
                log.warning("manager %r did not quit in time; %s", c.name, sig)
                getattr(c.proc, sig)()
            for c in alive:
                c.proc.join(2.0)
        for c in self._children.values():
            c.proc.join(0.1)
            self._drain(c)
            c.close_conn()
            self.session.status.set_state(c.name, ManagerState.STOPPED)

    def _kill_leftovers(self) -> None:
        for c in self._children.values():
            if c.proc.is_alive():
                c.proc.kill()
                c.proc.join(2.0)

    def _release_memory(self) -> None:
        if self.session is not None:
            self.session.close()

    # ------------------------------------------------------------------ start-up waits
    def _wait_until(self, predicate: Callable[[], bool], names: Sequence[str]) -> bool:
        """Wait for ``predicate`` while any of ``names`` still makes start-up progress.

        The deadline is that of the manager whose deadline is latest: ``launch_timeout_s``
        after its spawn until its process runs, then ``start_timeout_s`` after its latest
        sign of progress (process launched, :class:`Progress` report), so a slow but
        reporting setup is waited for and a silent one is not. A stop request (Ctrl-C, a
        closed start-up window) ends the wait at once.
        """
        while True:
            if predicate():
                return True
            if self._stop_requested.is_set():
                return False
            deadline = max((self._children[n].start_deadline(self.config)
                            for n in names if n in self._children), default=0.0)
            if time.monotonic() > deadline:
                return predicate()
            time.sleep(0.02)

    def _all_down(self, names: Sequence[str]) -> bool:
        return all(
            self.session is not None
            and self.session.status.state(n) in (ManagerState.FAILED, ManagerState.STOPPED)
            for n in names
        )

    def _all_settled(self, names: Sequence[str]) -> bool:
        """Whether every manager is up or given up (one being restarted is not settled).

        A manager marks itself running in shared memory just before its ``Ready`` message:
        it is up once that message is handled, so its "ready" step precedes the session's.
        """
        assert self.session is not None
        for n in names:
            state = self.session.status.state(n)
            if state in (ManagerState.STARTING, ManagerState.RESTARTING):
                return False
            child = self._children.get(n)
            if state is ManagerState.RUNNING and child is not None and not child.ready:
                return False
        return True
