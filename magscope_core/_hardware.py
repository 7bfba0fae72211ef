"""Hardware managers: the base class, telemetry, and the standard motor commands.

A focus motor plugin handles :class:`MoveFocus` and :class:`GetFocus`; a magnet motor
plugin handles :class:`MoveMagnet`, :class:`SetForce`, :class:`RotateMagnet` (if it can
rotate) and :class:`GetMagnet`. Because
these commands are defined by the core, anything (a Z-LUT sweep, a GUI panel, a script)
can drive whichever focus or magnet plugin is installed.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import attrs
import numpy as np

from magscope_core._commands import Command, CommandSpec, Route
from magscope_core._manager import ManagerProcess

__all__ = [
    "HARDWARE_COMMANDS",
    "GetFocus",
    "GetMagnet",
    "HardwareManager",
    "MoveFocus",
    "MoveMagnet",
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

    A rotating magnet adds ``turns`` and ``target_turns``.
    """


HARDWARE_COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(MoveFocus, Route.DIRECT, True, "move the focus motor (nm)"),
    CommandSpec(GetFocus, Route.DIRECT, True, "focus position, target, limits"),
    CommandSpec(MoveMagnet, Route.DIRECT, True, "move the magnet (mm)"),
    CommandSpec(SetForce, Route.DIRECT, True, "move the magnet to a force (pN)"),
    CommandSpec(RotateMagnet, Route.DIRECT, True, "rotate the magnet to a number of turns"),
    CommandSpec(GetMagnet, Route.DIRECT, True, "magnet position and force"),
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
