"""Run a Z-LUT sweep from the main process: progress, cancel, and the first-session sweep.

:func:`run_sweep` starts ``StartZLutSweep`` in the pipeline and follows it until it ends,
calling back with its progress; a stop request (Ctrl-C, SIGTERM, a closed window)
cancels it, which leaves no file. :func:`sweep_at_start` is the first session of a
camera that declares ``auto_zlut``: it sweeps every bead, saves the best candidate in
the user data folder and loads it, with saving paused so the recording starts with Z.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import Any

from magscope_core._acquisition import GetAcquisition, SetSaving
from magscope_core._hardware import GetFocus
from magscope_core._zlut_memory import auto_sweep_settings, auto_zlut_path
from magscope_core._zlut_sweep import CancelZLutSweep, GetZLutSweep, StartZLutSweep

__all__ = ["ProgressLine", "describe_best", "run_sweep", "sweep_at_start", "zlut_line"]

log = logging.getLogger("magscope")

_RUNNING = ("moving", "settling", "capturing", "scoring")


def run_sweep(hub: Any, cmd: StartZLutSweep,
              on_progress: Callable[[dict[str, Any]], None] | None = None,
              poll_s: float = 0.2) -> dict[str, Any]:
    """Start ``cmd`` and follow it to its end; return the last ``GetZLutSweep`` status.

    A stop requested on ``hub`` meanwhile cancels the sweep (state ``"cancelled"``).
    """
    hub.call(cmd, timeout=30.0)
    while True:
        status: dict[str, Any] = hub.call(GetZLutSweep(), timeout=30.0) or {}
        if on_progress is not None:
            on_progress(status)
        if status.get("state") not in _RUNNING:
            return status
        if hub.wait(poll_s):  # a stop was requested: cancel, the pipeline saves nothing
            try:
                hub.call(CancelZLutSweep(), timeout=10.0)
                status = hub.call(GetZLutSweep(), timeout=10.0) or status
            except Exception as exc:
                log.warning("could not cancel the Z-LUT sweep: %s", exc)
                status = {**status, "state": "cancelled"}
            return status


class ProgressLine:
    """Print a sweep's progress: one overwritten line on a terminal, else every 2 s."""

    def __init__(self, out: Any, what: str) -> None:
        self._out = out
        self._what = what
        self._tty = sys.stderr.isatty()
        self._last = 0.0
        self._open = False

    def __call__(self, status: dict[str, Any]) -> None:
        state = status.get("state")
        step, n = int(status.get("step", 0)), max(1, int(status.get("n_steps", 1)))
        now = time.monotonic()
        if state in _RUNNING and not self._tty and now - self._last < 2.0:
            return
        self._last = now
        width = 30
        filled = round(width * step / n)
        bar = "#" * filled + "-" * (width - filled)
        text = (f"{self._what} [{bar}] plane {step}/{n}, {len(status.get('beads', []))} "
                f"bead(s){' - scoring' if state == 'scoring' else ''}")
        if self._tty and state in _RUNNING:
            self._out.print(text.ljust(79), end="\r", highlight=False, markup=False)
            self._open = True
            return
        if self._open and state not in _RUNNING:
            self._out.print()
            self._open = False
        if state in _RUNNING:
            self._out.print(text, highlight=False, markup=False)

    def close(self) -> None:
        """End an open terminal line."""
        if self._open:
            self._out.print()
            self._open = False


def describe_best(status: dict[str, Any]) -> str:
    """``"best bead 3 of 4 (score 0.95, 1.2 nm RMS)"`` from a finished sweep's status."""
    best = status.get("best")
    cands = status.get("candidates") or []
    score: dict[str, Any] = next((c for c in cands if c.get("bead_id") == best), {})
    return (f"best bead {best} of {len(cands)} (score {score.get('score', 0.0):.3f}, "
            f"self-consistency {score.get('self_rms_nm', float('nan')):.1f} nm RMS)")


def _wait_focus_back(hub: Any, timeout_s: float = 60.0) -> None:
    """Wait until the focus, sent back to its origin after the sweep, is there."""
    deadline = time.monotonic() + timeout_s
    try:
        while not hub.call(GetFocus(), timeout=10.0).get("at_target"):
            if hub.wait(0.1) or time.monotonic() > deadline:
                return
    except Exception as exc:  # no focus motor answering: nothing to wait for
        log.warning("focus position unknown after the Z-LUT sweep: %s", exc)


