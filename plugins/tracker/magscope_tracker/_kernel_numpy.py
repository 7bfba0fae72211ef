"""Vectorised numpy implementation of the tracking kernel (reference and fallback).

Same steps and results as :mod:`._kernel_numba` (to float32 rounding), written
over blocks of ROIs instead of one ROI at a time. It is used when numba is not
importable and by the tests to check the compiled kernel.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._plan import CONVERGENCE_PX, TEMPLATE_STEP_PX, Plan
from ._precise_numpy import phase_correct_block, template_step_block

__all__ = ["track_numpy"]


def _coarse(q: NDArray[np.float32], lo: int, hi: int) -> NDArray[np.float64]:
    """Autoconvolution-peak symmetry centres of the rows of ``q`` within ``[lo, hi]``."""
    n_len = q.shape[1]
    size = 2 * n_len
    spec = np.fft.rfft(q.astype(np.float64), size, axis=1)
    conv = np.fft.irfft(spec * spec, size, axis=1)[:, 2 * lo : 2 * hi + 1]
    jb = np.argmax(conv, axis=1)
    rows = np.arange(q.shape[0])
    best = conv[rows, jb]
    centre: NDArray[np.float64] = lo + 0.5 * jb.astype(np.float64)
    inner = (jb > 0) & (jb < conv.shape[1] - 1)
    a = conv[rows, np.clip(jb - 1, 0, None)]
    d = conv[rows, np.clip(jb + 1, None, conv.shape[1] - 1)]
    den = a - 2.0 * best + d
    use = inner & (den < 0.0)
    centre[use] += 0.25 * (a[use] - d[use]) / den[use]
    centre[~(best > 0.0)] = np.nan
    return centre


def _refine(
    p: NDArray[np.float32],
    bg: NDArray[np.float64],
    x: NDArray[np.float64],
    n_iter: int,
    n_freq: int,
    plan: Plan,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Vectorised twin of ``_kernel_numba._refine``; returns ``(x, last_step)``."""
    n_len = p.shape[1]
    cos_t, sin_t = plan.dft_tables(n_len, n_freq)
    idx = np.arange(n_len, dtype=np.float64)
    freq = np.arange(1, n_freq + 1, dtype=np.float64)
    nu = freq / n_len
    centred = p - bg[:, None].astype(np.float32)
    x = x.copy()
    step = np.full_like(x, np.nan)
    active = np.ones(x.shape, bool)
    with np.errstate(invalid="ignore", divide="ignore"):
        for it in range(plan.max_iter):
            if it >= n_iter:
                active &= ~(np.abs(step) < plan.tolerance)
                if not active.any():
                    break
            half = np.minimum(x, n_len - 1 - x) + 0.5
            bad = ~(half >= 4.0)
            u = (idx[None, :] - x[:, None]) / half[:, None]
            t = 1.0 - u**4
            window = np.where(t > 0.0, t * t, 0.0).astype(np.float32)
            q = np.nan_to_num(window * centred)
            # products summed per row (not a BLAS matrix product, whose summation order
            # depends on the block size): a ROI's result must not depend on its batch
            re = (q[:, None, :] * cos_t[None, 1:, :]).sum(axis=2)
            im = -(q[:, None, :] * sin_t[None, 1:, :]).sum(axis=2)
            base = 2.0 * np.pi * np.nan_to_num(x)[:, None] / n_len * freq[None, :]
            c = np.cos(base)
            s = np.sin(base)
            qr = re * c - im * s
            qi = re * s + im * c
            mag = qr * qr + qi * qi
            phi = np.arctan2(2.0 * qr * qi, qr * qr - qi * qi)
            num = (mag * nu * phi).sum(axis=1)
            den = (mag * nu * nu).sum(axis=1)
            new_step = np.where(den > 0.0, -num / (4.0 * np.pi * den), np.nan)
            new_step[bad] = np.nan
            step = np.where(active, new_step, step)
            x = np.where(active, x + new_step, x)
    return x, step


