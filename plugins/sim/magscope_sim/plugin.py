"""Hook implementations: the simulated camera, focus motor and magnet motor.

The motors handle the core's standard motor commands and record the standard telemetry
columns, so the GUI plugin's generic focus and magnet panels drive them; the simulator
contributes no panels of its own.

Every implementation is named by its import path, so this module imports no simulation code
(no scipy) and no Qt: listing plugins and settings stays quick. Only the settings classes and
the command classes, which the core needs as objects, are imported.
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
from magscope_sim._commands import SIM_COMMANDS
from magscope_sim._settings import SimCameraOptions, SimMagnetSettings

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
            factory="magscope_sim._camera:SimulatedCamera",
            # beads far enough apart that 64 px tracking ROIs never overlap (64 * sqrt 2)
            options={"min_separation_px": 91.0},
            settings=SimCameraOptions,  # -O options: typed, checked, listed by --help-camera
            manager="magscope_sim._managers:SimCameraManager",
            priority=0,
            auto_zlut=True,  # it knows its optics: a Z-LUT by focus sweep in the 1st session
            description="simulated magnetic-tweezers microscope (Fourier-optics beads)",
        )
    ]


@hookimpl
def magscope_managers() -> list[ManagerSpec]:
    """The simulated focus motor and magnet motor."""
    return [
        ManagerSpec(name="focus", factory="magscope_sim._managers:SimFocusMotor",
                    restart=RestartPolicy("restart"),
                    description="simulated focus motor (+/-10 um)"),
        ManagerSpec(name="magnet", factory="magscope_sim._managers:SimMagnetMotor",
                    restart=RestartPolicy("restart"),
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

