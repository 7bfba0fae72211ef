"""Hook implementations: the CPU tracker and its settings namespace.

The tracker itself (numba) is imported by :func:`create` only, in the processes that track:
listing plugins and settings imports no numba.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from magscope_core import SettingsSpec, TrackerSpec, hookimpl, setting

if TYPE_CHECKING:
    from magscope_tracker._tracker import CpuTracker

__all__ = ["TrackerSettings", "create", "magscope_settings", "magscope_trackers"]


@attrs.frozen
class TrackerSettings:
    """Settings of the CPU tracker (namespace ``tracker.cpu``)."""

    mode: str = setting("precise", choices=("precise", "fast"),
                        doc="precise: near the Cramér-Rao bound (XY ~1.1x, Z ~1.2x; about "
                        "15-20 % slower); fast: the earlier algorithm (XY ~1.8x, Z ~1.6x). "
                        "Build the Z-LUT in the mode you track with.")
    n_xy_iterations: int = setting(3, minimum=1, maximum=20,
                                   doc="Refinements of the sub-pixel XY centre (fast mode).")
    z_fit: str = setting("interpolate", choices=("interpolate", "parabola"),
                         doc="How Z is refined between LUT planes: cubic interpolation "
                         "(default, most accurate) or a 3-plane parabola.")
    min_quality: float = setting(0.5, minimum=0.0, maximum=1.0,
                                 doc="Lowest profile/LUT correlation accepted; below it z is "
                                 "NaN.")


def create(**options: object) -> CpuTracker:
    """Build a tracker (the spec's factory; runs in every worker process)."""
    from magscope_tracker._tracker import create_tracker

    return create_tracker(**options)  # type: ignore[arg-type]


@hookimpl
def magscope_trackers() -> list[TrackerSpec]:
    """The CPU tracker."""
    return [TrackerSpec(name="cpu", factory=create, settings=TrackerSettings, priority=10,
                        description="fast CPU XYZ tracker (mirror-symmetry and template XY, "
                        "interpolated radial profile Z)")]


@hookimpl
def magscope_settings() -> list[SettingsSpec]:
    """The ``tracker.cpu`` settings namespace."""
    return [SettingsSpec(namespace="tracker.cpu", schema=TrackerSettings)]
