"""The steps of a protocol: send a command, wait for something, or sleep.

Every step is a frozen attrs record that knows the line of the protocol file that made
it (``line``), how to describe itself in one line, and how long it should take when that
can be known before running (:meth:`Step.estimate_s`). Ramps are command steps
(:class:`~magscope_core.RampForce`, :class:`~magscope_core.RampMagnet`) that the runner
follows until the magnet manager says the ramp is over.

With the motors' :class:`~magscope_core.MotionModel` a plan times motor moves: a move
starts at its command and the ``wait_motor`` after it lasts until the motor arrives
(``distance / speed``; time spent in steps between them counts).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal, cast

import attrs

from magscope_core._commands import Command
from magscope_core._hardware import (
    MoveFocus,
    MoveMagnet,
    RampForce,
    RampMagnet,
    RotateMagnet,
    SetForce,
)
from magscope_core._motion import MotionModel

__all__ = [
    "CommandStep",
    "PlanState",
    "Sleep",
    "Step",
    "WaitAcquisition",
    "WaitMotor",
    "WaitTracks",
    "WaitZLutSweep",
    "format_value",
]


def format_value(value: Any) -> str:
    """Short text of a field value (floats with 4 significant digits)."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return repr(value)


@attrs.define
class PlanState:
    """What a plan knows while it adds up durations.

    Attributes
    ----------
    force_pn, magnet_mm
        The last force or magnet position asked for (None: unknown).
    motion
        The motors' models by axis (none: motor waits are unknown).
    t
        The plan's clock: when the step being estimated starts (s).
    position
        Each modelled axis's commanded position.
    arrive_at
        When each axis reaches its commanded position on the plan's clock (None: an
        axis without a model was moved, so when is unknown).
    """

    force_pn: float | None = None
    magnet_mm: float | None = None
    motion: Mapping[str, MotionModel] = attrs.field(factory=dict)
    t: float = 0.0
    position: dict[str, float] = attrs.field(factory=dict)
    arrive_at: dict[str, float | None] = attrs.field(factory=dict)

    def __attrs_post_init__(self) -> None:
        for axis, model in self.motion.items():
            self.position.setdefault(axis, model.position)
        if self.magnet_mm is None and "magnet" in self.position:
            self.magnet_mm = self.position["magnet"]

    def move(self, axis: str, target: float | None, *, start_t: float | None = None) -> None:
        """A move of ``axis`` to ``target`` begins at ``start_t`` (default: now)."""
        model = self.motion.get(axis)
        if model is None or target is None:
            self.arrive_at[axis] = None
            return
        begin = self.t if start_t is None else start_t
        self.arrive_at[axis] = begin + model.seconds(self.position[axis], target)
        self.position[axis] = target

    def magnet_for(self, force_pn: float | None) -> float | None:
        """The magnet position of a force (None without a calibrated magnet model)."""
        model = self.motion.get("magnet")
        if force_pn is None or model is None or model.position_for_force is None:
            return None
        return float(model.position_for_force(force_pn))

    def wait_s(self, axes: tuple[str, ...]) -> float | None:
        """How long a wait for ``axes`` lasts from now (None: unknown)."""
        left = 0.0
        for axis in axes:
            if axis not in self.motion:
                return None
            when = self.arrive_at.get(axis, self.t)
            if when is None:
                return None
            left = max(left, when - self.t)
        return left


@attrs.frozen
class Step:
    """Base of every step; ``line`` is the protocol file's line that made it (0: none)."""

    line: int = attrs.field(kw_only=True, default=0)

    def describe(self) -> str:
        """One line for plans and progress displays."""
        raise NotImplementedError

    def estimate_s(self, state: PlanState) -> float | None:
        """Expected duration in seconds, None when it depends on the hardware or data.

        May update ``state`` (the force a step leaves the magnet at).
        """
        return 0.0


@attrs.frozen
class CommandStep(Step):
    """Send ``command`` and wait for its reply; a ramp also waits until it is over.

    Parameters
    ----------
    command
        A scriptable command.
    timeout_s
        How long to wait for the reply (and for a ramp, for its end beyond its plan).
    """

    command: Command
    timeout_s: float = 10.0

    @property
    def is_ramp(self) -> bool:
        """Whether the magnet manager runs this command over time (a ramp)."""
        return isinstance(self.command, (RampForce, RampMagnet))

    def describe(self) -> str:
        fields = ", ".join(f"{f.name}={format_value(getattr(self.command, f.name))}"
                           for f in attrs.fields(cast(Any, type(self.command))))
        return f"{self.command.command_name}({fields})"

    def estimate_s(self, state: PlanState) -> float | None:
        cmd = self.command
        if isinstance(cmd, SetForce):
            state.force_pn, state.magnet_mm = cmd.force_pn, state.magnet_for(cmd.force_pn)
            state.move("magnet", state.magnet_mm)
        elif isinstance(cmd, MoveMagnet):
            state.force_pn, state.magnet_mm = None, cmd.position_mm
            state.move("magnet", cmd.position_mm)
        elif isinstance(cmd, MoveFocus):
            state.move("focus", cmd.z_nm)
        elif isinstance(cmd, RotateMagnet):
            state.move("rotation", cmd.turns)
        elif isinstance(cmd, (RampForce, RampMagnet)):
            return self._ramp_s(state)
        return 0.0

    def _ramp_s(self, state: PlanState) -> float | None:
        """A ramp: the move to its start (at full speed), then the ramp itself."""
        cmd = self.command
        to_start = 0.0
        if isinstance(cmd, RampForce):
            start, stop = cmd.start_pn, cmd.stop_pn
            start_mm = state.magnet_for(start)
            if start is None:
                start = state.force_pn
            ramp = None if start is None else abs(stop - start) / cmd.rate_pn_s
            stop_mm = state.magnet_for(stop)
            state.force_pn = stop
        else:
            assert isinstance(cmd, RampMagnet)
            start_mm, stop_mm = cmd.start_mm, cmd.stop_mm
            begin = start_mm if start_mm is not None else state.magnet_mm
            ramp = None if begin is None else abs(stop_mm - begin) / cmd.speed_mm_s
            state.force_pn = None
        if start_mm is not None:  # first at full speed to the start (a modelled magnet)
            state.move("magnet", start_mm)
            to_start = state.wait_s(("magnet",)) or 0.0
        if ramp is None:
            state.magnet_mm = stop_mm
            state.move("magnet", None)
            return None
        state.magnet_mm = stop_mm
        if stop_mm is None or "magnet" not in state.motion:
            state.move("magnet", None)
        else:  # the runner follows the ramp to its end: the magnet is there then
            state.position["magnet"] = stop_mm
            state.arrive_at["magnet"] = state.t + to_start + ramp
        return to_start + ramp


