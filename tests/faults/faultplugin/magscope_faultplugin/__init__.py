"""Fault-injection plugins for ``tests/faults``: a counter camera and a slow tracker.

Put on the path by ``tests/faults/conftest.py`` (its ``*.dist-info`` sits next to it),
never installed.

- camera ``counter``: every pixel of frame ``n`` is ``n`` (uint16, counting every frame
  the camera produced, dropped or not), with ``n_beads`` known bead sites, so any torn,
  mixed or reordered ROI shows in the tracked values;
- tracker ``slow``: takes a fixed ``seconds_per_roi`` per ROI (a sleep: the same cost
  whatever the machine's load) and reports what it saw: ``x = y =`` the ROI's pixel
  value and ``z = 1`` when every pixel of the ROI had that value (``0`` when torn). With
  ``MAGSCOPE_SLOW_TRACKER_LOG`` set it appends ``start end n_rois`` (monotonic seconds)
  per call to that file, so a test can tell how busy it was kept.
"""

from __future__ import annotations

import os
import time
from typing import Any

import attrs
import numpy as np

from magscope_core import CameraInfo, CameraSpec, TrackerSpec, hookimpl


@attrs.frozen
class Site:
    """A bead site, as ``FindBeads`` expects from ``bead_positions()``."""

    x_px: float
    y_px: float

    @property
    def roi_center(self) -> tuple[int, int]:
        return round(self.x_px), round(self.y_px)


class CounterCamera:
    """Frames whose every pixel is the frame's counter, paced at ``fps``."""

    def __init__(self, width: int = 512, height: int = 128, fps: float = 100.0,
                 n_beads: int = 4, roi: int = 64) -> None:
        self.width, self.height = int(width), int(height)
        self.fps, self.n_beads, self.roi = float(fps), int(n_beads), int(roi)
        self.n = 0
        self._next = 0.0

    def connect(self) -> CameraInfo:
        self._next = time.monotonic()
        return CameraInfo(width=self.width, height=self.height, dtype="uint16", bits=16,
                          nm_per_px=100.0, fps=self.fps, model="counter")

    def bead_positions(self) -> list[Site]:
        step = self.width // max(self.n_beads, 1)
        return [Site(step * k + step / 2, self.height / 2) for k in range(self.n_beads)]

    def grab_into(self, out: np.ndarray, timeout: float) -> float | None:
        delay = self._next - time.monotonic()
        if delay > timeout:
            time.sleep(timeout)
            return None
        if delay > 0:
            time.sleep(delay)
        self._next = max(self._next + 1.0 / self.fps, time.monotonic() - 1.0)
        out[...] = self.n & 0xFFFF
        self.n += 1
        return time.time()

    def disconnect(self) -> None:
        pass

    def get_settings(self) -> dict[str, Any]:
        return {"fps": self.fps}

    def set_setting(self, name: str, value: Any) -> None:
        raise ValueError(f"counter camera has no setting {name!r}")


@attrs.frozen
class _Output:
    x: np.ndarray
    y: np.ndarray
    z: np.ndarray


class SlowTracker:
    """A tracker that costs ``seconds_per_roi`` per ROI and reports each ROI's value."""

    def __init__(self, seconds_per_roi: float = 0.005) -> None:
        self.seconds_per_roi = float(seconds_per_roi)

    def track(self, rois: np.ndarray, zlut: Any = None) -> _Output:
        n = rois.shape[0]
        start = time.monotonic()
        time.sleep(n * self.seconds_per_roi)
        log = os.environ.get("MAGSCOPE_SLOW_TRACKER_LOG")
        if log:
            with open(log, "a") as fh:
                fh.write(f"{start:.6f} {time.monotonic():.6f} {n}\n")
        flat = rois.reshape(n, -1)
        first = flat[:, 0].astype(np.float64)
        intact = (flat == flat[:, :1]).all(axis=1)
        return _Output(first.copy(), first.copy(), intact.astype(np.float64))

    def make_zlut(self, stack: np.ndarray, z_nm: np.ndarray) -> Any:
        raise NotImplementedError("the slow tracker has no Z-LUT")

    def load_zlut(self, path: Any) -> Any:
        raise NotImplementedError("the slow tracker has no Z-LUT")

    def save_zlut(self, zlut: Any, path: Any) -> None:
        raise NotImplementedError("the slow tracker has no Z-LUT")


@hookimpl
def magscope_cameras() -> list[CameraSpec]:
    return [CameraSpec(name="counter", factory=CounterCamera, priority=-10,
                       description="frames filled with their frame counter (tests/faults)")]


@hookimpl
def magscope_trackers() -> list[TrackerSpec]:
    return [TrackerSpec(name="slow", factory=SlowTracker, priority=-10,
                        description="fixed cost per ROI, reports pixel values (tests/faults)")]
