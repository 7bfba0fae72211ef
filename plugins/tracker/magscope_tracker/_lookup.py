"""Z from radial profiles: normalise, correlate with every LUT plane, refine locally.

Every step works on each profile alone, in a fixed order (no BLAS matrix product, whose
summation order depends on the batch shape): a ROI gets bit-identical ``z`` whether it
is tracked alone, in a stack, or in another worker process.
"""

from __future__ import annotations

import attrs
import numpy as np
from numpy.typing import NDArray

from . import _kernel_numba
from ._options import ZFit
from ._zfit_weighted import fit_weighted

__all__ = ["PreparedLut", "correlate", "lookup_z", "normalise_rows", "prepare_lut"]

#: Tolerance, in planes, on the LUT ends before a fitted position counts as outside.
_EDGE_TOLERANCE = 1e-3
_NEWTON_STEPS = 5


def normalise_rows(p: NDArray[np.floating]) -> NDArray[np.float32]:
    """Subtract each row's mean and divide by its norm (rows that cannot be scaled -> NaN)."""
    q = p.astype(np.float32) - p.mean(axis=1, keepdims=True, dtype=np.float64).astype(np.float32)
    norm = np.sqrt(np.einsum("ij,ij->i", q, q, dtype=np.float64)).astype(np.float32)
    with np.errstate(invalid="ignore", divide="ignore"):
        out: NDArray[np.float32] = q / norm[:, None]
    out[~(norm > 0.0)] = np.nan
    return out


@attrs.frozen(eq=False)
class PreparedLut:
    """A Z-LUT ready for matching: normalised planes and per-stencil fit constants.

    Parameters
    ----------
    z_nm : ndarray
        Plane heights ``(m,)``.
    planes : ndarray
        Normalised profiles over the matched bins, ``(m, n_used)`` float32.
    used : ndarray
        Boolean mask of the profile bins that are matched.
    to_poly : ndarray
        ``(S, S)`` inverse Vandermonde matrix of the nodes ``0..S-1``, ``S = min(4, m)``:
        maps ``S`` consecutive planes to the coefficients ``A_p`` of the Lagrange
        polynomial ``L(tau) = sum_p A_p tau**p``.
    gram_poly : ndarray
        ``(m - S + 1, 2 S - 1)``: for the stencil starting at plane ``s``, the
        coefficients ``g_r = sum_{p + q = r} A_p . A_q`` of ``|L(tau)|**2``.
    raw_poly : ndarray
        ``(m - S + 1, S, n_used)``: the coefficients ``A_p`` of the *raw* (not normalised)
        planes for each stencil, for the weighted fit of the precise mode.
    counts : ndarray
        ``(n_used,)`` pixels in each matched bin (:attr:`Plan.bin_counts`), the
        numerator of the precise Z fit's bin weights.
    """

    z_nm: NDArray[np.float64]
    planes: NDArray[np.float32]
    used: NDArray[np.bool_]
    to_poly: NDArray[np.float64]
    gram_poly: NDArray[np.float64]
    raw_poly: NDArray[np.float64]
    counts: NDArray[np.float64]


def prepare_lut(
    profiles: NDArray[np.floating],
    z_nm: NDArray[np.float64],
    used: NDArray[np.bool_],
    counts: NDArray[np.float64],
) -> PreparedLut:
    """Normalise LUT ``profiles`` ``(m, n_bins)`` over the bins in ``used`` (``counts`` pixels)."""
    planes = normalise_rows(profiles[:, used])
    m = planes.shape[0]
    size = min(4, m)
    to_poly = np.linalg.inv(np.vander(np.arange(size, dtype=np.float64), size, increasing=True))
    gram_poly = np.zeros((m - size + 1, 2 * size - 1))
    p_idx, q_idx = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    raw = np.asarray(profiles, np.float64)[:, used]
    raw_poly = np.stack(
        [to_poly @ raw[start : start + size] for start in range(m - size + 1)]
    )
    for start in range(m - size + 1):
        block = planes[start : start + size].astype(np.float64)
        coeffs = to_poly @ block  # (S, n_used): A_p
        gram = coeffs @ coeffs.T
        np.add.at(gram_poly[start], p_idx + q_idx, gram)
    return PreparedLut(
        z_nm=np.asarray(z_nm, np.float64),
        planes=planes,
        used=used,
        to_poly=to_poly,
        gram_poly=gram_poly,
        raw_poly=raw_poly,
        counts=np.asarray(counts, np.float64)[used],
    )


