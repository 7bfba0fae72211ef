"""The XY- and Z-locks: a manager process that keeps beads centred and in focus.

The ``locks`` manager (contributed by the core) reads the shared tracks matrix, never the
GUI. A session starts it only when wanted (``plan_session(locks=True)``: ``magscope run
--xy-lock/--z-lock``, the GUI, a protocol sending a lock command); a lock command sent
to a session without it is answered with :data:`ENABLE_LOCKS`.

- the **XY-lock** moves each bead's ROI (``MoveBead``) towards the bead when the bead's
  mean position over a window of fresh rows is off the ROI centre by more than a dead
  band; a bead whose ROI just moved waits for rows tracked in its new ROI;
- the **Z-lock** holds one reference bead's Z at a target by moving the focus
  (``MoveFocus``); without a target it adopts the bead's current Z. It needs a focus
  motor (without one it stays off and says why), pauses during a Z-LUT sweep, and when
  someone else moves the focus it starts over from the Z measured after that move.

Every correction is logged and recorded in the manager's telemetry ring (columns
:attr:`LockManager.telemetry_columns`; the telemetry writer saves it as ``locks.txt``).
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import attrs
import numpy as np

from magscope_core._beads import MoveBead
from magscope_core._commands import Command, CommandSpec, Route
from magscope_core._hardware import GetFocus, HardwareManager, MoveFocus
from magscope_core._lock_control import (
    XYLockParams,
    ZLockParams,
    xy_corrections,
    z_correction,
)
from magscope_core._manager import handles
from magscope_core._messages import CommandError
from magscope_core._zlut_sweep import GetZLutSweep

__all__ = [
    "ENABLE_LOCKS",
    "LOCKS_MANAGER",
    "LOCK_COMMANDS",
    "LOCK_COMMAND_TYPES",
    "GetLocks",
    "LockManager",
    "SetXYLock",
    "SetZLock",
]

LOCKS_MANAGER = "locks"
"""Routing name of the lock manager."""
XY_LOCK, Z_LOCK = 1.0, 2.0
"""Values of the telemetry column ``lock``."""
_KEEP_S = 30.0  # rows kept in memory: the longest window allowed
_SWEEPING = ("moving", "settling", "capturing")


def _bead_ids(value: Any) -> tuple[int, ...] | None:
    """``None`` (every bead) or the bead ids as a tuple (a protocol may give a list)."""
    if value is None or isinstance(value, tuple):
        return value
    if isinstance(value, (list, range)):
        return tuple(value)
    return value  # type: ignore[no-any-return]  # validate_command names the wrong type


@attrs.frozen
class SetXYLock(Command):
    """Turn the XY-lock on or off; returns the lock's state (as :class:`GetLocks`).

    ``once`` centres the beads one time, then turns the lock off. ``beads`` are the ids
    of the beads whose ROIs the lock moves (None: every bead, also beads added later).
    Windows longer than 30 s are refused.
    """

    on: bool = True
    once: bool = False
    window_s: float = 1.0
    dead_band_px: float = 0.5
    max_step_px: int = 3
    interval_s: float = 1.0
    beads: tuple[int, ...] | None = attrs.field(default=None, converter=_bead_ids)


@attrs.frozen
class SetZLock(Command):
    """Turn the Z-lock on (on ``bead_id``) or off; returns the lock's state.

    ``target_nm`` None adopts the bead's current Z as the target.
    """

    on: bool = True
    bead_id: int | None = None
    target_nm: float | None = None
    window_s: float = 1.0
    max_correction_nm: float = 200.0
    gain: float = 1.0
    interval_s: float = 1.0


@attrs.frozen
class GetLocks(Command):
    """Return both locks' state: ``{"xy": {...}, "z": {...}}``.

    Each has: on, its parameters, a status line, the number of corrections and the last
    ones.
    """


ENABLE_LOCKS = ("the locks run in the 'locks' manager, started only when wanted: use "
                "'magscope run --xy-lock' or '--z-lock BEAD', the GUI, a protocol that "
                "sends a lock command, or plan_session(..., locks=True)")
"""How to get the ``locks`` manager into a session (said when it is not there)."""

LOCK_COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(SetXYLock, Route.DIRECT, True, "XY-lock on/off: keep beads centred in ROIs",
                enable_hint=ENABLE_LOCKS),
    CommandSpec(SetZLock, Route.DIRECT, True, "Z-lock on/off: hold a bead's Z with the focus",
                enable_hint=ENABLE_LOCKS),
    CommandSpec(GetLocks, Route.DIRECT, True, "state and recent corrections of both locks",
                enable_hint=ENABLE_LOCKS),
)
LOCK_COMMAND_TYPES: tuple[type[Command], ...] = tuple(c.command for c in LOCK_COMMANDS)
"""The commands that need the ``locks`` manager."""


def _check_window(window_s: float) -> None:
    if window_s > _KEEP_S:
        raise ValueError(f"window_s: {window_s:g} s rejected; allowed: at most {_KEEP_S:g} s")


class LockManager(HardwareManager):
    """Runs the XY-lock and the Z-lock (see the module docstring)."""

    tick_interval: float | None = 0.1
    telemetry_columns: ClassVar[tuple[str, ...]] = (
        "lock", "bead", "dx_px", "dy_px", "step_x_px", "step_y_px", "z_nm", "target_nm",
        "correction_nm", "focus_nm")
    """Telemetry row of a correction: ``lock`` is 1 (XY) or 2 (Z); the columns of the other
    lock are 0 (the telemetry writer drops rows holding NaN)."""
    telemetry_capacity: ClassVar[int] = 20_000

    def setup(self) -> None:
        """Start with both locks off (no ticks until one is turned on)."""
        self.tick_interval = None
        self._cursor = int(self.resources.tracks().total_written)
        self._rows = np.empty((0, 7))
        self._xy: dict[str, Any] = {"on": False, "once": False, "params": XYLockParams(),
                                    "beads": None,
                                    "status": "off", "corrections": 0, "recent": [],
                                    "next": 0.0, "moved_at": {}}
        self._z: dict[str, Any] = {"on": False, "bead": None, "target": None,
                                   "adopted": False, "params": ZLockParams(),
                                   "status": "off", "corrections": 0, "recent": [],
                                   "next": 0.0, "commanded": None, "settled_at": None,
                                   "z": None, "next_correction": 0.0}
        if not self._focus_installed():
            self._z["status"] = self._no_focus_reason()
        self._kept: dict[str, Any] | None = None
        if self.kept_state:
            self._restore(self.kept_state)

    # ------------------------------------------------------------------ commands
    @handles(SetXYLock)
    def set_xy(self, cmd: SetXYLock) -> dict[str, Any]:
        """Turn the XY-lock on or off."""
        params = XYLockParams(window_s=cmd.window_s, dead_band_px=cmd.dead_band_px,
                              max_step_px=cmd.max_step_px, interval_s=cmd.interval_s)
        _check_window(cmd.window_s)
        beads = None if cmd.beads is None else tuple(sorted({int(b) for b in cmd.beads}))
        if cmd.on and beads is not None:
            ids = self.resources.rois().snapshot().ids.tolist()
            missing = [b for b in beads if b not in ids]
            if missing or not beads:
                what = f"no bead {', '.join(map(str, missing))}" if missing else "no ids"
                raise ValueError(
                    f"SetXYLock.beads: {what}; allowed: ids of beads in the session "
                    f"({', '.join(map(str, ids)) or 'none'}), or None for every bead")
        xy = self._xy
        xy.update(on=bool(cmd.on), once=bool(cmd.once), params=params, next=0.0, beads=beads)
        which = "every bead" if beads is None else f"beads {', '.join(map(str, beads))}"
        xy["status"] = (f"centring {which} once" if cmd.once else "on") if cmd.on else "off"
        self._ticking()
        self.log.info("XY-lock %s for %s (window %g s, dead band %g px, max step %d px, every "
                      "%g s)", "once" if cmd.once and cmd.on else "on" if cmd.on else "off",
                      which, params.window_s, params.dead_band_px, params.max_step_px,
                      params.interval_s)
        self._keep()
        return dict(self._state()["xy"])

    @handles(SetZLock)
    def set_z(self, cmd: SetZLock) -> dict[str, Any]:
        """Turn the Z-lock on or off."""
        z = self._z
        if not cmd.on:
            z.update(on=False, status="off")
            self._ticking()
            self.log.info("Z-lock off")
            self._keep()
            return dict(self._state()["z"])
        if not self._focus_installed():
            z.update(on=False, status=self._no_focus_reason())
            raise ValueError(z["status"])
        params = ZLockParams(window_s=cmd.window_s, max_correction_nm=cmd.max_correction_nm,
                             gain=cmd.gain, interval_s=cmd.interval_s)
        _check_window(cmd.window_s)
        if cmd.bead_id is None:
            raise ValueError("SetZLock.bead_id: name the reference bead (a bead id)")
        ids = self.resources.rois().snapshot().ids.tolist()
        if cmd.bead_id not in ids:
            raise ValueError(f"SetZLock.bead_id: no bead {cmd.bead_id}; beads: "
                             f"{', '.join(map(str, ids)) or 'none'}")
        if cmd.target_nm is not None and not np.isfinite(cmd.target_nm):
            raise ValueError(f"SetZLock.target_nm: {cmd.target_nm!r} rejected; allowed: a "
                             "finite height in nm, or None to adopt the current Z")
        z.update(on=True, bead=int(cmd.bead_id), target=cmd.target_nm,
                 adopted=cmd.target_nm is None, params=params, next=0.0, commanded=None,
                 settled_at=None, next_correction=0.0, status="waiting for the focus")
        self._ticking()
        self.log.info("Z-lock on bead %d, target %s (window %g s, max %g nm, gain %g, "
                      "every %g s)", cmd.bead_id,
                      "the current Z" if cmd.target_nm is None else f"{cmd.target_nm:g} nm",
                      params.window_s, params.max_correction_nm, params.gain,
                      params.interval_s)
        self._keep()
        return dict(self._state()["z"])

    def _ticking(self) -> None:
        """Tick every 0.1 s while a lock is on; sleep (heartbeats only) while both are off.

        Called from command handlers only: the loop reads ``tick_interval`` right after
        :meth:`tick`, so a tick must never set it to None.
        """
        self.tick_interval = 0.1 if self._xy["on"] or self._z["on"] else None

    @handles(GetLocks)
    def get_locks(self, cmd: GetLocks) -> dict[str, Any]:
        """Both locks' state."""
        return self._state()

    def _state(self) -> dict[str, Any]:
        xy, z = self._xy, self._z
        return {
            "xy": {"on": xy["on"], "once": xy["once"], "status": xy["status"],
                   "beads": None if xy["beads"] is None else list(xy["beads"]),
                   "corrections": xy["corrections"], "recent": list(xy["recent"]),
                   **attrs.asdict(xy["params"])},
            "z": {"on": z["on"], "bead_id": z["bead"], "target_nm": z["target"],
                  "adopted": z["adopted"], "z_nm": z["z"], "status": z["status"],
                  "corrections": z["corrections"], "recent": list(z["recent"]),
                  "focus_installed": self._focus_installed(),
                  **attrs.asdict(z["params"])},
        }

    # ------------------------------------------------------------------ loop
    def tick(self) -> None:
        """Read new tracks rows; run whichever lock is due."""
        if not (self._xy["on"] or self._z["on"]):
            return  # "once" finished or a lock stopped itself: idle until the next command
        now = time.time()
        self._read_rows(now)
        for lock, run, every in ((self._xy, self._run_xy, self._xy["params"].interval_s),
                                 (self._z, self._run_z, min(self._z["params"].interval_s, 0.2))):
            if lock["on"] and now >= lock["next"]:
                lock["next"] = now + every
                try:
                    run(now)
                except Exception as exc:  # a bug or a buffer problem: the lock says so, stops
                    lock.update(on=False, status=f"stopped by an error: {exc}")
                    self.log.exception("%s-lock stopped by an error",
                                       "XY" if lock is self._xy else "Z")
        self._keep()

    def _read_rows(self, now: float) -> None:
        tracks = self.resources.tracks()
        got = tracks.read_since(self._cursor)
        self._cursor = got.cursor
        rows = np.concatenate([self._rows, got.rows]) if len(got.rows) else self._rows
        newest = float(rows[:, 0].max()) if len(rows) else now
        self._rows = rows[rows[:, 0] >= newest - _KEEP_S - 1.0]

    def _data_time(self, now: float) -> float:
        """Time of the newest row read.

        Windows end there, not at the wall clock, so a tracker running late (a busy
        machine) delays the locks but never starves them.
        """
        return float(self._rows[:, 0].max()) if len(self._rows) else now

    def _nm_per_px(self) -> float:
        info = self.resources.camera_info
        return float(info.nm_per_px) if info is not None else 1.0

    def _run_xy(self, now: float) -> None:
        xy = self._xy
        snap = self.resources.rois().snapshot()
        rois = [(int(i), int(r[0]), int(r[1]), int(r[2]))
                for i, r in zip(snap.ids, snap.rois, strict=True)
                if xy["beads"] is None or int(i) in xy["beads"]]
        moves, waiting = xy_corrections(self._rows, rois, self._nm_per_px(), xy["params"],
                                        now=self._data_time(now), moved_at=xy["moved_at"])
        for m in moves:
            try:
                self.call(MoveBead(bead_id=m.bead, x=m.x, y=m.y), timeout=2.0)
            except CommandError as exc:
                self.log.warning("XY-lock: bead %d off by (%+.2f, %+.2f) px, ROI not moved: %s",
                                 m.bead, m.dx_px, m.dy_px, exc)
                continue
            xy["moved_at"][m.bead] = time.time()
            xy["corrections"] += 1
            entry = {"t": time.time(), "bead": m.bead, "dx_px": m.dx_px, "dy_px": m.dy_px,
                     "step_x": m.step_x, "step_y": m.step_y}
            xy["recent"] = [*xy["recent"][-19:], entry]
            self.log.info("XY-lock: bead %d off by (%+.2f, %+.2f) px over %d rows: ROI moved "
                          "by (%+d, %+d) px", m.bead, m.dx_px, m.dy_px, m.rows, m.step_x,
                          m.step_y)
            self.record(XY_LOCK, m.bead, m.dx_px, m.dy_px, m.step_x, m.step_y, 0.0, 0.0, 0.0,
                        0.0)
        judged = len(rois) - len(waiting)
        if xy["once"] and rois and not waiting:
            xy.update(on=False, once=False,
                      status=f"centred {len(rois)} beads once ({len(moves)} moved); off")
            self.log.info("XY-lock: %s", xy["status"])
            return
        xy["status"] = (f"{judged} beads judged, {len(moves)} moved, {len(waiting)} waiting "
                        "for fresh rows" if rois else "no beads")

    def _run_z(self, now: float) -> None:
        z = self._z
        try:
            sweep = self.call(GetZLutSweep(), timeout=1.0) or {}  # None: no sweep yet
            if sweep.get("state") in _SWEEPING:
                # afterwards it starts over: a new Z-LUT may give Z another reference
                z.update(status="paused: a Z-LUT sweep is running", commanded=None,
                         settled_at=None, target=None, adopted=True)
                return
            focus = self.call(GetFocus(), timeout=1.0)
        except CommandError as exc:
            z["status"] = f"waiting: {exc}"
            return
        target_focus = float(focus["target_nm"])
        if z["commanded"] is not None and abs(target_focus - z["commanded"]) > 0.5:
            self.log.info("Z-lock: the focus was moved to %g nm by someone else: starting over "
                          "from the Z measured there", target_focus)
            z.update(target=None, adopted=True, settled_at=None)
        z["commanded"] = target_focus
        if not focus["at_target"]:
            z.update(status="waiting for the focus to arrive", settled_at=None)
            return
        if z["settled_at"] is None:
            z["settled_at"] = time.time()
        params: ZLockParams = z["params"]
        mine = self._rows[self._rows[:, 4] == z["bead"]]
        newest = float(mine[:, 0].max()) if len(mine) else now
        rows = mine[mine[:, 0] > max(z["settled_at"], newest - params.window_s)]
        finite = rows[np.isfinite(rows[:, 3])]
        if len(finite) < params.min_rows:
            z["status"] = ("no Z for the bead: is a Z-LUT loaded?" if len(rows) >= params.min_rows
                           else "waiting for fresh rows")
            return
        if z["target"] is None:
            z["target"] = float(finite[:, 3].mean())
            z["z"] = z["target"]
            z["status"] = f"holding bead {z['bead']} at Z {z['target']:.1f} nm (adopted)"
            self.log.info("Z-lock: target adopted: bead %d at Z %.1f nm", z["bead"], z["target"])
            return
        if now < z["next_correction"]:
            return
        z_mean, corr = z_correction(finite[:, 3], z["target"], params)
        z["z"] = z_mean
        z["next_correction"] = now + params.interval_s
        z["status"] = f"holding bead {z['bead']} at Z {z['target']:.1f} nm"
        if abs(corr) < 0.5:
            return
        try:
            new = float(self.call(MoveFocus(z_nm=target_focus + corr), timeout=2.0))
        except CommandError as exc:
            z["status"] = f"focus move refused: {exc}"
            self.log.warning("Z-lock: %s", z["status"])
            return
        z.update(commanded=new, settled_at=None)
        z["corrections"] += 1
        entry = {"t": time.time(), "bead": z["bead"], "z_nm": z_mean, "target_nm": z["target"],
                 "correction_nm": corr, "focus_nm": new}
        z["recent"] = [*z["recent"][-19:], entry]
        self.log.info("Z-lock: bead %d at Z %.1f nm, target %.1f nm over %d rows: focus %+.1f "
                      "nm -> %.1f nm", z["bead"], z_mean, z["target"], len(finite), corr, new)
        self.record(Z_LOCK, z["bead"], 0.0, 0.0, 0.0, 0.0, z_mean, z["target"], corr, new)

    # ------------------------------------------------------------------ restarts
    def _snapshot(self) -> dict[str, Any]:
        """What a restarted process needs to carry on (plain data)."""
        xy, z = self._xy, self._z
        return {
            "xy": {"on": xy["on"], "once": xy["once"], "beads": xy["beads"],
                   "params": attrs.asdict(xy["params"]), "corrections": xy["corrections"],
                   "recent": list(xy["recent"])},
            "z": {"on": z["on"], "bead": z["bead"], "target": z["target"],
                  "adopted": z["adopted"], "params": attrs.asdict(z["params"]),
                  "corrections": z["corrections"], "recent": list(z["recent"])},
        }

    def _keep(self) -> None:
        """Hand the state to the hub when it changed (see :meth:`keep_state`)."""
        snap = self._snapshot()
        if snap != self._kept:
            self._kept = snap
            self.keep_state(snap)

    def _restore(self, kept: dict[str, Any]) -> None:
        """Carry on after a restart: both locks as they were (on/off, targets, settings)."""
        xy, z = dict(kept.get("xy", {})), dict(kept.get("z", {}))
        self._xy.update(on=bool(xy.get("on")), once=bool(xy.get("once")),
                        beads=xy.get("beads"), params=XYLockParams(**xy.get("params", {})),
                        corrections=int(xy.get("corrections", 0)),
                        recent=list(xy.get("recent", [])))
        self._xy["status"] = "on (restored after a restart)" if self._xy["on"] else "off"
        z_on = bool(z.get("on")) and self._focus_installed()
        self._z.update(on=z_on, bead=z.get("bead"), target=z.get("target"),
                       adopted=bool(z.get("adopted")), params=ZLockParams(**z.get("params", {})),
                       corrections=int(z.get("corrections", 0)),
                       recent=list(z.get("recent", [])))
        if z_on:
            self._z["status"] = "restored after a restart: waiting for the focus"
        self._ticking()
        self._kept = self._snapshot()
        target = self._z["target"]
        self.log.warning(
            "locks restored after a restart: XY-lock %s, Z-lock %s",
            "on" if self._xy["on"] else "off",
            f"on bead {self._z['bead']}, target "
            f"{'to adopt' if target is None else f'{target:.1f} nm'}" if z_on else "off")

    # ------------------------------------------------------------------ focus motor
    def _focus_installed(self) -> bool:
        try:
            return bool(self._registry.get(MoveFocus).owners)
        except Exception:
            return False

    @staticmethod
    def _no_focus_reason() -> str:
        return ("Z-lock disabled: no focus motor is installed (no plugin handles MoveFocus); "
                "install a focus motor plugin")
