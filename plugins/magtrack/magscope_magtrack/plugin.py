"""Hook implementations: the ``magtrack`` tracker and its settings namespace.

MagTrack (and SciPy) are imported only when a tracker is built, in the worker processes:
listing plugins stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from magscope_core import SettingsSpec, TrackerSpec, hookimpl
from magscope_magtrack._options import MagTrackSettings

if TYPE_CHECKING:
    from magscope_magtrack._tracker import MagTrackTracker

__all__ = ["create", "magscope_settings", "magscope_trackers"]


def create(**options: object) -> MagTrackTracker:
    """Build the tracker (the spec's factory; runs in every worker process)."""
    from magscope_magtrack._tracker import create_tracker

    return create_tracker(**options)


@hookimpl
def magscope_trackers() -> list[TrackerSpec]:
    """MagTrack 1.0, the reference system's tracker (``magscope run --tracker magtrack``)."""
    return [TrackerSpec(name="magtrack", factory=create, settings=MagTrackSettings, priority=0,
                        description="MagTrack 1.0 (the reference's tracker: centre of mass, "
                        "auto-convolution, radial profile Z)")]


@hookimpl
def magscope_settings() -> list[SettingsSpec]:
    """The ``tracker.magtrack`` settings namespace."""
    return [SettingsSpec(namespace="tracker.magtrack", schema=MagTrackSettings)]
