"""The per-call tracking result record."""

from __future__ import annotations

import attrs
import numpy as np
from numpy.typing import NDArray

from ._plan import STATUS_MESSAGES

__all__ = ["TrackResult"]


@attrs.frozen(eq=False)
class TrackResult:
    """Positions of ``n`` tracked ROIs.

    Parameters
    ----------
    x, y : ndarray of float64, shape (n,)
        Bead centre in pixels within the ROI: ``x`` is the column, ``y`` the row,
        pixel centres at integer coordinates (the middle of a 64 px ROI is 31.5).
        NaN when no centre was found.
    z : ndarray of float64, shape (n,)
        Height in nm from the Z-LUT; NaN without a Z-LUT, outside its range, or when
        the match quality is below ``min_quality``.
    ok : ndarray of bool, shape (n,)
        True when X/Y converged inside the ROI with a complete radial profile and,
        if a Z-LUT was given, ``z`` is finite.
    quality : ndarray of float32, shape (n,)
        Pearson correlation of the profile with the best Z-LUT plane (NaN without a
        Z-LUT).
    status : ndarray of int8, shape (n,)
        Why X/Y failed (0 = tracked); see :meth:`status_message`.
    profiles : ndarray of float32, shape (n, n_bins), or None
        Radial profiles, when requested.
    """

    x: NDArray[np.float64]
    y: NDArray[np.float64]
    z: NDArray[np.float64]
    ok: NDArray[np.bool_]
    quality: NDArray[np.float32]
    status: NDArray[np.int8]
    profiles: NDArray[np.float32] | None = None

    def __len__(self) -> int:
        return int(self.x.size)

    @staticmethod
    def status_message(code: int) -> str:
        """Describe a ``status`` code."""
        return STATUS_MESSAGES.get(int(code), f"unknown status {int(code)}")