def _b3(a: NDArray[np.float32]) -> NDArray[np.float32]:
    """Cubic B-spline kernel of ``|a|`` (support 2)."""
    inner = 2.0 / 3.0 - a * a + 0.5 * a * a * a
    e = 2.0 - a
    outer = e * e * e / 6.0
    return np.where(a < 1.0, inner, np.where(a < 2.0, outer, 0.0)).astype(np.float32)


def _profiles(
    r: NDArray[np.float32], x: NDArray[np.float64], y: NDArray[np.float64], plan: Plan
) -> tuple[NDArray[np.float32], NDArray[np.bool_], NDArray[np.float64]]:
    """Cubic B-spline weighted radial profiles; returns ``(profiles, full, m1)``.

    ``m1`` is each bin's weighted mean offset ``r - r_b`` in pixels (precise mode).
    """
    n, h, w = r.shape
    os_ = plan.oversample
    n_bins = plan.n_bins
    pad = 2 * os_
    size = n_bins + 8 * os_ + 2
    r_lim = np.float32((n_bins - 1) / os_ + 2.0)
    fx = np.nan_to_num(x).astype(np.float32)
    fy = np.nan_to_num(y).astype(np.float32)
    dx = np.arange(w, dtype=np.float32)[None, :] - fx[:, None]
    dy = np.arange(h, dtype=np.float32)[None, :] - fy[:, None]
    dist = np.sqrt(dx[:, None, :] ** 2 + dy[:, :, None] ** 2)
    keep = dist < r_lim
    d = dist[keep]
    v = r[keep]
    owner = np.broadcast_to(np.arange(n)[:, None, None] * size, dist.shape)[keep]
    t = d * np.float32(os_)
    b0 = np.floor(t).astype(np.int64) - pad + 1
    idx = []
    wts = []
    offs = []
    for m in range(2 * pad):
        b = b0 + m
        idx.append(owner + b + pad)
        wts.append(_b3(np.abs(t - b.astype(np.float32)) / np.float32(os_)))
        offs.append((t - b.astype(np.float32)) / np.float32(os_))
    all_idx = np.concatenate(idx)
    all_w = np.concatenate(wts)
    acc_w = np.bincount(all_idx, all_w, n * size).reshape(n, size)
    acc_v = np.bincount(all_idx, all_w * np.tile(v, 2 * pad), n * size).reshape(n, size)
    acc_w = acc_w[:, pad : pad + n_bins]
    acc_v = acc_v[:, pad : pad + n_bins]
    full = np.asarray((acc_w > 0.0).all(axis=1), dtype=np.bool_)
    m1 = np.zeros((n, n_bins))
    with np.errstate(invalid="ignore", divide="ignore"):
        prof = np.where(acc_w > 0.0, acc_v / acc_w, np.nan).astype(np.float32)
        if plan.precise:
            all_o = np.concatenate(offs).astype(np.float64)
            acc_o = np.bincount(all_idx, all_w * all_o, n * size).reshape(n, size)
            m1 = np.where(acc_w > 0.0, acc_o[:, pad : pad + n_bins] / acc_w, 0.0)
    return prof, full, m1


