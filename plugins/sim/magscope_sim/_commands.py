"""Commands between the simulated motors and the simulated camera (numpy-free, Qt-free).

The hook module declares them, so they live apart from the managers that handle them:
listing the plugin then imports no simulation code.
"""

from __future__ import annotations

import attrs

from magscope_core import Command, CommandSpec, Route

__all__ = ["SIM_COMMANDS", "GetSimTruth", "SimFocusChanged", "SimForceChanged", "SimTwistChanged"]


@attrs.frozen
class SimFocusChanged(Command):
    """The simulated focal plane moved to ``z_nm`` (focus motor -> camera)."""

    z_nm: float


@attrs.frozen
class SimForceChanged(Command):
    """The simulated magnet now pulls with ``force_pn`` (magnet motor -> camera)."""

    force_pn: float


@attrs.frozen
class SimTwistChanged(Command):
    """The simulated magnet now stands at ``turns`` turns (magnet motor -> camera)."""

    turns: float


@attrs.frozen
class GetSimTruth(Command):
    """Return the ground truth of the newest simulated frame as a dict of lists."""


SIM_COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(SimFocusChanged, Route.DIRECT, False, "simulated focal plane moved"),
    CommandSpec(SimForceChanged, Route.DIRECT, False, "simulated magnet force changed"),
    CommandSpec(SimTwistChanged, Route.DIRECT, False, "simulated magnet rotated"),
    CommandSpec(GetSimTruth, Route.DIRECT, True, "ground truth of the newest simulated frame"),
)
