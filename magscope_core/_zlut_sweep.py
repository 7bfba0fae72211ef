"""Z-LUT generation by a focus sweep, run by the pipeline manager.

The sweep moves whatever focus motor is installed (through the core's ``MoveFocus`` /
``GetFocus`` commands) to each plane, waits until it is at target and has settled,
collects ``images_per_step`` ROI crops of one bead from the live stream, and at the end
builds the Z-LUT with the tracker and saves it. It never touches acquisition or
saving (the reference system toggled the global Acquire flag at every step).

Z-LUT heights are *bead heights relative to the sweep's reference*: a plane recorded
with the focus ``d`` nm below the reference position gets ``z = +d`` (the bead appears
``d`` nm above the focal plane), so tracked z grows when a bead moves up.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from magscope_core._acquisition import GetCapture, LoadZLut, StartCapture
from magscope_core._commands import Command, CommandSpec, Route
from magscope_core._hardware import GetFocus, MoveFocus
from magscope_core._manager import handles

__all__ = [
    "SWEEP_COMMANDS",
    "CancelZLutSweep",
    "GetZLutSweep",
    "StartZLutSweep",
    "SweepHandlers",
]


@attrs.frozen
class StartZLutSweep(Command):
    """Build a Z-LUT from bead ``bead_id`` by a focus sweep and save it to ``path``.

    Heights run from ``start_nm`` to ``stop_nm`` in ``step_nm`` steps, relative to the
    focus position when the sweep starts.
    """

    start_nm: float
    stop_nm: float
    step_nm: float
    images_per_step: int
    bead_id: int
    path: str
    load: bool = True
    settle_s: float = 0.1


@attrs.frozen
class CancelZLutSweep(Command):
    """Stop a running sweep (the focus returns to where it started)."""


@attrs.frozen
class GetZLutSweep(Command):
    """Return the sweep's progress: state, step, n_steps, path, error."""


SWEEP_COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(StartZLutSweep, Route.DIRECT, True, "build a Z-LUT by a focus sweep"),
    CommandSpec(CancelZLutSweep, Route.DIRECT, True, "cancel the Z-LUT sweep"),
    CommandSpec(GetZLutSweep, Route.DIRECT, True, "progress of the Z-LUT sweep"),
)