def _track_block(
    block: NDArray[Any], plan: Plan, do_profile: bool
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float32], NDArray[np.int8]]:
    n, h, w = block.shape
    r = block.astype(np.float32)
    rs = r.sum(axis=2)
    cs = r.sum(axis=1)
    total = rs.sum(axis=1, dtype=np.float64)
    if plan.background == 0:
        bg = total / (h * w)
    elif plan.background == 1:
        edge = rs[:, 0] + rs[:, h - 1] + r[:, 1:-1, 0].sum(axis=1) + r[:, 1:-1, w - 1].sum(axis=1)
        bg = edge.astype(np.float64) / (2 * w + 2 * h - 4)
    else:
        bg = np.zeros(n)
    cs = cs - (bg * h)[:, None].astype(np.float32)
    rs = rs - (bg * w)[:, None].astype(np.float32)
    x = _coarse(cs, w // 4, (3 * w) // 4)
    y = _coarse(rs, h // 4, (3 * h) // 4)
    status = np.zeros(n, np.int8)
    coarse_bad = ~(np.isfinite(x) & np.isfinite(y))
    status[coarse_bad] = 1
    reach = 4.0 * plan.sigma
    xc = np.nan_to_num(x)
    yc = np.nan_to_num(y)
    dxg = np.arange(w)[None, :] - xc[:, None]
    dyg = np.arange(h)[None, :] - yc[:, None]
    gx = np.where(np.abs(dxg) <= reach, np.exp(-0.5 * (dxg / plan.sigma) ** 2), 0.0)
    gy = np.where(np.abs(dyg) <= reach, np.exp(-0.5 * (dyg / plan.sigma) ** 2), 0.0)
    px = np.matmul(gy.astype(np.float32)[:, None, :], r)[:, 0, :]
    py = np.matmul(r, gx.astype(np.float32)[:, :, None])[:, :, 0]
    if plan.precise:  # the full projections are a good enough start for the template
        zero = np.zeros(n)
        x, step_x = _refine(cs, zero, xc, plan.n_iter, plan.n_freq_x, plan)
        y, step_y = _refine(rs, zero, yc, plan.n_iter, plan.n_freq_y, plan)
    else:
        x, step_x = _refine(px, bg * gy.sum(axis=1), xc, plan.n_iter, plan.n_freq_x, plan)
        y, step_y = _refine(py, bg * gx.sum(axis=1), yc, plan.n_iter, plan.n_freq_y, plan)
    x[coarse_bad] = np.nan
    y[coarse_bad] = np.nan
    lost = ~(np.isfinite(x) & np.isfinite(y)) & ~coarse_bad
    status[lost] = 2
    with np.errstate(invalid="ignore"):
        slow = (np.abs(step_x) > CONVERGENCE_PX) | (np.abs(step_y) > CONVERGENCE_PX)
    status[(status == 0) & slow] = 3
    if do_profile or plan.precise:
        prof, full, m1 = _profiles(r, x, y, plan)
        prof[status == 1] = np.nan
        prof[status == 2] = np.nan
        status[(status == 0) & ~full] = 4
        if plan.precise:
            fixed = full & (status != 1) & (status != 2)
            prof[fixed] = phase_correct_block(prof[fixed], m1[fixed], plan)
            moved = template_step_block(r[fixed], x[fixed], y[fixed], prof[fixed], plan)
            big = np.maximum(np.abs(moved[0] - x[fixed]), np.abs(moved[1] - y[fixed]))
            x[fixed], y[fixed] = moved
            flag = np.zeros(n, bool)
            flag[fixed] = big > TEMPLATE_STEP_PX
            status[(status == 0) & flag] = 3
        if not do_profile:
            prof = np.empty((n, 0), np.float32)
    else:
        prof = np.empty((n, 0), np.float32)
    return x, y, prof, status


def track_numpy(
    rois: NDArray[Any],
    plan: Plan,
    do_profile: bool,
    chunk_size: int,
    x_out: NDArray[np.float64],
    y_out: NDArray[np.float64],
    prof_out: NDArray[np.float32],
    status_out: NDArray[np.int8],
) -> None:
    """Track ``rois`` ``(n, h, w)`` block by block into the output arrays."""
    for start in range(0, rois.shape[0], chunk_size):
        stop = min(start + chunk_size, rois.shape[0])
        x, y, prof, status = _track_block(rois[start:stop], plan, do_profile)
        x_out[start:stop] = x
        y_out[start:stop] = y
        status_out[start:stop] = status
        if do_profile:
            prof_out[start:stop] = prof
