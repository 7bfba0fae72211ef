"""Scalar Fourier optics of a micron bead: radial intensity profiles versus defocus.

Model
-----
A plane wave (vacuum wavelength ``wavelength_nm``) travels along the optical axis through
a medium of index ``medium_index`` and meets a bead of radius ``bead_radius_nm``. The bead
is a thin object in its equatorial plane: its projected thickness ``d(r) = 2 sqrt(a^2 - r^2)``
gives the complex transmission ``t(r) = exp(i k0 (n_bead - n_medium) d - alpha d)``. The
image is the field in the focal plane, a distance ``dz = z_bead - z_focus`` away, so

``U(r, dz) = 1 + H^-1[ P(rho) exp(2 pi i dz (kz(rho) - n/lambda)) H[t - 1] ](r)``

with ``H`` the order-0 Hankel transform (the 2-D Fourier transform of a radially symmetric
function), ``P`` the pupil (spatial frequencies ``rho < NA / lambda``) and ``kz`` the axial
spatial frequency of the angular spectrum. The camera sees ``|U|^2`` averaged over each
square pixel. Because the object is radially symmetric, the whole table of profiles for
every defocus plane is two real matrix products, about half a second for the default grid.

Sign convention: ``dz > 0`` means the bead is *above* the focal plane (further from an
inverted objective). A phase bead then focuses light into a bright spot on axis near
``dz ~ +0.5 um``; below focus (``dz < 0``) its centre is dark, so the two sides differ.
"""

from __future__ import annotations

import functools
import hashlib
import math
from pathlib import Path
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray
from scipy.special import j0

__all__ = ["OpticsParams", "ProfileTable", "compute_profile_table", "profile_table"]

FloatArray = NDArray[np.float32]

#: Highest usable NA as a fraction of the medium index (steeper waves never reach a ROI).
_MAX_NA_FRACTION = 0.98
#: Samples across the bead radius for the forward Hankel transform of the object.
_N_OBJECT = 1000
#: dz planes processed per matrix product (bounds temporary memory to a few MB).
_DZ_CHUNK = 256
#: 3-point Gauss-Legendre nodes/weights on [-1/2, 1/2] for the pixel-area average.
_GL_NODES = (-math.sqrt(3.0 / 5.0) / 2.0, 0.0, math.sqrt(3.0 / 5.0) / 2.0)
_GL_WEIGHTS = (5.0 / 18.0, 8.0 / 18.0, 5.0 / 18.0)


def _positive(instance: Any, attribute: attrs.Attribute[Any], value: float) -> None:
    if not value > 0:
        raise ValueError(f"OpticsParams.{attribute.name} must be > 0, got {value!r}")


@attrs.frozen
class OpticsParams:
    """Optical parameters of the simulated microscope and bead.

    Parameters
    ----------
    wavelength_nm
        Vacuum wavelength of the (monochromatic, plane-wave) illumination.
    medium_index
        Refractive index of the medium around the bead (water: 1.33).
    numerical_aperture
        Objective NA; values above ``0.98 * medium_index`` are limited to that.
    bead_radius_nm
        Bead radius (a MyOne-class bead: 500 nm).
    bead_index
        Refractive index of the bead (polystyrene: 1.58).
    bead_absorption_per_nm
        Amplitude attenuation coefficient inside the bead (iron-oxide loaded beads absorb).
    nm_per_px
        Pixel pitch in the sample plane.
    oversampling
        Radial table samples per pixel (the table step is ``nm_per_px / oversampling``).
    dz_step_nm, dz_max_nm
        The table holds planes ``-dz_max_nm .. +dz_max_nm`` every ``dz_step_nm``; defocus
        outside that range is clamped to the nearest end plane.
    pixel_integration
        Average the intensity over each square pixel (3x3 Gauss-Legendre, isotropic to
        second order) instead of sampling it at the pixel centre.
    """

    wavelength_nm: float = attrs.field(default=600.0, converter=float, validator=_positive)
    medium_index: float = attrs.field(default=1.33, converter=float, validator=_positive)
    numerical_aperture: float = attrs.field(default=1.2, converter=float, validator=_positive)
    bead_radius_nm: float = attrs.field(default=500.0, converter=float, validator=_positive)
    bead_index: float = attrs.field(default=1.58, converter=float, validator=_positive)
    bead_absorption_per_nm: float = attrs.field(
        default=5e-4, converter=float, validator=attrs.validators.ge(0.0)
    )
    nm_per_px: float = attrs.field(default=100.0, converter=float, validator=_positive)
    oversampling: int = attrs.field(
        default=20, validator=[attrs.validators.instance_of(int), attrs.validators.ge(2)]
    )
    dz_step_nm: float = attrs.field(default=10.0, converter=float, validator=_positive)
    dz_max_nm: float = attrs.field(default=12000.0, converter=float, validator=_positive)
    pixel_integration: bool = True

    @property
    def effective_na(self) -> float:
        """NA actually used: ``min(numerical_aperture, 0.98 * medium_index)``."""
        return min(self.numerical_aperture, _MAX_NA_FRACTION * self.medium_index)

    @property
    def dr_nm(self) -> float:
        """Radial step of the profile table in nm."""
        return self.nm_per_px / self.oversampling

    def key(self) -> str:
        """Short stable hash of every parameter (used to name disk-cache files)."""
        text = repr(attrs.astuple(self))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@attrs.frozen(eq=False)
