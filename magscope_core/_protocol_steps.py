"""The steps of a protocol: send a command, wait for something, or sleep.

Every step is a frozen attrs record that knows the line of the protocol file that made
it (``line``), how to describe itself in one line, and how long it should take when that
can be known before running (:meth:`Step.estimate_s`). Ramps are command steps
(:class:`~magscope_core.RampForce`, :class:`~magscope_core.RampMagnet`) that the runner
follows until the magnet manager says the ramp is over.
"""

from __future__ import annotations

import math
from typing import Any, Literal, cast

import attrs

from magscope_core._commands import Command
from magscope_core._hardware import MoveMagnet, RampForce, RampMagnet, SetForce

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
    """What a plan knows while it adds up durations (the last force asked for)."""

    force_pn: float | None = None
    magnet_mm: float | None = None


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
            state.force_pn, state.magnet_mm = cmd.force_pn, None
        elif isinstance(cmd, MoveMagnet):
            state.force_pn, state.magnet_mm = None, cmd.position_mm
        elif isinstance(cmd, RampForce):
            start = cmd.start_pn if cmd.start_pn is not None else state.force_pn
            state.force_pn, state.magnet_mm = cmd.stop_pn, None
            return None if start is None else abs(cmd.stop_pn - start) / cmd.rate_pn_s
        elif isinstance(cmd, RampMagnet):
            start = cmd.start_mm if cmd.start_mm is not None else state.magnet_mm
            state.force_pn, state.magnet_mm = None, cmd.stop_mm
            return None if start is None else abs(cmd.stop_mm - start) / cmd.speed_mm_s
        return 0.0


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
