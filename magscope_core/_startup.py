"""Start-up steps of a session, as they happen: for progress lines and a GUI splash.

The hub emits a :class:`StartupStep` when shared memory is ready, when the camera
connects, when a manager reports progress from a long ``setup()`` (see
:meth:`~magscope_core.ManagerProcess.report_progress`), when a manager is running or
failed to start, and when the whole session is ready. Listeners are called in the
thread that emits (the hub thread or the thread running :meth:`Hub.start`): a GUI must
hand the step over to its own thread.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Literal

import attrs

__all__ = ["StartupListeners", "StartupStep", "StepState", "progress_while"]

log = logging.getLogger("magscope.hub")

StepState = Literal["starting", "progress", "ready", "failed", "session-ready",
                    "session-failed"]


@attrs.frozen
class StartupStep:
    """One thing that happened while a session starts.

    Parameters
    ----------
    manager
        The manager it concerns (``"hub"`` for the session as a whole).
    state
        ``"starting"`` (process spawned), ``"progress"`` (a long setup step),
        ``"ready"`` (setup done), ``"failed"`` (setup failed; ``message`` says why),
        ``"session-ready"`` (every manager settled) or ``"session-failed"``.
    message
        One line for people, e.g. ``"preparing the tracker (first run only): 12 s"``.
    elapsed_s
        Seconds since the hub started.
    """

    manager: str
    state: StepState
    message: str
    elapsed_s: float


class StartupListeners:
    """The callbacks that want start-up steps, and the steps so far (for late comers)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: list[Callable[[StartupStep], None]] = []
        self.steps: list[StartupStep] = []
        self._t0 = time.monotonic()

    def restart_clock(self) -> None:
        """Measure ``elapsed_s`` from now."""
        self._t0 = time.monotonic()

    def add(self, listener: Callable[[StartupStep], None], replay: bool = True) -> None:
        """Call ``listener`` with every future step (and, with ``replay``, past ones)."""
        with self._lock:
            past = list(self.steps) if replay else []
            self._listeners.append(listener)
        for step in past:
            self._call(listener, step)

    def remove(self, listener: Callable[[StartupStep], None]) -> None:
        """Stop calling ``listener``."""
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def emit(self, manager: str, state: StepState, message: str) -> StartupStep:
        """Record a step and hand it to every listener."""
        step = StartupStep(manager, state, message, round(time.monotonic() - self._t0, 3))
        with self._lock:
            self.steps.append(step)
            listeners = list(self._listeners)
        for listener in listeners:
            self._call(listener, step)
        return step

    @staticmethod
    def _call(listener: Callable[[StartupStep], None], step: StartupStep) -> None:
        try:
            listener(step)
        except Exception:
            log.exception("start-up listener %r failed on %s", listener, step)


@contextlib.contextmanager
def progress_while(report: Callable[[str], None], log: logging.Logger, what: str,
                   first_after: float = 2.0, every: float = 2.0) -> Iterator[None]:
    """Call ``report("<what>: <seconds> s")`` every ``every`` s while the block runs long.

    A manager's long ``setup()`` step (a tracker compiling its kernels) passes its
    :meth:`~magscope_core.ManagerProcess.report_progress`, so the hub shows the step
    and waits for it instead of killing a silent manager.
    """
    done = threading.Event()
    t0 = time.monotonic()

    def tell() -> None:
        wait_s = first_after
        while not done.wait(wait_s):
            report(f"{what}: {time.monotonic() - t0:.0f} s")
            wait_s = every

    thread = threading.Thread(target=tell, name="magscope-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
    if time.monotonic() - t0 > first_after:
        log.info("%s: done in %.1f s", what, time.monotonic() - t0)
