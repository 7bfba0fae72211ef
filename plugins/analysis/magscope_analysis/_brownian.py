"""Force on a tethered bead from its Brownian motion (the magnetic-tweezers calibration).

A tethered bead is an inverted pendulum of length ``L``: its lateral variance is
``<dx^2> = kT L / F``, so ``F = kT L / s2``. Along the magnetic field the bead cannot rotate
freely and ``L = l + R`` (extension plus radius, Daldrop et al., Biophys. J. 108, 2015);
across it ``L = l``. A camera blurs (exposure) and aliases (frame rate) the motion, so the
plain variance of the frames underestimates ``s2`` once the corner frequency approaches
``fps / 2``, and the force comes out too high. Methods:

``"psd"``
    Maximum-likelihood fit of the periodogram with the exact blurred and aliased spectrum
    (:func:`~magscope_analysis._camera_ou.psd_model`; te Velthuis et al. 2010, Wong &
    Halvorsen 2006).
``"allan"``
    Fit of the overlapping Allan variance at octave-spaced windows with its blurred model
    (Lansdorp & Saleh 2012).
``"variance"``
    Plain variance (equipartition, no correction): for comparison only.
``"psd-lorentzian"``
    PSD fit with a continuous Lorentzian (ignores blur and aliasing): for comparison only.

The drag is by default the Stokes drag with Faxen's wall correction at the bead's height
``R + l`` (``drag="faxen"``), which ties ``tau = gamma s2 / kT`` and leaves one parameter: at
high force, when ``f_c`` exceeds ``fps / 2``, the blurred spectrum alone barely separates
``s2`` from ``tau``. ``drag="fit"`` fits both (two parameters, larger uncertainty).
"""

from __future__ import annotations

import math
from typing import Literal

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from magscope_analysis._camera_ou import allan_variance_model, lorentzian_psd, psd_model
from magscope_analysis._fit import fit_scale_and_tau

__all__ = [
    "KT_PN_NM",
    "METHODS",
    "ForceEstimate",
    "allan_deviation",
    "allan_variance",
    "brownian_force",
    "faxen_drag",
    "octave_blocks",
    "periodogram",
]

#: Thermal energy at ~24 C, pN nm.
KT_PN_NM = 4.1
#: The estimators of :func:`brownian_force`.
METHODS = ("psd", "allan", "variance", "psd-lorentzian")

Method = Literal["psd", "allan", "variance", "psd-lorentzian"]
F64 = NDArray[np.float64]


@attrs.frozen
class ForceEstimate:
    """A force from Brownian motion.

    Attributes
    ----------
    force_pn, sigma_pn
        Force and its standard error (from the fit's Fisher information and the number of
        frames; the plain variance's is ``sqrt(2 / N)`` relative, too small when frames
        are correlated).
    method
        One of :data:`METHODS`.
    along_field
        Whether the trace is along the magnetic field (long pendulum ``l + R``).
    pendulum_nm, extension_nm
        Pendulum length used and mean extension.
    variance_nm2
        The bead's (unblurred) lateral variance ``kT L / F``.
    tau_s, corner_hz
        Relaxation time and corner frequency of the lateral motion.
    n_frames
        Frames used.
    at_bound
        The fit ended on the edge of its search range (do not trust it).
    """

    force_pn: float
    sigma_pn: float
    method: str
    along_field: bool
    pendulum_nm: float
    extension_nm: float
    variance_nm2: float
    tau_s: float
    corner_hz: float
    n_frames: int
    at_bound: bool = False


def faxen_drag(radius_nm: float, height_nm: float, viscosity: float = 1.0e-9) -> float:
    """Lateral drag (pN s/nm) of a sphere whose centre is ``height_nm`` above a wall."""
    s = radius_nm / max(height_nm, radius_nm)
    factor = 1 - 9 / 16 * s + 1 / 8 * s**3 - 45 / 256 * s**4 - 1 / 16 * s**5
    return 6.0 * math.pi * viscosity * radius_nm / factor


def _clean(trace: ArrayLike, detrend: bool, where: str) -> F64:
    x = np.asarray(trace, dtype=np.float64).reshape(-1)
    if x.size < 16:
        raise ValueError(f"{where}: need at least 16 frames, got {x.size}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{where}: the trace has {int(np.sum(~np.isfinite(x)))} non-finite "
                         "values; select a window without gaps")
    if detrend:
        t = np.arange(x.size, dtype=np.float64)
        slope, icpt = np.polyfit(t, x, 1)
        out: F64 = x - (slope * t + icpt)
        return out
    centred: F64 = x - x.mean()
    return centred


