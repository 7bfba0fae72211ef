"""Numba parts of the precise mode: profile phase correction and the template XY step.

Both work on one ROI right after :func:`._kernel_numba._profile` has filled the radial
profile and its per-cell moments. The method is documented in
``docs/decisions/0015-tracker-at-the-physical-limit.md``; :mod:`._precise_numpy` is the
vectorised twin (fallback and test oracle).

- **Phase correction.** A bin of the B-spline profile is a weighted mean of pixels whose
  radii scatter around the bin radius; the mean offset ``m1`` of those radii depends on
  the bead's sub-pixel position. To first order the bin reads ``f(r_b) + f'(r_b) m1``,
  so subtracting ``f'(r_b) (m1 - m1_ref)``, with ``m1_ref`` the offset for a continuous
  ring, removes most of the sub-pixel dependence (noise-free Z error 0.65 -> 0.22 nm).
- **Template step.** The corrected profile, interpolated by a cubic spline, is the bead's
  radial template ``T(r)``. One Gauss-Newton step of the variance-weighted least-squares
  fit of ``T(|p - c|)`` to the pixels moves the centre ``c``: with
  ``phi = W T' / max(T, floor)`` and ``psi = phi T`` (``W`` a taper to zero at the last
  bin), ``g = sum_i (v_i phi(r_i) - psi(r_i)) (p_i - c) / r_i`` and
  ``H = 1/2 sum_i phi(r_i) T'(r_i)``, the step is ``-g / H``. ``phi``, ``psi`` and
  ``phi T'`` are stored as cubics in the in-cell fraction ``f`` (one row of 12 per radial
  cell), so the pixel pass is two Horner evaluations per pixel.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._jit import jit

__all__ = ["FLOOR_FRACTION", "TAPER_PX", "phase_correct", "template_cells", "template_step"]

#: Variance floor of the template weights, as a fraction of the profile's mean level.
FLOOR_FRACTION = 0.01
#: Width, in pixels, of the cosine taper that ends the template at the last profile bin.
TAPER_PX = 4.0

# f = 0, 1/3, 2/3, 1 -> cubic coefficients (inverse Vandermonde)
_TO_CUBIC = np.linalg.inv(np.vander(np.array([0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0]), 4, increasing=True))


@jit
def phase_correct(
    prof: NDArray[np.float32], m1: NDArray[np.float64], m1_ref: NDArray[np.float64], os_: int
) -> None:
    """Subtract ``f'(r_b) (m1_b - m1_ref_b)`` from every bin of ``prof`` (in place).

    ``f'`` is the central difference of the profile (0 at ``r = 0`` by symmetry,
    one-sided at the last bin), in values per pixel.
    """
    n = prof.shape[0]
    slope = np.empty(n, np.float64)
    slope[0] = 0.0
    for b in range(1, n - 1):
        slope[b] = 0.5 * os_ * (np.float64(prof[b + 1]) - np.float64(prof[b - 1]))
    slope[n - 1] = os_ * (np.float64(prof[n - 1]) - np.float64(prof[n - 2]))
    for b in range(n):
        prof[b] = np.float32(prof[b] - slope[b] * (m1[b] - m1_ref[b]))


@jit
def template_cells(
    prof: NDArray[np.float32], os_: int, to_cubic: NDArray[np.float64], cells: NDArray[np.float64]
) -> bool:
    """Fill ``cells`` ``(n_bins - 1, 12)`` with the cubics of ``phi``, ``psi``, ``phi T'``.

    ``T`` is the cubic spline through the bins (slope 0 at ``r = 0``, natural at the
    end). Returns False when the profile is not finite or has no positive level.
    """
    n = prof.shape[0]
    h = 1.0 / os_
    level = 0.0
    for b in range(n):
        v = np.float64(prof[b])
        if not math.isfinite(v):
            return False
        level += abs(v)
    floor = FLOOR_FRACTION * level / n
    if not floor > 0.0:
        return False
    # second derivatives m of the spline: Thomas algorithm on the tridiagonal system
    m = np.empty(n, np.float64)
    cp = np.empty(n, np.float64)
    dp = np.empty(n, np.float64)
    cp[0] = 0.5
    dp[0] = 3.0 / (h * h) * (np.float64(prof[1]) - np.float64(prof[0]))
    for b in range(1, n - 1):
        rhs = 6.0 / (h * h) * (np.float64(prof[b + 1]) - 2.0 * prof[b] + np.float64(prof[b - 1]))
        den = 4.0 - cp[b - 1]
        cp[b] = 1.0 / den
        dp[b] = (rhs - dp[b - 1]) / den
    m[n - 1] = 0.0
    for b in range(n - 2, -1, -1):
        m[b] = dp[b] - cp[b] * m[b + 1]
    r_end = (n - 1) * h
    taper = min(TAPER_PX, 0.5 * r_end)
    vals = np.empty((3, 4), np.float64)
    for c in range(n - 1):
        p0 = np.float64(prof[c])
        p1 = np.float64(prof[c + 1])
        for s in range(4):
            t = s / 3.0
            u = 1.0 - t
            tv = u * p0 + t * p1 + h * h / 6.0 * ((u * u * u - u) * m[c] + (t * t * t - t) * m[c + 1])
            td = (p1 - p0) / h + h / 6.0 * (-(3.0 * u * u - 1.0) * m[c] + (3.0 * t * t - 1.0) * m[c + 1])
            r = (c + t) * h
            e = (r - (r_end - taper)) / taper
            w = 1.0 if e <= 0.0 else (0.5 * (1.0 + math.cos(math.pi * e)) if e < 1.0 else 0.0)
            phi = w * td / max(tv, floor)
            vals[0, s] = phi
            vals[1, s] = phi * tv
            vals[2, s] = phi * td
        for q in range(3):
            for k in range(4):
                acc = 0.0
                for s in range(4):
                    acc += to_cubic[k, s] * vals[q, s]
                cells[c, 4 * q + k] = acc
    return True


@jit
def template_step(
    roi: NDArray[Any],
    x: float,
    y: float,
    os_: int,
    cells: NDArray[np.float64],
    moments: NDArray[np.float32],
    xs: NDArray[np.float32],
    rbuf: NDArray[np.float32],
) -> tuple[float, float]:
    """Gauss-Newton step ``(dx, dy)`` of the template fit around ``(x, y)`` (0 if undefined).

    ``moments[c, 4 + k]`` holds ``sum f**k`` over the pixels of radial cell ``c`` around
    ``(x, y)`` (from the profile pass), which gives ``H`` without touching the pixels.
    """
    h, w = roi.shape
    n_cells = cells.shape[0]
    r_lim = np.float32(n_cells / os_)
    fos = np.float32(os_)
    fx = np.float32(x)
    fy = np.float32(y)
    gx = 0.0
    gy = 0.0
    for i in range(h):
        dy = np.float32(i) - fy
        if abs(dy) >= r_lim:
            continue
        dy2 = dy * dy
        for j in range(w):
            dx = xs[j] - fx
            rbuf[j] = math.sqrt(dx * dx + dy2)
        row = roi[i]
        sx = np.float32(0.0)
        sy = np.float32(0.0)
        for j in range(w):
            r = rbuf[j]
            if r >= r_lim or r <= np.float32(1e-6):
                continue
            t = r * fos
            c = np.uint32(t)
            f = t - np.float32(c)
            cf = cells[c]
            phi = np.float32(cf[0] + f * (cf[1] + f * (cf[2] + f * cf[3])))
            psi = np.float32(cf[4] + f * (cf[5] + f * (cf[6] + f * cf[7])))
            wgt = (np.float32(row[j]) * phi - psi) / r
            sx += wgt * (xs[j] - fx)
            sy += wgt * dy
        gx += sx
        gy += sy
    curv = 0.0
    for c in range(n_cells):
        cf = cells[c]
        mo = moments[c]
        curv += cf[8] * mo[4] + cf[9] * mo[5] + cf[10] * mo[6] + cf[11] * mo[7]
    curv *= 0.5
    if not (curv > 0.0 and math.isfinite(gx) and math.isfinite(gy)):
        return 0.0, 0.0
    return -gx / curv, -gy / curv


def to_cubic() -> NDArray[np.float64]:
    """The fixed 4 x 4 matrix from values at ``f = 0, 1/3, 2/3, 1`` to cubic coefficients."""
    return _TO_CUBIC
