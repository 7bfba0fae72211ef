from __future__ import annotations

import numpy as np
import pytest
from magscope_sim import OpticsParams, compute_profile_table, profile_table, render_bead_stack
from magscope_sim._optics import _cached_table

P = OpticsParams()


def _table():
    return profile_table(P, 48)


def _corr(a, b):
    a = a - a.mean()
    b = b - b.mean()
    return float(a @ b / np.sqrt((a @ a) * (b @ b)))


def test_table_matches_brute_force_angular_spectrum():
    """The Hankel-transform table equals a 2-D FFT angular-spectrum propagation."""
    p = OpticsParams(pixel_integration=False)
    table = compute_profile_table(p, 30)
    n, px = 1024, 25.0  # 25.6 um field, 25 nm sampling
    k0 = 2 * np.pi / p.wavelength_nm
    half, ss = 24, 8  # object built on a supersampled 48x48 patch around the corner
    xf = (np.arange(-half * ss, half * ss) + 0.5) * px / ss
    rf = np.hypot(*np.meshgrid(xf, xf))
    d = 2 * np.sqrt(np.clip(p.bead_radius_nm**2 - rf**2, 0, None))
    fine = np.exp(1j * k0 * (p.bead_index - p.medium_index) * d - p.bead_absorption_per_nm * d) - 1
    obj = np.zeros((n, n), complex)
    c = n // 2
    obj[c - half : c + half, c - half : c + half] = fine.reshape(2 * half, ss, 2 * half, ss).mean(
        (1, 3)
    )
    f = np.fft.fftfreq(n, px)
    fr = np.hypot(*np.meshgrid(f, f))
    kk = p.medium_index / p.wavelength_nm
    kz = np.sqrt(np.clip(kk**2 - fr**2, 0, None)) - kk
    pupil = fr < p.effective_na / p.wavelength_nm
    spec = np.fft.fft2(np.fft.ifftshift(obj)) * pupil
    for dz in (-3000.0, -800.0, 1500.0):
        field = np.fft.fftshift(np.fft.ifft2(spec * np.exp(2j * np.pi * kz * dz)))
        inten = np.abs(1 + field) ** 2
        # the bead centre is the corner between pixels c-1 and c
        row = 0.5 * (inten[c - 1, c : c + 100] + inten[c, c : c + 100])
        r_px = np.hypot((np.arange(100) + 0.5) * px, 0.5 * px) / p.nm_per_px
        ref = table.intensity(r_px, dz)
        np.testing.assert_allclose(row, ref, atol=0.01)


def test_rings_change_smoothly_and_monotonically_with_dz():
    table = _table()
    for dz in (-4000.0, -2000.0, -500.0, 1000.0, 3000.0):
        p0, p1, pfar = table.profiles(np.array([dz, dz + 200.0, dz + 2000.0]))
        near = _corr(p0[: 30 * 20], p1[: 30 * 20])
        far = _corr(p0[: 30 * 20], pfar[: 30 * 20])
        assert near < 0.9999, dz  # the rings do change over 200 nm
        assert near > far, dz  # ... and less than over 2 um
        assert near > 0.8, dz


def test_above_and_below_focus_differ():
    table = _table()
    for d in (500.0, 1000.0, 2000.0, 4000.0):
        above, below = table.profiles(np.array([d, -d]))
        assert _corr(above[:600], below[:600]) < 0.9, d
    # a phase bead focuses light into a bright spot above focus; below focus it is dark
    above, below = table.profiles(np.array([700.0, -700.0]))
    assert above[0] > 2.0
    assert below[0] < 1.0
    assert below[:200].min() < 0.3  # dark core within 1 um


def test_z_is_recoverable_from_a_lut_over_4um():
    """Nearest-LUT-plane lookup on noisy images recovers z within one LUT step (100 nm)."""
    size = 64
    lut_z = np.arange(-5000.0, 5001.0, 100.0)
    lut = render_bead_stack(lut_z, size, noise=False).images
    rng = np.random.default_rng(3)
    z_true = rng.uniform(-4000, 4000, 40)
    imgs = render_bead_stack(z_true, size, seed=4).images.astype(np.float64)
    yy, xx = np.mgrid[:size, :size]
    rbin = np.rint(np.hypot(xx - size // 2, yy - size // 2)).astype(int).ravel()
    keep = rbin < size // 2

    def prof(stack):
        flat = stack.reshape(len(stack), -1)[:, keep]
        counts = np.bincount(rbin[keep])
        out = np.stack([np.bincount(rbin[keep], f) / counts for f in flat])
        out -= out.mean(1, keepdims=True)
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    scores = prof(imgs) @ prof(lut).T
    z_est = lut_z[np.argmax(scores, axis=1)]
    assert np.max(np.abs(z_est - z_true)) <= 100.0


def test_disk_cache_round_trip(tmp_path):
    p = OpticsParams(dz_max_nm=500.0, oversampling=4)
    first = profile_table(p, 10, cache_dir=tmp_path)
    files = list(tmp_path.glob("magscope-sim-profiles-*.npz"))
    assert len(files) == 1
    _cached_table.cache_clear()
    again = profile_table(p, 10, cache_dir=tmp_path)
    assert again is not first
    np.testing.assert_array_equal(again.data, first.data)
    assert not again.data.flags.writeable


def test_params_validation_names_the_field():
    with pytest.raises(ValueError, match="wavelength_nm"):
        OpticsParams(wavelength_nm=-1)
    assert OpticsParams(numerical_aperture=1.45).effective_na == pytest.approx(0.98 * 1.33)
