"""Hook implementations: the simulated camera, focus motor and magnet motor."""

from __future__ import annotations

from magscope_core import CameraSpec, CommandSpec, ManagerSpec, RestartPolicy, hookimpl
from magscope_sim._camera import SimulatedCamera
from magscope_sim._managers import SIM_COMMANDS, SimCameraManager, SimFocusMotor, SimMagnetMotor

__all__ = ["magscope_cameras", "magscope_commands", "magscope_managers"]


@hookimpl
def magscope_cameras() -> list[CameraSpec]:
    """The simulated bead camera (lowest priority: any real camera wins by default)."""
    return [
        CameraSpec(
            name="sim",
            factory=SimulatedCamera,
            manager=SimCameraManager,
            priority=0,
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
def magscope_commands() -> list[CommandSpec]:
    """Commands between the simulated motors and the simulated camera."""
    return list(SIM_COMMANDS)
