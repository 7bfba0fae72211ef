"""Z from radial profiles: normalise, correlate with every LUT plane, refine locally."""

from __future__ import annotations

import attrs
import numpy as np
from numpy.typing import NDArray

from ._options import ZFit

__all__ = ["PreparedLut", "lookup_z", "normalise_rows", "prepare_lut"]

#: Tolerance, in planes, on the LUT ends before a fitted position counts as outside.
_EDGE_TOLERANCE = 1e-3
_NEWTON_STEPS = 5


def normalise_rows(p: NDArray[np.floating]) -> NDArray[np.float32]:
    """Subtract each row's mean and divide by its norm (rows that cannot be scaled -> NaN)."""
    q = p.astype(np.float32) - p.mean(axis=1, keepdims=True, dtype=np.float64).astype(np.float32)
    norm = np.sqrt(np.einsum("ij,ij->i", q, q, dtype=np.float64)).astype(np.float32)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = q / norm[:, None]
    out[~(norm > 0.0)] = np.nan
    return out


@attrs.frozen(eq=False)
class PreparedLut:
    """A Z-LUT ready for matching: normalised planes and per-plane fit constants.

    Parameters
    ----------
    z_nm : ndarray
        Plane heights ``(m,)``.
    planes : ndarray
        Normalised profiles over the matched bins, ``(m, n_used)`` float32.
    used : ndarray
        Boolean mask of the profile bins that are matched.
    consts : ndarray
        ``(m, 5)``: ``L0.a, L0.b, a.a, a.b, b.b`` of the quadratic interpolation
        ``L(t) = L0 + a t + b t**2`` centred on each plane (zeros at the ends).
    """

    z_nm: NDArray[np.float64]
    planes: NDArray[np.float32]
    used: NDArray[np.bool_]
    consts: NDArray[np.float64]


def prepare_lut(
    profiles: NDArray[np.floating], z_nm: NDArray[np.float64], used: NDArray[np.bool_]
) -> PreparedLut:
    """Normalise LUT ``profiles`` ``(m, n_bins)`` over the bins in ``used``."""
    planes = normalise_rows(profiles[:, used])
    m = planes.shape[0]
    consts = np.zeros((m, 5))
    lm = planes[:-2].astype(np.float64)
    l0 = planes[1:-1].astype(np.float64)
    lp = planes[2:].astype(np.float64)
    a = 0.5 * (lp - lm)
    b = 0.5 * (lp - 2.0 * l0 + lm)
    for col, (u, v) in enumerate(((l0, a), (l0, b), (a, a), (a, b), (b, b))):
        consts[1:-1, col] = np.einsum("ij,ij->i", u, v)
    return PreparedLut(z_nm=np.asarray(z_nm, np.float64), planes=planes, used=used, consts=consts)


def _z_at(position: NDArray[np.float64], z_nm: NDArray[np.float64]) -> NDArray[np.float64]:
    """Piecewise-linear z at fractional plane ``position``; NaN outside the LUT."""
    m = z_nm.size
    outside = ~((position >= -_EDGE_TOLERANCE) & (position <= m - 1 + _EDGE_TOLERANCE))
    pos = np.clip(np.nan_to_num(position), 0.0, m - 1.0)
    i = np.clip(np.floor(pos).astype(np.int64), 0, m - 2)
    z = z_nm[i] + (pos - i) * (z_nm[i + 1] - z_nm[i])
    z[outside] = np.nan
    return z


def _fit_parabola(corr: NDArray[np.float32], best: NDArray[np.int64], n_local: int) -> NDArray[np.float64]:
    m = corr.shape[1]
    n_local = min(n_local, m if m % 2 else m - 1)
    half = n_local // 2
    centre = np.clip(best, half, m - 1 - half)
    offsets = np.arange(-half, half + 1)
    window = np.take_along_axis(corr, centre[:, None] + offsets[None, :], axis=1).astype(np.float64)
    design = np.stack([np.ones(n_local), offsets, offsets**2], axis=1).astype(np.float64)
    coef = window @ np.linalg.pinv(design).T
    with np.errstate(invalid="ignore", divide="ignore"):
        vertex = np.where(coef[:, 2] < 0.0, -coef[:, 1] / (2.0 * coef[:, 2]), np.nan)
    return centre + vertex


def _fit_interpolate(
    corr: NDArray[np.float32], best: NDArray[np.int64], consts: NDArray[np.float64]
) -> NDArray[np.float64]:
    m = corr.shape[1]
    centre = np.clip(best, 1, m - 2)
    rows = np.arange(corr.shape[0])
    c_m = corr[rows, centre - 1].astype(np.float64)
    c_0 = corr[rows, centre].astype(np.float64)
    c_p = corr[rows, centre + 1].astype(np.float64)
    pa = 0.5 * (c_p - c_m)
    pb = 0.5 * (c_p - 2.0 * c_0 + c_m)
    la, lb, aa, ab, bb = (consts[centre, i] for i in range(5))
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(pb < 0.0, -pa / (2.0 * pb), np.sign(pa))
        t = np.clip(np.nan_to_num(t), -1.0, 1.0)
        for _ in range(_NEWTON_STEPS):
            grad = -2.0 * (pa - la) + (2.0 * aa - 4.0 * (pb - lb)) * t + 6.0 * ab * t**2
            grad += 4.0 * bb * t**3
            curv = 2.0 * aa - 4.0 * (pb - lb) + 12.0 * ab * t + 12.0 * bb * t**2
            step = np.where(curv > 0.0, grad / curv, 0.1 * np.sign(grad))
            t = np.clip(t - step, -2.0, 2.0)
    return centre + t


def lookup_z(
    profiles: NDArray[np.floating],
    lut: PreparedLut,
    z_fit: ZFit,
    n_local: int,
    min_quality: float,
) -> tuple[NDArray[np.float64], NDArray[np.float32]]:
    """Return ``(z_nm, quality)`` for raw ``profiles`` ``(n, n_bins)``.

    ``quality`` is the Pearson correlation with the best plane. ``z`` is NaN when a
    profile is invalid, the quality is below ``min_quality`` or the fitted position
    lies outside the LUT.
    """
    n = profiles.shape[0]
    if n == 0:
        return np.empty(0), np.empty(0, np.float32)
    p = normalise_rows(profiles[:, lut.used])
    valid = np.isfinite(p).all(axis=1)
    p[~valid] = 0.0
    corr = p @ lut.planes.T
    best = np.argmax(corr, axis=1)
    quality = corr[np.arange(n), best].astype(np.float32)
    quality[~valid] = np.nan
    if z_fit == "parabola":
        position = _fit_parabola(corr, best, n_local)
    else:
        position = _fit_interpolate(corr, best, lut.consts)
    z = _z_at(position, lut.z_nm)
    z[~valid | ~(quality >= min_quality)] = np.nan
    return z, quality
