"""python-microscope devices in MagScope: its cameras as cameras, its stages as focus motors.

GPL-3.0 (it imports the GPL python-microscope); the core and the other plugins never
import it. The public surface is re-exported here; the modules behind it are private.
"""

from __future__ import annotations

from magscope_microscope._camera import MicroscopeCamera
from magscope_microscope._camera_settings import EXPOSURE, SettingMap
from magscope_microscope._devices import simulated_stage
from magscope_microscope._focus import MicroscopeFocusMotor
from magscope_microscope._link import DeviceLink
from magscope_microscope._options import MicroscopeCameraOptions, MicroscopeFocusSettings

__all__ = [
    "EXPOSURE",
    "DeviceLink",
    "MicroscopeCamera",
    "MicroscopeCameraOptions",
    "MicroscopeFocusMotor",
    "MicroscopeFocusSettings",
    "SettingMap",
    "simulated_stage",
]
