"""A kinematic single-axis motor: constant-speed moves between limits.

Used for the simulated focus motor (nm) and the magnet stage (mm). The manager process that
owns an axis calls :meth:`MotorAxis.update` with the time elapsed since its last call and
reads :attr:`MotorAxis.position`; it never needs a thread of its own.
"""

from __future__ import annotations

import math
from typing import Any

import attrs

__all__ = ["MotorAxis"]


def _finite(instance: Any, attribute: attrs.Attribute[Any], value: float) -> None:
    if not math.isfinite(value):
        raise ValueError(f"MotorAxis.{attribute.name} must be finite, got {value!r}")


@attrs.define
class MotorAxis:
    """Position, target, speed and limits of one motor axis.

    Parameters
    ----------
    name
        Axis name used in error messages (``"focus"``, ``"magnet"``).
    units
        Position units (``"nm"``, ``"mm"``).
    lower, upper
        Travel limits.
    position
        Current position (within the limits).
    speed
        Travel speed in units per second (``0 < speed <= max_speed``).
    max_speed
        Largest allowed speed.
    tolerance
        :attr:`at_target` is true within this distance of the target.
    """

    name: str
    units: str
    lower: float = attrs.field(converter=float, validator=_finite)
    upper: float = attrs.field(converter=float, validator=_finite)
    position: float = attrs.field(converter=float, validator=_finite)
    speed: float = attrs.field(converter=float, validator=_finite)
    max_speed: float = attrs.field(converter=float, validator=_finite)
    tolerance: float = attrs.field(converter=float, validator=_finite)
    target: float = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        where = f"MotorAxis({self.name!r})"
        if not self.lower < self.upper:
            raise ValueError(f"{where}: lower limit {self.lower} must be < upper {self.upper}")
        if not self.lower <= self.position <= self.upper:
            raise ValueError(f"{where}: position {self.position} {self.units} outside "
                             f"{self.lower}..{self.upper}")
        if not self.max_speed > 0:
            raise ValueError(f"{where}: max_speed must be > 0, got {self.max_speed}")
        if not self.tolerance >= 0:
            raise ValueError(f"{where}: tolerance must be >= 0, got {self.tolerance}")
        self.set_speed(self.speed)
        self.target = self.position

    @classmethod
    def focus(cls, position_nm: float = 0.0) -> MotorAxis:
        """Focus (objective) axis: +/-10 um, 1000 nm/s (max 10 um/s), 10 nm tolerance."""
        return cls("focus", "nm", -10_000.0, 10_000.0, position_nm, 1000.0, 10_000.0, 10.0)

    @classmethod
    def magnet(cls, position_mm: float = 10.0) -> MotorAxis:
        """Magnet stage: 0..34.5 mm (0 = closest), 1 mm/s (max 10), 1 um tolerance."""
        return cls("magnet", "mm", 0.0, 34.5, position_mm, 1.0, 10.0, 0.001)

    @property
    def is_moving(self) -> bool:
        """Whether the axis has not reached its target yet."""
        return self.position != self.target

    @property
    def at_target(self) -> bool:
        """Whether the position is within :attr:`tolerance` of the target."""
        return abs(self.position - self.target) <= self.tolerance

    def set_speed(self, speed: float) -> None:
        """Set the travel speed (units/s, ``0 < speed <= max_speed``)."""
        s = float(speed)
        if not (math.isfinite(s) and 0 < s <= self.max_speed):
            raise ValueError(f"MotorAxis({self.name!r}): speed {speed!r} {self.units}/s outside "
                             f"(0, {self.max_speed}]")
        self.speed = s

    def move_to(self, target: float, *, clip: bool = False) -> float:
        """Start a move to ``target``; returns the target actually set.

        Parameters
        ----------
        target
            Destination.
        clip
            Clip an out-of-range target to the limits instead of raising ``ValueError``.
        """
        t = float(target)
        if not math.isfinite(t):
            raise ValueError(f"MotorAxis({self.name!r}): target must be finite, got {target!r}")
        if not self.lower <= t <= self.upper:
            if not clip:
                raise ValueError(f"MotorAxis({self.name!r}): target {t} {self.units} outside "
                                 f"{self.lower}..{self.upper}")
            t = min(max(t, self.lower), self.upper)
        self.target = t
        return t

    def stop(self) -> None:
        """Stop where the axis is now."""
        self.target = self.position

    def update(self, dt_s: float) -> float:
        """Advance the axis by ``dt_s`` seconds at constant speed; returns the new position."""
        if not dt_s >= 0:
            raise ValueError(f"MotorAxis({self.name!r}).update: dt must be >= 0, got {dt_s!r}")
        step = self.speed * dt_s
        delta = self.target - self.position
        self.position = self.target if abs(delta) <= step else self.position + math.copysign(
            step, delta
        )
        return self.position
