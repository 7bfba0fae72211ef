from __future__ import annotations

import numpy as np
import pytest
from magscope_sim import (
    OpticsParams,
    bead_crlb,
    fisher_information,
    poisson_gaussian_variance,
    render_rois,
)
from numpy.typing import NDArray

_YY, _XX = np.mgrid[:64, :64].astype(np.float64)


def _gaussian_spot(photons: float, sigma: float) -> object:
    """Point-sampled 2-D Gaussian spot holding ``photons`` in total, centre ``theta[:, :2]``."""

    def model(theta: NDArray[np.float64]) -> NDArray[np.float64]:
        dx = _XX[None] - theta[:, 0, None, None]
        dy = _YY[None] - theta[:, 1, None, None]
        out: NDArray[np.float64] = (
            photons / (2 * np.pi * sigma**2) * np.exp(-(dx**2 + dy**2) / (2 * sigma**2))
        )
        return out

    return model


@pytest.mark.parametrize(("photons", "sigma"), [(1e4, 3.0), (2.5e3, 4.5)])
def test_gaussian_spot_in_pure_shot_noise_has_the_closed_form_bound(
    photons: float, sigma: float
) -> None:
    # Poisson only, no background: I_xx = sum mu (x - x0)^2 / sigma^4 = N / sigma^2, so the
    # bound is sigma / sqrt(N) (exact for a finely sampled spot well inside the image)
    model = _gaussian_spot(photons, sigma)
    theta = np.array([[31.3, 32.6], [30.0, 31.0]])
    info = fisher_information(model, theta, (0.01, 0.01), lambda mu: np.maximum(mu, 1e-300))  # type: ignore[arg-type]
    bound = np.sqrt(np.einsum("nii->ni", np.linalg.inv(info)))
    np.testing.assert_allclose(bound, sigma / np.sqrt(photons), rtol=1e-4)
    np.testing.assert_allclose(info[:, 0, 1], 0.0, atol=1e-6 * info[0, 0, 0])


def test_constant_variance_gives_the_least_squares_information() -> None:
    # read noise only (variance s^2): I = sum (dmu/dx)^2 / s^2, computed here analytically
    sigma, photons, read = 2.0, 5e3, 3.0
    model = _gaussian_spot(photons, sigma)
    x0, y0 = 31.25, 30.5
    mu = model(np.array([[x0, y0]]))[0]  # type: ignore[operator]
    dmu_dx = mu * (_XX - x0) / sigma**2
    expected = (dmu_dx**2).sum() / read**2
    info = fisher_information(model, [x0, y0], (0.005, 0.005), lambda m: np.full_like(m, read**2))  # type: ignore[arg-type]
    np.testing.assert_allclose(info[0, 0, 0], expected, rtol=1e-5)


def test_bad_steps_and_noise_parameters_are_rejected() -> None:
    model = _gaussian_spot(1e3, 2.0)
    with pytest.raises(ValueError, match="one positive step per parameter"):
        fisher_information(model, [[1.0, 2.0]], (0.1,), np.sqrt)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="read_noise_e=-1"):
        poisson_gaussian_variance(-1.0)
    with pytest.raises(ValueError, match=r"xyz must have shape \(n, 3\)"):
        bead_crlb([[1.0, 2.0]])


_OPTICS = OpticsParams(wavelength_nm=630.0, numerical_aperture=1.1, bead_radius_nm=1400.0)


def test_bead_bound_symmetry_scaling_and_step_independence() -> None:
    z = np.array([-3000.0, 0.0, 2500.0])
    xyz = np.column_stack([np.full(3, 32.0), np.full(3, 32.0), z])
    b = bead_crlb(xyz, optics=_OPTICS, read_noise_e=0.0, gain=1e3)
    # a pixel-centred bead: X and Y are equivalent and uncorrelated with each other
    np.testing.assert_allclose(b.x_px, b.y_px, rtol=1e-3)
    np.testing.assert_allclose(b.fisher[:, 0, 1], 0.0, atol=1e-3 * b.fisher[:, 0, 0].min())
    assert np.all((b.x_nm > 0.1) & (b.x_nm < 2.0)) and np.all((b.z_nm > 0.3) & (b.z_nm < 5.0))
    # pure shot noise: four times the photons halves the bound
    b4 = bead_crlb(xyz, optics=_OPTICS, background_photons=4000.0, read_noise_e=0.0, gain=1e3)
    np.testing.assert_allclose(b.x_px / b4.x_px, 2.0, rtol=1e-3)
    np.testing.assert_allclose(b.z_nm / b4.z_nm, 2.0, rtol=1e-3)
    # the finite-difference steps resolve the model (half and double steps agree)
    fine = bead_crlb(xyz, optics=_OPTICS, read_noise_e=0.0, gain=1e3, step_px=0.025, step_nm=5.0)
    np.testing.assert_allclose(fine.x_px, b.x_px, rtol=5e-3)
    np.testing.assert_allclose(fine.z_nm, b.z_nm, rtol=5e-3)


def test_fisher_information_is_the_covariance_of_the_score_under_the_sim_noise() -> None:
    # the variance model must be the one photon_noise_adu draws (gain, read noise,
    # rounding): the score sum_i (k_i - mu_i) dmu_i / v_i has covariance I
    gain, read = 2.0, 3.0
    xyz = np.array([[31.7, 32.2, -1500.0]])
    b = bead_crlb(xyz, optics=_OPTICS, background_photons=500.0, read_noise_e=read, gain=gain)
    n = 600
    noisy = render_rois(np.repeat(xyz, n, axis=0), 64, optics=_OPTICS, background_photons=500.0,
                        read_noise_e=read, gain=gain, seed=4).images
    mu = render_rois(xyz, 64, optics=_OPTICS, background_photons=500.0, noise=False).images[0]
    steps = (0.05, 0.05, 10.0)
    grads = []
    for k, h in enumerate(steps):
        up, down = xyz.copy(), xyz.copy()
        up[0, k] += h
        down[0, k] -= h
        hi = render_rois(up, 64, optics=_OPTICS, background_photons=500.0, noise=False).images[0]
        lo = render_rois(down, 64, optics=_OPTICS, background_photons=500.0, noise=False).images[0]
        grads.append((hi.astype(np.float64) - lo) / (2 * h))
    var = mu + read**2 + 1 / (12 * gain**2)
    electrons = noisy.astype(np.float64) / gain
    score = np.stack([((electrons - mu) * g / var).sum(axis=(1, 2)) for g in grads], axis=1)
    empirical = np.cov(score, rowvar=False)
    # 600 draws: the variances are known to about 6 % (1 sigma)
    np.testing.assert_allclose(np.diag(empirical), np.diag(b.fisher[0]), rtol=0.2)
    assert abs(score.mean(axis=0) / np.sqrt(np.diag(b.fisher[0]))).max() < 0.2
