"""The simulator passes the kit's camera, focus-motor and magnet-motor contracts (dogfood)."""

from __future__ import annotations

import pytest
from magscope_sim import plugin
from magscope_sim._managers import SIM_COMMANDS

from magscope_core import CameraSpec, ManagerSpec
from magscope_core.testing import CameraContract, FocusMotorContract, MagnetMotorContract


def _manager(name: str, **options: object) -> ManagerSpec:
    (spec,) = [m for m in plugin.magscope_managers() if m.name == name]
    return ManagerSpec(spec.name, spec.factory, options={**spec.options, **options},
                       restart=spec.restart)


class TestSimCamera(CameraContract):
    writable_setting = ("exposure_ms", 4.0)
    commands = SIM_COMMANDS

    @pytest.fixture
    def camera_spec(self) -> CameraSpec:
        (spec,) = plugin.magscope_cameras()
        small = {"width": 128, "height": 128, "fps": 100.0, "n_fixed": 1, "n_tethered": 0,
                 "seed": 5}
        return CameraSpec(spec.name, spec.factory, options={**spec.options, **small},
                          settings=spec.settings, manager=spec.manager)


class TestSimFocusMotor(FocusMotorContract):
    commands = SIM_COMMANDS
    run_session_test = False  # the camera's session test is this plugin's one session

    @pytest.fixture
    def focus_manager(self) -> ManagerSpec:
        return _manager("focus", speed_nm_s=10_000.0)


class TestSimMagnetMotor(MagnetMotorContract):
    commands = SIM_COMMANDS
    run_session_test = False

    @pytest.fixture
    def magnet_manager(self) -> ManagerSpec:
        return _manager("magnet", speed_mm_s=10.0, rotation_speed_turns_s=50.0)
