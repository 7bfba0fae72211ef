"""Helpers of the python-microscope plugin's tests (importable by name: see conftest.py)."""

from __future__ import annotations

from typing import Any

import numpy as np


def gradient_matches(frame: np.ndarray) -> bool:
    """Whether ``frame`` is python-microscope's simulated "gradient" image, pixel for pixel.

    The simulator draws ``dark + light * (x + y) / (x_max + y_max)`` with a random dark
    level in 0..31 and light in 127..255 per frame, cast to the pixel type: the test
    tries every light level and compares every pixel below full scale.
    """
    h, w = frame.shape
    yy, xx = np.mgrid[0:h, 0:w]
    ramp = (xx + yy) / ((w - 1) + (h - 1))
    dark = int(frame[0, 0])
    for light in range(127, 256):
        expected = dark + light * ramp
        inside = expected < 255
        if inside.mean() > 0.5 and np.array_equal(
                frame[inside], expected[inside].astype(frame.dtype)):
            return True
    return False


def float_camera() -> Any:
    """python-microscope's SimulatedCamera set to float frames (which MagScope refuses)."""
    from microscope.simulators import SimulatedCamera

    camera = SimulatedCamera(sensor_shape=(16, 16))
    camera.set_setting("image data type", 2)  # uint8, uint16, float
    return camera