def _small_product(a: NDArray[np.floating], b: NDArray[np.floating]) -> NDArray[np.float64]:
    """``a @ b.T`` for a few columns, element by element (same result for any row count)."""
    out: NDArray[np.float64] = a[:, 0, None].astype(np.float64) * b[None, :, 0]
    for k in range(1, a.shape[1]):
        out += a[:, k, None].astype(np.float64) * b[None, :, k]
    return out


def correlate(
    profiles: NDArray[np.floating], planes: NDArray[np.float32]
) -> tuple[NDArray[np.float32], NDArray[np.bool_]]:
    """Pearson correlation ``(n, m)`` of each profile with each normalised plane.

    Returns the correlations and which profiles were valid (finite, not flat); an
    invalid profile's row is 0. Each row is computed on its own (see the module note).
    """
    prof = np.ascontiguousarray(profiles, dtype=np.float32)
    n = prof.shape[0]
    corr = np.empty((n, planes.shape[0]), np.float32)
    valid = np.empty(n, np.bool_)
    if _kernel_numba.AVAILABLE:
        _kernel_numba.correlate_profiles(prof, np.ascontiguousarray(planes), corr, valid)
        return corr, valid
    planes64 = planes.astype(np.float64)
    for i in range(n):  # one matrix-vector product per profile: its order is fixed
        q = normalise_rows(prof[i : i + 1])[0]
        valid[i] = bool(np.isfinite(q).all())
        corr[i] = planes64 @ q.astype(np.float64) if valid[i] else 0.0
    return corr, valid


def _z_at(position: NDArray[np.float64], z_nm: NDArray[np.float64]) -> NDArray[np.float64]:
    """Piecewise-linear z at fractional plane ``position``; NaN outside the LUT."""
    m = z_nm.size
    outside = ~((position >= -_EDGE_TOLERANCE) & (position <= m - 1 + _EDGE_TOLERANCE))
    pos = np.clip(np.nan_to_num(position), 0.0, m - 1.0)
    i = np.clip(np.floor(pos).astype(np.int64), 0, m - 2)
    z = z_nm[i] + (pos - i) * (z_nm[i + 1] - z_nm[i])
    z[outside] = np.nan
    return z


def _fit_parabola(
    corr: NDArray[np.float32], best: NDArray[np.int64], n_local: int
) -> NDArray[np.float64]:
    m = corr.shape[1]
    n_local = min(n_local, m if m % 2 else m - 1)
    half = n_local // 2
    centre = np.clip(best, half, m - 1 - half)
    offsets = np.arange(-half, half + 1)
    window = np.take_along_axis(corr, centre[:, None] + offsets[None, :], axis=1).astype(np.float64)
    design = np.stack([np.ones(n_local), offsets, offsets**2], axis=1).astype(np.float64)
    coef = _small_product(window, np.linalg.pinv(design))
    with np.errstate(invalid="ignore", divide="ignore"):
        vertex = np.where(coef[:, 2] < 0.0, -coef[:, 1] / (2.0 * coef[:, 2]), np.nan)
    position: NDArray[np.float64] = centre.astype(np.float64) + vertex
    return position


