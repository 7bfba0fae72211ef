"""Vectorised numpy twin of :mod:`._kernel_precise` (fallback and test oracle).

Same steps over a block of ROIs: phase correction of the profiles from the bins' mean
radius offsets, then the template tables and one Gauss-Newton step of the centre. Sums
run in another order than the numba kernel, so the two agree to float32 rounding.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ._kernel_precise import FLOOR_FRACTION, SUB, TAPER_PX, template_geometry, to_cubic
from ._plan import Plan

__all__ = ["phase_correct_block", "template_step_block"]


def phase_correct_block(
    prof: NDArray[np.float32], m1: NDArray[np.float64], plan: Plan
) -> NDArray[np.float32]:
    """Profiles minus ``f'(r_b) (m1_b - m1_ref_b)`` (see :func:`phase_correct`)."""
    p = prof.astype(np.float64)
    os_ = plan.oversample
    slope = np.zeros_like(p)
    slope[:, 1:-1] = 0.5 * os_ * (p[:, 2:] - p[:, :-2])
    slope[:, -1] = os_ * (p[:, -1] - p[:, -2])
    out: NDArray[np.float32] = (p - slope * (m1 - plan.ring_offsets[None, :])).astype(np.float32)
    return out


def _taper(r: NDArray[np.float64], r_end: NDArray[np.float64]) -> NDArray[np.float64]:
    width = np.minimum(TAPER_PX, 0.5 * r_end)
    e = np.clip((r - (r_end - width)) / width, 0.0, 1.0)
    out: NDArray[np.float64] = np.where(e <= 0.0, 1.0, 0.5 * (1.0 + np.cos(np.pi * e)))
    return out


def _tables(
    prof: NDArray[np.float32], r_end: NDArray[np.float64], plan: Plan
) -> tuple[NDArray[np.float32], NDArray[np.float64], NDArray[np.bool_]]:
    """``phi / r`` tables, ``phi / r + phi'`` cubics per cell, and which rows work."""
    n, nb = prof.shape
    os_ = plan.oversample
    h = 1.0 / os_
    geom = template_geometry(nb, os_)
    p = prof.astype(np.float64)
    level = np.abs(p).sum(axis=1)
    floor = FLOOR_FRACTION * level / nb
    good = np.isfinite(level) & (floor > 0.0)
    p = np.where(good[:, None], p, 1.0)
    floor = np.where(good, floor, 1.0)
    m = np.zeros_like(p)
    dp = np.zeros_like(p)
    dp[:, 0] = 3.0 / (h * h) * (p[:, 1] - p[:, 0])
    for b in range(1, nb - 1):
        rhs = 6.0 / (h * h) * (p[:, b + 1] - 2.0 * p[:, b] + p[:, b - 1])
        dp[:, b] = (rhs - dp[:, b - 1]) * geom[3, b]
    for b in range(nb - 2, -1, -1):
        m[:, b] = dp[:, b] - geom[2, b] * m[:, b + 1]
    n_fine = SUB * (nb - 1)
    phi_r = np.zeros((n, n_fine + 1), np.float32)
    phs = np.empty((n, nb - 1, SUB))
    phr = np.empty((n, nb - 1, SUB))
    for s in range(SUB):
        bv = geom[4 + s, :4]
        bd = geom[4 + SUB + s, :4]
        p0, p1, m0, m1 = p[:, :-1], p[:, 1:], m[:, :-1], m[:, 1:]
        tv = bv[0] * p0 + bv[1] * p1 + bv[2] * m0 + bv[3] * m1
        td = bd[0] * p0 + bd[1] * p1 + bd[2] * m0 + bd[3] * m1
        k = SUB * np.arange(nb - 1) + s
        q = td / np.maximum(tv, floor[:, None])
        wt = _taper(geom[1, k][None, :], r_end[:, None])
        phs[:, :, s] = q * wt
        phr[:, :, s] = q * wt * geom[0, k]
        phi_r[:, k] = phr[:, :, s].astype(np.float32)
    coef = to_cubic()
    cells = np.zeros((n, nb - 1, 4))
    for j in range(4):  # explicit 4-term sums (a BLAS product may depend on the batch)
        for s in range(SUB):  # phi / r + phi' as a cubic in f
            cells[:, :, j] += coef[j, s] * phr[:, :, s]
            if j < 3:
                cells[:, :, j] += os_ * (j + 1) * coef[j + 1, s] * phs[:, :, s]
    return phi_r, cells, good


def template_step_block(
    r: NDArray[np.float32],
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    prof: NDArray[np.float32],
    plan: Plan,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Centres after one template step (see :func:`._kernel_precise.template_step`).

    ``prof`` are the phase-corrected profiles around ``(x, y)``; rows whose profile is
    not usable keep their centre.
    """
    n, h, w = r.shape
    if n == 0:
        return x, y
    nb = prof.shape[1]
    os_ = plan.oversample
    n_cells = nb - 1
    r_lim = n_cells / os_
    edge = np.minimum.reduce([x, w - 1 - x, y, h - 1 - y]) + 1.0 - 1.0 / (SUB * os_)
    r_end = np.minimum(n_cells / os_, edge)  # as in the numba kernel
    phi_r, cells, good = _tables(prof, np.nan_to_num(r_end), plan)
    fx = np.nan_to_num(x).astype(np.float32)
    fy = np.nan_to_num(y).astype(np.float32)
    dx = np.arange(w, dtype=np.float32)[None, None, :] - fx[:, None, None]
    dy = np.arange(h, dtype=np.float32)[None, :, None] - fy[:, None, None]
    dist = np.sqrt(dx * dx + dy * dy)
    inside = dist <= np.float32(r_lim)
    t = np.minimum(dist * np.float32(SUB * os_), np.float32(SUB * n_cells - 1e-3))
    k = t.astype(np.int64)
    f = t - k.astype(np.float32)
    flat = k.reshape(n, -1)
    a0 = np.take_along_axis(phi_r, flat, axis=1).reshape(k.shape)
    a1 = np.take_along_axis(phi_r, flat + 1, axis=1).reshape(k.shape)
    wgt = r * (a0 + f * (a1 - a0))
    wgt = np.where(inside, wgt, np.float32(0.0))
    gx = (wgt * dx).reshape(n, -1).sum(axis=1, dtype=np.float64)
    gy = (wgt * dy).reshape(n, -1).sum(axis=1, dtype=np.float64)
    tc = dist * np.float32(os_)
    c = np.minimum(tc.astype(np.int64), n_cells - 1)
    fc = (tc - c).astype(np.float64)
    cf = np.take_along_axis(cells, c.reshape(n, -1, 1), axis=1).reshape(*c.shape, 4)
    eta = cf[..., 0] + fc * (cf[..., 1] + fc * (cf[..., 2] + fc * cf[..., 3]))
    curv = -0.5 * np.where(dist < np.float32(r_lim), eta * r, 0.0).reshape(n, -1).sum(axis=1)
    use = good & (curv > 0.0) & np.isfinite(gx) & np.isfinite(gy)
    with np.errstate(invalid="ignore", divide="ignore"):
        x_new = np.where(use, x - gx / curv, x)
        y_new = np.where(use, y - gy / curv, y)
    return x_new, y_new
