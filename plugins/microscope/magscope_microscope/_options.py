"""Settings schemas: the ``microscope`` camera's options and the focus stage's settings.

Both take a device in one of two ways: ``device`` (a python-microscope class, or a
function returning a device, built in MagScope's own process with the JSON ``args``) or
``uri`` (the Pyro URI of a device served by python-microscope's ``device-server``).
"""

from __future__ import annotations

import attrs

from magscope_core import setting

__all__ = ["MicroscopeCameraOptions", "MicroscopeFocusSettings"]

_DEVICE_DOC = ("python-microscope device built in MagScope's process, as "
               "'package.module:Class' (or a function returning a device); '' with a uri.")
_ARGS_DOC = "JSON object of the device's keyword arguments (with device only)."
_URI_DOC = ("Pyro URI of a device served by a running python-microscope device-server, "
            "'PYRO:Name@host:port'; '' with device.")


@attrs.frozen
class MicroscopeCameraOptions:
    """Options of the ``microscope`` camera (``-O KEY=VALUE``; namespace ``camera.microscope``)."""

    device: str = setting("", startup_only=True, doc=_DEVICE_DOC)
    args: str = setting("", startup_only=True, doc=_ARGS_DOC)
    uri: str = setting("", startup_only=True, doc=_URI_DOC)
    nm_per_px: float = setting(100.0, minimum=0.001, maximum=100_000.0, unit="nm/px",
                               startup_only=True,
                               doc="Pixel pitch in the sample plane (magnification included).")
    fps: float = setting(0.0, minimum=0.0, maximum=100_000.0, unit="Hz", startup_only=True,
                         doc="Nominal frame rate for the file metadata; 0: 1 / the camera's "
                         "cycle time.")
    exposure_ms: float = setting(0.0, minimum=0.0, maximum=1e7, unit="ms", startup_only=True,
                                 doc="Exposure set when connecting; 0: keep the camera's.")
    bits: int = setting(0, minimum=0, maximum=32, unit="bits", startup_only=True,
                        doc="Significant bits per pixel; 0: every bit of the pixel type.")
    timeout_s: float = setting(5.0, minimum=0.1, maximum=600.0, unit="s", startup_only=True,
                               doc="Longest wait for one call to a served camera.")
    reconnect_s: float = setting(1.0, minimum=0.1, maximum=600.0, unit="s", startup_only=True,
                                 doc="Period of reconnection attempts after the camera was "
                                 "lost.")


@attrs.frozen
class MicroscopeFocusSettings:
    """The ``microscope-focus`` manager (namespace ``microscope-focus``)."""

    device: str = setting("", startup_only=True, doc=_DEVICE_DOC)
    args: str = setting("", startup_only=True, doc=_ARGS_DOC)
    uri: str = setting("", startup_only=True, doc=_URI_DOC)
    axis: str = setting("z", startup_only=True, doc="The stage axis that moves the focus.")
    nm_per_unit: float = setting(1000.0, minimum=-1e9, maximum=1e9, unit="nm/unit",
                                 startup_only=True,
                                 doc="Nanometres per stage unit (1000 for micrometres; "
                                 "negative when the axis points down).")
    tolerance_nm: float = setting(10.0, minimum=0.0, maximum=1e6, unit="nm", startup_only=True,
                                  doc="At target within this distance.")
    timeout_s: float = setting(2.0, minimum=0.1, maximum=600.0, unit="s", startup_only=True,
                               doc="Longest wait for one call to a served stage.")
    reconnect_s: float = setting(1.0, minimum=0.1, maximum=600.0, unit="s", startup_only=True,
                                 doc="Period of reconnection attempts after the stage was lost.")