def periodogram(trace: ArrayLike, fps: float) -> tuple[F64, F64]:
    """Two-sided periodogram ``dt / N |FFT|^2`` at ``k fps / N``, ``0 < k < N / 2``."""
    x = np.asarray(trace, dtype=np.float64)
    n = x.size
    spec = np.abs(np.fft.rfft(x)) ** 2 / (n * fps)
    k = np.arange(1, (n - 1) // 2 + 1)
    return k * fps / n, spec[k]


def octave_blocks(n_frames: int, min_windows: int = 8) -> NDArray[np.int64]:
    """Window sizes 1, 2, 4, ... frames with at least ``min_windows`` windows in the trace."""
    top = max(n_frames // min_windows, 1)
    return 2 ** np.arange(int(math.log2(top)) + 1, dtype=np.int64)


def allan_variance(trace: ArrayLike, blocks: ArrayLike) -> F64:
    """Overlapping Allan variance of ``trace`` for windows of ``blocks`` frames."""
    x = np.asarray(trace, dtype=np.float64)
    c = np.concatenate([[0.0], np.cumsum(x)])
    out = []
    for m in np.asarray(blocks, dtype=np.int64).reshape(-1):
        means = (c[m:] - c[:-m]) / m  # every window's mean
        d = means[m:] - means[:-m]
        out.append(0.5 * float(np.mean(d * d)) if d.size else math.nan)
    return np.asarray(out)


def allan_deviation(trace: ArrayLike, fps: float) -> tuple[F64, F64]:
    """``(window_s, adev)``: overlapping Allan deviation at octave-spaced windows.

    Non-finite frames are dropped first (gaps shorten the trace).
    """
    x = np.asarray(trace, dtype=np.float64).reshape(-1)
    x = x[np.isfinite(x)]
    if x.size < 4:
        return np.zeros(0), np.zeros(0)
    m = octave_blocks(x.size, min_windows=4)
    return m / fps, np.sqrt(allan_variance(x, m))


def brownian_force(
    lateral_nm: ArrayLike,
    extension_nm: ArrayLike,
    *,
    fps: float,
    radius_nm: float,
    along_field: bool,
    exposure_s: float | None = None,
    method: Method = "psd",
    drag: Literal["faxen", "fit"] = "faxen",
    kt_pn_nm: float = KT_PN_NM,
    viscosity: float = 1.0e-9,
    detrend: bool = True,
) -> ForceEstimate:
    """Force (pN) on a tethered bead from one lateral trace and its extension.

    Parameters
    ----------
    lateral_nm
        Lateral position per frame, nm (drift-corrected, e.g. minus a reference bead).
    extension_nm
        Extension per frame (or its mean): bead height above the surface minus its radius.
    fps
        Frame rate.
    radius_nm
        Bead radius.
    along_field
        ``True`` if ``lateral_nm`` is along the magnetic field (pendulum ``l + R``).
    exposure_s
        Exposure (default: the whole frame period ``1 / fps``).
    method
        One of :data:`METHODS`.
    drag
        ``"faxen"``: Stokes drag with Faxen's correction at height ``R + l``;
        ``"fit"``: fitted.
    kt_pn_nm, viscosity
        Thermal energy and medium viscosity (pN s / nm^2).
    detrend
        Remove a linear trend (slow drift) first.
    """
    where = f"brownian_force({method})"
    if method not in METHODS:
        raise ValueError(f"{where}: unknown method; allowed: {', '.join(METHODS)}")
    if not (fps > 0 and radius_nm > 0):
        raise ValueError(f"{where}: fps and radius_nm must be > 0")
    x = _clean(lateral_nm, detrend, where)
    ext = np.asarray(extension_nm, dtype=np.float64)
    ext_mean = float(np.nanmean(ext))
    if not (math.isfinite(ext_mean) and ext_mean > 0):
        raise ValueError(f"{where}: mean extension must be > 0 nm, got {ext_mean!r}")
    dt = 1.0 / fps
    w = dt if exposure_s is None else min(max(float(exposure_s), 0.0), dt)
    length = ext_mean + (radius_nm if along_field else 0.0)
    n = x.size
    kt_over_drag = (kt_pn_nm / faxen_drag(radius_nm, radius_nm + ext_mean, viscosity)
                    if drag == "faxen" else None)
    tau_range = (dt * 1e-3, n * dt / 4)
    at_bound = False
    if method == "variance":
        s2 = float(np.var(x))
        rel = math.sqrt(2.0 / n)
        tau = s2 / kt_over_drag if kt_over_drag else math.nan
    elif method in ("psd", "psd-lorentzian"):
        f, p = periodogram(x, fps)
        if method == "psd":
            def model(tau: float) -> F64:
                return psd_model(f, tau, w, dt)
        else:
            def model(tau: float) -> F64:
                return lorentzian_psd(f, tau)
        fit = fit_scale_and_tau(p, np.ones_like(p), model, tau_range,
                                kt_over_drag=kt_over_drag)
        s2, tau, rel, at_bound = fit.variance, fit.tau_s, fit.rel_sigma, fit.at_bound
    else:
        m = octave_blocks(n)
        av = allan_variance(x, m)
        dof = n / m - 1.0

        def model(tau: float) -> F64:
            return allan_variance_model(m, tau, w, dt)

        fit = fit_scale_and_tau(av, dof / 2.0, model, tau_range, kt_over_drag=kt_over_drag)
        s2, tau, rel, at_bound = fit.variance, fit.tau_s, fit.rel_sigma, fit.at_bound
    force = kt_pn_nm * length / s2
    corner = 1.0 / (2.0 * math.pi * tau) if tau and math.isfinite(tau) else math.nan
    return ForceEstimate(force_pn=force, sigma_pn=force * rel, method=method,
                         along_field=along_field, pendulum_nm=length, extension_nm=ext_mean,
                         variance_nm2=s2, tau_s=tau, corner_hz=corner, n_frames=n,
                         at_bound=at_bound)
