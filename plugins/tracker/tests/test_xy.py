from __future__ import annotations

from types import ModuleType
from typing import Any

import magscope_tracker
import numpy as np
import pytest
from magscope_tracker import CpuTracker, create_tracker

BACKENDS = ["numba", "numpy"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_noiseless_centre_at_known_subpixel_offsets(
    beads: ModuleType, model: Any, backend: str
) -> None:
    offsets = np.array([0.0, 0.1, 0.25, 0.37, 0.5, 0.75, 0.9, -0.3, -1.2, 1.45])
    x_true = 31.5 + offsets
    y_true = 31.5 - offsets[::-1] * 0.8
    z_true = np.linspace(-4000.0, 4000.0, offsets.size)
    rois = beads.render_rois(model, x_true, y_true, z_true, photons=None)
    result = create_tracker(backend=backend).track(rois)
    assert result.ok.all()
    np.testing.assert_allclose(result.x, x_true, atol=0.01)
    np.testing.assert_allclose(result.y, y_true, atol=0.01)


def test_x_is_column_and_y_is_row(beads: ModuleType, model: Any, tracker: CpuTracker) -> None:
    # bead 6 px right of and 2 px below the middle of a 64 px ROI
    rois = beads.render_rois(model, 37.3, 33.6, 500.0, photons=None)
    result = tracker.track(rois)
    assert result.x[0] == pytest.approx(37.3, abs=0.01)
    assert result.y[0] == pytest.approx(33.6, abs=0.01)
    # the same image transposed swaps the axes
    swapped = tracker.track(np.ascontiguousarray(rois.transpose(0, 2, 1)))
    assert swapped.x[0] == pytest.approx(33.6, abs=0.01)
    assert swapped.y[0] == pytest.approx(37.3, abs=0.01)


def test_single_2d_roi_is_accepted(beads: ModuleType, model: Any, tracker: CpuTracker) -> None:
    roi = beads.render_rois(model, 30.2, 32.9, 0.0, photons=None)[0]
    result = tracker.track(roi)
    assert len(result) == 1
    assert result.x[0] == pytest.approx(30.2, abs=0.01)


def test_noisy_precision_is_about_one_nanometre(
    beads: ModuleType, model: Any, tracker: CpuTracker
) -> None:
    rng = np.random.default_rng(11)
    n = 300
    x_true = 31.5 + rng.uniform(-1.5, 1.5, n)
    y_true = 31.5 + rng.uniform(-1.5, 1.5, n)
    z_true = rng.uniform(-4000.0, 4000.0, n)
    rois = beads.render_rois(model, x_true, y_true, z_true, photons=1000.0, seed=3, dtype=np.uint16)
    result = tracker.track(rois)
    assert result.ok.all()
    nm_per_px = 100.0
    rms_x = nm_per_px * np.sqrt(np.mean((result.x - x_true) ** 2))
    rms_y = nm_per_px * np.sqrt(np.mean((result.y - y_true) ** 2))
    # measured 0.71 nm with 10,000 ROIs (benchmarks/bench_tracker.py); loose bound
    assert rms_x < 1.5
    assert rms_y < 1.5


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32, np.float64, np.int32])
def test_input_dtypes_give_the_same_positions(
    beads: ModuleType, model: Any, tracker: CpuTracker, dtype: type[np.generic]
) -> None:
    x_true = np.array([31.2, 32.8, 30.9])
    y_true = np.array([31.9, 30.6, 32.4])
    # photons chosen so that uint8 does not saturate (max ~9x background)
    rois = beads.render_rois(model, x_true, y_true, [-2000.0, 0.0, 3000.0], photons=20.0, seed=5)
    ints = np.clip(np.rint(rois), 0, 255)
    result = tracker.track(ints.astype(dtype))
    reference = tracker.track(ints.astype(np.float32))
    assert result.ok.all()
    np.testing.assert_allclose(result.x, reference.x, atol=1e-4)
    np.testing.assert_allclose(result.y, reference.y, atol=1e-4)
    np.testing.assert_allclose(result.x, x_true, atol=0.1)


def test_read_only_and_strided_inputs(beads: ModuleType, model: Any, tracker: CpuTracker) -> None:
    rois = beads.render_rois(model, [31.0, 32.2], [30.4, 32.0], 0.0, seed=1, dtype=np.uint16)
    reference = tracker.track(rois)
    frozen = rois.copy()
    frozen.setflags(write=False)  # e.g. a consumer's view of a shared-memory ring
    np.testing.assert_array_equal(tracker.track(frozen).x, reference.x)
    padded = np.zeros((2, 70, 70), np.uint16)
    padded[:, 3:67, 3:67] = rois
    view = padded[:, 3:67, 3:67]  # not contiguous: copied before the kernel
    np.testing.assert_array_equal(tracker.track(view).y, reference.y)


