"""MagScope analysis: force from Brownian motion and Allan deviation (numpy only).

The public surface is re-exported here; the modules behind it are private.
"""

from __future__ import annotations

from importlib.metadata import version as _version

from magscope_analysis._brownian import (
    KT_PN_NM,
    METHODS,
    ForceEstimate,
    allan_deviation,
    allan_variance,
    brownian_force,
    faxen_drag,
    octave_blocks,
    periodogram,
)
from magscope_analysis._camera_ou import (
    allan_variance_model,
    autocovariance,
    lorentzian_psd,
    psd_model,
)

__all__ = [
    "KT_PN_NM",
    "METHODS",
    "ForceEstimate",
    "allan_deviation",
    "allan_variance",
    "allan_variance_model",
    "autocovariance",
    "brownian_force",
    "faxen_drag",
    "lorentzian_psd",
    "octave_blocks",
    "periodogram",
    "psd_model",
]

__version__ = _version("magscope-analysis")
