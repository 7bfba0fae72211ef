"""Start the session in a thread while the start-up window shows its steps.

:class:`SessionLauncher` calls the CLI's ``start_session`` (or ``hub.start``) in a
background thread. The hub's start-up listener runs in the hub's threads, so every step
crosses to the Qt thread through a signal of an object living there (a queued
connection). When the start-up ends, the launcher decides in the Qt thread:

- every part is up: ``outcome`` is ``"ready"`` (the caller builds the main window);
- a part failed (the session runs without it): the window says which part and why, and
  offers "Open the window anyway" (``"ready"``) or "Close" (``"closed"``);
- the start raised: the window says why and stays until closed (``"closed"``);
- the window was closed, or the session asked to stop (Ctrl-C, SIGTERM), during the
  start-up: the window goes at once, the launcher waits for the start to return (the
  hub must not be stopped while it starts), then ``"closed"``.

``finished`` is emitted once, when ``outcome`` is set.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from magscope_core import Hub, StartupStep
from magscope_gui._startup_view import StartupWindow

__all__ = ["SessionLauncher"]

log = logging.getLogger("magscope.gui")

_STOP_POLL_MS = 200  # how often Ctrl-C / SIGTERM (hub.stop_requested) is checked


class _Relay(QObject):
    """Lives in the Qt thread; its signals are emitted from other threads (queued)."""

    step = Signal(object)
    started = Signal(str)  # "" when the start returned, else the error in one line


class SessionLauncher(QObject):
    """Runs the session's start-up in a thread and follows it in a start-up window.

    Parameters
    ----------
    hub
        The hub, not started yet.
    window
        The start-up window (shown by the caller).
    start
        What starts the session (default ``hub.start``); may raise.

    Attributes
    ----------
    outcome : str
        ``""`` while undecided, then ``"ready"`` (build the main window) or ``"closed"``.
    error : BaseException or None
        What ``start`` raised.
    close_failure_after_ms : int or None
        Close the window this long after showing a failure (``--duration`` runs);
        None: it stays until the user closes it.
    """

    finished = Signal()
    """The outcome is known (emitted once)."""
    failure_shown = Signal()
    """The window now says what failed (it stays until closed)."""

    def __init__(self, hub: Hub, window: StartupWindow,
                 start: Callable[[], object] | None = None) -> None:
        super().__init__(window)
        self.hub = hub
        self.window = window
        self._start = start if start is not None else hub.start
        self.outcome = ""
        self.error: BaseException | None = None
        self.close_failure_after_ms: int | None = None
        self._relay = _Relay(self)
        self._relay.step.connect(self._on_step)
        self._relay.started.connect(self._on_started)
        self._thread = threading.Thread(target=self._run_start, name="magscope-gui-start",
                                        daemon=True)
        self._listening = False
        self._start_done = False
        self._cancelled = ""
        window.closed.connect(self._on_window_closed)
        window.continue_requested.connect(self._on_continue)
        self._poll = QTimer(self)
        self._poll.setInterval(_STOP_POLL_MS)  # also lets Python run its signal handlers
        self._poll.timeout.connect(self._check_stop)

    # ------------------------------------------------------------------ running
    def begin(self) -> None:
        """Start following the steps and start the session in the background."""
        self.hub.add_startup_listener(self._listen)
        self._listening = True
        self._thread.start()
        self._poll.start()

    @property
    def starting(self) -> bool:
        """Whether the start is still running in its thread."""
        return not self._start_done

    def wait_started(self, timeout: float | None = None) -> bool:
        """Block until the start thread has returned; return whether it has."""
        if self._thread.ident is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def stop_listening(self) -> None:
        """No more steps (called once the main window is up, or at the end)."""
        if self._listening:
            self._listening = False
            self.hub.startup.remove(self._listen)
        self._poll.stop()

    def _listen(self, step: StartupStep) -> None:
        # hub threads: hand over to the Qt thread
        self._relay.step.emit(step)

    def _run_start(self) -> None:
        message = ""
        try:
            self._start()
        except BaseException as exc:  # reported in the window, re-raised by the caller
            self.error = exc
            message = f"{type(exc).__name__}: {exc}"
            log.debug("the session's start raised", exc_info=True)
        self._relay.started.emit(message)

    # ------------------------------------------------------------------ Qt thread
    def _on_step(self, step: StartupStep) -> None:
        if self.outcome == "closed":
            return
        self.window.add_step(step)
        if step.state in ("failed", "session-failed"):
            log.warning("start-up: %s: %s", step.manager, step.message)

    def _on_started(self, message: str) -> None:
        self._start_done = True
        self.window.stop_spinner()
        if self._cancelled:
            log.info("start-up finished after %s: closing", self._cancelled)
            self._decide("closed")
            return
        if message:
            reason = f"the session could not start: {message}"
            log.error("start-up failed: %s", reason)
            self._show_failure(reason, can_continue=False)
            return
        failed = self.window.failed_parts
        # the session's own verdict, wherever it is: a manager's "failed" step comes from
        # another hub thread and may be listed after it
        verdict = next((s for s in reversed(self.window.steps)
                        if s.state in ("session-ready", "session-failed")), None)
        if failed or (verdict is not None and verdict.state == "session-failed"):
            reason = (verdict.message if verdict is not None
                      and verdict.state == "session-failed"
                      else f"the session started without {', '.join(failed)}")
            log.error("start-up failed: %s%s", reason,
                      "".join(f"; {k}: {v}" for k, v in failed.items()))
            self._show_failure(reason, can_continue=True)
            return
        self._decide("ready")

    def _show_failure(self, reason: str, *, can_continue: bool) -> None:
        self.window.show_failure(reason, can_continue=can_continue)
        self.failure_shown.emit()
        if self.close_failure_after_ms is not None:
            QTimer.singleShot(self.close_failure_after_ms, self.window.close)

    def _on_continue(self) -> None:
        if self._start_done and not self.outcome:
            log.info("the user opened the window without %s",
                     ", ".join(self.window.failed_parts) or "the failed parts")
            self._decide("ready")

    def _on_window_closed(self) -> None:
        if self.outcome:
            return
        if self._start_done:
            self._decide("closed")
            return
        self._cancelled = self._cancelled or "the window was closed"
        self.hub.request_stop("window closed during start-up")
        log.info("%s during start-up: stopping once the start-up has finished",
                 self._cancelled)

    def _check_stop(self) -> None:
        if self.outcome or not self.hub.stop_requested:
            return
        if not self._cancelled:
            self._cancelled = f"stop requested ({self.hub.stop_reason or 'stop'})"
            self.window.show_stopping(self._cancelled)
        if self.window.isVisible():
            self.window.close()
        elif self._start_done:
            self._decide("closed")

    def _decide(self, outcome: str) -> None:
        if self.outcome:
            return
        self.outcome = outcome
        self._poll.stop()
        self.finished.emit()