def _finite_nonneg(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
        raise ValueError(f"{attribute.name} must be a finite number >= 0, got {value!r}")


@attrs.frozen
class Sleep(Step):
    """Wait ``seconds`` (time spent paused does not count)."""

    seconds: float = attrs.field(converter=float, validator=_finite_nonneg)

    def describe(self) -> str:
        return f"sleep {self.seconds:g} s"

    def estimate_s(self, state: PlanState) -> float | None:
        return self.seconds


@attrs.frozen
class _Wait(Step):
    timeout_s: float = attrs.field(converter=float, validator=_finite_nonneg, kw_only=True,
                                   default=60.0)

    def estimate_s(self, state: PlanState) -> float | None:
        return None


@attrs.frozen
class WaitMotor(_Wait):
    """Wait until a motor (``"focus"`` or ``"magnet"``) is at its target, ramps ended."""

    axis: Literal["focus", "magnet"] = attrs.field(
        default="magnet", validator=attrs.validators.in_(("focus", "magnet")))

    def describe(self) -> str:
        return f"wait until the {self.axis} is at its target (timeout {self.timeout_s:g} s)"

    def estimate_s(self, state: PlanState) -> float | None:
        """Until the motor arrives (its model's speed); None for a motor without a model."""
        axes = ("magnet", "rotation") if self.axis == "magnet" else ("focus",)
        known = tuple(a for a in axes if a in state.motion or a in state.arrive_at)
        left = state.wait_s(known or axes[:1])
        if left is None:
            return None
        return min(left, self.timeout_s)


@attrs.frozen
class WaitAcquisition(_Wait):
    """Wait until acquisition is on (``on=True``) or off."""

    on: bool = True

    def describe(self) -> str:
        state = "on" if self.on else "off"
        return f"wait until acquisition is {state} (timeout {self.timeout_s:g} s)"


@attrs.frozen
class WaitZLutSweep(_Wait):
    """Wait until the running Z-LUT sweep is done (a failed or cancelled one fails it)."""

    def describe(self) -> str:
        return f"wait until the Z-LUT sweep is done (timeout {self.timeout_s:g} s)"


@attrs.frozen
class WaitTracks(_Wait):
    """Wait until a bead's tracked value crosses a threshold.

    The mean of the newest ``frames`` rows of bead ``bead`` (only rows tracked after
    the step began) is compared with ``above`` and/or ``below``: the wait ends when it
    is greater than ``above`` or less than ``below``. With ``on_timeout="continue"`` a
    timeout goes on to the next step instead of failing the protocol.
    """

    bead: int = attrs.field(default=0, converter=int)
    column: Literal["x", "y", "z"] = attrs.field(
        default="z", validator=attrs.validators.in_(("x", "y", "z")))
    above: float | None = None
    below: float | None = None
    frames: int = attrs.field(default=1, converter=int)
    on_timeout: Literal["fail", "continue"] = attrs.field(
        default="fail", validator=attrs.validators.in_(("fail", "continue")))

    def __attrs_post_init__(self) -> None:
        if self.above is None and self.below is None:
            raise ValueError("wait_tracks needs above=... or below=... (a threshold in nm)")
        for name in ("above", "below"):
            v = getattr(self, name)
            if v is not None and not (isinstance(v, (int, float)) and math.isfinite(v)):
                raise ValueError(f"{name} must be a finite number (nm), got {v!r}")
        if self.frames < 1:
            raise ValueError(f"frames must be >= 1, got {self.frames}")

    def describe(self) -> str:
        cond = " or ".join(
            f"{self.column} {op} {v:g} nm"
            for op, v in ((">", self.above), ("<", self.below)) if v is not None)
        return f"wait until bead {self.bead}: {cond} (timeout {self.timeout_s:g} s)"

    def met(self, value: float) -> bool:
        """Whether ``value`` (nm) meets the condition."""
        return bool((self.above is not None and value > self.above)
                    or (self.below is not None and value < self.below))
