"""The camera-seen OU model: internal consistency and the published special cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from magscope_analysis import allan_variance_model, autocovariance, lorentzian_psd, psd_model


@pytest.mark.parametrize(("tau", "w"), [(0.05, 0.01), (0.003, 0.01), (0.003, 0.002),
                                       (0.02, 0.0)])
def test_psd_integrates_to_the_blurred_variance(tau: float, w: float):
    dt = 0.01
    f = np.linspace(-0.5 / dt, 0.5 / dt, 200_001)
    p = psd_model(f, tau, w, dt)
    area = float(np.sum((p[1:] + p[:-1]) * np.diff(f)) / 2)
    assert area == pytest.approx(autocovariance([0], tau, w, dt)[0], rel=1e-4)


def test_psd_is_the_fourier_sum_of_the_autocovariance():
    dt, tau, w = 0.01, 0.004, 0.008
    lags = np.arange(1, 2000)
    c = autocovariance(np.r_[0, lags], tau, w, dt)
    f = np.array([0.3, 7.0, 21.0, 44.0])
    direct = dt * (c[0] + 2 * np.sum(c[1:, None] * np.cos(2 * np.pi * f * lags[:, None] * dt),
                                     axis=0))
    np.testing.assert_allclose(psd_model(f, tau, w, dt), direct, rtol=1e-9)


def test_without_exposure_and_fast_sampling_the_psd_is_a_lorentzian():
    tau, dt = 0.05, 1e-5
    f = np.array([0.5, 3.0, 10.0])
    np.testing.assert_allclose(psd_model(f, tau, 0.0, dt), lorentzian_psd(f, tau), rtol=1e-3)


def test_allan_variance_with_full_exposure_is_lansdorp_and_saleh():
    # Lansdorp & Saleh (2012) eq. for an OU process averaged over contiguous windows t:
    # AV = 2 s2 tau/t [1 + 2 tau/t e^{-t/tau} - tau/(2t) e^{-2t/tau} - 3 tau/(2t)]
    dt, tau = 0.01, 0.02
    m = np.array([1, 2, 4, 16, 64])
    t = m * dt
    r = tau / t
    expected = 2 * r * (1 + 2 * r * np.exp(-1 / r) - r / 2 * np.exp(-2 / r) - 1.5 * r)
    np.testing.assert_allclose(allan_variance_model(m, tau, dt, dt), expected, rtol=1e-9)


def test_blur_terms_have_no_cancellation_for_tiny_exposures():
    dt = 0.01
    small = autocovariance([0, 1], 0.05, 1e-9, dt)
    none = autocovariance([0, 1], 0.05, 0.0, dt)
    np.testing.assert_allclose(small, none, rtol=1e-6)
    assert math.isfinite(autocovariance([0, 3], 1e-5, dt, dt)[1])