def test_rejects_bad_arrays(tracker: CpuTracker) -> None:
    with pytest.raises(ValueError, match=r"\(n, height, width\)"):
        tracker.track(np.zeros((2, 2, 64, 64), np.uint16))
    with pytest.raises(TypeError, match="dtype bool"):
        tracker.track(np.zeros((1, 64, 64), bool))
    with pytest.raises(ValueError, match="at least 8x8"):
        tracker.track(np.zeros((1, 6, 6), np.uint16))


@pytest.mark.parametrize("backend", BACKENDS)
def test_empty_and_flat_rois_are_flagged(backend: str) -> None:
    tracker = create_tracker(backend=backend)
    rois = np.zeros((3, 64, 64), np.uint16)
    rois[1] = 1000
    result = tracker.track(rois, return_profiles=True)
    assert not result.ok.any()
    assert np.isnan(result.x).all() and np.isnan(result.y).all()
    assert result.status.tolist() == [1, 1, 1]
    assert "flat or empty" in result.status_message(int(result.status[0]))
    assert result.profiles is not None and np.isnan(result.profiles).all()


def test_empty_batch(tracker: CpuTracker, zlut: magscope_tracker.ZLut) -> None:
    result = tracker.track(np.zeros((0, 64, 64), np.uint16), zlut)
    assert len(result) == 0
    assert result.z.shape == (0,)


def test_numba_and_numpy_backends_agree(beads: ModuleType, model: Any) -> None:
    rng = np.random.default_rng(2)
    n = 40
    x_true = 31.5 + rng.uniform(-3, 3, n)
    y_true = 31.5 + rng.uniform(-3, 3, n)
    rois = beads.render_rois(
        model, x_true, y_true, rng.uniform(-4000, 4000, n), seed=9, dtype=np.uint16
    )
    for options in ({}, {"mode": "fast"},
                    {"background": "border", "profile_oversample": 2, "r_max_px": 25.0}):
        fast = create_tracker(backend="numba", **options).track(rois, return_profiles=True)
        slow = create_tracker(backend="numpy", **options).track(rois, return_profiles=True)
        np.testing.assert_allclose(fast.x, slow.x, atol=1e-4)
        np.testing.assert_allclose(fast.y, slow.y, atol=1e-4)
        np.testing.assert_array_equal(fast.status, slow.status)
        assert fast.profiles is not None and slow.profiles is not None
        np.testing.assert_allclose(fast.profiles, slow.profiles, rtol=1e-4)


def test_profiles_of_a_uniform_image_are_flat_and_bins_follow_options() -> None:
    tracker = create_tracker(profile_oversample=2, mode="fast")
    assert tracker.n_bins((64, 64)) == 64  # out to half the side: MagScope's layout
    np.testing.assert_allclose(tracker.bin_radii((64, 64))[:3], [0.0, 0.5, 1.0])
    assert create_tracker(r_max_px=20.0).n_bins((64, 64)) == 21
    assert create_tracker(r_max_px=20.0).accepted_n_bins((64, 64)) == (21,)
    assert create_tracker(mode="fast").n_bins((50, 50)) == 25
    # precise: 4 px further, into the corners; either mode takes the other's Z-LUTs
    assert create_tracker().n_bins((50, 50)) == 29
    assert create_tracker().accepted_n_bins((64, 64)) == (36, 32)
    assert create_tracker(mode="fast").accepted_n_bins((64, 64)) == (32, 36)
    assert create_tracker(profile_oversample=2).n_bins((64, 64)) == 72
    assert create_tracker().n_bins((8, 8)) == 5  # no further than the corners
    # a bead plus a constant: the profile of the constant part is the constant
    yy, xx = np.mgrid[:64, :64]
    image = 100.0 + 50.0 * np.cos(2 * np.pi * np.hypot(xx - 31.5, yy - 31.5) / 9.0)
    for backend in BACKENDS:
        result = create_tracker(backend=backend).track(
            image.astype(np.float32), return_profiles=True
        )
        assert result.profiles is not None
        assert result.x[0] == pytest.approx(31.5, abs=1e-3)
        offset = create_tracker(backend=backend).track(
            (image + 1000.0).astype(np.float32), return_profiles=True
        )
        assert offset.profiles is not None
        np.testing.assert_allclose(offset.profiles - result.profiles, 1000.0, rtol=1e-5)


def test_tracker_is_a_plain_picklable_record() -> None:
    import pickle

    tracker = create_tracker(n_xy_iterations=4)
    clone = pickle.loads(pickle.dumps(tracker))
    assert clone.options == tracker.options
    assert isinstance(clone, magscope_tracker.CpuTracker)