def _fit_interpolate(
    corr: NDArray[np.float32], best: NDArray[np.int64], lut: PreparedLut
) -> NDArray[np.float64]:
    """Fractional plane minimising ``|P - L(tau)|**2`` for the Lagrange-interpolated LUT.

    The interval between the best plane and its better neighbour is interpolated by
    the cubic through four planes around it (the same cubic whichever end of the
    interval was the best plane, so z is continuous). ``P . A_p`` follows from the
    correlations already computed; ``|L|**2`` from :attr:`PreparedLut.gram_poly`.
    """
    m = corr.shape[1]
    size = lut.to_poly.shape[0]
    lower = _interval(corr, best)
    start = np.clip(lower - 1, 0, m - size)
    window = np.take_along_axis(corr, start[:, None] + np.arange(size)[None, :], axis=1)
    energy = lut.gram_poly[start].copy()  # coefficients of |L(tau)|^2 - 2 P.L(tau)
    energy[:, :size] -= 2.0 * _small_product(window, lut.to_poly)
    powers = np.arange(energy.shape[1], dtype=np.float64)
    d1 = energy[:, 1:] * powers[1:]
    d2 = d1[:, 1:] * powers[1:-1]
    anchor = (lower - start).astype(np.float64)
    tau = anchor + np.where(lower == best, 0.25, 0.75)
    for _ in range(_NEWTON_STEPS):
        grad = _polyval(d1, tau)
        curv = _polyval(d2, tau)
        with np.errstate(invalid="ignore", divide="ignore"):
            step = np.where(curv > 0.0, grad / curv, 0.25 * np.sign(grad))
        tau = np.clip(tau - step, anchor - 1.0, anchor + 2.0)
    position: NDArray[np.float64] = start.astype(np.float64) + tau
    return position


def _interval(corr: NDArray[np.float32], best: NDArray[np.int64]) -> NDArray[np.int64]:
    """Lower plane of the interval between the best plane and its better neighbour."""
    n, m = corr.shape
    rows = np.arange(n)
    c_lo = corr[rows, np.clip(best - 1, 0, m - 1)]
    c_hi = corr[rows, np.clip(best + 1, 0, m - 1)]
    lower = np.where((best == m - 1) | ((best > 0) & (c_lo > c_hi)), best - 1, best)
    out: NDArray[np.int64] = np.clip(lower, 0, m - 2)
    return out


def _polyval(coef: NDArray[np.float64], t: NDArray[np.float64]) -> NDArray[np.float64]:
    """Evaluate per-row polynomials ``sum_r coef[:, r] t**r`` (Horner)."""
    out: NDArray[np.float64] = coef[:, -1].copy()
    for r in range(coef.shape[1] - 2, -1, -1):
        out = out * t + coef[:, r]
    return out


def lookup_z(
    profiles: NDArray[np.floating],
    lut: PreparedLut,
    z_fit: ZFit,
    n_local: int,
    min_quality: float,
    weighted: bool = False,
) -> tuple[NDArray[np.float64], NDArray[np.float32]]:
    """Return ``(z_nm, quality)`` for raw ``profiles`` ``(n, n_bins)``.

    With ``weighted`` (the precise mode), ``z_fit="interpolate"`` uses the
    variance-weighted fit of :mod:`._zfit_weighted` between LUT planes.

    ``quality`` is the Pearson correlation with the best plane. ``z`` is NaN when a
    profile is invalid, the quality is below ``min_quality`` or the fitted position
    lies outside the LUT.
    """
    n = profiles.shape[0]
    if n == 0:
        return np.empty(0), np.empty(0, np.float32)
    matched = profiles[:, lut.used]
    corr, valid = correlate(matched, lut.planes)
    best = np.argmax(corr, axis=1)
    quality = corr[np.arange(n), best].astype(np.float32)
    quality[~valid] = np.nan
    if z_fit == "parabola":
        position = _fit_parabola(corr, best, n_local)
    elif weighted and lut.planes.shape[0] >= 4:
        position = fit_weighted(matched, lut.counts, lut.raw_poly, _interval(corr, best), best)
    else:
        position = _fit_interpolate(corr, best, lut)
    z = _z_at(position, lut.z_nm)
    z[~valid | ~(quality >= min_quality)] = np.nan
    return z, quality
