from __future__ import annotations

import math

import numpy as np
import pytest
from magscope_sim import (
    KT_PN_NM,
    BeadField,
    TetherParams,
    stokes_drag,
    wlc_extension,
    wlc_force,
    wlc_stiffness,
)

L0 = 2000.0


def test_wlc_extension_increases_with_force_and_approaches_contour_length():
    forces = np.array([0.01, 0.1, 0.5, 1.0, 2.0, 5.0, 20.0, 100.0])
    ext = wlc_extension(forces, L0)
    assert np.all(np.diff(ext) > 0)
    assert ext[-1] > 0.95 * L0 and ext[-1] < L0
    np.testing.assert_allclose(wlc_force(ext, L0), forces, rtol=1e-9)
    assert wlc_extension(0.0, L0) == 0.0


def test_wlc_stiffness_is_the_derivative_of_force():
    ext = np.array([200.0, 1000.0, 1700.0, 1900.0])
    h = 1e-3
    numeric = (wlc_force(ext + h, L0) - wlc_force(ext - h, L0)) / (2 * h)
    np.testing.assert_allclose(wlc_stiffness(ext, L0), numeric, rtol=1e-6)


def test_wlc_rejects_bad_input():
    with pytest.raises(ValueError, match="forces"):
        wlc_extension(-1.0, L0)
    with pytest.raises(ValueError, match="extension"):
        wlc_force(L0, L0)


def test_stokes_drag_bulk_and_wall():
    bulk_xy, bulk_z = stokes_drag(500.0)
    assert float(bulk_xy) == pytest.approx(6 * math.pi * 1e-9 * 500.0)
    near_xy, near_z = stokes_drag(500.0, 600.0)
    far_xy, far_z = stokes_drag(500.0, 50_000.0)
    assert near_z > near_xy > far_xy > bulk_xy * 0.999
    assert float(far_z) == pytest.approx(float(bulk_z), rel=0.02)


def _field(n=4000, force=1.0, seed=0, **kw):
    anchors = np.zeros((n, 2))
    return BeadField(anchors, np.ones(n, bool), TetherParams(**kw), force_pn=force, seed=seed)


def test_ou_variance_is_kt_over_k():
    field = _field()
    field.step(1.0)  # >> every relaxation time
    field.step(1.0)
    x, y, z = field.positions()
    expected = KT_PN_NM / field.stiffness_pn_per_nm
    assert np.var(x) == pytest.approx(expected[0], rel=0.07)
    assert np.var(y) == pytest.approx(expected[1], rel=0.07)
    ext = z - field.params.bead_radius_nm
    assert np.var(ext) == pytest.approx(expected[2], rel=0.07)
    assert np.mean(ext) == pytest.approx(field.mean_extension_nm, rel=0.01)


def test_ou_autocorrelation_follows_relaxation_time():
    field = _field(force=2.0)
    tau = field.tau_s
    dt = float(tau[0])  # one lateral relaxation time
    x0, _, z0 = field.positions()
    field.step(dt)
    x1, _, z1 = field.positions()
    assert np.corrcoef(x0, x1)[0, 1] == pytest.approx(math.exp(-1.0), abs=0.04)
    assert np.corrcoef(z0, z1)[0, 1] == pytest.approx(math.exp(-dt / tau[2]), abs=0.04)


def test_extension_follows_force():
    field = _field(n=500, force=0.1)
    low = field.positions()[2].mean()
    field.set_force(5.0)
    field.step(0.5)
    high = field.positions()[2].mean() - field.params.bead_radius_nm
    assert high > low
    assert high == pytest.approx(float(wlc_extension(5.0, L0)), rel=0.01)
    assert field.force_pn == 5.0


def test_zero_force_is_floored_and_beads_stay_above_surface():
    field = _field(n=2000, force=0.0)
    field.step(1.0)
    _, _, z = field.positions()
    assert np.all(z >= field.params.bead_radius_nm)
    assert np.all(z < field.params.bead_radius_nm + L0)
    with pytest.raises(ValueError, match="force"):
        field.set_force(-1.0)


def test_fixed_beads_stay_put_and_drift_moves_everything():
    anchors = np.array([[1000.0, 2000.0], [5000.0, 5000.0]])
    field = BeadField(anchors, [False, True], drift_nm_per_s=(10.0, 0.0, 5.0), seed=1)
    field.step(2.0)
    x, y, z = field.positions()
    assert (x[0], y[0], z[0]) == (1020.0, 2000.0, 500.0)
    assert field.stage_z_nm == 10.0


def test_seeded_motion_is_reproducible():
    a, b = _field(n=10, seed=5), _field(n=10, seed=5)
    for f in (a, b):
        f.step(0.01)
    np.testing.assert_array_equal(a.positions()[0], b.positions()[0])
