"""Hook implementations: the ``replay`` camera (entry point ``magscope: replay``)."""

from __future__ import annotations

from magscope_core import CameraSpec, hookimpl
from magscope_replay._camera import ReplayCamera
from magscope_replay._manager import ReplayCameraManager
from magscope_replay._settings import ReplayCameraOptions

__all__ = ["magscope_cameras"]


@hookimpl
def magscope_cameras() -> list[CameraSpec]:
    """The replay camera (priority -10: never the default camera; ask for it by name)."""
    return [
        CameraSpec(
            name="replay",
            factory=ReplayCamera,
            settings=ReplayCameraOptions,  # -O options: typed, checked, --help-camera
            manager=ReplayCameraManager,
            priority=-10,
            description="plays a recorded video (TIFF, HDF5, NumPy) as a camera: recorded "
            "rate, a given rate or as fast as possible; once or looping",
        )
    ]
