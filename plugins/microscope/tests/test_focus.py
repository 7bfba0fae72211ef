"""A python-microscope SimulatedStage axis as the focus motor (in this process)."""

from __future__ import annotations

import pytest
from magscope_microscope import MicroscopeFocusMotor
from magscope_microscope.plugin import FOCUS_MANAGER, magscope_managers

from magscope_core import (
    ConfigurationError,
    CorePlugin,
    GetFocus,
    MoveFocus,
    SetupError,
    load_plugins,
)
from magscope_core._app import plugin_managers

STAGE = "magscope_microscope:simulated_stage"


@pytest.fixture
def motor():
    m = MicroscopeFocusMotor(device=STAGE, args='{"x": [0, 10], "z": [-50, 50]}')
    m.setup()
    yield m
    m.teardown()


def test_moves_in_nanometres_on_a_micrometre_stage(motor) -> None:
    assert motor.state(GetFocus()) == {
        "z_nm": 0.0, "target_nm": 0.0, "moving": False, "at_target": True,
        "min_nm": -50_000.0, "max_nm": 50_000.0, "connected": True}
    x = motor.link.device.position["x"]  # the simulated stage starts mid-travel
    assert motor.move(MoveFocus(z_nm=1234.0)) == 1234.0
    assert motor.link.device.position["z"] == pytest.approx(1.234)
    assert motor.link.device.position["x"] == x  # only the focus axis moves
    assert motor.move(MoveFocus(z_nm=-80_000.0)) == -50_000.0  # clipped to the travel


def test_a_stage_axis_pointing_down_is_a_negative_scale() -> None:
    m = MicroscopeFocusMotor(device=STAGE, args='{"z": [0, 20]}', nm_per_unit=-1000.0)
    m.setup()
    assert (m.limits_nm, m.move(MoveFocus(z_nm=-5000.0))) == ((-20_000.0, 0.0), -5000.0)
    assert m.link.device.position["z"] == pytest.approx(5.0)


def test_a_missing_axis_is_a_configuration_error() -> None:
    m = MicroscopeFocusMotor(device=STAGE, args='{"x": [0, 10]}', axis="z")
    with pytest.raises(ConfigurationError, match=r"axis = 'z' rejected: the stage has no such "
                       r"axis. Allowed: 'x'"):
        m.setup()
    with pytest.raises(ConfigurationError, match="nm_per_unit = 0"):
        MicroscopeFocusMotor(device=STAGE, nm_per_unit=0.0)


def test_the_stage_starts_on_request_only_and_replaces_the_simulated_focus() -> None:
    (spec,) = magscope_managers()
    assert (spec.name, spec.autostart) == (FOCUS_MANAGER, False)
    plugins = load_plugins(builtins=[(CorePlugin(), "core", "magscope-core")])
    default = {e.spec.name for e in plugin_managers(plugins, None)}
    assert FOCUS_MANAGER not in default and {"focus", "magnet"} <= default
    asked = {e.spec.name for e in plugin_managers(plugins, None, [FOCUS_MANAGER])}
    assert FOCUS_MANAGER in asked and "focus" not in asked and "magnet" in asked
    with pytest.raises(SetupError, match=r"unknown manager 'microscope-focs'.*did you mean "
                       r"'microscope-focus'"):
        plugin_managers(plugins, None, ["microscope-focs"])
