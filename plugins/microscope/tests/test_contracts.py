"""python-microscope devices pass the kit's camera and focus-motor contracts (dogfood).

Both run on python-microscope's own simulated devices in this process; the device-server
path has its session tests in test_device_server.py.
"""

from __future__ import annotations

import pytest
from magscope_microscope import plugin

from magscope_core import CameraSpec, ManagerSpec
from magscope_core.testing import CameraContract, FocusMotorContract

SIM_CAMERA = "microscope.simulators:SimulatedCamera"
SIM_STAGE = "magscope_microscope:simulated_stage"


class TestMicroscopeCamera(CameraContract):
    writable_setting = ("exposure_ms", 3.0)

    @pytest.fixture
    def camera_spec(self) -> CameraSpec:
        (spec,) = plugin.magscope_cameras()
        options = {"device": SIM_CAMERA, "args": '{"sensor_shape": [96, 64]}',
                   "exposure_ms": 2.0, "nm_per_px": 80.0}
        return CameraSpec(spec.name, spec.factory, options=options, settings=spec.settings,
                          manager=spec.manager)


class TestMicroscopeFocus(FocusMotorContract):
    run_session_test = False  # test_device_server.py runs the stage in real sessions

    @pytest.fixture
    def focus_manager(self) -> ManagerSpec:
        (spec,) = plugin.magscope_managers()
        return ManagerSpec(spec.name, spec.factory, restart=spec.restart,
                           options={"device": SIM_STAGE, "args": '{"x": [0, 10], "z": [-50, 50]}'})
