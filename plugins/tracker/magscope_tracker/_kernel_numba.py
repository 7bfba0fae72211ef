"""Numba kernel: coarse centre, sub-pixel X/Y and radial profile, one ROI at a time.

Each ROI is read twice for X/Y (plain sums, then Gaussian-band sums) and once more
for the radial profile while it is still in L1 cache; everything in between works
on 1-D profiles of length ``w`` or ``h``. The precise mode skips the band sums and
reads the ROI once more for the template step (:mod:`._kernel_precise`). The algorithm
is documented in ``docs/decisions/0006-tracker-algorithm.md`` and
``0016-tracker-at-the-physical-limit.md``; :mod:`._kernel_numpy` is the
vectorised reference implementation of the same steps and the two agree to
float32 rounding.

Performance notes (measured, 64x64 uint16, one core): inner loops run over
``range(n)`` on 1-D slices so numba can prove the indices non-negative and emit
SIMD code (loops over ``range(i0, i1)`` with 2-D indexing were 3x slower); the
profile accumulates eight moments per one-pixel radial cell (one cache line)
instead of scattering into four bins (16 -> 13 us per ROI).

The functions are compiled with ``cache=True`` (machine code stored next to this
file, or in ``NUMBA_CACHE_DIR``) and ``nogil=True``; they hold no state, so any
number of processes or threads may run them at once.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._jit import AVAILABLE, numba
from ._jit import jit as _jit
from ._kernel_precise import SUB, phase_correct, template_cells, template_step
from ._kernel_profile import profile as _profile
from ._plan import CONVERGENCE_PX, TEMPLATE_STEP_PX

__all__ = ["AVAILABLE", "cache_misses", "correlate_profiles", "track_kernel"]


@_jit
def _coarse(q: NDArray[np.float32], rev: NDArray[np.float32], lo: int, hi: int) -> float:
    """Symmetry centre in ``[lo, hi]`` from the peak of the autoconvolution of ``q``.

    ``c[k] = sum_i q[i] q[k - i]`` peaks at ``k = 2 x0``; a parabola through the peak
    and its neighbours gives a sub-sample start. ``rev`` is scratch of ``q``'s size.
    """
    n = q.shape[0]
    for i in range(n):
        rev[i] = q[n - 1 - i]
    m = 2 * (hi - lo) + 1
    best = -np.inf
    jb = -1
    c_m = 0.0
    c_p = 0.0
    prev = 0.0
    for jj in range(m):
        k = 2 * lo + jj
        i0 = max(0, k - n + 1)
        i1 = min(n - 1, k)
        a = q[i0 : i1 + 1]
        b = rev[i0 + n - 1 - k : i1 + n - k]  # b[i] = q[k - i0 - i]
        s = np.float32(0.0)
        for i in range(a.shape[0]):
            s += a[i] * b[i]
        if jj == jb + 1 and jb >= 0:
            c_p = s
        if s > best:
            best = s
            jb = jj
            c_m = prev
            c_p = np.nan
        prev = s
    if not best > 0.0:
        return np.nan
    centre = lo + 0.5 * jb
    if 0 < jb < m - 1:
        den = c_m - 2.0 * best + c_p
        if den < 0.0:
            centre += 0.25 * (c_m - c_p) / den
    return centre


@_jit
def _refine(
    p: NDArray[np.float32],
    bg: float,
    x: float,
    n_iter: int,
    max_iter: int,
    tolerance: float,
    n_freq: int,
    cos_t: NDArray[np.float32],
    sin_t: NDArray[np.float32],
    q: NDArray[np.float32],
) -> tuple[float, float]:
    """Refine the symmetry centre ``x`` of profile ``p``; return ``(x, last_step)``.

    The profile minus ``bg`` is windowed around ``x`` with ``(1 - u**4)**2`` over the
    largest half-width that fits, and its DFT ``Q`` at ``nu_j = j / n`` is taken
    relative to ``x``. A profile symmetric about ``x + d`` has ``Q(nu)**2`` with
    phase ``-4 pi nu d``; ``d`` is the ``|Q|**2``-weighted least-squares slope.
    Runs ``n_iter`` iterations, then more (``max_iter`` in all) while the step exceeds
    ``tolerance`` (pixels).
    """
    n = p.shape[0]
    step = np.nan
    fbg = np.float32(bg)
    zero = np.float32(0.0)
    one = np.float32(1.0)
    for it in range(max_iter):
        if it >= n_iter and abs(step) < tolerance:
            break
        half = min(x, n - 1 - x) + 0.5
        if not half >= 4.0:
            return np.nan, np.nan
        inv = np.float32(1.0 / half)
        fx = np.float32(x)
        for i in range(n):
            u = (np.float32(i) - fx) * inv
            u2 = u * u
            t = max(one - u2 * u2, zero)
            q[i] = t * t * (p[i] - fbg)
        # exp(+2 pi i j x / n) by recurrence
        c1 = math.cos(2.0 * math.pi * x / n)
        s1 = math.sin(2.0 * math.pi * x / n)
        c = 1.0
        s = 0.0
        num = 0.0
        den = 0.0
        for j in range(1, n_freq + 1):
            c, s = c * c1 - s * s1, s * c1 + c * s1
            ct = cos_t[j]
            st = sin_t[j]
            re = zero
            im = zero
            for i in range(n):
                re += q[i] * ct[i]
                im += q[i] * st[i]
            qr = re * c + im * s
            qi = re * s - im * c
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
def track_kernel(
    rois: NDArray[Any],
    sigma: float,
    n_iter: int,
    max_iter: int,
    tolerance: float,
    n_freq_x: int,
    n_freq_y: int,
    background: int,
    do_profile: bool,
    n_bins: int,
    oversample: int,
    spline: NDArray[np.float64],
    cos_x: NDArray[np.float32],
    sin_x: NDArray[np.float32],
    cos_y: NDArray[np.float32],
    sin_y: NDArray[np.float32],
    precise: bool,
    m1_ref: NDArray[np.float64],
    to_cubic: NDArray[np.float64],
    geom: NDArray[np.float64],
    x_out: NDArray[np.float64],
    y_out: NDArray[np.float64],
    prof_out: NDArray[np.float32],
    status_out: NDArray[np.int8],
) -> None:
    """Track ``rois`` ``(n, h, w)`` into ``x_out``, ``y_out``, ``prof_out``, ``status_out``.

    ``prof_out`` is only written when ``do_profile``; status codes are listed in
    :data:`magscope_tracker._plan.STATUS_MESSAGES`. With ``precise`` the profile is
    phase-corrected (``m1_ref``: continuous-ring bin offsets) and always computed, and
    the centre takes one template step (:mod:`._kernel_precise`; ``to_cubic`` and
    ``geom`` are its constants).
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
    rbuf = np.empty((h, w), np.float32)  # pixel radii around the profile centre
    acc = np.empty((n_bins + 2 * oversample + 1, 9), np.float32)
    m1 = np.zeros(n_bins, np.float64)
    own = np.empty(n_bins, np.float32)
    cells = np.empty((n_bins - 1, 4), np.float64)
    fine = np.empty(SUB * (n_bins - 1) + 1, np.float32)
    reach = 4.0 * sigma
    for k in range(n):
        roi = rois[k]
        # pass 1: row and column sums
        cs[:] = 0.0
        total = 0.0
        for i in range(h):
            row = roi[i]
            s = np.float32(0.0)
            for j in range(w):
                v = np.float32(row[j])
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
        x = _coarse(cs, qx, w // 4, (3 * w) // 4)
        y = _coarse(rs, qy, h // 4, (3 * h) // 4)
        if not (math.isfinite(x) and math.isfinite(y)):
            x_out[k] = np.nan
            y_out[k] = np.nan
            status_out[k] = 1
            if do_profile:
                prof_out[k, :] = np.nan
            continue
        if precise:  # the full projections are a good enough start for the template
            x, step_x = _refine(
                cs, 0.0, x, n_iter, max_iter, tolerance, n_freq_x, cos_x, sin_x, qx
            )
            y, step_y = _refine(
                rs, 0.0, y, n_iter, max_iter, tolerance, n_freq_y, cos_y, sin_y, qy
            )
        else:
            # pass 2: sums over Gaussian bands of columns (for y) and rows (for x)
            jx0 = max(0, math.ceil(x - reach))
            jx1 = min(w - 1, math.floor(x + reach))
            iy0 = max(0, math.ceil(y - reach))
            iy1 = min(h - 1, math.floor(y + reach))
            gxs = gx[jx0 : jx1 + 1]
            sgx = 0.0
            for j in range(gxs.shape[0]):
                d = (jx0 + j - x) / sigma
                gxs[j] = math.exp(-0.5 * d * d)
                sgx += gxs[j]
            sgy = 0.0
            for i in range(iy0, iy1 + 1):
                d = (i - y) / sigma
                gy[i] = math.exp(-0.5 * d * d)
                sgy += gy[i]
            px[:] = 0.0
            for i in range(h):
                row = roi[i]
                band = row[jx0 : jx1 + 1]
                s = np.float32(0.0)
                for j in range(band.shape[0]):
                    s += gxs[j] * np.float32(band[j])
                py[i] = s
                if iy0 <= i <= iy1:
                    gi = gy[i]
                    for j in range(w):
                        px[j] += gi * np.float32(row[j])
            x, step_x = _refine(
                px, bg * sgy, x, n_iter, max_iter, tolerance, n_freq_x, cos_x, sin_x, qx
            )
            y, step_y = _refine(
                py, bg * sgx, y, n_iter, max_iter, tolerance, n_freq_y, cos_y, sin_y, qy
            )
        x_out[k] = x
        y_out[k] = y
        if not (math.isfinite(x) and math.isfinite(y)):
            status_out[k] = 2
        elif abs(step_x) > CONVERGENCE_PX or abs(step_y) > CONVERGENCE_PX:
            status_out[k] = 3
        else:
            status_out[k] = 0
        if not (do_profile or precise):
            continue
        prof = prof_out[k] if do_profile else own
        if status_out[k] == 2:
            prof[:] = np.nan
            continue
        full = _profile(roi, x, y, n_bins, oversample, spline, xs, rbuf, acc, prof, m1, precise)
        if not full and status_out[k] == 0:
            status_out[k] = 4
        if precise and full:
            phase_correct(prof, m1, m1_ref, oversample)
            # the nearest pixel outside the ROI lies 1 px beyond the edge pixel: up to
            # there (less one table step) the disc is whole
            edge = min(x, w - 1 - x, y, h - 1 - y) + 1.0 - 1.0 / (SUB * oversample)
            r_end = min((n_bins - 1) / oversample, edge)
            if template_cells(prof, r_end, oversample, to_cubic, geom, cells, fine):
                dx, dy = template_step(roi, x, y, oversample, cells, fine, acc, xs, rbuf, r_end)
                x_out[k] = x + dx
                y_out[k] = y + dy
                if status_out[k] == 0 and max(abs(dx), abs(dy)) > TEMPLATE_STEP_PX:
                    status_out[k] = 3


@_jit
def correlate_profiles(
    profiles: NDArray[np.float32],
    planes: NDArray[np.float32],
    corr: NDArray[np.float32],
    valid: NDArray[np.bool_],
) -> None:
    """Pearson correlation of each profile row with each (normalised) LUT plane.

    Each row of ``profiles`` ``(n, b)`` loses its mean and is scaled to unit norm, then
    dotted with every row of ``planes`` ``(m, b)`` into ``corr`` ``(n, m)``; ``valid[i]``
    is False (and ``corr[i]`` 0) for a row with a non-finite value or no variance.
    Every row is computed alone, in a fixed order, so a profile gets bit-identical
    correlations whatever batch it comes in (a BLAS product does not promise that).
    """
    n, nb = profiles.shape
    m = planes.shape[0]
    q = np.empty(nb, np.float32)
    for i in range(n):
        row = profiles[i]
        total = 0.0
        finite = True
        for j in range(nb):
            v = row[j]
            if not math.isfinite(v):
                finite = False
            total += v
        mean = np.float32(total / nb)
        sq = 0.0
        for j in range(nb):
            d = row[j] - mean
            q[j] = d
            sq += np.float64(d) * np.float64(d)
        norm = np.float32(math.sqrt(sq))
        if not (finite and norm > 0.0):
            valid[i] = False
            corr[i, :] = 0.0
            continue
        valid[i] = True
        inv = np.float32(1.0) / norm
        for j in range(nb):
            q[j] *= inv
        for k in range(m):
            plane = planes[k]
            acc = 0.0
            for j in range(nb):
                acc += np.float64(q[j]) * np.float64(plane[j])
            corr[i, k] = acc


def cache_misses() -> int:
    """Kernel specialisations this process compiled (not found in the on-disk cache)."""
    if numba is None:  # pragma: no cover
        return 0
    from ._zfit_weighted import fit_rows

    kernels: tuple[Any, ...] = (track_kernel, correlate_profiles, fit_rows)
    return int(sum(sum(k.stats.cache_misses.values()) for k in kernels))