class SweepHandlers:
    """The sweep state machine, mixed into the pipeline manager."""

    _sweep: dict[str, Any] | None = None
    tick_interval: float | None = None
    log: logging.Logger
    pool: Any
    tracker: Any
    send: Callable[..., None]
    call: Callable[..., Any]
    _current_rois: Callable[[], tuple[np.ndarray, np.ndarray]]
    start_capture: Callable[[StartCapture], int]
    get_capture: Callable[[GetCapture], np.ndarray | None]
    load_zlut: Callable[[LoadZLut], dict[str, Any]]

    def _sweep_fail(self, message: str) -> None:
        assert self._sweep is not None
        self._sweep.update(state="failed", error=message)
        self._sweep_ended()
        self.log.error("Z-LUT sweep failed: %s", message)
        self._return_focus()

    def _sweep_ended(self) -> None:
        self.tick_interval = type(self).tick_interval

    def _return_focus(self) -> None:
        sweep = self._sweep
        if sweep is not None and sweep.get("origin") is not None:
            try:
                self.send(MoveFocus(z_nm=float(sweep["origin"])))
            except Exception as exc:
                self.log.warning("could not return the focus: %s", exc)

    @handles(StartZLutSweep)
    def start_sweep(self, cmd: StartZLutSweep) -> dict[str, Any]:
        """Check the request, then start the sweep; returns the planned steps."""
        if self._sweep is not None and self._sweep["state"] in ("moving", "settling", "capturing"):
            raise RuntimeError("a Z-LUT sweep is already running; cancel it first")
        if getattr(self, "pool", None) is None:
            raise RuntimeError("no tracker plugin is active: a Z-LUT needs a tracker")
        if cmd.step_nm <= 0 or cmd.images_per_step < 1:
            raise ValueError(
                f"step_nm must be > 0 (got {cmd.step_nm:g}) and images_per_step >= 1 "
                f"(got {cmd.images_per_step})"
            )
        n = round((cmd.stop_nm - cmd.start_nm) / cmd.step_nm)
        if n < 2 or abs(cmd.start_nm + n * cmd.step_nm - cmd.stop_nm) > 1e-6 * cmd.step_nm:
            raise ValueError(
                f"stop_nm={cmd.stop_nm:g} must lie on the grid start_nm={cmd.start_nm:g} + "
                f"k x step_nm={cmd.step_nm:g}, with at least 3 planes"
            )
        ids, _ = self._current_rois()
        if cmd.bead_id not in set(ids.tolist()):
            raise ValueError(f"no bead with id {cmd.bead_id}; beads: {sorted(ids.tolist())}")
        focus = self.call(GetFocus())
        origin = float(focus["z_nm"])
        offsets = cmd.start_nm + cmd.step_nm * np.arange(n + 1)
        targets = origin - offsets
        lo, hi = float(focus["min_nm"]), float(focus["max_nm"])
        if targets.min() < lo or targets.max() > hi:
            raise ValueError(
                f"the sweep needs focus positions {targets.min():g}..{targets.max():g} nm, "
                f"outside the motor's limits {lo:g}..{hi:g} nm"
            )
        self.tick_interval = 0.02  # step briskly while sweeping (an instance override)
        self._sweep = {"state": "moving", "step": 0, "n_steps": int(n + 1),
                       "offsets": offsets, "targets": targets, "origin": origin,
                       "cmd": cmd, "images": [], "t": time.monotonic(), "error": None,
                       "token": None, "path": cmd.path}
        self.send(MoveFocus(z_nm=float(targets[0])))
        return {"n_steps": int(n + 1), "origin_nm": origin}

    @handles(CancelZLutSweep)
    def cancel_sweep(self, cmd: CancelZLutSweep) -> None:
        """Cancel the sweep."""
        if self._sweep is not None and self._sweep["state"] not in ("done", "failed"):
            self._sweep["state"] = "cancelled"
            self._sweep_ended()
            self._return_focus()

    @handles(GetZLutSweep)
    def sweep_status(self, cmd: GetZLutSweep) -> dict[str, Any] | None:
        """Progress of the current or last sweep."""
        if self._sweep is None:
            return None
        s = self._sweep
        return {"state": s["state"], "step": s["step"], "n_steps": s["n_steps"],
                "path": s["path"], "error": s["error"]}

    def sweep_tick(self) -> None:
        """Advance the sweep (called from the pipeline's tick)."""
        s = self._sweep
        if s is None or s["state"] not in ("moving", "settling", "capturing"):
            return
        cmd: StartZLutSweep = s["cmd"]
        try:
            if s["state"] == "moving":
                focus = self.call(GetFocus())
                if focus["at_target"]:
                    s.update(state="settling", t=time.monotonic())
                elif time.monotonic() - s["t"] > 60:
                    target = s["targets"][s["step"]]
                    self._sweep_fail(f"the focus motor did not reach {target:g} nm")
            elif s["state"] == "settling" and time.monotonic() - s["t"] >= cmd.settle_s:
                s["token"] = self.start_capture(
                    StartCapture(bead_id=cmd.bead_id, n_frames=cmd.images_per_step))
                s["state"] = "capturing"
            elif s["state"] == "capturing":
                crops = self.get_capture(GetCapture(token=s["token"]))
                if crops is not None:
                    s["images"].append(crops)
                    s["step"] += 1
                    if s["step"] == s["n_steps"]:
                        self._sweep_finish()
                    else:
                        s.update(state="moving", t=time.monotonic())
                        self.send(MoveFocus(z_nm=float(s["targets"][s["step"]])))
        except Exception as exc:
            self._sweep_fail(f"{type(exc).__name__}: {exc}")

    def _sweep_finish(self) -> None:
        s = self._sweep
        assert s is not None
        stack = np.stack(s["images"])  # (n_planes, n_images, h, w)
        z = np.asarray(s["offsets"], dtype=np.float64)
        order = np.argsort(z)
        zlut = self.tracker.make_zlut(stack[order], z[order])
        path = Path(s["path"])
        path.parent.mkdir(parents=True, exist_ok=True)
        self.tracker.save_zlut(zlut, path)
        s["state"] = "done"
        self._sweep_ended()
        self.log.info("Z-LUT of %d planes saved to %s", len(z), path)
        self._return_focus()
        if s["cmd"].load:
            self.load_zlut(LoadZLut(path=str(path)))

