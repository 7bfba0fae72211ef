"""Numba parts of the precise mode: profile phase correction and the template XY step.

Both work on one ROI right after :func:`._kernel_profile.profile` has filled the radial
profile and its per-cell moments. The method is documented in
``docs/decisions/0016-tracker-at-the-physical-limit.md``; :mod:`._precise_numpy` is the
vectorised twin (fallback and test oracle).

- **Phase correction.** A bin of the B-spline profile is a weighted mean of pixels whose
  radii scatter around the bin radius; the mean offset ``m1`` of those radii depends on
  the bead's sub-pixel position. To first order the bin reads ``f(r_b) + f'(r_b) m1``,
  so subtracting ``f'(r_b) (m1 - m1_ref)``, with ``m1_ref`` the offset for a continuous
  ring, removes most of the sub-pixel dependence (noise-free Z error 0.65 -> 0.22 nm).
- **Template step.** The corrected profile, interpolated by a cubic spline, is the bead's
  radial template ``T(r)``, out to the last bin or less, so that the disc stays inside the
  ROI (the template is smoother than the image; a disc cut by the ROI edge would bias
  the fit). One Gauss-Newton step of the variance-weighted least-squares fit of
  ``T(|p - c|)`` to the pixels moves the centre ``c``. With ``W`` a taper to zero at the
  last radius and ``phi = W T' / max(T, floor)``, the estimating function is
  ``g = sum_i v_i phi(r_i) (p_i - c) / r_i``. The model term
  ``sum_i phi T (p_i - c) / r_i`` of the full residual vanishes over a disc centred on
  ``c`` up to the pixel grid; leaving it out changed the RMS error by under 1 % and
  saves half of the table look-ups.
  ``phi / r`` is tabulated ``SUB`` times per radial cell (linear in between: two look-ups
  per pixel, a SIMD gather loop). The Newton curvature ``-1/2 sum_i v_i (phi' + phi/r)``
  (the ring average of the exact derivative, from the pixel values) is a cubic per
  cell summed against the cell's value moments from the profile pass: no pixel work.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._jit import jit

__all__ = [
    "FLOOR_FRACTION",
    "SUB",
    "TAPER_PX",
    "phase_correct",
    "template_cells",
    "template_geometry",
    "template_step",
    "to_cubic",
]

#: Variance floor of the template weights, as a fraction of the profile's mean level.
FLOOR_FRACTION = 0.01
#: Samples per radial cell of the template weight table (linear in between).
SUB = 4
#: Width, in pixels, of the cosine taper that ends the template at the last profile bin.
TAPER_PX = 2.0

# f = 0, 1/4, 1/2, 3/4 -> cubic coefficients (inverse Vandermonde)
_TO_CUBIC: NDArray[np.float64] = np.linalg.inv(
    np.vander(np.arange(SUB, dtype=np.float64) / SUB, 4, increasing=True)
).astype(np.float64)


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


def template_geometry(n_bins: int, os_: int) -> NDArray[np.float64]:
    """ROI-independent constants of :func:`template_cells` for ``n_bins`` bins.

    Returns ``(4 + 2 * SUB, max(SUB * (n_bins - 1), n_bins))`` rows: ``1 / r`` and ``r``
    at the table radii, the Thomas-algorithm factors ``c'`` and ``1 / den`` of the
    spline system, and the spline basis weights for ``T`` and ``T'`` at ``f = s / SUB``.
    """
    n_fine = SUB * (n_bins - 1)
    h = 1.0 / os_
    out = np.zeros((4 + 2 * SUB, max(n_fine, n_bins, 8)))
    r = np.arange(n_fine) / (SUB * os_)
    out[0, :n_fine] = 1.0 / np.maximum(r, 1e-3 * h)
    out[1, :n_fine] = r
    cp = 0.5
    out[2, 0] = cp
    out[3, 0] = 0.5
    for b in range(1, n_bins - 1):
        inv = 1.0 / (4.0 - cp)
        cp = inv
        out[2, b] = cp
        out[3, b] = inv
    for s in range(SUB):
        t = s / SUB
        u = 1.0 - t
        out[4 + s, :4] = [u, t, h * h / 6.0 * (u**3 - u), h * h / 6.0 * (t**3 - t)]
        out[4 + SUB + s, :4] = [
            -1.0 / h, 1.0 / h, -h / 6.0 * (3.0 * u * u - 1.0), h / 6.0 * (3.0 * t * t - 1.0)
        ]
    out.setflags(write=False)
    return out


@jit
def taper(r: float, r_end: float) -> float:
    """Template weight ``W(r)``: 1, then a cosine to 0 over ``TAPER_PX`` before ``r_end``."""
    width = min(TAPER_PX, 0.5 * r_end)
    e = (r - (r_end - width)) / width
    if e <= 0.0:
        return 1.0
    if e >= 1.0:
        return 0.0
    return 0.5 * (1.0 + math.cos(math.pi * e))


@jit
def template_cells(
    prof: NDArray[np.float32],
    r_end: float,
    os_: int,
    to_cubic: NDArray[np.float64],
    geom: NDArray[np.float64],
    cells: NDArray[np.float64],
    fine: NDArray[np.float32],
) -> bool:
    """Tabulate the template weights for :func:`template_step`.

    ``T`` is the cubic spline through the bins (slope 0 at ``r = 0``, natural at the
    end), weighted by :func:`taper` to ``r_end`` (the last bin, or less so that the
    disc stays inside the ROI); ``geom`` comes from :func:`template_geometry`.
    ``fine[k]`` receives ``phi / r`` at ``r = k / (SUB * os_)``
    (``k = 0 .. SUB * (n_bins - 1)``, linear in between); ``cells[c]`` the cubic in
    ``f`` of ``phi / r + phi'`` on radial cell ``c`` (for the Newton curvature).
    Returns False when the profile is not finite or has no positive level.
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
    dp = np.empty(n, np.float64)
    dp[0] = 3.0 / (h * h) * (np.float64(prof[1]) - np.float64(prof[0]))
    scale = 6.0 / (h * h)
    for b in range(1, n - 1):
        rhs = scale * (np.float64(prof[b + 1]) - 2.0 * prof[b] + np.float64(prof[b - 1]))
        dp[b] = (rhs - dp[b - 1]) * geom[3, b]
    m[n - 1] = 0.0
    for b in range(n - 2, -1, -1):
        m[b] = dp[b] - geom[2, b] * m[b + 1]
    phs = np.empty(SUB, np.float64)
    phr = np.empty(SUB, np.float64)
    for c in range(n - 1):
        if c >= r_end * os_:  # beyond the taper: zero weights
            for s in range(SUB):
                fine[SUB * c + s] = 0.0
            cells[c, :] = 0.0
            continue
        p0 = np.float64(prof[c])
        p1 = np.float64(prof[c + 1])
        m0 = m[c]
        m1 = m[c + 1]
        for s in range(SUB):
            bv = geom[4 + s]
            bd = geom[4 + SUB + s]
            tv = bv[0] * p0 + bv[1] * p1 + bv[2] * m0 + bv[3] * m1
            td = bd[0] * p0 + bd[1] * p1 + bd[2] * m0 + bd[3] * m1
            k = SUB * c + s
            q = td / max(tv, floor)
            wt = taper(geom[1, k], r_end)
            phs[s] = q * wt
            phr[s] = q * wt * geom[0, k]
            fine[k] = np.float32(phr[s])
        # phi / r + phi' as a cubic in f (phi' = os * d phi / d f)
        for k in range(4):
            a_next = 0.0
            b_k = 0.0
            for s in range(SUB):
                b_k += to_cubic[k, s] * phr[s]
                if k < 3:
                    a_next += to_cubic[k + 1, s] * phs[s]
            cells[c, k] = b_k + os_ * (k + 1) * a_next
    fine[SUB * (n - 1)] = 0.0
    return True


