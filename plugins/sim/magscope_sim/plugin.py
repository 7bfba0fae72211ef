"""Hook implementations: the simulated camera, focus motor and magnet motor.

The motors handle the core's standard motor commands and record the standard telemetry
columns, so the GUI plugin's generic focus and magnet panels drive them; the simulator
contributes no panels of its own.
"""

from __future__ import annotations

from magscope_core import (
    CameraSpec,
    CommandSpec,
    ManagerSpec,
    RestartPolicy,
    SettingsSpec,
    hookimpl,
)
from magscope_sim._camera import SimulatedCamera
from magscope_sim._magnet import SimMagnetSettings
from magscope_sim._managers import SIM_COMMANDS, SimCameraManager, SimFocusMotor, SimMagnetMotor
from magscope_sim._settings import SimCameraOptions

__all__ = [
    "magscope_cameras",
    "magscope_commands",
    "magscope_managers",
    "magscope_settings",
]


@hookimpl
def magscope_cameras() -> list[CameraSpec]:
    """The simulated bead camera (lowest priority: any real camera wins by default)."""
    return [
        CameraSpec(
            name="sim",
            factory=SimulatedCamera,
            # beads far enough apart that 64 px tracking ROIs never overlap (64 * sqrt 2)
            options={"min_separation_px": 91.0},
            settings=SimCameraOptions,  # -O options: typed, checked, listed by --help-camera
            manager=SimCameraManager,
            priority=0,
            auto_zlut=True,  # it knows its optics: a Z-LUT by focus sweep in the 1st session
            description="simulated magnetic-tweezers microscope (Fourier-optics beads)",
        )
    ]


@hookimpl
def magscope_managers() -> list[ManagerSpec]:
    """The simulated focus motor and magnet motor."""
    return [
        ManagerSpec(name="focus", factory=SimFocusMotor, restart=RestartPolicy("restart"),
                    description="simulated focus motor (+/-10 um)"),
        ManagerSpec(name="magnet", factory=SimMagnetMotor, restart=RestartPolicy("restart"),
                    description="simulated magnet motor with force calibration"),
    ]


@hookimpl
def magscope_settings() -> list[SettingsSpec]:
    """Namespace ``magnet``: force calibration file and speeds of the simulated magnet."""
    return [SettingsSpec(namespace="magnet", schema=SimMagnetSettings)]


@hookimpl
def magscope_commands() -> list[CommandSpec]:
    """Commands between the simulated motors and the simulated camera."""
    return list(SIM_COMMANDS)

