"""Magnet ramps of the simulated magnet: profiles, approach, and the calibration."""

from __future__ import annotations

import numpy as np
import pytest
from magscope_sim._magnet import MagnetCalibration
from magscope_sim._motor import MotorAxis
from magscope_sim._ramp import MagnetRamp, force_profile, position_profile


def test_linear_force_ramp_has_the_loading_rate() -> None:
    duration, force = force_profile(0.5, 5.0, 2.0, "linear")
    assert duration == pytest.approx(2.25)
    t = np.linspace(0, duration, 10)
    f = np.array([force(x) for x in t])
    assert np.diff(f) / np.diff(t) == pytest.approx(np.full(9, 2.0))
    assert force(-1.0) == 0.5 and force(duration + 5) == 5.0


def test_log_force_ramp_spends_equal_time_per_factor() -> None:
    duration, force = force_profile(10.0, 0.1, 1.0, "log")
    assert duration == pytest.approx(9.9)
    # 10 -> 1 pN and 1 -> 0.1 pN take the same time: half each
    assert force(duration / 2) == pytest.approx(1.0)
    assert force(duration / 4) == pytest.approx(10 ** 0.5)
    assert force(duration) == pytest.approx(0.1)


@pytest.mark.parametrize(("args", "words"), [
    ((0.0, 5.0, 1.0, "linear"), "start"),
    ((1.0, float("nan"), 1.0, "linear"), "stop"),
    ((1.0, 5.0, -2.0, "linear"), "rate"),
    ((1.0, 5.0, 1.0, "square"), "scale"),
])
def test_bad_force_ramps_are_refused(args: tuple[float, float, float, str], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        force_profile(*args)


def test_position_ramp_and_its_approach_follow_the_clock() -> None:
    """A ramp away from the axis first approaches its start; its clock starts there."""
    axis = MotorAxis.magnet(10.0)
    axis.set_speed(5.0)
    duration, pos = position_profile(8.0, 4.0, 1.0)
    ramp = MagnetRamp("position", duration, pos, 8.0)
    dt, now = 0.05, 100.0
    t_started = None
    seen: list[tuple[float, float]] = []
    while not ramp.finished(now):
        axis.move_to(ramp.target(now, axis.position, axis.tolerance))
        axis.update(dt)
        if ramp.started is not None and t_started is None:
            t_started = now
        if t_started is not None:
            seen.append((now - t_started, axis.position))
        now += dt
        assert now < 200, "the ramp never ended"
    assert t_started is not None and t_started - 100.0 == pytest.approx(0.4, abs=0.06)
    t, x = np.array(seen).T
    want = 8.0 - 1.0 * t
    assert np.max(np.abs(x - want)) <= 1.0 * dt + 1e-9  # within one tick of the ramp
    assert abs(x[-1] - 4.0) <= 1.0 * dt + 1e-9


def test_force_ramp_through_the_calibration_hits_each_force() -> None:
    cal = MagnetCalibration.default()
    duration, force = force_profile(0.5, 5.0, 1.5, "linear")
    for t in np.linspace(0, duration, 7):
        mm = float(cal.position_for(force(t)))
        assert cal.force_at(mm) == pytest.approx(0.5 + 1.5 * t, rel=1e-6)


def test_a_held_ramp_stays_and_then_ends_later_by_the_hold() -> None:
    duration, pos = position_profile(2.0, 6.0, 1.0)
    ramp = MagnetRamp("position", duration, pos, 2.0)
    assert ramp.target(10.0, 2.0, 0.001) == 2.0  # at its start: the clock starts at 10 s
    assert ramp.target(11.0, 3.0, 0.001) == pytest.approx(3.0)
    ramp.hold(11.0)
    assert ramp.target(15.0, 3.0, 0.001) == pytest.approx(3.0)  # held: no progress
    assert not ramp.finished(30.0)
    ramp.release(15.0)  # held for 4 s
    assert ramp.target(16.0, 3.0, 0.001) == pytest.approx(4.0)
    assert not ramp.finished(17.9) and ramp.finished(18.0)  # 4 s + 4 s held


def test_holding_during_the_approach_stays_put() -> None:
    duration, pos = position_profile(2.0, 6.0, 1.0)
    ramp = MagnetRamp("position", duration, pos, 2.0)
    assert ramp.target(0.0, 9.0, 0.001) == 2.0  # approaching the start
    ramp.hold(0.5)
    assert ramp.target(1.0, 8.0, 0.001) == 8.0 and ramp.started is None
    ramp.release(2.0)
    assert ramp.target(2.0, 8.0, 0.001) == 2.0
