"""Z-LUT generation by a focus sweep, run by the pipeline manager.

The sweep moves whatever focus motor is installed (through the core's ``MoveFocus`` /
``GetFocus`` commands) to each plane, waits until it is at target and has settled,
collects ``images_per_step`` ROI crops of one bead from the live stream, and at the end
builds the Z-LUT with the tracker and saves it. It never touches acquisition or
saving (the reference system toggled the global Acquire flag at every step).

Every selected bead is recorded at once, so the sweep yields one *candidate* Z-LUT per
bead. Each is scored by the tracker (``score_zlut``: profile contrast, distinctness of
neighbouring planes, and the sweep's own images looked up against it, RMS in nm) and
the best is proposed. With a ``path`` the best is saved there at once (atomically: a
cancelled or failed sweep leaves no file); without one the sweep ends in ``review``
and :class:`SaveZLutCandidate` saves the candidate the user picks.

Z-LUT heights are *bead heights relative to the sweep's reference*: a plane recorded
with the focus ``d`` nm below the reference position gets ``z = +d`` (the bead appears
``d`` nm above the focal plane), so tracked z grows when a bead moves up.
"""

from __future__ import annotations

import logging
import os
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
from magscope_core._zlut_memory import remember_zlut

__all__ = [
    "SWEEP_COMMANDS",
    "CancelZLutSweep",
    "GetZLutProfiles",
    "GetZLutSweep",
    "SaveZLutCandidate",
    "StartZLutSweep",
    "SweepHandlers",
]


@attrs.frozen
class StartZLutSweep(Command):
    """Build Z-LUT candidates of the selected beads by a focus sweep.

    Heights run from ``start_nm`` to ``stop_nm`` in ``step_nm`` steps, relative to the
    focus position when the sweep starts. The beads are ``bead_ids``, else ``bead_id``
    (when >= 0), else every bead. With a ``path`` the best candidate is saved there (and
    loaded when ``load``); with ``path=""`` the sweep waits in ``review`` for
    :class:`SaveZLutCandidate`.
    """

    start_nm: float
    stop_nm: float
    step_nm: float
    images_per_step: int
    bead_id: int = -1
    path: str = ""
    load: bool = True
    settle_s: float = 0.1
    bead_ids: tuple[int, ...] = ()


@attrs.frozen
class CancelZLutSweep(Command):
    """Stop a running sweep (the focus returns to where it started; nothing is saved)."""


@attrs.frozen
class GetZLutSweep(Command):
    """Return the sweep's progress: state, step, n_steps, beads, path, error, candidates."""


@attrs.frozen
class SaveZLutCandidate(Command):
    """Save the candidate Z-LUT of ``bead_id`` from the last sweep to ``path``."""

    bead_id: int
    path: str
    load: bool = True


@attrs.frozen
class GetZLutProfiles(Command):
    """Profiles of the loaded Z-LUT (``bead_id=-1``) or a candidate of the last sweep.

    For a display: the pipeline read the file with the tracker's own parser.
    """

    bead_id: int = -1


SWEEP_COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(StartZLutSweep, Route.DIRECT, True, "build a Z-LUT by a focus sweep"),
    CommandSpec(CancelZLutSweep, Route.DIRECT, True, "cancel the Z-LUT sweep"),
    CommandSpec(GetZLutSweep, Route.DIRECT, True, "progress of the Z-LUT sweep"),
    CommandSpec(SaveZLutCandidate, Route.DIRECT, True,
                "save (and load) a candidate Z-LUT of the last sweep"),
    CommandSpec(GetZLutProfiles, Route.DIRECT, True,
                "profiles of the loaded Z-LUT or of a candidate of the last sweep"),
)

_RUNNING = ("moving", "settling", "capturing", "scoring")
#: Seconds a plane may wait for a bead's images before that bead is dropped.
CAPTURE_TIMEOUT_S = 30.0