class _StartupProgress:
    """A sweep's progress as start-up steps of the part ``zlut`` (every 2 s at most).

    Headless they print as start-up lines; the GUI shows them in its start-up window,
    which stays up until the sweep is over.
    """

    def __init__(self, hub: Any, every_s: float = 2.0) -> None:
        self._hub = hub
        self._every = every_s
        self._last = -1e9

    def emit(self, state: str, message: str) -> None:
        self._hub.startup.emit("zlut", state, message)

    def __call__(self, status: dict[str, Any]) -> None:
        now = time.monotonic()
        if status.get("state") not in _RUNNING or now - self._last < self._every:
            return
        self._last = now
        n = max(1, int(status.get("n_steps", 1)))
        step = int(status.get("step", 0))
        scoring = ", scoring the candidates" if status.get("state") == "scoring" else ""
        self.emit("progress", f"Z-LUT sweep: plane {step}/{n} ({100 * step // n} %), "
                  f"{len(status.get('beads', []))} bead(s){scoring}")


def sweep_at_start(hub: Any, plan: Any, out: Any = None) -> dict[str, Any] | None:
    """First session of an ``auto_zlut`` camera: sweep, save and load a Z-LUT.

    Its progress goes out as start-up steps (part ``zlut``). Returns the sweep's final
    status, or None when nothing was to be done.
    """
    if not getattr(plan, "auto_zlut", False) or hub.stop_requested:
        return None
    settings = auto_sweep_settings()
    if settings is None:
        return None
    progress = _StartupProgress(hub)
    beads = hub.status().get("beads", [])
    if not beads:
        progress.emit("ready", "no bead ROIs: no automatic Z-LUT (z is NaN)")
        return None
    path = auto_zlut_path(plan.camera)
    progress.emit("progress", f"Z-LUT: none yet for camera {plan.camera!r}; making one by a "
                  f"focus sweep {settings.start_nm:g}..{settings.stop_nm:g} nm, step "
                  f"{settings.step_nm:g} nm, of {len(beads)} bead(s) (first session only)")
    saving = False
    try:
        saving = bool(hub.call(GetAcquisition(), timeout=10.0).get("saving"))
        if saving:  # the recording starts once z is measured
            hub.send(SetSaving(on=False))
        status = run_sweep(hub, StartZLutSweep(
            start_nm=settings.start_nm, stop_nm=settings.stop_nm, step_nm=settings.step_nm,
            images_per_step=settings.images_per_step, path=str(path), load=True), progress)
    except Exception as exc:
        log.warning("automatic Z-LUT sweep failed", exc_info=True)
        status = {"state": "failed", "error": f"{type(exc).__name__}: {exc}"}
    finally:
        if saving:
            _wait_focus_back(hub)
            hub.send(SetSaving(on=True))
    if status.get("state") == "done":
        message = (f"Z-LUT saved to {path} ({describe_best(status)}); later sessions with "
                   f"camera {plan.camera!r} reuse it")
    elif status.get("state") == "cancelled":
        message = "Z-LUT sweep cancelled: nothing saved"
    else:
        message = f"warning: the automatic Z-LUT sweep failed ({status.get('error')}): z is NaN"
    progress.emit("progress", message)  # a line headless (which skips "ready" steps)
    progress.emit("ready", message)
    return status


def zlut_line(out: Any, plan: Any) -> None:
    """Say at start which Z-LUT the session loads, and why (given or remembered)."""
    if getattr(plan, "zlut", None):
        why = (f"remembered for camera {plan.camera!r}"
               if plan.zlut_origin == "remembered" else "given")
        out.print(f"Z-LUT: {plan.zlut} ({why})", highlight=False, soft_wrap=True)
    elif getattr(plan, "tracker", None) and not getattr(plan, "auto_zlut", False):
        out.print("Z-LUT: none (z is NaN; make one with 'magscope zlut sweep')",
                  highlight=False, soft_wrap=True)