@jit
def template_step(
    roi: NDArray[Any],
    x: float,
    y: float,
    os_: int,
    cells: NDArray[np.float64],
    fine: NDArray[np.float32],
    moments: NDArray[np.float32],
    xs: NDArray[np.float32],
    radii: NDArray[np.float32],
    r_end: float,
) -> tuple[float, float]:
    """Gauss-Newton step ``(dx, dy)`` of the template fit around ``(x, y)`` (0 if undefined).

    ``moments[c, 4 + k]`` holds ``sum f**k`` over the pixels of radial cell ``c`` around
    ``(x, y)`` (from the profile pass), which gives ``H`` without touching the pixels.
    Pixels from ``r_end`` (that of :func:`template_cells`) plus one table step on have
    zero weight and are skipped. ``radii`` holds each pixel's radius around ``(x, y)``
    (from the profile pass).
    """
    h, w = roi.shape
    n_cells = cells.shape[0]
    r_lim = min(n_cells / os_, r_end + 1.0 / (SUB * os_))
    scale = np.float32(SUB * os_)
    t_max = np.float32(SUB * n_cells - 1e-3)
    a = fine
    fx = np.float32(x)
    gx = 0.0
    gy = 0.0
    for i in range(h):
        dyd = i - y
        if abs(dyd) >= r_lim:
            continue
        half = math.sqrt(r_lim * r_lim - dyd * dyd)
        j0 = max(0, math.ceil(x - half))
        j1 = min(w, math.floor(x + half) + 1)
        if j1 <= j0:
            continue
        row = roi[i, j0:j1]
        xr = xs[j0:j1]
        rr = radii[i, j0:j1]
        dy = np.float32(dyd)
        sx = np.float32(0.0)
        sy = np.float32(0.0)
        for j in range(row.shape[0]):  # a SIMD loop: no branches, two gathers
            dx = xr[j] - fx
            t = min(rr[j] * scale, t_max)
            k = np.int32(t)
            f = t - np.float32(k)
            a0 = a[k]
            wgt = np.float32(row[j]) * (a0 + f * (a[k + 1] - a0))
            sx += wgt * dx
            sy += wgt
        gx += sx
        gy += sy * dy
    curv = 0.0
    for c in range(min(n_cells, math.ceil(r_end * os_))):
        cf = cells[c]
        mo = moments[c]
        curv -= cf[0] * mo[0] + cf[1] * mo[1] + cf[2] * mo[2] + cf[3] * mo[3]
    curv *= 0.5
    if not (curv > 0.0 and math.isfinite(gx) and math.isfinite(gy)):
        return 0.0, 0.0
    return -gx / curv, -gy / curv


def to_cubic() -> NDArray[np.float64]:
    """The fixed 4 x 4 matrix from values at ``f = 0, 1/4, 1/2, 3/4`` to cubic coefficients."""
    return _TO_CUBIC
