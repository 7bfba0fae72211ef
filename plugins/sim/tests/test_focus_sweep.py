"""focus_sweep: a Z-LUT of a simulated camera's bead, by stepping the camera's focus."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from magscope_sim import SimulatedCamera, focus_sweep

SMALL = {"width": 128, "height": 128, "n_fixed": 1, "n_tethered": 0, "seed": 5, "fps": 1000}


def test_each_plane_is_the_beads_roi_at_that_defocus() -> None:
    cam = SimulatedCamera(**SMALL, focus_nm=150.0)
    z = np.array([-1000.0, 0.0, 1000.0])
    sweep = focus_sweep(cam, z, roi_size=48, images_per_plane=2)
    assert sweep.images.shape == (3, 2, 48, 48) and sweep.images.dtype == np.float32
    assert sweep.nm_per_px == cam.info.nm_per_px and sweep.bead_id == 0
    np.testing.assert_array_equal(sweep.z_nm, z)
    # the last frame rendered was at the last height: the bead's defocus is that height
    # plus its own height, and the ROI is centred on it
    truth = cam.truth()
    assert truth.focus_nm == -1000.0
    np.testing.assert_allclose(truth.dz_nm[0], 1000.0 + truth.z_nm[0])
    centre = np.array([truth.x_px[0], truth.y_px[0]])
    x, y = cam.bead_positions()[0].roi_center
    assert np.all(np.abs(centre - [x, y]) < 1)
    img = sweep.images[2, 1]
    peak = np.unravel_index(np.argmax(np.abs(img - np.median(img))), img.shape)
    assert abs(peak[0] - 24) < 12 and abs(peak[1] - 24) < 12  # the rings are in the ROI
    # images differ with height far more than between two frames of one height (noise)
    noise = np.abs(sweep.images[1, 0] - sweep.images[1, 1]).mean()
    assert np.abs(sweep.images[0, 0] - sweep.images[2, 0]).mean() > 3 * noise
    assert cam.get_settings()["focus_nm"] == 150.0  # the focus is put back


def test_its_zlut_gives_the_height_of_a_bead_of_another_camera(tmp_path: Path) -> None:
    tracker_mod = pytest.importorskip("magscope_tracker")
    tracker = tracker_mod.create_tracker()
    z = np.arange(-1500.0, 1501.0, 100.0)
    path = focus_sweep(SimulatedCamera(**SMALL), z).save_zlut(tracker, tmp_path / "z.txt")
    lut = tracker.load_zlut(path)
    assert lut.metadata["nm_per_px"] == SimulatedCamera(**SMALL).info.nm_per_px
    # the same bead on a camera with other noise, at heights between the table's planes
    probe = focus_sweep(SimulatedCamera(**{**SMALL, "seed": 9}), [-750.0, 250.0, 1150.0],
                        images_per_plane=1)
    res = tracker.track(probe.images[:, 0], lut)
    np.testing.assert_allclose(np.asarray(res.z), probe.z_nm, atol=40.0)


def test_bad_arguments_are_refused_naming_what() -> None:
    cam = SimulatedCamera(**SMALL)
    with pytest.raises(ValueError, match="strictly monotonic"):
        focus_sweep(cam, [0.0, 100.0, 50.0])
    with pytest.raises(ValueError, match="strictly monotonic"):
        focus_sweep(cam, [0.0])
    with pytest.raises(ValueError, match="not bead 3"):
        focus_sweep(cam, [0.0, 100.0], bead=3)
    with pytest.raises(ValueError, match="does not fit the 128 x 128 frame"):
        focus_sweep(cam, [0.0, 100.0], roi_size=200)
    with pytest.raises(ValueError, match="images_per_plane"):
        focus_sweep(cam, [0.0, 100.0], images_per_plane=0)
