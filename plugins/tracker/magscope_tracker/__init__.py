"""Fast CPU bead tracker for MagScope.

XY from the mirror symmetry of Gaussian-band profiles (coarse autoconvolution, then
a Fourier-phase fit iterated around the current centre), Z from a cubic B-spline
weighted radial profile around the sub-pixel centre matched against a Z look-up
table. Vectorised over many ROIs, float32, no shared state.

>>> import numpy as np, magscope_tracker
>>> tracker = magscope_tracker.create_tracker(n_xy_iterations=3)
>>> rois = np.zeros((2, 64, 64), np.uint16)
>>> result = tracker.track(rois)
>>> result.ok.tolist()
[False, False]
"""

from __future__ import annotations

from importlib.metadata import version as _version
from typing import TYPE_CHECKING

from magscope_core import lazy_exports

if TYPE_CHECKING:
    from ._options import TrackerOptions
    from ._result import TrackResult
    from ._tracker import CpuTracker, create_tracker
    from ._zlut import ZLut, ZLutError
    from ._zlut_score import ZLutScore, best_candidate

__all__ = [
    "CpuTracker",
    "TrackResult",
    "TrackerOptions",
    "ZLut",
    "ZLutError",
    "ZLutScore",
    "best_candidate",
    "create_tracker",
]

# imported on first use: the hook module (magscope_tracker.plugin) imports no numba
__getattr__ = lazy_exports(__name__, {
    "_options": ("TrackerOptions",),
    "_result": ("TrackResult",),
    "_tracker": ("CpuTracker", "create_tracker"),
    "_zlut": ("ZLut", "ZLutError"),
    "_zlut_score": ("ZLutScore", "best_candidate"),
})

__version__ = _version("magscope-tracker")
