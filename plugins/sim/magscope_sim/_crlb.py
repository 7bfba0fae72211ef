"""Cramér-Rao lower bounds for bead X, Y and Z on the simulator's own image model.

The camera records, in every pixel ``i``, photo-electrons with expected value
``mu_i(theta)`` (:func:`~magscope_sim.render_rois` without noise) plus Gaussian read noise,
then rounds to camera units. The standard approximation of this Poisson + Gaussian law
is a Gaussian with variance ``v_i = mu_i + read_noise**2 + 1 / (12 gain**2)`` (shot noise,
read noise, quantisation; all in electrons). Its Fisher information is

``I_pq = sum_i (d mu_i / d theta_p) (d mu_i / d theta_q) / v_i``

(the extra term ``(1/2) sum_i (d v_i/d theta)^2 / v_i^2`` of a Gaussian whose variance
moves with the mean is smaller by ``1 / (2 v_i)``, below 0.1 % at 1,000 photons, and is
left out). The derivatives are central differences of the noise-free render. No unbiased
estimator of ``theta`` has a covariance below ``inv(I)``, so ``sqrt(diag(inv(I)))`` is the
bound on the RMS error of any tracker that sees only these pixels.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from magscope_sim._optics import OpticsParams
from magscope_sim._render import render_rois

__all__ = ["BeadBound", "bead_crlb", "fisher_information", "poisson_gaussian_variance"]

#: ROIs rendered per block (bounds temporary memory to a few tens of MB at 64 px).
_BLOCK = 256


def poisson_gaussian_variance(
    read_noise_e: float = 2.0, gain: float = 1.0
) -> Callable[[NDArray[np.float64]], NDArray[np.float64]]:
    """Pixel variance in electrons for expected electrons ``mu``: shot + read + quantisation.

    Parameters
    ----------
    read_noise_e
        Gaussian read noise, electrons rms.
    gain
        Camera units per electron (the 1/12 ADU^2 of rounding is ``1 / (12 gain^2)`` e^2).

    Returns
    -------
    callable
        ``mu -> max(mu, 0) + read_noise_e**2 + 1 / (12 gain**2)``.
    """
    if not (read_noise_e >= 0 and gain > 0):
        raise ValueError(
            f"poisson_gaussian_variance: read_noise_e={read_noise_e!r} must be >= 0 and "
            f"gain={gain!r} > 0"
        )
    floor = read_noise_e**2 + 1.0 / (12.0 * gain**2)

    def variance(mu: NDArray[np.float64]) -> NDArray[np.float64]:
        out: NDArray[np.float64] = np.maximum(mu, 0.0) + floor
        return out

    return variance


def fisher_information(
    model: Callable[[NDArray[np.float64]], NDArray[np.floating]],
    theta: ArrayLike,
    steps: Sequence[float],
    variance: Callable[[NDArray[np.float64]], NDArray[np.float64]],
) -> NDArray[np.float64]:
    """Fisher information of independent Gaussian-approximated pixels, per parameter set.

    Parameters
    ----------
    model
        Maps parameters ``(n, p)`` to expected images ``(n, ...)`` (any pixel layout).
    theta
        Parameter sets ``(n, p)`` (or one ``(p,)``) at which to evaluate the information.
    steps
        Central-difference step for each of the ``p`` parameters (in its own units).
    variance
        Pixel variance as a function of the expected image, e.g.
        :func:`poisson_gaussian_variance`.

    Returns
    -------
    numpy.ndarray
        ``(n, p, p)``: ``sum_i dmu_i/dtheta_p dmu_i/dtheta_q / v_i``.
    """
    th = np.atleast_2d(np.asarray(theta, dtype=np.float64))
    n, p = th.shape
    if len(steps) != p or not all(s > 0 for s in steps):
        raise ValueError(
            f"fisher_information: need one positive step per parameter ({p}), got {steps!r}"
        )
    mu = np.asarray(model(th), dtype=np.float64).reshape(n, -1)
    weight = 1.0 / variance(mu)
    grads = np.empty((n, p, mu.shape[1]))
    for k, h in enumerate(steps):
        up = th.copy()
        down = th.copy()
        up[:, k] += h
        down[:, k] -= h
        diff = np.asarray(model(up), np.float64) - np.asarray(model(down), np.float64)
        grads[:, k] = diff.reshape(n, -1) / (2.0 * h)
    info: NDArray[np.float64] = np.einsum("npi,nqi->npq", grads * weight[:, None, :], grads)
    return info


@attrs.frozen(eq=False)
class BeadBound:
    """Cramér-Rao bounds for beads at given positions (one value per bead).

    Attributes
    ----------
    x_px, y_px
        Bound on the RMS error of the column and row, pixels.
    z_nm
        Bound on the RMS error of the defocus, nm.
    nm_per_px
        Pixel size used (for :attr:`x_nm`, :attr:`y_nm`).
    fisher
        ``(n, 3, 3)`` Fisher information of ``(x_px, y_px, z_nm)``.
    """

    x_px: NDArray[np.float64]
    y_px: NDArray[np.float64]
    z_nm: NDArray[np.float64]
    nm_per_px: float
    fisher: NDArray[np.float64]

    @property
    def x_nm(self) -> NDArray[np.float64]:
        """X bound in nm."""
        out: NDArray[np.float64] = self.x_px * self.nm_per_px
        return out

    @property
    def y_nm(self) -> NDArray[np.float64]:
        """Y bound in nm."""
        out: NDArray[np.float64] = self.y_px * self.nm_per_px
        return out


def bead_crlb(
    xyz: ArrayLike,
    size: int = 64,
    *,
    optics: OpticsParams | None = None,
    background_photons: float = 1000.0,
    read_noise_e: float = 2.0,
    gain: float = 1.0,
    step_px: float = 0.05,
    step_nm: float = 10.0,
) -> BeadBound:
    """Cramér-Rao bounds on X, Y and Z for beads imaged by :func:`render_rois`.

    X, Y and Z are estimated jointly (the 3 x 3 information is inverted), everything
    else (optics, background, camera) is known.

    Parameters
    ----------
    xyz
        ``(n, 3)``: column, row (ROI pixels, centres at integers) and defocus (nm).
    size
        ROI side in pixels.
    optics
        Optics (default :class:`OpticsParams`).
    background_photons, read_noise_e, gain
        Camera model, as in :func:`render_rois`.
    step_px, step_nm
        Central-difference steps. The render interpolates its profile table linearly
        (``nm_per_px / oversampling`` in radius, ``dz_step_nm`` in defocus), so steps of
        about one table step give the slope of the model itself.

    Returns
    -------
    BeadBound
        Per-bead bounds and Fisher matrices.
    """
    arr = np.atleast_2d(np.asarray(xyz, dtype=np.float64))
    if arr.ndim != 2 or arr.shape[1] != 3:
        raise ValueError(f"bead_crlb: xyz must have shape (n, 3), got {arr.shape}")
    p = optics or OpticsParams()

    def model(theta: NDArray[np.float64]) -> NDArray[np.float32]:
        stack = render_rois(
            theta, size, optics=p, background_photons=background_photons, noise=False
        )
        return stack.images

    variance = poisson_gaussian_variance(read_noise_e, gain)
    fisher = np.empty((arr.shape[0], 3, 3))
    for start in range(0, arr.shape[0], _BLOCK):
        block = arr[start : start + _BLOCK]
        fisher[start : start + _BLOCK] = fisher_information(
            model, block, (step_px, step_px, step_nm), variance
        )
    bound = np.sqrt(np.einsum("nii->ni", np.linalg.inv(fisher)))
    return BeadBound(
        x_px=bound[:, 0], y_px=bound[:, 1], z_nm=bound[:, 2], nm_per_px=p.nm_per_px, fisher=fisher
    )
