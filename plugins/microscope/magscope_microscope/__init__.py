"""python-microscope devices in MagScope: its cameras as cameras, its stages as focus motors.

GPL-3.0 (it imports the GPL python-microscope); the core and the other plugins never
import it. The public surface is re-exported here; the modules behind it are private.
python-microscope itself is imported only when a device is built (``simulated_stage`` on
first use), so listing the plugin stays light.
"""

from __future__ import annotations

import importlib
from importlib.metadata import version as _version
from typing import TYPE_CHECKING, Any

from magscope_microscope._camera import MicroscopeCamera
from magscope_microscope._camera_settings import EXPOSURE, SettingMap
from magscope_microscope._focus import MicroscopeFocusMotor
from magscope_microscope._link import DeviceLink
from magscope_microscope._options import MicroscopeCameraOptions, MicroscopeFocusSettings

if TYPE_CHECKING:
    from magscope_microscope._devices import simulated_stage

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


def __getattr__(name: str) -> Any:
    if name == "simulated_stage":
        return importlib.import_module("magscope_microscope._devices").simulated_stage
    raise AttributeError(f"module 'magscope_microscope' has no attribute {name!r}")

__version__ = _version("magscope-microscope")
"""The distribution's version (from its metadata: pyproject.toml is the one source)."""
