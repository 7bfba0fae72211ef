"""Synthetic bead images with exact ground truth, for contract tests and the kit camera.

A bead seen in brightfield is a set of concentric rings whose spacing and contrast change
with the bead's height relative to the focal plane. The model here is analytic (no optics
library, numpy only) and deliberately simple: a radially symmetric damped cosine whose
period, envelope and phase all vary smoothly and monotonically with ``z``, so that

- the exact centre is known to a fraction of a pixel (any symmetric-pattern tracker
  finds it), and
- a Z look-up table built from a stack of these images identifies ``z`` unambiguously.

Coordinates follow the trackers: ``x`` is the column, ``y`` the row, pixel centres at
integers.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["bead_image", "bead_profile", "bead_stack"]

_DTYPES = ("uint8", "uint16", "float32", "float64")


def bead_profile(r_px: np.ndarray, z_nm: float) -> np.ndarray:
    """Relative intensity (background 0) at distances ``r_px`` from a bead at ``z_nm``.

    Parameters
    ----------
    r_px
        Distances from the bead centre in pixels.
    z_nm
        Height of the bead relative to the focal plane, in nanometres (about
        -5000..5000 is meaningful).

    Returns
    -------
    numpy.ndarray
        Values in about -1..1, same shape as ``r_px``.
    """
    zu = float(z_nm) / 1000.0
    period = 4.0 + 1.5 * abs(zu)
    sigma = 6.0 + 2.0 * abs(zu)
    phase = 2.0 * float(np.arctan(zu / 0.7))
    r = np.asarray(r_px, dtype=np.float64)
    return np.exp(-(r**2) / (2 * sigma**2)) * np.cos(2 * np.pi * r / period + phase)


def bead_image(size: int, x: float, y: float, z_nm: float = 0.0, *,
               background: float = 100.0, contrast: float = 60.0,
               dtype: str = "float32", noise: float = 0.0,
               rng: np.random.Generator | None = None) -> np.ndarray:
    """One ``(size, size)`` image of a bead centred at ``(x, y)``.

    Parameters
    ----------
    size
        Image width and height in pixels.
    x, y
        Bead centre (column, row), pixel centres at integers.
    z_nm
        Height relative to the focal plane.
    background, contrast
        Mean level and ring amplitude (in counts).
    dtype
        ``"uint8"``, ``"uint16"``, ``"float32"`` or ``"float64"`` (integers are rounded
        and clipped).
    noise
        Standard deviation of added Gaussian noise (counts); 0 for none.
    rng
        Random generator for the noise (default: seeded 0, reproducible).
    """
    if dtype not in _DTYPES:
        raise ValueError(f"bead_image dtype={dtype!r}: expected one of {', '.join(_DTYPES)}")
    rows, cols = np.mgrid[0:size, 0:size]
    r = np.hypot(cols - float(x), rows - float(y))
    img = background + contrast * bead_profile(r, z_nm)
    if noise > 0:
        img = img + (rng or np.random.default_rng(0)).normal(0.0, noise, img.shape)
    if dtype.startswith("uint"):
        top = np.iinfo(np.dtype(dtype)).max
        return np.clip(np.rint(img), 0, top).astype(dtype)
    return img.astype(dtype)


def bead_stack(size: int, x: ArrayLike, y: ArrayLike, z_nm: ArrayLike, *,
               dtype: str = "float32", noise: float = 0.0, seed: int = 0,
               background: float = 100.0, contrast: float = 60.0) -> np.ndarray:
    """``(n, size, size)`` images, bead ``i`` at ``(x[i], y[i], z_nm[i])``.

    Parameters
    ----------
    size
        ROI size in pixels.
    x, y, z_nm
        Per-image ground truth (broadcast to a common length).
    dtype, noise, background, contrast
        As in :func:`bead_image`.
    seed
        Seed of the noise.
    """
    xs, ys, zs = np.broadcast_arrays(np.asarray(x, float), np.asarray(y, float),
                                     np.asarray(z_nm, float))
    rng = np.random.default_rng(seed)
    out = np.empty((xs.size, size, size), dtype=dtype)
    for i, (xi, yi, zi) in enumerate(zip(xs.ravel(), ys.ravel(), zs.ravel(), strict=True)):
        out[i] = bead_image(size, xi, yi, zi, dtype=dtype, noise=noise, rng=rng,
                            background=background, contrast=contrast)
    return out
