"""Device factories for configurations that JSON alone cannot express.

python-microscope's :class:`~microscope.simulators.SimulatedStage` takes its limits as
:class:`microscope.AxisLimits` records; ``device="magscope_microscope:simulated_stage"``
with ``args='{"z": [-100, 100]}'`` builds one from plain numbers. A lab's own device
with non-JSON arguments follows the same pattern: a small function that builds it.
"""

from __future__ import annotations

from typing import Any

import microscope
import microscope.simulators

__all__ = ["simulated_stage"]


def simulated_stage(**limits: Any) -> Any:
    """A python-microscope ``SimulatedStage`` with one axis per keyword: ``z=[lower, upper]``."""
    if not limits:
        raise TypeError("simulated_stage() needs at least one axis, e.g. z=[-100, 100]")
    axes = {}
    for name, value in limits.items():
        lower, upper = (float(v) for v in value)
        axes[name] = microscope.AxisLimits(lower, upper)
    return microscope.simulators.SimulatedStage(axes)
