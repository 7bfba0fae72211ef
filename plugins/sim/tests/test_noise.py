from __future__ import annotations

import numpy as np
import pytest
from magscope_sim import NoiseBank, photon_noise_adu


def test_flat_background_bank_has_poisson_statistics():
    rng = np.random.default_rng(1)
    bank = NoiseBank(512 * 512, background_photons=1000.0, read_noise_e=2.0, gain=1.0,
                     bits=16, rng=rng)
    frame = np.empty((512, 512), np.uint16)
    bank.fill(frame)
    values = frame.astype(np.float64)
    assert values.mean() == pytest.approx(1000.0, abs=0.3)
    # Poisson variance + read noise^2 + rounding (1/12)
    assert values.var() == pytest.approx(1000.0 + 4.0 + 1 / 12, rel=0.02)


@pytest.mark.parametrize("lam", [3.0, 40.0, 1000.0, 20000.0])
def test_photon_noise_mean_and_variance(lam):
    rng = np.random.default_rng(2)
    mean = np.full(400_000, lam, np.float32)
    adu = photon_noise_adu(mean, read_noise_e=0.0, gain=1.0, bits=16, rng=rng).astype(float)
    assert adu.mean() == pytest.approx(lam, rel=0.005, abs=0.01)
    assert adu.var() == pytest.approx(lam + (1 / 12 if lam >= 100 else 0), rel=0.02)


def test_dim_pixels_are_exact_poisson():
    rng = np.random.default_rng(3)
    adu = photon_noise_adu(np.full(200_000, 2.0, np.float32), read_noise_e=0.0, gain=1.0,
                           bits=8, rng=rng)
    assert np.mean(adu == 0) == pytest.approx(np.exp(-2.0), abs=0.005)


def test_gain_scales_and_bits_clip():
    rng = np.random.default_rng(4)
    mean = np.linspace(0, 5000, 10_000, dtype=np.float32)
    a12 = photon_noise_adu(mean, read_noise_e=1.0, gain=1.0, bits=12, rng=rng)
    assert a12.dtype == np.uint16 and a12.max() == 4095 and a12.min() == 0
    a8 = photon_noise_adu(mean, read_noise_e=1.0, gain=0.1, bits=8, rng=rng)
    assert a8.dtype == np.uint8 and a8.max() == 255
    assert np.all(a8[mean < 2000] < 255)


def test_bank_refresh_redraws_and_fill_checks_size():
    rng = np.random.default_rng(5)
    bank = NoiseBank(1000, background_photons=100.0, read_noise_e=0.0, gain=1.0, bits=16,
                     rng=rng)
    before = bank._bank.copy()
    bank.refresh(1500)  # wraps around
    changed = before != bank._bank
    assert changed.mean() > 0.5
    with pytest.raises(ValueError, match="1000"):
        bank.fill(np.empty(999, np.uint16))
