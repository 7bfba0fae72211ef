"""Rotation-extension ("hat") curve of a torsionally constrained DNA tether.

A simple piecewise model with the facts of the literature (Strick et al., Science 1996;
Mosconi et al., PRL 2009; the shared brief's "Worm-like chain and rotation"):

- near 0 turns the twist is stored in the molecule and the extension stays at the
  worm-like-chain value ``l_wlc(F)`` (flat top);
- past the buckling point ``n_b(F) = sigma_b(F) Lk0`` (``Lk0 = bp / 10.5``, the DNA's linking
  number; ``sigma_b = 0.006 + 0.012 sqrt(F / pN)``, moving out as force rises) each turn
  makes one plectoneme gyre and the extension falls linearly by
  ``slope(F) = 90 nm (0.2 pN / F)^0.3`` per turn (~90 nm at 0.2 pN, ~45 nm at 2 pN: the
  slope shrinks as force rises);
- above :data:`MELTING_FORCE_PN` negative turns melt DNA instead of buckling it, so the
  extension stays flat for negative turns (the asymmetric hat);
- the extension never falls below :data:`MIN_EXTENSION_NM` (the bead reaches the surface).
"""

from __future__ import annotations

import math

__all__ = [
    "MELTING_FORCE_PN",
    "MIN_EXTENSION_NM",
    "buckling_turns",
    "hat_extension",
    "plectoneme_slope_nm_per_turn",
]

#: Rise per base pair of B-DNA, nm.
NM_PER_BP = 0.34
#: Base pairs per helical turn.
BP_PER_TURN = 10.5
#: Above this force negative supercoiling melts DNA rather than forming plectonemes.
MELTING_FORCE_PN = 1.0
#: Smallest extension the model returns (the bead against the surface), nm.
MIN_EXTENSION_NM = 20.0


def buckling_turns(force_pn: float, contour_nm: float) -> float:
    """Turns at which plectonemes start to form, for a tether of ``contour_nm``."""
    lk0 = contour_nm / NM_PER_BP / BP_PER_TURN
    return (0.006 + 0.012 * math.sqrt(max(force_pn, 0.0))) * lk0


def plectoneme_slope_nm_per_turn(force_pn: float) -> float:
    """Extension lost per turn past buckling (nm/turn); shrinks as the force rises."""
    return float(90.0 * (0.2 / max(force_pn, 0.01)) ** 0.3)


def hat_extension(
    wlc_extension_nm: float, turns: float, force_pn: float, contour_nm: float
) -> float:
    """Mean extension (nm) of a tether twisted by ``turns`` at ``force_pn``.

    Parameters
    ----------
    wlc_extension_nm
        Extension of the torsionally relaxed tether at that force (0 turns).
    turns
        Magnet turns (positive: overwinding).
    force_pn
        Force on the bead.
    contour_nm
        Contour length (sets the linking number, hence the buckling point).
    """
    if turns < 0 and force_pn > MELTING_FORCE_PN:
        return wlc_extension_nm
    excess = abs(turns) - buckling_turns(force_pn, contour_nm)
    if excess <= 0:
        return wlc_extension_nm
    ext = wlc_extension_nm - plectoneme_slope_nm_per_turn(force_pn) * excess
    return max(ext, min(MIN_EXTENSION_NM, wlc_extension_nm))
