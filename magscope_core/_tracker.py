"""The tracker contract: what a tracker plugin's object implements."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = ["TrackOutput", "Tracker"]


@runtime_checkable
class TrackOutput(Protocol):
    """What :meth:`Tracker.track` returns.

    ``x``, ``y`` in ROI pixels (x = column, y = row, pixel centres at integers) and
    ``z`` in nm (NaN without a Z-LUT).
    """

    x: np.ndarray
    y: np.ndarray
    z: np.ndarray


@runtime_checkable
class Tracker(Protocol):
    """A bead tracker, built by ``TrackerSpec.create(**options)`` in each worker process.

    It must be free of shared mutable state: several worker processes run their own
    instance in parallel, with no lock between them.
    """

    def track(self, rois: np.ndarray, zlut: Any = None) -> TrackOutput:
        """Track ``(n, h, w)`` ROIs (uint8, uint16 or float32)."""
        ...

    def make_zlut(self, stack: np.ndarray, z_nm: np.ndarray) -> Any:
        """Build a Z-LUT from images of one bead at the heights ``z_nm``.

        ``stack`` is ``(n_planes, h, w)`` or ``(n_planes, n_images, h, w)``.
        """
        ...

    def load_zlut(self, path: Path) -> Any:
        """Read a Z-LUT file (raise an error naming the file and the problem)."""
        ...

    def save_zlut(self, zlut: Any, path: Path) -> None:
        """Write a Z-LUT file."""
        ...