def _save_atomically(tracker: Any, zlut: Any, path: Path) -> None:
    """Write through a temporary file, so a failure never leaves a partial Z-LUT."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        tracker.save_zlut(zlut, part)
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)


class SweepHandlers:
    """The sweep state machine, mixed into the pipeline manager."""

    _sweep: dict[str, Any] | None = None
    tick_interval: float | None = None
    log: logging.Logger
    pool: Any
    tracker: Any
    recording: Any
    send: Callable[..., None]
    call: Callable[..., Any]
    _current_rois: Callable[[], tuple[np.ndarray, np.ndarray]]
    _captures: dict[int, dict[str, Any]]
    start_capture: Callable[[StartCapture], int]
    get_capture: Callable[[GetCapture], np.ndarray | None]
    load_zlut: Callable[[LoadZLut], dict[str, Any]]

    def _remember_zlut(self, path: str) -> None:
        """Note ``path`` as this camera's last loaded Z-LUT (for the next session)."""
        camera = (getattr(self.recording, "metadata", None) or {}).get("camera")
        if camera:
            remember_zlut(str(camera), path)
            meta = getattr(self, "zlut_meta", None)
            if isinstance(meta, dict):
                meta["remembered_for"] = str(camera)  # the next session loads it at start

    def _sweep_fail(self, message: str) -> None:
        assert self._sweep is not None
        self._sweep.update(state="failed", error=message)
        self._sweep_ended()
        self.log.error("Z-LUT sweep failed: %s", message)
        self._return_focus()

    def _sweep_ended(self) -> None:
        self.tick_interval = type(self).tick_interval
        sweep = self._sweep
        if sweep is not None:
            for token in sweep.get("tokens", {}).values():
                self._captures.pop(token, None)
            sweep["tokens"] = {}

    def _return_focus(self) -> None:
        sweep = self._sweep
        if sweep is not None and sweep.get("origin") is not None:
            try:
                self.send(MoveFocus(z_nm=float(sweep["origin"])))
            except Exception as exc:
                self.log.warning("could not return the focus: %s", exc)

    def _sweep_beads(self, cmd: StartZLutSweep) -> list[int]:
        ids, _ = self._current_rois()
        present = sorted(int(i) for i in ids.tolist())
        wanted = list(cmd.bead_ids) or ([cmd.bead_id] if cmd.bead_id >= 0 else present)
        if not present:
            raise ValueError("no bead ROIs: add beads before a Z-LUT sweep")
        missing = [b for b in wanted if b not in present]
        if missing:
            raise ValueError(f"no bead with id {missing[0]}; beads: {present}")
        return sorted(set(wanted))

    @handles(StartZLutSweep)
    def start_sweep(self, cmd: StartZLutSweep) -> dict[str, Any]:
        """Check the request, then start the sweep; returns the planned steps."""
        if self._sweep is not None and self._sweep["state"] in _RUNNING:
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
        beads = self._sweep_beads(cmd)
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
                       "cmd": cmd, "beads": beads, "images": {b: [] for b in beads},
                       "lost": {}, "t": time.monotonic(), "error": None, "tokens": {},
                       "path": cmd.path, "candidates": {}, "scores": {}, "errors": {},
                       "best": None}
        self.send(MoveFocus(z_nm=float(targets[0])))
        return {"n_steps": int(n + 1), "origin_nm": origin, "beads": beads}

    @handles(CancelZLutSweep)
    def cancel_sweep(self, cmd: CancelZLutSweep) -> None:
        """Cancel the sweep (nothing is saved)."""
        if self._sweep is not None and self._sweep["state"] in _RUNNING:
            self._sweep["state"] = "cancelled"
            self._sweep_ended()
            self._return_focus()
            self.log.info("Z-LUT sweep cancelled at plane %d of %d", self._sweep["step"],
                          self._sweep["n_steps"])

    @handles(GetZLutSweep)
    def sweep_status(self, cmd: GetZLutSweep) -> dict[str, Any] | None:
        """Progress of the current or last sweep, with the candidates' scores once built."""
        if self._sweep is None:
            return None
        s = self._sweep
        candidates = []
        for bead in s["beads"]:
            entry: dict[str, Any] = {"bead_id": bead, "error": s["errors"].get(bead)}
            score = s["scores"].get(bead)
            if score is not None:
                entry.update(score)
            candidates.append(entry)
        candidates.sort(key=lambda c: -(c.get("score") or 0.0))
        return {"state": s["state"], "step": s["step"], "n_steps": s["n_steps"],
                "beads": list(s["beads"]), "path": s["path"], "error": s["error"],
                "best": s["best"], "candidates": candidates}

    @handles(GetZLutProfiles)
    def zlut_profiles(self, cmd: GetZLutProfiles) -> dict[str, Any] | None:
        """Heights ``(n_planes,)``, profiles ``(n_planes, n_bins)`` and scores.

        None when ``bead_id=-1`` and no Z-LUT is loaded.
        """
        if cmd.bead_id < 0:
            zlut = getattr(self, "zlut", None)
            if zlut is None:
                return None
            scores = (getattr(zlut, "metadata", None) or {}).get("scores")
        else:
            zlut = self._candidate(cmd.bead_id)
            scores = self._sweep["scores"].get(cmd.bead_id) if self._sweep else None
        return {"bead_id": cmd.bead_id, "z_nm": np.asarray(zlut.z_nm).tolist(),
                "profiles": np.asarray(zlut.profiles).tolist(), "scores": scores}

    @handles(SaveZLutCandidate)
    def save_candidate(self, cmd: SaveZLutCandidate) -> dict[str, Any]:
        """Save one candidate of the last sweep (and load it when ``cmd.load``)."""
        zlut = self._candidate(cmd.bead_id)
        path = Path(cmd.path)
        _save_atomically(self.tracker, zlut, path)
        assert self._sweep is not None
        self._sweep.update(state="done", path=str(path))
        self.log.info("Z-LUT candidate of bead %d saved to %s", cmd.bead_id, path)
        if cmd.load:
            return self.load_zlut(LoadZLut(path=str(path)))
        return {"path": str(path)}

    def _candidate(self, bead_id: int) -> Any:
        s = self._sweep
        if s is None or not s["candidates"]:
            raise RuntimeError("no Z-LUT candidates: run a sweep first (StartZLutSweep)")
        if bead_id not in s["candidates"]:
            reason = s["errors"].get(bead_id)
            raise ValueError(
                f"no candidate Z-LUT for bead {bead_id}" + (f" ({reason})" if reason else "")
                + f"; candidates: {sorted(s['candidates'])}")
        return s["candidates"][bead_id]

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
                self._start_plane_captures(cmd)
            elif s["state"] == "capturing":
                self._collect_plane()
        except Exception as exc:
            self._sweep_fail(f"{type(exc).__name__}: {exc}")

    def _start_plane_captures(self, cmd: StartZLutSweep) -> None:
        s = self._sweep
        assert s is not None
        ids, _ = self._current_rois()
        present = set(ids.tolist())
        s["tokens"] = {}
        for bead in s["beads"]:
            if bead in s["lost"]:
                continue
            if bead not in present:
                s["lost"][bead] = f"its ROI was removed at plane {s['step']}"
                continue
            s["tokens"][bead] = self.start_capture(
                StartCapture(bead_id=bead, n_frames=cmd.images_per_step))
        if not s["tokens"]:
            raise RuntimeError("every bead of the sweep is gone: "
                               + "; ".join(f"bead {b}: {w}" for b, w in s["lost"].items()))
        s.update(state="capturing", t=time.monotonic())

    def _collect_plane(self) -> None:
        s = self._sweep
        assert s is not None
        for bead, token in list(s["tokens"].items()):
            crops = self.get_capture(GetCapture(token=token))
            if crops is not None:
                s["images"][bead].append(crops)
                del s["tokens"][bead]
        if s["tokens"] and time.monotonic() - s["t"] > CAPTURE_TIMEOUT_S:
            for bead, token in s["tokens"].items():
                self._captures.pop(token, None)
                s["lost"][bead] = f"no images at plane {s['step']} within {CAPTURE_TIMEOUT_S:g} s"
            s["tokens"] = {}
        if s["tokens"]:
            return
        if len(s["lost"]) == len(s["beads"]):
            raise RuntimeError("no bead gave images at plane " + str(s["step"]))
        s["step"] += 1
        if s["step"] == s["n_steps"]:
            self._sweep_finish()
        else:
            s.update(state="moving", t=time.monotonic())
            self.send(MoveFocus(z_nm=float(s["targets"][s["step"]])))

    def _sweep_finish(self) -> None:
        """Build and score one candidate per bead; save the best when a path was given."""
        s = self._sweep
        assert s is not None
        s["state"] = "scoring"
        self._return_focus()
        z = np.asarray(s["offsets"], dtype=np.float64)
        order = np.argsort(z)
        cmd: StartZLutSweep = s["cmd"]
        scorer = getattr(self.tracker, "score_zlut", None)
        for bead in s["beads"]:
            if bead in s["lost"]:
                s["errors"][bead] = s["lost"][bead]
                continue
            stack = np.stack(s["images"][bead])[order]  # (n_planes, n_images, h, w)
            source = (f"focus sweep, bead {bead}, {z[order][0]:g}..{z[order][-1]:g} nm "
                      f"step {cmd.step_nm:g} nm, {cmd.images_per_step} images per plane")
            try:
                zlut = self.tracker.make_zlut(stack, z[order], source=source)
                if scorer is not None:
                    score = scorer(zlut, stack, z[order]).to_dict()
                else:
                    score = {"score": 0.0, "usable": True, "reason": "tracker gives no scores"}
            except Exception as exc:
                s["errors"][bead] = f"{type(exc).__name__}: {exc}"
                self.log.warning("Z-LUT candidate of bead %d: %s", bead, exc)
                continue
            meta = getattr(zlut, "metadata", None)
            if isinstance(meta, dict):
                meta.update(bead_id=bead, scores=score)
            s["candidates"][bead] = zlut
            s["scores"][bead] = score
        s["images"] = {}
        self._sweep_ended()
        if not s["candidates"]:
            self._sweep_fail("no bead gave a Z-LUT: " + "; ".join(
                f"bead {b}: {e}" for b, e in s["errors"].items()))
            return
        usable = [b for b, sc in s["scores"].items() if sc.get("usable", True)]
        pool = usable or list(s["scores"])
        s["best"] = max(pool, key=lambda b: (s["scores"][b].get("score") or 0.0, -b))
        best = s["scores"][s["best"]]
        self.log.info("Z-LUT sweep: %d candidates, best bead %d (score %.3f, self-consistency "
                      "%.1f nm RMS)", len(s["candidates"]), s["best"], best.get("score", 0.0),
                      best.get("self_rms_nm", float("nan")))
        if not cmd.path:
            s["state"] = "review"
            return
        path = Path(cmd.path)
        _save_atomically(self.tracker, s["candidates"][s["best"]], path)
        s["state"] = "done"
        self.log.info("Z-LUT of %d planes (bead %d) saved to %s", len(z), s["best"], path)
        if cmd.load:
            self.load_zlut(LoadZLut(path=str(path)))
