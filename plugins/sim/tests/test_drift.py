"""Stage drift of the simulated camera: rates, random walk, options and live changes."""

from __future__ import annotations

import numpy as np
import pytest
from magscope_sim import SimulatedCamera
from magscope_sim._drift import StageDrift

from magscope_core import ConfigurationError


def test_stage_drift_integrates_the_rate_and_walks_by_sqrt_time() -> None:
    d = StageDrift(1)
    for _ in range(100):
        d.advance(0.1, (10.0, -5.0, 2.0))
    assert d.offset_nm == pytest.approx([100.0, -50.0, 20.0])
    d.advance(1.0, (0.0, 0.0, 0.0))  # a rate changed at run time: no jump
    assert d.offset_nm == pytest.approx([100.0, -50.0, 20.0])
    ends = np.array([_walk(seed) for seed in range(200)])  # 100 s of a 3 nm/sqrt(s) walk
    assert np.std(ends, axis=0) == pytest.approx([30.0] * 3, rel=0.2)
    assert np.abs(ends.mean(axis=0)).max() < 10.0
    assert _walk(7) == pytest.approx(_walk(7))  # the seed decides the wander


def _walk(seed: int) -> np.ndarray:
    d = StageDrift(seed)
    for _ in range(100):
        d.advance(1.0, (0.0, 0.0, 0.0), 3.0)
    return d.offset_nm


def test_camera_options_drift_every_bead_and_its_defocus() -> None:
    cam = SimulatedCamera(width=256, height=256, fps=10.0, n_fixed=2, n_tethered=0, seed=4,
                          drift_x_nm_per_s=200.0, drift_y_nm_per_s="-100",
                          drift_z_nm_per_s=50.0)
    cam.connect()
    frame = np.zeros((256, 256), np.uint8)
    cam.render_into(frame)
    first = cam.truth()
    rest0 = [(s.x_px, s.y_px) for s in cam.bead_positions()]
    for _ in range(20):  # 2 s at 10 fps
        cam.render_into(frame)
    last = cam.truth()
    assert last.x_px - first.x_px == pytest.approx([4.0, 4.0])  # 400 nm = 4 px
    assert last.y_px - first.y_px == pytest.approx([-2.0, -2.0])
    assert last.dz_nm - first.dz_nm == pytest.approx([100.0, 100.0])
    assert last.z_nm == pytest.approx(first.z_nm)  # the sample moved, not the beads on it
    rest = [(s.x_px, s.y_px) for s in cam.bead_positions()]
    assert np.subtract(rest, rest0) == pytest.approx(np.array([[4.0, -2.0]] * 2))
    cam.set_setting("drift_z_nm_per_s", 0.0)  # live: the offset stays, the motion stops
    cam.set_focus(100.0)  # a focus move of the drift's size compensates it
    cam.render_into(frame)
    assert cam.truth().dz_nm == pytest.approx(first.dz_nm)


def test_bad_drift_options_are_one_clear_error() -> None:
    with pytest.raises(ConfigurationError, match=r"drift_z_nm_per_s.*Allowed"):
        SimulatedCamera(drift_z_nm_per_s=1e9)
    with pytest.raises(ConfigurationError, match=r"drift_walk_nm_per_sqrt_s.*Allowed"):
        SimulatedCamera(drift_walk_nm_per_sqrt_s=-1)
