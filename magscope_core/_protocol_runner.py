"""Run a protocol's steps against a running session, with pause, resume and stop.

The runner lives in the main process next to the hub and talks to the managers only
through :meth:`Hub.send` / :meth:`Hub.call` (and reads the shared tracks table for
:class:`~magscope_core.WaitTracks`). It runs in a thread of its own (:meth:`start`) or
in the caller's (:meth:`run`); :meth:`pause`, :meth:`resume`, :meth:`stop` and
:meth:`progress` are safe from any thread (a GUI's, a signal handler's).

* **Pause** takes effect before the next step, or at once inside a sleep, a wait or a
  ramp (paused time counts neither against a sleep nor against a timeout; a ramp is
  held where it is with :class:`~magscope_core.HoldRamp` and goes on when resumed).
* **Stop** aborts now: the current step is left, a running Z-LUT sweep awaited by the
  step is cancelled, and the magnet is sent to the *safe force* (which also ends a
  ramp); the run ends when the magnet is there. A failing step does the same.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import numpy as np

from magscope_core._commands import Command, Route
from magscope_core._hardware import GetFocus, GetMagnet, HoldRamp, SetForce
from magscope_core._logging import CONSOLE_ATTR
from magscope_core._motion import MotionModel
from magscope_core._protocol_load import Protocol
from magscope_core._protocol_record import ProtocolEnded, ProtocolStarted, ProtocolStepStarted
from magscope_core._protocol_steps import (
    CommandStep,
    Sleep,
    Step,
    WaitAcquisition,
    WaitMotor,
    WaitTracks,
    WaitZLutSweep,
)
from magscope_core._zlut_sweep import CancelZLutSweep, GetZLutSweep

__all__ = ["ProtocolRunner", "RunProgress", "StepFailed"]

log = logging.getLogger("magscope.protocol")

_TRACK_COLUMN = {"x": "x", "y": "y", "z": "z"}
_FILE_ONLY = {CONSOLE_ATTR: False}  # progress displays show the steps; the log file keeps them


class StepFailed(RuntimeError):
    """A step could not be done (its message says which and why)."""


class _Stopped(Exception):
    """Internal: stop() was called."""


@attrs.frozen
class RunProgress:
    """A snapshot of a run, for displays.

    Attributes
    ----------
    state
        ``ready``, ``running``, ``paused``, ``stopping``, ``done``, ``stopped`` or
        ``failed``.
    step
        Current step number (1-based; 0 before the first).
    n_steps
        Steps in the protocol.
    text, line
        The current step's description and its line in the file.
    elapsed_s
        Seconds since the run began (pauses included).
    time_left_s
        Planned seconds left (steps of unknown duration count 0: see ``exact``).
    exact
        Whether ``time_left_s`` covers every remaining step.
    error
        Why the run failed or stopped.
    """

    state: str
    step: int
    n_steps: int
    text: str
    line: int
    elapsed_s: float
    time_left_s: float
    exact: bool
    error: str = ""

    def line_text(self) -> str:
        """``step n/N (line L): text  -  time left``."""
        left = f"{'' if self.exact else '>= '}{self.time_left_s:.0f} s left"
        where = f" (line {self.line})" if self.line else ""
        return f"{self.state}: step {self.step}/{self.n_steps}{where}: {self.text}  -  {left}"


class ProtocolRunner:
    """Execute a :class:`~magscope_core.Protocol` in a session.

    Parameters
    ----------
    hub
        The running :class:`~magscope_core.Hub` (anything with ``call``, ``send``,
        ``registry``, ``acquiring`` and ``resources``).
    protocol
        The loaded protocol.
    safe_force_pn
        Force the magnet is sent to when the run is stopped or fails (None: leave it).
    poll_s
        Interval of the waits' checks.
    safe_timeout_s
        How long a stop waits for the magnet to reach the safe force.
    on_change
        Called (from the runner's thread) with a :class:`RunProgress` at every change
        of step or state.
    motion
        The motors' models (:func:`~magscope_core.motion_models`): the time left then
        counts motor moves.
    """

    def __init__(self, hub: Any, protocol: Protocol, *, safe_force_pn: float | None = 0.1,
                 poll_s: float = 0.05, safe_timeout_s: float = 60.0,
                 on_change: Callable[[RunProgress], None] | None = None,
                 motion: Mapping[str, MotionModel] | None = None) -> None:
        self.hub = hub
        self.protocol = protocol
        self.safe_force_pn = safe_force_pn
        self.poll_s = poll_s
        self.safe_timeout_s = safe_timeout_s
        self.on_change = on_change
        self.run_id = uuid.uuid4().hex
        self.step_times: list[float] = []
        """Epoch seconds at which each step began."""
        self._lock = threading.Lock()
        self._state = "ready"
        self._error = ""
        self._index = -1
        self._paused = threading.Event()
        self._stop = threading.Event()
        self._finished = threading.Event()
        self._thread: threading.Thread | None = None
        self._t0 = 0.0
        self._step_t0 = 0.0
        self._paused_total = 0.0
        self._pause_began: float | None = None
        self._stop_reason = "stopped by the user"
        self._estimates = [row.duration_s for row in protocol.plan(motion)]

    # ------------------------------------------------------------------ control
    @property
    def state(self) -> str:
        """The run's state (see :class:`RunProgress`)."""
        return self._state

    @property
    def started(self) -> bool:
        """Whether :meth:`start` was called."""
        return self._thread is not None

    def start(self) -> threading.Thread:
        """Run in a new thread ``magscope-protocol``; returns it."""
        if self._thread is not None:
            raise RuntimeError("this runner was started already; make a new one")
        self._thread = threading.Thread(target=self.run, name="magscope-protocol", daemon=True)
        self._thread.start()
        return self._thread

    def pause(self) -> None:
        """Pause before the next step (at once inside a sleep or a wait)."""
        with self._lock:
            if self._state == "running":
                self._paused.set()
                self._pause_began = time.monotonic()
                self._state = "paused"
        self._changed()

    def resume(self) -> None:
        """Go on after :meth:`pause`."""
        with self._lock:
            if self._state == "paused":
                if self._pause_began is not None:
                    self._paused_total += time.monotonic() - self._pause_began
                self._pause_began = None
                self._paused.clear()
                self._state = "running"
        self._changed()

    def stop(self, reason: str = "stopped by the user") -> None:
        """Abort now and leave the magnet at the safe force; ``reason`` is the run's error."""
        with self._lock:
            if self._state in ("ready", "running", "paused"):
                self._state = "stopping"
                self._stop_reason = reason
        self._stop.set()
        self._changed()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the run ended; return whether it did."""
        return self._finished.wait(timeout)

    def progress(self) -> RunProgress:
        """Where the run is now."""
        with self._lock:
            i, state, error = self._index, self._state, self._error
            now = time.monotonic()
            paused_now = now - self._pause_began if self._pause_began is not None else 0.0
            in_step = (max(0.0, now - self._step_t0 - self._paused_total - paused_now)
                       if i >= 0 else 0.0)
        steps = self.protocol.steps
        rest = self._estimates[i + 1:] if i >= 0 else self._estimates
        left = sum(e or 0.0 for e in rest)
        exact = all(e is not None for e in rest)
        if 0 <= i < len(steps) and state not in ("done", "stopped", "failed"):
            cur = self._estimates[i]
            exact = exact and cur is not None
            left += max(0.0, (cur or 0.0) - in_step)
        if state in ("done", "stopped", "failed"):
            left, exact = 0.0, True
        step = steps[i] if 0 <= i < len(steps) else None
        return RunProgress(
            state=state, step=i + 1, n_steps=len(steps),
            text=step.describe() if step is not None else "",
            line=step.line if step is not None else 0,
            elapsed_s=(now - self._t0) if self._t0 else 0.0,
            time_left_s=left, exact=exact, error=error)

    # ------------------------------------------------------------------ running
    def run(self) -> str:
        """Run every step in this thread; returns the final state."""
        p = self.protocol
        self._t0 = time.monotonic()
        with self._lock:
            if self._state == "ready":
                self._state = "running"
        self._tell(ProtocolStarted(run_id=self.run_id, name=p.name, title=p.title,
                                   path=str(p.path), text=p.text, t=time.time()))
        log.info("protocol %s: %d steps", p.name, len(p.steps), extra=_FILE_ONLY)
        final, error = "done", ""
        try:
            for i, step in enumerate(p.steps):
                self._wait_while_paused()
                with self._lock:
                    self._index = i
                    self._step_t0 = time.monotonic()
                    self._paused_total = 0.0
                t = time.time()
                self.step_times.append(t)
                self._tell(ProtocolStepStarted(run_id=self.run_id, index=i, line=step.line,
                                               t=t, step=step.describe()))
                log.info("protocol %s step %d/%d (line %d): %s", p.name, i + 1, len(p.steps),
                         step.line, step.describe(), extra=_FILE_ONLY)
                self._changed()
                self._execute(step)
        except _Stopped:
            final, error = "stopped", self._stop_reason
        except Exception as exc:
            final = "failed"
            step_no = self._index + 1
            line = p.steps[self._index].line if self._index >= 0 else 0
            error = f"step {step_no} (line {line}): {exc}"
            log.error("protocol %s failed at %s", p.name, error)
        if final != "done":
            self._make_safe()
        with self._lock:
            self._state, self._error = final, error
        self._tell(ProtocolEnded(run_id=self.run_id, t=time.time(), state=final, error=error))
        log.info("protocol %s %s", p.name, final, extra=_FILE_ONLY)
        self._finished.set()
        self._changed()
        return final

    def _execute(self, step: Step) -> None:
        if isinstance(step, CommandStep):
            self._command(step)
        elif isinstance(step, Sleep):
            self._until(lambda: False, step.seconds, timeout_ok=True)
        elif isinstance(step, WaitMotor):
            self._until(lambda: self._motor_ready(step.axis), step.timeout_s, what=step)
        elif isinstance(step, WaitAcquisition):
            self._until(lambda: bool(getattr(self.hub, "acquiring", False)) == step.on,
                        step.timeout_s, what=step)
        elif isinstance(step, WaitZLutSweep):
            try:
                self._until(self._sweep_done, step.timeout_s, what=step)
            except _Stopped:
                self._quiet(CancelZLutSweep())
                raise
        elif isinstance(step, WaitTracks):
            since = time.time()
            self._until(lambda: self._tracks_met(step, since), step.timeout_s, what=step,
                        timeout_ok=step.on_timeout == "continue")
        else:
            raise StepFailed(f"unknown step {type(step).__name__}")

    def _command(self, step: CommandStep) -> None:
        cmd = step.command
        if self.hub.registry.get(cmd).route is Route.BROADCAST:
            self.hub.send(cmd)
        else:
            reply = self.hub.call(cmd, timeout=step.timeout_s)
            log.info("step %d reply: %.200r", self._index + 1, reply, extra=_FILE_ONLY)
            if step.is_ramp:
                planned = float(reply.get("duration_s", 0.0)) if isinstance(reply, dict) else 0.0
                self._estimates[self._index] = planned
                self._until(lambda: self._motor_ready("magnet"), planned + step.timeout_s + 60.0,
                            what=step, holds_ramp=True)

    # ------------------------------------------------------------------ waits
    def _wait_while_paused(self) -> None:
        while self._paused.is_set():
            if self._stop.wait(self.poll_s):
                raise _Stopped
        if self._stop.is_set():
            raise _Stopped

    def _until(self, done: Callable[[], bool], limit_s: float, *, what: Step | None = None,
               timeout_ok: bool = False, holds_ramp: bool = False) -> None:
        """Poll ``done`` until true; ``limit_s`` counts only time not paused.

        With ``holds_ramp`` a pause holds the magnet's ramp (:class:`HoldRamp`) and
        resuming releases it.
        """
        held = False
        while True:
            if self._stop.is_set():
                raise _Stopped
            if holds_ramp and held != self._paused.is_set():
                held = not held
                self._quiet(HoldRamp(hold=held))
            if not self._paused.is_set():
                if done():
                    return
                with self._lock:
                    active = time.monotonic() - self._step_t0 - self._paused_total
                if active >= limit_s:
                    if timeout_ok:
                        return
                    assert what is not None
                    raise StepFailed(f"timed out after {limit_s:g} s: {what.describe()}")
            self._stop.wait(self.poll_s)

    def _motor_ready(self, axis: str) -> bool:
        if axis == "focus":
            return bool(self.hub.call(GetFocus(), timeout=5.0)["at_target"])
        state = self.hub.call(GetMagnet(), timeout=5.0)
        return not state.get("moving", False) and not state.get("ramping", False)

    def _sweep_done(self) -> bool:
        status = self.hub.call(GetZLutSweep(), timeout=5.0)
        if status is None:
            raise StepFailed("no Z-LUT sweep was started (send StartZLutSweep first)")
        if status["state"] in ("failed", "cancelled"):
            raise StepFailed(f"the Z-LUT sweep {status['state']}: {status.get('error') or ''}")
        return bool(status["state"] == "done")

    def _tracks_met(self, step: WaitTracks, since: float) -> bool:
        tracks = self.hub.resources.tracks()
        rows = tracks.rows_of_bead(step.bead, newer_than=since)
        if rows.shape[0] < step.frames:
            return False
        col = tracks.column(_TRACK_COLUMN[step.column])
        values = rows[-step.frames:, col]
        if not np.all(np.isfinite(values)):
            return False
        return step.met(float(np.mean(values)))

    # ------------------------------------------------------------------ helpers
    def _make_safe(self) -> None:
        if self.safe_force_pn is None or "SetForce" not in self.hub.registry:
            return
        if not self.hub.registry.get("SetForce").owners:
            return
        try:
            self.hub.call(SetForce(force_pn=float(self.safe_force_pn)), timeout=5.0)
            log.info("magnet sent to the safe force %g pN", self.safe_force_pn)
            # the run ends when the magnet is there (a session may end right after)
            deadline = time.monotonic() + self.safe_timeout_s
            idle = threading.Event()
            while not self._motor_ready("magnet"):
                if time.monotonic() > deadline:
                    log.error("the magnet did not reach the safe force %g pN within %g s",
                              self.safe_force_pn, self.safe_timeout_s)
                    break
                idle.wait(self.poll_s)
        except Exception as exc:
            log.error("could not send the magnet to the safe force %g pN: %s",
                      self.safe_force_pn, exc)

    def _quiet(self, cmd: Command) -> None:
        try:
            self.hub.call(cmd, timeout=5.0)
        except Exception as exc:
            log.warning("%s: %s", cmd.command_name, exc)

    def _tell(self, cmd: Command) -> None:
        """Provenance for the recording: to the pipeline, if there is one."""
        try:
            if self.hub.registry.get(cmd).owners:
                self.hub.send(cmd)
        except Exception as exc:
            log.warning("protocol provenance not recorded (%s): %s", cmd.command_name, exc)

    def _changed(self) -> None:
        if self.on_change is not None:
            try:
                self.on_change(self.progress())
            except Exception:
                log.exception("protocol progress listener failed")
