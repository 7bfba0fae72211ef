"""Force from Brownian motion against the simulator's true force (bead motion model only).

Trajectories come from :class:`magscope_sim.BeadField` (exact OU with the camera's exposure
averaged by sub-steps, long pendulum along x): 60 s plateaus at 100 fps, 10 ms exposure.
Every bead and axis is checked on its own (no pooling).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from magscope_analysis import allan_deviation, brownian_force
from magscope_sim import BeadField, TetherParams

FPS = 100.0
SECONDS = 60.0
R = 500.0
FORCES = (0.5, 1.0, 2.0, 5.0, 10.0)


def _plateau(force: float, n_beads: int = 2, seed: int = 11) -> np.ndarray:
    field = BeadField(np.zeros((n_beads, 2)), np.ones(n_beads, bool),
                      TetherParams(bead_radius_nm=R), force_pn=force, seed=seed)
    return field.trajectory(int(SECONDS * FPS), 1.0 / FPS, exposure_s=1.0 / FPS)


@pytest.fixture(scope="module")
def plateaus() -> dict[float, np.ndarray]:
    return {f: _plateau(f, seed=int(10 * f)) for f in FORCES}


def _estimate(traj: np.ndarray, bead: int, axis: int, **kw):
    ext = traj[:, bead, 2] - R
    return brownian_force(traj[:, bead, axis], ext, fps=FPS, radius_nm=R,
                          along_field=kw.pop("along_field", axis == 0), **kw)


@pytest.mark.parametrize("method", ["psd", "allan"])
@pytest.mark.parametrize("force", FORCES)
def test_corrected_methods_are_within_10_percent(plateaus, force: float, method: str):
    traj = plateaus[force]
    for bead in range(traj.shape[1]):
        for axis in (0, 1):
            est = _estimate(traj, bead, axis, method=method)
            err = est.force_pn / force - 1
            assert abs(err) < 0.10, (bead, axis, est)
            assert 0 < est.sigma_pn < 0.1 * force
            assert abs(est.force_pn - force) < 4 * est.sigma_pn + 0.01 * force, (bead, axis)
            assert not est.at_bound


def test_naive_estimators_miss_at_high_force(plateaus):
    force = 10.0
    traj = plateaus[force]
    for bead in range(traj.shape[1]):
        for axis in (0, 1):
            plain = _estimate(traj, bead, axis, method="variance")
            assert plain.force_pn > 1.5 * force  # blur hides > 1/3 of the variance
            lorentz = _estimate(traj, bead, axis, method="psd-lorentzian", drag="fit")
            assert lorentz.force_pn > 1.10 * force  # no blur, no aliasing in the model
        # along the field with the short pendulum l instead of l + R
        short = _estimate(traj, bead, 0, method="psd", along_field=False)
        assert short.force_pn < 0.9 * force
        right = _estimate(traj, bead, 0, method="psd")
        assert short.force_pn / right.force_pn == pytest.approx(
            right.extension_nm / (right.extension_nm + R))


def test_free_drag_fit_is_unbiased_at_low_force(plateaus):
    traj = plateaus[1.0]
    for bead in range(traj.shape[1]):
        est = _estimate(traj, bead, 0, method="psd", drag="fit")
        assert abs(est.force_pn - 1.0) < 0.1
        assert est.corner_hz == pytest.approx(1 / (2 * math.pi * est.tau_s))


def test_allan_deviation_of_white_noise_falls_as_one_over_sqrt_window():
    x = np.random.default_rng(0).standard_normal(2**14)
    x[5] = np.nan  # gaps are dropped
    t, adev = allan_deviation(x, 100.0)
    assert t[0] == pytest.approx(0.01)
    np.testing.assert_allclose(adev[:6] * np.sqrt(2 ** np.arange(6)), 1.0, rtol=0.08)


@pytest.mark.parametrize(("trace", "ext", "kw", "match"), [
    (np.r_[np.zeros(99), np.nan], 1000.0, {}, "1 non-finite"),
    (np.zeros(5), 1000.0, {}, "at least 16 frames"),
    (np.random.default_rng(1).standard_normal(100), -3.0, {}, "extension must be > 0"),
    (np.random.default_rng(1).standard_normal(100), 1000.0, {"method": "median"},
     "unknown method"),
])
def test_bad_input_is_one_clear_error(trace, ext, kw, match):
    with pytest.raises(ValueError, match=match) as info:
        brownian_force(trace, ext, fps=FPS, radius_nm=R, along_field=True, **kw)
    assert "\n" not in str(info.value)
