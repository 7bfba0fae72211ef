"""A harmonically trapped bead as a camera sees it: OU motion blurred and sampled.

The Ornstein-Uhlenbeck process is averaged over each exposure and sampled once per frame.

Position ``x(t)``: variance ``s2 = kT / k``, relaxation time ``tau = gamma / k`` (corner
frequency ``f_c = 1 / (2 pi tau)``). A frame averages ``x`` over the exposure ``W`` and
frames are ``dt = 1 / fps`` apart (``W <= dt``). With ``u = W / tau`` and
``q = (1 - exp(-u)) / u`` the frames' autocovariance is exactly

- ``C_0 = s2 * 2 (u - 1 + exp(-u)) / u^2`` (the blurred variance),
- ``C_m = s2 * q^2 * exp(-(m dt - W) / tau)`` for ``m >= 1``,

so the sampled (aliased) and blurred power spectral density is a closed-form sum,
``P(f) = dt [C_0 + 2 B r (cos t - r) / (1 - 2 r cos t + r^2)]`` with ``r = exp(-dt/tau)``,
``B r = s2 q^2 exp(-(dt - W)/tau)`` and ``t = 2 pi f dt``: the same function as the alias sum
of Wong & Halvorsen (Opt. Express 14, 2006) and te Velthuis et al. (Biophys. J. 99, 2010),
summed analytically. The Allan variance of blocks of ``m`` frames follows from the same
``C_m``; with ``W = dt`` it is Lansdorp & Saleh's formula (Rev. Sci. Instrum. 83, 2012).

Every function here returns the model for unit variance (``s2 = 1``): the data's scale
enters the fits linearly.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["allan_variance_model", "autocovariance", "lorentzian_psd", "psd_model"]

F64 = NDArray[np.float64]


def _blur_terms(tau_s: float, exposure_s: float) -> tuple[float, float]:
    """``(C_0, q^2)`` for unit variance (``q = 1`` without exposure)."""
    if exposure_s <= 0:
        return 1.0, 1.0
    u = exposure_s / tau_s
    if u < 1e-4:  # series: no cancellation
        return 1.0 - u / 3.0 + u * u / 12.0, 1.0 - u + 7.0 * u * u / 12.0
    c0 = 2.0 * (u - 1.0 + np.exp(-u)) / (u * u)
    q = -np.expm1(-u) / u
    return float(c0), float(q * q)


def autocovariance(lags: ArrayLike, tau_s: float, exposure_s: float, dt_s: float) -> F64:
    """Frame autocovariance ``C_m / s2`` at integer ``lags >= 0``."""
    m = np.abs(np.asarray(lags, dtype=np.float64))
    c0, q2 = _blur_terms(tau_s, exposure_s)
    w = min(exposure_s, dt_s)
    out = q2 * np.exp(-(np.maximum(m, 1.0) * dt_s - w) / tau_s)
    out[m == 0] = c0
    result: F64 = out
    return result


def psd_model(freq_hz: ArrayLike, tau_s: float, exposure_s: float, dt_s: float) -> F64:
    """Two-sided PSD (per unit variance, 1/Hz) of the frames at ``freq_hz``.

    Matches the periodogram ``dt / N |FFT(x)|^2`` of ``N`` frames.
    """
    f = np.asarray(freq_hz, dtype=np.float64)
    c0, q2 = _blur_terms(tau_s, exposure_s)
    w = min(exposure_s, dt_s)
    r = np.exp(-dt_s / tau_s)
    br = q2 * np.exp(-(dt_s - w) / tau_s)
    c = np.cos(2.0 * np.pi * f * dt_s)
    out: F64 = dt_s * (c0 + 2.0 * br * (c - r) / (1.0 - 2.0 * r * c + r * r))
    return out


def lorentzian_psd(freq_hz: ArrayLike, tau_s: float) -> F64:
    """Two-sided continuous Lorentzian (no blur, no aliasing) per unit variance."""
    f = np.asarray(freq_hz, dtype=np.float64)
    out: F64 = 2.0 * tau_s / (1.0 + (2.0 * np.pi * f * tau_s) ** 2)
    return out


def allan_variance_model(
    blocks: ArrayLike, tau_s: float, exposure_s: float, dt_s: float
) -> F64:
    """Allan variance (per unit variance) of averages over ``blocks`` consecutive frames.

    ``AV(m) = Var(mean of m frames) - Cov(two adjacent means)``, both from
    :func:`autocovariance`.
    """
    ms = np.asarray(blocks, dtype=np.int64).reshape(-1)
    top = int(2 * ms.max()) if ms.size else 1
    c = autocovariance(np.arange(top + 1), tau_s, exposure_s, dt_s)
    out = np.empty(ms.size)
    for i, m in enumerate(ms):
        lag = np.arange(1, m)
        var = (m * c[0] + 2.0 * np.sum((m - lag) * c[1:m])) / (m * m)
        lag2 = np.arange(1, 2 * m)
        cov = np.sum((m - np.abs(lag2 - m)) * c[1 : 2 * m]) / (m * m)
        out[i] = var - cov
    return out