class ProfileTable:
    """Radial intensity profiles ``I(r, dz)`` of one bead, relative to the background.

    ``data[j, k]`` is the intensity (background = 1) at radius ``k * dr_nm`` and defocus
    ``dz_nm[j]``. Rendering is interpolation: linear in ``dz`` between planes, linear in
    ``r`` between samples.

    Parameters
    ----------
    params
        The optics the table was computed for.
    dz_nm
        Defocus planes, ascending, evenly spaced (float64, shape ``(n_dz,)``).
    data
        Profiles, float32, shape ``(n_dz, n_r)``.
    """

    params: OpticsParams
    dz_nm: NDArray[np.float64]
    data: FloatArray

    @property
    def dr_nm(self) -> float:
        """Radial step in nm."""
        return self.params.dr_nm

    @property
    def r_max_px(self) -> float:
        """Largest radius held by the table, in pixels."""
        return float(self.data.shape[1] - 1) / self.params.oversampling

    @property
    def r_px(self) -> NDArray[np.float64]:
        """Radius of each table column, in pixels."""
        return np.arange(self.data.shape[1]) / self.params.oversampling

    def plane_weights(
        self, dz_nm: NDArray[np.float64] | float
    ) -> tuple[NDArray[np.intp], NDArray[np.float32]]:
        """Lower plane index and interpolation weight of the upper plane for each ``dz``.

        Defocus outside the table is clamped to the end planes.
        """
        dz = np.atleast_1d(np.asarray(dz_nm, dtype=np.float64))
        t = (dz - self.dz_nm[0]) / self.params.dz_step_nm
        t = np.clip(t, 0.0, len(self.dz_nm) - 1.000001)
        j = np.floor(t).astype(np.intp)
        return j, (t - j).astype(np.float32)

    def profiles(self, dz_nm: NDArray[np.float64] | float) -> FloatArray:
        """Profiles at arbitrary defocus (linear between planes), shape ``(n, n_r)``."""
        j, w = self.plane_weights(dz_nm)
        lo = self.data[j]
        out: FloatArray = lo + w[:, None] * (self.data[j + 1] - lo)
        return out

    def intensity(self, r_px: NDArray[np.floating[Any]], dz_nm: float) -> FloatArray:
        """Intensity at radii ``r_px`` (pixels, any shape) for one defocus."""
        prof = self.profiles(dz_nm)[0]
        t = np.clip(np.asarray(r_px, dtype=np.float64) * self.params.oversampling, 0, None)
        out: FloatArray = np.interp(t, np.arange(prof.size), prof).astype(np.float32)
        return out


def _object_spectrum(p: OpticsParams, rho: NDArray[np.float64]) -> NDArray[np.complex128]:
    """Hankel transform of ``t(r) - 1`` (zero outside the bead) at spatial frequencies rho."""
    a = p.bead_radius_nm
    r = (np.arange(_N_OBJECT) + 0.5) * (a / _N_OBJECT)
    d = 2.0 * np.sqrt(a * a - r * r)
    k0 = 2.0 * np.pi / p.wavelength_nm
    o = np.exp(1j * k0 * (p.bead_index - p.medium_index) * d - p.bead_absorption_per_nm * d) - 1
    kernel = j0(2.0 * np.pi * np.outer(rho, r))
    spectrum: NDArray[np.complex128] = (2.0 * np.pi * a / _N_OBJECT) * (kernel @ (o * r))
    return spectrum


def _pixel_average_plan(
    p: OpticsParams, n_out: int
) -> tuple[NDArray[np.intp], NDArray[np.float64], NDArray[np.float64]]:
    """Interpolation indices/fractions/weights that average a radial profile over a pixel.

    The pixel is a square of side ``nm_per_px`` centred at radius ``r`` on the x axis;
    its second moment is isotropic, so the result is rotation invariant to second order.
    """
    os_ = p.oversampling
    r = np.arange(n_out, dtype=np.float64)  # in table steps
    samples, weights = [], []
    for u, wu in zip(_GL_NODES, _GL_WEIGHTS, strict=True):
        for v, wv in zip(_GL_NODES, _GL_WEIGHTS, strict=True):
            samples.append(np.hypot(r + u * os_, v * os_))
            weights.append(wu * wv)
    t = np.stack(samples)  # (9, n_out)
    i0 = np.floor(t).astype(np.intp)
    return i0, t - i0, np.asarray(weights)


