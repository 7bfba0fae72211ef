"""Hardware managers: the base class, telemetry, and the standard motor commands.

A focus motor plugin handles :class:`MoveFocus` and :class:`GetFocus`; a magnet motor
plugin handles :class:`MoveMagnet`, :class:`SetForce`, :class:`RotateMagnet` (if it can
rotate) and :class:`GetMagnet`, and (to run ramps itself, without a script sleeping)
:class:`RampForce` and :class:`RampMagnet`. Because
these commands are defined by the core, anything (a Z-LUT sweep, a GUI panel, a script)
can drive whichever focus or magnet plugin is installed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any, ClassVar, Literal

import attrs
import numpy as np

from magscope_core._commands import Command, CommandSpec, CommandValidationError, Route
from magscope_core._manager import ManagerProcess
from magscope_core._motion import MotionModel

__all__ = [
    "HARDWARE_COMMANDS",
    "GetFocus",
    "GetMagnet",
    "HardwareManager",
    "HoldRamp",
    "MoveFocus",
    "MoveMagnet",
    "RampForce",
    "RampMagnet",
    "RotateMagnet",
    "SetForce",
]


@attrs.frozen
class MoveFocus(Command):
    """Move the focus motor to ``z_nm`` (clipped to its limits); returns the target."""

    z_nm: float


@attrs.frozen
class GetFocus(Command):
    """Return the focus state as a dict.

    Keys: ``z_nm``, ``target_nm``, ``moving``, ``at_target``, ``min_nm``, ``max_nm``.
    """


@attrs.frozen
class MoveMagnet(Command):
    """Move the magnet to ``position_mm``; returns the target."""

    position_mm: float


@attrs.frozen
class SetForce(Command):
    """Move the magnet to the position that gives ``force_pn``; returns the target mm."""

    force_pn: float


@attrs.frozen
class RotateMagnet(Command):
    """Rotate the magnet to ``turns`` (absolute, from the session's start); returns the target.

    Positive turns overwind a torsionally constrained tether; a magnet without a rotation
    axis does not handle it.
    """

    turns: float


@attrs.frozen
class GetMagnet(Command):
    """Return the magnet state: ``position_mm``, ``target_mm``, ``force_pn``, ``moving``.

    A magnet that runs ramps adds ``ramping`` (a ramp is under way); a rotating magnet
    adds ``turns`` and ``target_turns``.
    """


def _positive(cmd: Command, name: str) -> None:
    value = float(getattr(cmd, name))
    if not (math.isfinite(value) and value > 0):
        raise CommandValidationError(
            f"{type(cmd).__name__}.{name}: expected a finite value > 0, got {value!r}")


@attrs.frozen
class RampForce(Command):
    """Ramp the force to ``stop_pn`` at ``rate_pn_s``, run by the magnet manager.

    The ramp starts from ``start_pn`` (the magnet first moves there at full speed) or,
    when None, from the present force. It lasts ``|stop - start| / rate_pn_s`` seconds:
    ``scale="linear"`` changes the force at the constant loading rate ``rate_pn_s``;
    ``scale="log"`` spaces it geometrically over the same time (``F(t) = F0 (F1 /
    F0)^(t / T)``, equal time per factor of force). Returns ``{"duration_s",
    "start_pn", "stop_pn"}``. :class:`SetForce` or :class:`MoveMagnet` ends a ramp;
    ``GetMagnet()["ramping"]`` is true until it ends.
    """

    stop_pn: float
    rate_pn_s: float
    scale: Literal["linear", "log"] = "linear"
    start_pn: float | None = None

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        _positive(self, "rate_pn_s")
        _positive(self, "stop_pn")
        if self.start_pn is not None:
            _positive(self, "start_pn")


@attrs.frozen
class RampMagnet(Command):
    """Move the magnet to ``stop_mm`` at ``speed_mm_s`` (a position ramp), run by its manager.

    The ramp starts from ``start_mm`` (reached first at full speed) or, when None, from
    the present position. Returns ``{"duration_s", "start_mm", "stop_mm"}``.
    """

    stop_mm: float
    speed_mm_s: float
    start_mm: float | None = None

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        _positive(self, "speed_mm_s")


@attrs.frozen
class HoldRamp(Command):
    """Hold a running ramp where it is (``hold=True``) or let it go on (``False``).

    While held, the ramp's clock stops (the magnet stays put); released, it goes on from
    there, so it ends later by the time it was held. Without a ramp it does nothing.
    """

    hold: bool


HARDWARE_COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(MoveFocus, Route.DIRECT, True, "move the focus motor (nm)"),
    CommandSpec(GetFocus, Route.DIRECT, True, "focus position, target, limits"),
    CommandSpec(MoveMagnet, Route.DIRECT, True, "move the magnet (mm)"),
    CommandSpec(SetForce, Route.DIRECT, True, "move the magnet to a force (pN)"),
    CommandSpec(RotateMagnet, Route.DIRECT, True, "rotate the magnet to a number of turns"),
    CommandSpec(GetMagnet, Route.DIRECT, True, "magnet position and force"),
    CommandSpec(RampForce, Route.DIRECT, True, "ramp the force (pN/s, linear or log)"),
    CommandSpec(RampMagnet, Route.DIRECT, True, "ramp the magnet position (mm/s)"),
    CommandSpec(HoldRamp, Route.DIRECT, True, "hold or release a running magnet ramp"),
)


class HardwareManager(ManagerProcess):
    """Base class of hardware managers that record telemetry.

    Set :attr:`telemetry_columns` (without the time column) and call :meth:`record`
    whenever there is something to log; rows go into a shared ring that writers (while
    saving), plots and other managers read. The hub creates that ring before the
    manager starts, so its size is fixed for the session.

    Attributes
    ----------
    telemetry_columns
        Names of the values in a telemetry row; a leading ``t`` column (epoch seconds) is
        added.
    telemetry_capacity
        Rows kept in the shared ring.
    """

    telemetry_columns: ClassVar[tuple[str, ...]] = ()
    telemetry_capacity: ClassVar[int] = 100_000

    @classmethod
    def motion_models(cls, **options: Any) -> Sequence[MotionModel]:
        """How this manager's motors move, from the options it would be built with.

        Protocol plans (``magscope script check``) time motor moves with them; the
        default is none (waits for this manager's motors are then unknown in plans).
        """
        return ()

    def record(self, *values: float, t: float | None = None) -> None:
        """Append one telemetry row ``(t, *values)`` (``t`` defaults to now)."""
        if len(values) != len(self.telemetry_columns):
            raise ValueError(
                f"{self.name}: telemetry row has {len(values)} values, expected "
                f"{len(self.telemetry_columns)} ({', '.join(self.telemetry_columns)})"
            )
        row = np.array([[time.time() if t is None else t, *values]], dtype=np.float64)
        self.telemetry().append(row)

    def telemetry(self) -> Any:
        """The telemetry :class:`~magscope_core.TracksMatrix`."""
        return self.resources.telemetry(self.name)
