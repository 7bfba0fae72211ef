"""Numba kernel: coarse centre, sub-pixel X/Y and radial profile, one ROI at a time.

Each ROI is read twice (sums, then Gaussian-band sums) plus once more for the
radial profile while it is still in L1/L2 cache; everything in between works on
1-D profiles of length ``w`` or ``h``. The algorithm is documented in
``docs/decisions/0006-tracker-algorithm.md``; :mod:`._kernel_numpy` is the
vectorised reference implementation of the same steps and the two agree to
float32 rounding.

The functions are compiled with ``cache=True`` (machine code stored next to this
file, or in ``NUMBA_CACHE_DIR``) and ``nogil=True``; they hold no state, so any
number of processes or threads may run them at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np
from numpy.typing import NDArray

try:  # pragma: no cover - exercised by the environment, not by a test
    import numba
except ImportError:  # pragma: no cover
    numba = None

__all__ = ["AVAILABLE", "track_kernel"]

#: True when numba can be imported (the kernel is then compiled on first use).
AVAILABLE = numba is not None

_F = TypeVar("_F", bound=Callable[..., Any])
# No "nnan"/"ninf": the kernels produce and test NaN on purpose.
_FASTMATH = {"nsz", "arcp", "contract", "reassoc"}


def _jit(func: _F) -> _F:
    if numba is None:  # pragma: no cover
        return func
    return cast(_F, numba.njit(cache=True, nogil=True, fastmath=_FASTMATH)(func))


@_jit
def _coarse(q: NDArray[np.float32], lo: int, hi: int) -> float:
    """Symmetry centre in ``[lo, hi]`` from the peak of the autoconvolution of ``q``."""
    n = q.shape[0]
    m = 2 * (hi - lo) + 1
    best = -np.inf
    jb = -1
    vals = np.empty(m, np.float32)
    for jj in range(m):
        k = 2 * lo + jj
        s = np.float32(0.0)
        for i in range(max(0, k - n + 1), min(n - 1, k) + 1):
            s += q[i] * q[k - i]
        vals[jj] = s
        if s > best:
            best = s
            jb = jj
    if not best > 0.0:
        return np.nan
    c = lo + 0.5 * jb
    if 0 < jb < m - 1:
        a = vals[jb - 1]
        d = vals[jb + 1]
        den = a - 2.0 * vals[jb] + d
        if den < 0.0:
            c += 0.25 * (a - d) / den
    return c


@_jit
def _refine(
    p: NDArray[np.float32],
    bg: float,
    x: float,
    n_iter: int,
    n_freq: int,
    cos_t: NDArray[np.float32],
    sin_t: NDArray[np.float32],
    q: NDArray[np.float32],
) -> tuple[float, float]:
    """Refine the symmetry centre ``x`` of profile ``p``; return ``(x, last_step)``.

    The profile minus ``bg`` is windowed around ``x`` with ``(1 - u**2)**2`` over the
    largest half-width that fits, and its DFT ``Q`` at ``nu_j = j / n`` is taken
    relative to ``x``. A profile symmetric about ``x + d`` has ``Q(nu)**2`` with
    phase ``-4 pi nu d``; ``d`` is the ``|Q|**2``-weighted least-squares slope.
    """
    n = p.shape[0]
    step = np.nan
    for _ in range(n_iter):
        half = min(x, n - 1 - x) + 0.5
        if not half >= 4.0:
            return np.nan, np.nan
        i0 = max(0, int(math.ceil(x - half)))
        i1 = min(n - 1, int(math.floor(x + half)))
        for i in range(i0, i1 + 1):
            u = (i - x) / half
            t = 1.0 - u * u
            q[i] = np.float32(t * t * (p[i] - bg)) if t > 0.0 else np.float32(0.0)
        base = 2.0 * math.pi * x / n
        num = 0.0
        den = 0.0
        for j in range(1, n_freq + 1):
            re = np.float32(0.0)
            im = np.float32(0.0)
            for i in range(i0, i1 + 1):
                re += q[i] * cos_t[i, j]
                im -= q[i] * sin_t[i, j]
            c = math.cos(base * j)
            s = math.sin(base * j)
            qr = re * c - im * s
            qi = re * s + im * c
            mag = qr * qr + qi * qi
            phi = math.atan2(2.0 * qr * qi, qr * qr - qi * qi)
            nu = j / n
            num += mag * nu * phi
            den += mag * nu * nu
        if not den > 0.0:
            return np.nan, np.nan
        step = -num / (4.0 * math.pi * den)
        x += step
    return x, step


@_jit
def _profile(
    roi: NDArray[Any],
    x: float,
    y: float,
    n_bins: int,
    oversample: int,
    xs: NDArray[np.float32],
    acc_v: NDArray[np.float32],
    acc_w: NDArray[np.float32],
    out: NDArray[np.float32],
) -> bool:
    """Radial profile around ``(x, y)`` with cubic B-spline radial weights.

    Every pixel within ``r_last + 2`` px adds its value to the bins within 2 px of its
    exact radius with weight ``B3(|r - r_b|)``; each bin is the weighted mean. Returns
    False when a bin received no weight.
    """
    h, w = roi.shape
    acc_v[:] = 0.0
    acc_w[:] = 0.0
    pad = 2 * oversample
    r_lim = np.float32((n_bins - 1) / oversample + 2.0)
    fx = np.float32(x)
    fy = np.float32(y)
    sixth = np.float32(1.0 / 6.0)
    two3 = np.float32(2.0 / 3.0)
    half = np.float32(0.5)
    one = np.float32(1.0)
    fos = np.float32(oversample)
    inv_os = np.float32(1.0 / oversample)
    for i in range(h):
        dy = np.float32(i) - fy
        if abs(dy) >= r_lim:
            continue
        dy2 = dy * dy
        for j in range(w):
            dx = xs[j] - fx
            r = math.sqrt(dx * dx + dy2)
            if r >= r_lim:
                continue
            v = np.float32(roi[i, j])
            if oversample == 1:
                b = int(r)
                f = r - np.float32(b)
                g = one - f
                f2 = f * f
                f3 = f2 * f
                w0 = g * g * g * sixth
                w3 = f3 * sixth
                w1 = two3 - f2 + half * f3
                w2 = one - w0 - w1 - w3
                # bin b - 1 + m lives at index b - 1 + m + pad
                acc_v[b + 1] += w0 * v
                acc_w[b + 1] += w0
                acc_v[b + 2] += w1 * v
                acc_w[b + 2] += w1
                acc_v[b + 3] += w2 * v
                acc_w[b + 3] += w2
                acc_v[b + 4] += w3 * v
                acc_w[b + 4] += w3
            else:
                t = r * fos
                b0 = int(t) - pad + 1
                for m in range(2 * pad):
                    a = abs(t - np.float32(b0 + m)) * inv_os
                    if a < one:
                        wt = two3 - a * a + half * a * a * a
                    elif a < 2.0:
                        e = np.float32(2.0) - a
                        wt = e * e * e * sixth
                    else:
                        continue
                    acc_v[b0 + m + pad] += wt * v
                    acc_w[b0 + m + pad] += wt
    full = True
    for b in range(n_bins):
        wsum = acc_w[b + pad]
        if wsum > 0.0:
            out[b] = acc_v[b + pad] / wsum
        else:
            out[b] = np.nan
            full = False
    return full


@_jit
def track_kernel(
    rois: NDArray[Any],
    sigma: float,
    n_iter: int,
    n_freq_x: int,
    n_freq_y: int,
    background: int,
    do_profile: bool,
    n_bins: int,
    oversample: int,
    cos_x: NDArray[np.float32],
    sin_x: NDArray[np.float32],
    cos_y: NDArray[np.float32],
    sin_y: NDArray[np.float32],
    x_out: NDArray[np.float64],
    y_out: NDArray[np.float64],
    prof_out: NDArray[np.float32],
    status_out: NDArray[np.int8],
) -> None:
    """Track ``rois`` ``(n, h, w)`` into ``x_out``, ``y_out``, ``prof_out``, ``status_out``.

    ``prof_out`` is only written when ``do_profile``; status codes are listed in
    :data:`magscope_tracker._plan.STATUS_MESSAGES`.
    """
    n, h, w = rois.shape
    cs = np.empty(w, np.float32)
    rs = np.empty(h, np.float32)
    px = np.empty(w, np.float32)
    py = np.empty(h, np.float32)
    gx = np.empty(w, np.float32)
    gy = np.empty(h, np.float32)
    qx = np.empty(w, np.float32)
    qy = np.empty(h, np.float32)
    xs = np.arange(w).astype(np.float32)
    acc_v = np.empty(n_bins + 8 * oversample + 2, np.float32)
    acc_w = np.empty(n_bins + 8 * oversample + 2, np.float32)
    reach = 4.0 * sigma
    for k in range(n):
        roi = rois[k]
        # pass 1: row and column sums
        cs[:] = 0.0
        total = 0.0
        for i in range(h):
            s = np.float32(0.0)
            for j in range(w):
                v = np.float32(roi[i, j])
                s += v
                cs[j] += v
            rs[i] = s
            total += s
        if background == 0:
            bg = total / (h * w)
        elif background == 1:
            edge = rs[0] + rs[h - 1]
            for i in range(1, h - 1):
                edge += np.float32(roi[i, 0]) + np.float32(roi[i, w - 1])
            bg = edge / (2 * w + 2 * h - 4)
        else:
            bg = 0.0
        for j in range(w):
            cs[j] -= np.float32(bg * h)
        for i in range(h):
            rs[i] -= np.float32(bg * w)
        x = _coarse(cs, w // 4, (3 * w) // 4)
        y = _coarse(rs, h // 4, (3 * h) // 4)
        if not (math.isfinite(x) and math.isfinite(y)):
            x_out[k] = np.nan
            y_out[k] = np.nan
            status_out[k] = 1
            if do_profile:
                prof_out[k, :] = np.nan
            continue
        # pass 2: Gaussian-band sums around the coarse centre
        jx0 = max(0, int(math.ceil(x - reach)))
        jx1 = min(w - 1, int(math.floor(x + reach)))
        iy0 = max(0, int(math.ceil(y - reach)))
        iy1 = min(h - 1, int(math.floor(y + reach)))
        sgx = 0.0
        for j in range(jx0, jx1 + 1):
            d = (j - x) / sigma
            gx[j] = math.exp(-0.5 * d * d)
            sgx += gx[j]
        sgy = 0.0
        for i in range(iy0, iy1 + 1):
            d = (i - y) / sigma
            gy[i] = math.exp(-0.5 * d * d)
            sgy += gy[i]
        px[:] = 0.0
        for i in range(h):
            s = np.float32(0.0)
            for j in range(jx0, jx1 + 1):
                s += gx[j] * np.float32(roi[i, j])
            py[i] = s
            if iy0 <= i <= iy1:
                gi = gy[i]
                for j in range(w):
                    px[j] += gi * np.float32(roi[i, j])
        x, step_x = _refine(px, bg * sgy, x, n_iter, n_freq_x, cos_x, sin_x, qx)
        y, step_y = _refine(py, bg * sgx, y, n_iter, n_freq_y, cos_y, sin_y, qy)
        x_out[k] = x
        y_out[k] = y
        if not (math.isfinite(x) and math.isfinite(y)):
            status_out[k] = 2
        elif abs(step_x) > 0.1 or abs(step_y) > 0.1:
            status_out[k] = 3
        else:
            status_out[k] = 0
        if do_profile:
            if status_out[k] == 2:
                prof_out[k, :] = np.nan
            elif not _profile(roi, x, y, n_bins, oversample, xs, acc_v, acc_w, prof_out[k]):
                if status_out[k] == 0:
                    status_out[k] = 4
