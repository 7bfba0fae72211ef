"""Numba kernel of the radial profile: cubic B-spline weights from per-cell moments.

Part of the tracking kernel (:mod:`._kernel_numba`), split off for size; the method is in
``docs/decisions/0006-tracker-algorithm.md``. The precise mode's extra moment and bin
offsets feed :func:`._kernel_precise.phase_correct`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._jit import jit as _jit

__all__ = ["profile", "spline_table"]


@_jit
def _accumulate(
    row: NDArray[Any], rbuf: NDArray[np.float32], r_lim: float, fos: float, acc: NDArray[np.float32]
) -> None:
    """Add one row's pixels to the per-cell moments ``sum v f**m``, ``sum f**m`` (m = 0..3)."""
    one = np.float32(1.0)
    for j in range(row.shape[0]):
        r = rbuf[j]
        if r >= r_lim:
            continue
        v = np.float32(row[j])
        t = r * fos
        cell = np.uint32(t)
        f = t - np.float32(cell)
        f2 = f * f
        f3 = f2 * f
        a = acc[cell]
        a[0] += v
        a[1] += v * f
        a[2] += v * f2
        a[3] += v * f3
        a[4] += one
        a[5] += f
        a[6] += f2
        a[7] += f3


@_jit
def _accumulate_precise(
    row: NDArray[Any], rbuf: NDArray[np.float32], r_lim: float, fos: float, acc: NDArray[np.float32]
) -> None:
    """:func:`_accumulate` plus ``sum f**4`` in ``acc[:, 8]`` (for the phase correction)."""
    one = np.float32(1.0)
    for j in range(row.shape[0]):
        r = rbuf[j]
        if r >= r_lim:
            continue
        v = np.float32(row[j])
        t = r * fos
        cell = np.uint32(t)
        f = t - np.float32(cell)
        f2 = f * f
        f3 = f2 * f
        a = acc[cell]
        a[0] += v
        a[1] += v * f
        a[2] += v * f2
        a[3] += v * f3
        a[4] += one
        a[5] += f
        a[6] += f2
        a[7] += f3
        a[8] += f2 * f2


@_jit
def profile(
    roi: NDArray[Any],
    x: float,
    y: float,
    n_bins: int,
    oversample: int,
    spline: NDArray[np.float64],
    xs: NDArray[np.float32],
    rbuf: NDArray[np.float32],
    acc: NDArray[np.float32],
    out: NDArray[np.float32],
    m1: NDArray[np.float64],
    precise: bool,
) -> bool:
    """Radial profile around ``(x, y)`` with cubic B-spline radial weights.

    A pixel at radius ``r`` adds its value to every bin within 2 px with weight
    ``B3(|r - r_b|)`` (px units); a bin is the weighted mean. Within one radial cell
    ``c = floor(r * oversample)`` each weight is a cubic in ``f = r * oversample - c``,
    so the pixels only accumulate the moments ``sum v f**m`` and ``sum f**m``
    (``m = 0..3``) per cell; ``spline[d, m]`` (from :func:`spline_table`) turns them
    into bin ``c + d - 2 * oversample + 1``. Returns False when a bin got no weight.

    ``rbuf`` ``(h, w)`` receives the radius of every pixel of the rows within reach
    (the precise mode's template step reads them back).

    With ``precise``, ``acc[:, 8]`` also collects ``sum f**4`` and ``m1[b]`` receives the
    weighted mean offset ``r - r_b`` (pixels) of the pixels of bin ``b`` (for
    :func:`._kernel_precise.phase_correct`).
    """
    h, w = roi.shape
    acc[:, :] = 0.0
    n_cells = acc.shape[0]
    r_lim = np.float32((n_bins - 1) / oversample + 2.0)
    fos = np.float32(oversample)
    fx = np.float32(x)
    fy = np.float32(y)
    for i in range(h):
        dy = np.float32(i) - fy
        if abs(dy) >= r_lim:
            continue
        dy2 = dy * dy
        radii = rbuf[i]
        for j in range(w):  # radii first: a SIMD loop
            dx = xs[j] - fx
            radii[j] = math.sqrt(dx * dx + dy2)
        row = roi[i]
        if precise:
            _accumulate_precise(row, radii, r_lim, fos, acc)
        else:
            _accumulate(row, radii, r_lim, fos, acc)
    n_off = spline.shape[0]
    shift = 2 * oversample - 1
    full = True
    for b in range(n_bins):
        num = 0.0
        den = 0.0
        off = 0.0
        for d in range(n_off):
            cell = b - d + shift
            if 0 <= cell < n_cells:
                cf = spline[d]
                mo = acc[cell]
                num += cf[0] * mo[0] + cf[1] * mo[1] + cf[2] * mo[2] + cf[3] * mo[3]
                cnt = cf[0] * mo[4] + cf[1] * mo[5] + cf[2] * mo[6] + cf[3] * mo[7]
                den += cnt
                if precise:  # sum w (cell + f - b): one more power of f
                    up = cf[0] * mo[5] + cf[1] * mo[6] + cf[2] * mo[7] + cf[3] * mo[8]
                    off += (cell - b) * cnt + up
        if precise:
            m1[b] = off / (den * oversample) if den > 1e-6 else 0.0
        if den > 1e-6:
            out[b] = num / den
        else:
            out[b] = np.nan
            full = False
    return full


def spline_table(oversample: int) -> NDArray[np.float64]:
    """Cubic coefficients ``(4 * oversample, 4)`` of the B-spline weights per cell offset.

    Row ``d`` gives ``B3(|f + c - b| / oversample)`` as ``sum_m coef[m] f**m`` for a
    pixel in cell ``c`` and bin ``b = c + d - 2 * oversample + 1``.
    """
    n_off = 4 * oversample
    f = np.array([0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0])
    vander = np.vander(f, 4, increasing=True)
    table = np.empty((n_off, 4))
    for d in range(n_off):
        delta = d - 2 * oversample + 1  # b - c
        a = np.abs(f - delta) / oversample
        wt = np.where(
            a < 1.0, 2.0 / 3.0 - a**2 + 0.5 * a**3, np.where(a < 2.0, (2.0 - a) ** 3 / 6.0, 0.0)
        )
        table[d] = np.linalg.solve(vander, wt)
    return table
