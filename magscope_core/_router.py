"""Routing: what the hub thread does with each message from a manager process.

A mixin of :class:`~magscope_core.Hub`; every method runs in the hub thread.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from magscope_core._commands import Command, Route, validate_command
from magscope_core._hub_child import Child
from magscope_core._logging import CONSOLE_ATTR
from magscope_core._messages import (
    CommandError,
    Envelope,
    ErrorReport,
    Goodbye,
    KeepState,
    Launched,
    Progress,
    Ready,
    RemoteError,
    Reply,
)
from magscope_core._registry import HUB, CommandRegistry

if TYPE_CHECKING:
    from magscope_core._session import Session
    from magscope_core._startup import StartupListeners

__all__ = ["Router"]

log = logging.getLogger("magscope.hub")


class Router:
    """Message handling half of the hub (see :class:`~magscope_core.Hub`)."""

    session: Session | None
    registry: CommandRegistry
    errors: list[ErrorReport]
    _children: dict[str, Child]
    _futures: dict[int, Future[Any]]
    _HUB_HANDLERS: dict[type[Command], str]
    startup: StartupListeners

    def _drain(self, child: Child) -> None:
        conn = child.conn
        for _ in range(1000):
            if conn is None:
                return
            try:
                if not conn.poll():
                    return
                msg = conn.recv()
            except (EOFError, OSError):
                child.close_conn()
                return
            except Exception as exc:
                log.error("unreadable message from %s: %s", child.name, exc)
                continue
            self._handle(child, msg)
            conn = child.conn

    def _handle(self, child: Child, msg: Any) -> None:
        if isinstance(msg, logging.LogRecord):
            logging.getLogger(msg.name).handle(msg)
        elif isinstance(msg, Envelope):
            self._route(msg)
        elif isinstance(msg, Reply):
            self._deliver_reply(msg)
        elif isinstance(msg, Ready):
            child.ready = True
            child.pid = msg.pid
            log.info("manager %s is running (pid %d)", msg.manager, msg.pid)
            self.startup.emit(child.name, "ready", f"{child.name} ready")
        elif isinstance(msg, KeepState):
            child.kept_state = msg.state
        elif isinstance(msg, Launched):
            child.launched = True
            child.started_at = time.monotonic()  # setup() gets start_timeout_s from here
        elif isinstance(msg, Progress):
            child.started_at = time.monotonic()  # alive and working: restart the deadline
            log.info("%s: %s", child.name, msg.message)
            self.startup.emit(child.name, "progress", msg.message)
        elif isinstance(msg, ErrorReport):
            self.errors.append(msg)
            if msg.fatal and msg.configuration:
                child.config_error = msg.error.message
            if msg.fatal and not child.ready:
                self.startup.emit(child.name, "failed",
                                  f"{child.name} failed to start: {msg.error.message}")
            level = logging.ERROR if msg.fatal else logging.WARNING
            kind = ("configuration error" if msg.configuration
                    else "fatal error" if msg.fatal else "error")
            # first line: what happened; then the traceback, which magscope's console
            # handler cuts off (it is kept in the log file). A configuration error is
            # shown to the user by the frontend (one line), not by the console log.
            log.log(
                level,
                "%s in manager %r (plugin %r, distribution %s): %s\n%s",
                kind, msg.manager, msg.plugin, msg.distribution, msg.error,
                msg.error.traceback.rstrip(),
                extra={CONSOLE_ATTR: not msg.configuration},
            )
        elif isinstance(msg, Goodbye):
            child.said_goodbye = True
            child.close_conn()
        else:
            log.warning("ignoring unexpected message %r from %s", type(msg).__name__, child.name)

    def _route(self, env: Envelope, entry_checked: Any = None) -> None:
        try:
            entry = entry_checked or self.registry.get(env.command)
            validate_command(env.command)
            if entry.route is Route.BROADCAST:
                for name in entry.owners:
                    if name == HUB:
                        self._run_hub_handler(env)
                    elif name != env.sender and self._is_running(name):
                        self._children[name].send(env)
                return
            target = env.target or (entry.owners[0] if entry.owners else None)
            if target is None:
                raise CommandError(f"{entry.name}: no manager handles it"
                                   + (f" in this session; {entry.spec.enable_hint}"
                                      if entry.spec.enable_hint else ""))
            if target == HUB:
                self._run_hub_handler(env)
                return
            if not self._is_running(target):
                state = self.session.status.state(target) if self.session else None
                raise CommandError(
                    f"{entry.name}: manager {target!r} is "
                    f"{state.name.lower() if state is not None else 'unknown'}"
                )
            self._children[target].send(env)
        except Exception as exc:
            self._fail(env, exc)

    def _fail(self, env: Envelope, exc: BaseException) -> None:
        remote = RemoteError.from_exception(exc, "hub")
        if env.request_id:
            self._deliver_reply(Reply(env.request_id, HUB, env.sender, None, remote))
        else:
            log.warning("could not deliver %s from %s: %s", type(env.command).__name__,
                        env.sender, exc)

    def _run_hub_handler(self, env: Envelope) -> None:
        method = self._HUB_HANDLERS.get(type(env.command))
        try:
            if method is None:
                raise CommandError(f"the hub has no handler for {type(env.command).__name__}")
            value = getattr(self, method)(env.command)
        except Exception as exc:
            self._fail(env, exc)
            return
        if env.request_id:
            self._deliver_reply(Reply(env.request_id, HUB, env.sender, value))

    def _deliver_reply(self, reply: Reply) -> None:
        if reply.to == HUB:
            fut = self._futures.get(reply.request_id)
            if fut is None or fut.done():
                return
            if reply.error is not None:
                fut.set_exception(CommandError(str(reply.error), remote=reply.error))
            else:
                fut.set_result(reply.value)
        elif self._is_running(reply.to) or reply.to in self._children:
            child = self._children.get(reply.to)
            if child is not None and child.conn is not None:
                child.send(reply)

    def _is_running(self, name: str) -> bool:
        child = self._children.get(name)
        return child is not None and child.conn is not None and child.proc.is_alive()