def compute_profile_table(params: OpticsParams, r_max_px: float) -> ProfileTable:
    """Compute the profile table for ``params`` covering radii ``0..r_max_px`` pixels.

    Parameters
    ----------
    params
        Optics and table grid.
    r_max_px
        Largest radius (pixels) the renderer will ask for.

    Returns
    -------
    ProfileTable
        Intensity relative to the background for every table plane.
    """
    if not r_max_px > 0:
        raise ValueError(f"compute_profile_table: r_max_px must be > 0, got {r_max_px!r}")
    p = params
    n_dz = round(p.dz_max_nm / p.dz_step_nm)
    dz = np.arange(-n_dz, n_dz + 1, dtype=np.float64) * p.dz_step_nm
    n_out = math.ceil(r_max_px * p.oversampling) + 2
    # Raw (point-sampled) grid extends by one pixel diagonal for the pixel average.
    n_raw = n_out + (2 * p.oversampling if p.pixel_integration else 0)
    r_raw = np.arange(n_raw, dtype=np.float64) * p.dr_nm

    k = p.medium_index / p.wavelength_nm  # spatial frequency of the medium (1/nm)
    rho_max = p.effective_na / p.wavelength_nm
    tan_max = rho_max / math.sqrt(k * k - rho_max * rho_max)
    # Sample the pupil finely enough that the propagation phase and the Bessel kernel
    # never alias back into the table range (16 samples per Nyquist interval).
    reach = r_raw[-1] + p.dz_max_nm * tan_max + 2.0 * p.bead_radius_nm
    n_rho = max(256, math.ceil(16.0 * rho_max * reach))
    drho = rho_max / n_rho
    rho = (np.arange(n_rho) + 0.5) * drho
    spectrum = _object_spectrum(p, rho)
    kernel = (j0(2.0 * np.pi * np.outer(r_raw, rho)) * (2.0 * np.pi * rho * drho)).astype(
        np.float32
    )
    kz_rel = np.sqrt(k * k - rho * rho) - k

    if p.pixel_integration:
        i0, frac, weights = _pixel_average_plan(p, n_out)
    data = np.empty((dz.size, n_out), dtype=np.float32)
    for start in range(0, dz.size, _DZ_CHUNK):
        zc = dz[start : start + _DZ_CHUNK]
        field = spectrum[:, None] * np.exp(2j * np.pi * np.outer(kz_rel, zc))
        re = kernel @ field.real.astype(np.float32)
        im = kernel @ field.imag.astype(np.float32)
        raw = (1.0 + re) ** 2 + im**2  # (n_raw, chunk)
        if p.pixel_integration:
            acc = np.zeros((n_out, zc.size), dtype=np.float64)
            for s in range(weights.size):
                lo = raw[i0[s]]
                acc += weights[s] * (lo + frac[s][:, None] * (raw[i0[s] + 1] - lo))
            raw = acc
        data[start : start + zc.size] = raw[:n_out].T
    return ProfileTable(params=p, dz_nm=dz, data=data)


@functools.lru_cache(maxsize=8)
def _cached_table(params: OpticsParams, r_max_px: float, cache_dir: str | None) -> ProfileTable:
    if cache_dir is None:
        return compute_profile_table(params, r_max_px)
    path = Path(cache_dir) / f"magscope-sim-profiles-{params.key()}-r{r_max_px:g}.npz"
    if path.is_file():
        try:
            with np.load(path) as f:
                return ProfileTable(params=params, dz_nm=f["dz_nm"], data=f["data"])
        except (OSError, KeyError, ValueError):
            pass  # a damaged cache file is recomputed and rewritten
    table = compute_profile_table(params, r_max_px)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, dz_nm=table.dz_nm, data=table.data)
    tmp.replace(path)
    return table


def profile_table(
    params: OpticsParams, r_max_px: float, cache_dir: str | Path | None = None
) -> ProfileTable:
    """Profile table for ``params`` covering at least ``r_max_px``, cached.

    Tables are kept in memory (the 8 most recent) and, with ``cache_dir``, on disk as
    ``.npz`` files named by a hash of the parameters. ``r_max_px`` is rounded up to a
    multiple of 16 px so nearby requests share one table.

    Parameters
    ----------
    params
        Optics and table grid.
    r_max_px
        Largest radius needed, in pixels.
    cache_dir
        Optional folder for the on-disk cache.

    Returns
    -------
    ProfileTable
        The (shared, read-only) table.
    """
    r_max = 16.0 * math.ceil(r_max_px / 16.0)
    table = _cached_table(params, r_max, None if cache_dir is None else str(cache_dir))
    table.data.setflags(write=False)
    return table
