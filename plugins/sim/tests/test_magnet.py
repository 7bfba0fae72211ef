from __future__ import annotations

import time

import numpy as np
import pytest
from magscope_sim import MagnetCalibration, MotorAxis
from magscope_sim._managers import SimMagnetMotor

from magscope_core import GetMagnet, HoldRamp, RampForce, SetForce


def test_default_calibration_is_monotone_and_invertible():
    cal = MagnetCalibration.default()
    assert cal.position_range == (0.0, 34.5)
    z = np.linspace(0, 34.5, 2001)
    f = cal.force_at(z)
    assert np.all(np.diff(f) < 0)
    assert cal.force_at(0.0) == pytest.approx(10.0)
    np.testing.assert_allclose(cal.position_for(f), z, atol=1e-8)
    for force in (0.05, 0.3, 1.0, 4.0, 9.9):
        assert cal.force_at(cal.position_for(force)) == pytest.approx(force, rel=1e-9)
    assert isinstance(cal.position_for(1.0), float)


def test_out_of_range_errors_name_the_range():
    cal = MagnetCalibration.default()
    with pytest.raises(ValueError, match=r"0\.\.34\.5 mm"):
        cal.force_at(40.0)
    with pytest.raises(ValueError, match="pN"):
        cal.position_for(50.0)


def test_bad_tables_are_refused_and_files_load(tmp_path):
    with pytest.raises(ValueError, match="monotone"):
        MagnetCalibration([0, 1, 2], [5, 6, 4])
    with pytest.raises(ValueError, match="increasing"):
        MagnetCalibration([0, 2, 1], [5, 4, 3])
    path = tmp_path / "force_calibrant.txt"
    path.write_text("# mm pN\n2 1.0\n0 8.0\n1 3.0\n")
    cal = MagnetCalibration.from_file(path)
    assert cal.force_at(1.0) == pytest.approx(3.0)
    assert 0.0 < cal.position_for(5.0) < 1.0
    bad = tmp_path / "bad.txt"
    bad.write_text("1 2 3\n")
    with pytest.raises(ValueError, match="2 columns"):
        MagnetCalibration.from_file(bad)


def test_motor_axis_moves_at_speed_and_reports_target():
    ax = MotorAxis.focus()
    ax.set_speed(1000.0)
    ax.move_to(500.0)
    assert ax.is_moving and not ax.at_target
    ax.update(0.2)
    assert ax.position == pytest.approx(200.0)
    ax.update(0.295)
    assert ax.position == pytest.approx(495.0) and ax.at_target and ax.is_moving
    ax.update(1.0)
    assert ax.position == 500.0 and not ax.is_moving
    ax.move_to(-100.0)
    ax.update(0.1)
    ax.stop()
    ax.update(1.0)
    assert ax.position == pytest.approx(400.0)


def test_motor_axis_limits():
    ax = MotorAxis.magnet()
    with pytest.raises(ValueError, match=r"outside 0\.0\.\.34\.5"):
        ax.move_to(40.0)
    assert ax.move_to(40.0, clip=True) == 34.5
    with pytest.raises(ValueError, match="speed"):
        ax.set_speed(100.0)
    with pytest.raises(ValueError, match="position"):
        MotorAxis("x", "mm", 0, 1, 2, 1, 1, 0)


def test_a_held_ramp_sets_its_held_target_at_once():
    """A state read right after a hold sees the axis heading for the held target.

    Before, the target was only moved at the next tick: an axis at rest on the previous
    tick's target read as "held and not moving", then crept on by one tick's worth.
    """
    magnet = SimMagnetMotor(speed_mm_s=10.0)
    magnet.set_force(SetForce(force_pn=1.0))
    magnet.axis.position = magnet.axis.target  # arrived at the start of the ramp
    magnet.ramp_force(RampForce(stop_pn=3.0, rate_pn_s=1.0))
    ramp = magnet.ramp
    assert ramp is not None
    ramp.started = time.monotonic() - 0.5  # half a second into the ramp
    # the last tick's target, and the axis already on it
    magnet.axis.move_to(ramp.position_at(0.4))
    magnet.axis.position = magnet.axis.target
    assert magnet.hold_ramp(HoldRamp(hold=True))
    state = magnet.state(GetMagnet())
    assert state["ramp_held"] and state["moving"]
    assert ramp.held_at is not None
    assert magnet.axis.target == pytest.approx(ramp.position_at(ramp.held_at - ramp.started))
    magnet.axis.update(1.0)
    held = magnet.state(GetMagnet())
    assert not held["moving"]
    assert held["force_pn"] == pytest.approx(1.0 + (ramp.held_at - ramp.started), abs=0.02)
