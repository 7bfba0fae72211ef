"""Stage and focus drift of the simulated microscope.

A real stage creeps: the sample slides sideways (x, y) and moves relative to the focal
plane (z), slowly and mostly in one direction, with a little wander on top.
:class:`StageDrift` integrates that: a constant rate per axis (the ``drift_x_nm_per_s``,
``drift_y_nm_per_s`` and ``drift_z_nm_per_s`` camera settings) plus an optional random
walk (``drift_walk_nm_per_sqrt_s``: the standard deviation of the wander after one
second, growing with the square root of time). The offset is common to every bead: x
and y shift every bead in the frame, z adds to every bead's defocus, so a focus move of
the same size compensates it (what a Z-lock does).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["StageDrift"]

F64 = NDArray[np.float64]


class StageDrift:
    """Accumulated stage offset ``(x, y, z)`` in nm.

    Parameters
    ----------
    seed
        Seed of the random walk (the same seed gives the same wander).
    """

    def __init__(self, seed: int | np.random.Generator = 0) -> None:
        self._rng = np.random.default_rng(seed)
        self._offset: F64 = np.zeros(3)

    @property
    def offset_nm(self) -> F64:
        """The current offset ``(x, y, z)`` in nm (a copy)."""
        return np.array(self._offset, dtype=np.float64)

    def advance(self, dt_s: float, rate_nm_per_s: tuple[float, float, float],
                walk_nm_per_sqrt_s: float = 0.0) -> F64:
        """Move on by ``dt_s`` seconds at ``rate_nm_per_s`` plus the random walk.

        Rates may change between calls (a setting changed at run time): the offset is
        integrated, so it never jumps. Returns the new offset.
        """
        if dt_s <= 0.0:
            return self.offset_nm
        self._offset += np.asarray(rate_nm_per_s, dtype=np.float64) * dt_s
        if walk_nm_per_sqrt_s > 0.0:
            self._offset += self._rng.normal(0.0, walk_nm_per_sqrt_s * np.sqrt(dt_s), 3)
        return self.offset_nm

    def reset(self) -> None:
        """Back to no offset (the bead layout was rebuilt)."""
        self._offset[:] = 0.0
