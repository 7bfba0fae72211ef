"""Magnet ramps run by the simulated magnet motor: force (pN/s) and position (mm/s).

A ramp is a target that moves with time. The magnet manager asks :meth:`MagnetRamp.target`
on every tick and moves its axis there, so the ramp runs inside the manager process (as a
real controller's trajectory would), not in a script that sleeps between small moves.
A ramp that starts away from the present position first *approaches* its start at the
motor's full speed; its clock starts when the motor gets there.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import attrs

__all__ = ["MagnetRamp", "force_profile", "position_profile"]


def force_profile(start_pn: float, stop_pn: float, rate_pn_s: float,
                  scale: str) -> tuple[float, Callable[[float], float]]:
    """``(duration_s, force(t))`` of a force ramp (see :class:`magscope_core.RampForce`).

    Raises
    ------
    ValueError
        A force or rate that is not finite and > 0, or an unknown scale.
    """
    for name, value in (("start", start_pn), ("stop", stop_pn), ("rate", rate_pn_s)):
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"force ramp: {name} must be finite and > 0, got {value!r}")
    if scale not in ("linear", "log"):
        raise ValueError(f"force ramp: scale {scale!r} is not 'linear' or 'log'")
    duration = abs(stop_pn - start_pn) / rate_pn_s
    if duration == 0:
        return 0.0, lambda t: stop_pn

    def linear(t: float) -> float:
        u = min(max(t / duration, 0.0), 1.0)
        return start_pn + (stop_pn - start_pn) * u

    def log(t: float) -> float:
        u = min(max(t / duration, 0.0), 1.0)
        return float(start_pn * (stop_pn / start_pn) ** u)

    return duration, linear if scale == "linear" else log


def position_profile(start_mm: float, stop_mm: float,
                     speed_mm_s: float) -> tuple[float, Callable[[float], float]]:
    """``(duration_s, position(t))`` of a position ramp at constant speed."""
    if not (math.isfinite(speed_mm_s) and speed_mm_s > 0):
        raise ValueError(f"magnet ramp: speed must be finite and > 0, got {speed_mm_s!r}")
    duration = abs(stop_mm - start_mm) / speed_mm_s

    def position(t: float) -> float:
        u = min(max(t / duration, 0.0), 1.0) if duration > 0 else 1.0
        return start_mm + (stop_mm - start_mm) * u

    return duration, position


@attrs.define
class MagnetRamp:
    """A running ramp: where the magnet should be at each moment.

    Parameters
    ----------
    kind
        ``"force"`` or ``"position"`` (for logs).
    duration_s
        Length of the ramp once it started.
    position_at
        Magnet position (mm) ``t`` seconds into the ramp.
    start_mm
        Where the ramp starts (the approach goes there first).
    """

    kind: str
    duration_s: float
    position_at: Callable[[float], float]
    start_mm: float
    started: float | None = None
    """Monotonic time the ramp's clock started (None while approaching)."""
    held_at: float | None = None
    """Monotonic time the ramp was held (None: running)."""

    def hold(self, now: float) -> None:
        """Stop the ramp's clock (the target stays where it is)."""
        if self.held_at is None:
            self.held_at = now

    def release(self, now: float) -> None:
        """Restart the clock: the ramp goes on from where it was held."""
        if self.held_at is not None:
            if self.started is not None:
                self.started += now - self.held_at
            self.held_at = None

    def target(self, now: float, position_mm: float, tolerance_mm: float) -> float:
        """Target position at monotonic time ``now`` (``position_mm``: where the axis is)."""
        if self.held_at is not None:
            now = self.held_at
            if self.started is None:
                return position_mm  # held during the approach: stay
        if self.started is None:
            if abs(position_mm - self.start_mm) > tolerance_mm:
                return self.start_mm
            self.started = now
        return self.position_at(now - self.started)

    def finished(self, now: float) -> bool:
        """Whether the ramp's time is over (the axis may still be arriving)."""
        return (self.held_at is None and self.started is not None
                and now - self.started >= self.duration_s)
