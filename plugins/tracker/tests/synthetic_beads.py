"""Self-contained synthetic bead images with exact ground truth (test and benchmark helper).

A scalar, thin-object angular-spectrum model of a micron bead in brightfield,
computed with order-0 Hankel transforms so that it stays radially symmetric and
cheap:

* the bead is a thin sphere (radius ``bead_radius_nm``, index ``n_bead`` in a
  medium of index ``n_medium``, amplitude absorption ``absorption_per_nm``); its
  transmission is ``exp((i k0 dn - alpha) * thickness(rho))``;
* the scattered field ``t - 1`` is Hankel transformed, cut at the pupil
  (``NA / lambda``), propagated by ``exp(i 2 pi z (kz - n / lambda))`` and
  transformed back; the image is ``|1 + scattered|**2``;
* an image is rendered by evaluating that radial intensity profile at each pixel
  centre's exact distance from the sub-pixel bead centre (linear interpolation
  on a 5 nm radial grid), scaled to ``photons`` per pixel of background, with
  Poisson noise and Gaussian read noise.

Coordinates follow the tracker: ``x`` is the column, ``y`` the row, pixel
centres at integers. Independent of any GPL code.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.special import j0

__all__ = ["BeadModel", "render_rois"]


class BeadModel:
    """Radial intensity profiles of a defocused bead.

    Parameters
    ----------
    nm_per_px : float
        Pixel size in the sample plane.
    bead_radius_nm, n_bead, n_medium, absorption_per_nm : float
        Bead description.
    wavelength_nm, na : float
        Illumination wavelength (vacuum) and numerical aperture.
    r_max_px : float
        Largest radius that will be rendered.
    """

    def __init__(
        self,
        nm_per_px: float = 100.0,
        bead_radius_nm: float = 1400.0,
        n_bead: float = 1.58,
        n_medium: float = 1.33,
        absorption_per_nm: float = 5e-4,
        wavelength_nm: float = 630.0,
        na: float = 1.1,
        r_max_px: float = 60.0,
    ) -> None:
        self.nm_per_px = float(nm_per_px)
        self.dr_nm = 5.0
        lam = wavelength_nm
        # object plane: scattered field t - 1 inside the bead
        d_rho = 4.0
        rho = (np.arange(int(np.ceil(bead_radius_nm / d_rho))) + 0.5) * d_rho
        thickness = 2.0 * np.sqrt(np.clip(bead_radius_nm**2 - rho**2, 0.0, None))
        k0 = 2.0 * np.pi / lam
        t = np.exp((1j * k0 * (n_bead - n_medium) - absorption_per_nm) * thickness)
        f = t - 1.0
        # pupil-limited spatial frequencies (cycles / nm)
        q_max = na / lam
        n_q = 600
        dq = q_max / n_q
        self._q = (np.arange(n_q) + 0.5) * dq
        fwd = j0(2.0 * np.pi * np.outer(self._q, rho)) * (rho * d_rho * 2.0 * np.pi)
        self._spectrum = fwd @ f  # (n_q,)
        self._kz = np.sqrt((n_medium / lam) ** 2 - self._q**2) - n_medium / lam
        self.r_nm = np.arange(int(np.ceil(r_max_px * nm_per_px / self.dr_nm)) + 2) * self.dr_nm
        self._inv = (
            j0(2.0 * np.pi * np.outer(self._q, self.r_nm)) * (2.0 * np.pi * self._q * dq)[:, None]
        ).T

    def profiles(self, z_nm: NDArray[np.float64]) -> NDArray[np.float64]:
        """Return intensity profiles ``(len(z_nm), n_r)`` on the grid ``self.r_nm``.

        The unscattered background is 1.
        """
        z = np.atleast_1d(np.asarray(z_nm, dtype=np.float64))
        out = np.empty((z.size, self.r_nm.size))
        for start in range(0, z.size, 256):
            zz = z[start : start + 256]
            spec = self._spectrum[None, :] * np.exp(2j * np.pi * zz[:, None] * self._kz[None, :])
            field = 1.0 + spec @ self._inv.T
            out[start : start + 256] = np.abs(field) ** 2
        return out


def render_rois(
    model: BeadModel,
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    z_nm: NDArray[np.float64],
    size: int = 64,
    photons: float | None = 1000.0,
    read_noise: float = 2.0,
    seed: int | None = 0,
    dtype: type[np.generic] = np.float32,
) -> NDArray[np.generic]:
    """Render ``(n, size, size)`` ROIs of beads at column ``x``, row ``y`` and height ``z_nm``.

    Parameters
    ----------
    model : BeadModel
        The optical model.
    x, y : array of float
        Bead centres in pixels (column, row; pixel centres at integers).
    z_nm : array of float
        Bead heights in nm.
    size : int
        ROI side in pixels.
    photons : float or None
        Background photons per pixel; None gives noiseless images in units of the
        background (background = 1.0).
    read_noise : float
        Gaussian read noise in photo-electrons (ignored when ``photons`` is None).
    seed : int or None
        Seed for the noise.
    dtype : numpy scalar type
        Output type; integers are rounded and clipped.
    """
    x = np.atleast_1d(np.asarray(x, dtype=np.float64))
    y = np.atleast_1d(np.asarray(y, dtype=np.float64))
    z = np.atleast_1d(np.asarray(z_nm, dtype=np.float64))
    n = max(x.size, y.size, z.size)
    x, y, z = (np.broadcast_to(a, (n,)) for a in (x, y, z))
    uz, inverse = np.unique(z, return_inverse=True)
    table = model.profiles(uz)
    grid = np.arange(size, dtype=np.float64)
    out = np.empty((n, size, size), dtype=np.float64)
    step = model.dr_nm / model.nm_per_px
    for i in range(n):
        r = np.hypot(grid[None, :] - x[i], grid[:, None] - y[i]) / step
        k = np.minimum(r.astype(np.int64), table.shape[1] - 2)
        frac = r - k
        row = table[inverse[i]]
        out[i] = row[k] * (1.0 - frac) + row[k + 1] * frac
    if photons is not None:
        rng = np.random.default_rng(seed)
        out = rng.poisson(out * photons).astype(np.float64)
        out += rng.normal(0.0, read_noise, out.shape)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)  # type: ignore[type-var]
        return np.clip(np.rint(out), info.min, info.max).astype(dtype)
    return out.astype(dtype)
