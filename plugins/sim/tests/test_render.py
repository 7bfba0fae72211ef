from __future__ import annotations

import numpy as np
import pytest
from magscope_sim import BeadRenderer, OpticsParams, profile_table, render_bead_stack, render_rois


def _tapered():
    table = profile_table(OpticsParams(), 48)
    return BeadRenderer(table, taper_px=(34.0, 46.0))


def test_render_matches_profile_at_every_pixel_radius():
    table = profile_table(OpticsParams(), 48)
    renderer = BeadRenderer(table)
    x, y, dz = 31.37, 30.81, -1234.0
    img = renderer.intensity(np.array([x]), np.array([y]), np.array([dz]), 64)[0]
    yy, xx = np.mgrid[:64, :64]
    expected = table.intensity(np.hypot(xx - x, yy - y), dz)
    np.testing.assert_allclose(img, expected, atol=2e-5)


def test_image_is_symmetric_about_a_pixel_centred_bead():
    img = _tapered().intensity(np.array([48.0]), np.array([48.0]), np.array([2500.0]), 97)[0]
    np.testing.assert_allclose(img, img[::-1, :], atol=1e-6)
    np.testing.assert_allclose(img, img[:, ::-1], atol=1e-6)
    np.testing.assert_allclose(img, img.T, atol=1e-6)


@pytest.mark.parametrize("dz", [-3000.0, -300.0, 600.0, 4000.0])
def test_centroid_of_background_subtracted_image_is_the_true_centre(dz):
    rng = np.random.default_rng(0)
    renderer = _tapered()
    x = 48 + rng.uniform(-0.5, 0.5, 8)
    y = 48 + rng.uniform(-0.5, 0.5, 8)
    imgs = renderer.intensity(x, y, np.full(8, dz), 96)
    yy, xx = np.mgrid[:96, :96]
    for k in range(8):
        w = np.abs(imgs[k] - 1.0)  # background is exactly 1
        cx = (w * xx).sum() / w.sum()
        cy = (w * yy).sum() / w.sum()
        assert abs(cx - x[k]) < 0.05 and abs(cy - y[k]) < 0.05


def test_taper_blends_into_background():
    img = _tapered().intensity(np.array([48.2]), np.array([47.7]), np.array([3000.0]), 96)[0]
    assert np.all(img[0, :] == 1.0) and np.all(img[:, -1] == 1.0)


def test_render_bead_stack_truth_shapes_and_reproducibility():
    dz = np.arange(-2000.0, 2001.0, 500.0)
    a = render_bead_stack(dz, 64, seed=7)
    b = render_bead_stack(dz, 64, seed=7)
    assert a.images.shape == (dz.size, 64, 64) and a.images.dtype == np.uint16
    np.testing.assert_array_equal(a.images, b.images)
    np.testing.assert_array_equal(a.dz_nm, dz)
    assert np.all(a.x_px == 32) and np.all(a.y_px == 32)
    clean = render_bead_stack(dz, 64, noise=False, background_photons=500.0, gain=2.0)
    assert clean.images.dtype == np.float32
    assert clean.images[0, 0, 0] == pytest.approx(1000.0, rel=0.05)  # gain * background


def test_render_rois_uses_column_row_convention():
    xyz = np.array([[20.25, 40.5, 0.0], [40.0, 20.75, -2000.0]])
    st = render_rois(xyz, 64, noise=False, background_photons=1.0)
    assert st.images.shape == (2, 64, 64)
    yy, xx = np.mgrid[:64, :64]
    for img, (x, y, _) in zip(st.images, xyz, strict=True):
        disc = np.hypot(xx - x, yy - y) < 15
        w = np.abs(img - 1.0) * disc
        assert (w * xx).sum() / w.sum() == pytest.approx(x, abs=0.1)
        assert (w * yy).sum() / w.sum() == pytest.approx(y, abs=0.1)
    with pytest.raises(ValueError, match=r"shape \(n, 3\)"):
        render_rois(np.zeros((3, 2)))
