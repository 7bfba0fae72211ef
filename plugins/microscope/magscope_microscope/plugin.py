"""Hook implementations: the ``microscope`` camera and the ``microscope-focus`` manager.

Neither starts by itself: both need a device. The camera has a negative priority (it is
never the default camera) and is chosen with ``magscope run --camera microscope -O
uri=...``; the focus stage is started with ``--manager microscope-focus`` (configured in
the ``microscope-focus`` settings namespace) and replaces the simulated focus motor.
"""

from __future__ import annotations

from magscope_core import CameraSpec, ManagerSpec, RestartPolicy, SettingsSpec, hookimpl
from magscope_microscope._camera import MicroscopeCamera
from magscope_microscope._focus import MicroscopeFocusMotor
from magscope_microscope._options import MicroscopeCameraOptions, MicroscopeFocusSettings

__all__ = ["FOCUS_MANAGER", "magscope_cameras", "magscope_managers", "magscope_settings"]

FOCUS_MANAGER = "microscope-focus"


@hookimpl
def magscope_cameras() -> list[CameraSpec]:
    """Any python-microscope camera, in this process or behind a device server."""
    return [CameraSpec(name="microscope", factory=MicroscopeCamera,
                       settings=MicroscopeCameraOptions, priority=-10,
                       description="a python-microscope camera (-O device=... args=... "
                       "or -O uri=PYRO:...)")]


@hookimpl
def magscope_managers() -> list[ManagerSpec]:
    """A python-microscope stage axis as the focus motor (started on request)."""
    return [ManagerSpec(name=FOCUS_MANAGER, factory=MicroscopeFocusMotor,
                        restart=RestartPolicy("restart"), autostart=False,
                        description="a python-microscope stage axis as the focus motor "
                        "(--manager microscope-focus)")]


@hookimpl
def magscope_settings() -> list[SettingsSpec]:
    """Namespaces ``camera.microscope`` and ``microscope-focus``."""
    return [SettingsSpec(namespace="camera.microscope", schema=MicroscopeCameraOptions),
            SettingsSpec(namespace=FOCUS_MANAGER, schema=MicroscopeFocusSettings)]
