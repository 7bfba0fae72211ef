"""A small synthetic camera for test sessions: beads at known places, paced frames.

It lets the kit start a real session (camera manager, ring, pipeline) without any camera
plugin installed, and it is the reference implementation the kit's own camera contract
tests run against. Frames are a fixed bead pattern (:func:`bead_image`) plus a little
noise; the frame counter is written into the first pixel so consecutive frames differ.
"""

from __future__ import annotations

import time
from typing import Any

import attrs
import numpy as np

from magscope_core._camera import CameraError, CameraInfo
from magscope_core.testing._images import bead_image

__all__ = ["BeadSite", "PatternCamera"]

_SETTINGS = ("fps", "exposure_ms")


@attrs.frozen
class BeadSite:
    """Where a bead of the pattern is (pixels), as ``FindBeads`` reads it."""

    x_px: float
    y_px: float


class PatternCamera:
    """A camera that shows ``n_beads`` beads on a grid, at ``fps`` frames per second.

    Parameters
    ----------
    width, height
        Frame size in pixels.
    fps
        Frame rate; :meth:`grab_into` blocks until the next frame is due.
    n_beads
        Beads on a grid, 96 px apart (as many as fit).
    dtype
        ``"uint8"`` or ``"uint16"``.
    noise
        Standard deviation of the per-frame noise, in counts.
    """

    def __init__(self, width: int = 256, height: int = 256, fps: float = 50.0,
                 n_beads: int = 4, dtype: str = "uint8", noise: float = 2.0) -> None:
        if dtype not in ("uint8", "uint16"):
            raise ValueError(f"PatternCamera dtype={dtype!r}: expected 'uint8' or 'uint16'")
        self.width, self.height, self.dtype = int(width), int(height), dtype
        self.settings: dict[str, Any] = {"fps": float(fps), "exposure_ms": 1000.0 / fps / 2}
        self.n_beads = int(n_beads)
        self.noise = float(noise)
        self._sites: list[BeadSite] = []
        self._base: np.ndarray | None = None
        self._next_due = 0.0
        self._count = 0
        self._rng = np.random.default_rng(1)

    def connect(self) -> CameraInfo:
        """Render the bead pattern once and return the camera's metadata."""
        frame = np.full((self.height, self.width), 100.0)
        step = 96
        for y in range(step // 2, self.height - step // 2 + 1, step):
            for x in range(step // 2, self.width - step // 2 + 1, step):
                if len(self._sites) < self.n_beads:
                    self._sites.append(BeadSite(float(x) + 0.25, float(y) - 0.25))
        for site in self._sites:
            x0, y0 = int(site.x_px) - 32, int(site.y_px) + 1 - 32
            tile = bead_image(64, site.x_px - x0, site.y_px - y0, 0.0, dtype="float64")
            frame[y0:y0 + 64, x0:x0 + 64] += tile - 100.0
        self._base = frame
        self._next_due = time.monotonic()
        bits = 8 if self.dtype == "uint8" else 12
        return CameraInfo(width=self.width, height=self.height, dtype=self.dtype, bits=bits,
                          nm_per_px=100.0, fps=self.settings["fps"], model="pattern",
                          serial="kit")

    def grab_into(self, out: np.ndarray, timeout: float) -> float | None:
        """Wait until the next frame is due (at most ``timeout``), then write it."""
        if self._base is None:
            raise CameraError("PatternCamera.grab_into called before connect()")
        wait = self._next_due - time.monotonic()
        if wait > timeout:
            time.sleep(max(0.0, timeout))
            return None
        if wait > 0:
            time.sleep(wait)
        self._next_due = max(self._next_due + 1.0 / self.settings["fps"],
                             time.monotonic() - 1.0)
        noisy = self._base + self._rng.normal(0.0, self.noise, self._base.shape)
        top = np.iinfo(np.dtype(self.dtype)).max
        out[...] = np.clip(np.rint(noisy), 0, min(top, 4095))
        out.flat[0] = self._count % (top + 1)
        self._count += 1
        return time.time()

    def disconnect(self) -> None:
        """Forget the pattern."""
        self._base = None

    def get_settings(self) -> dict[str, Any]:
        """``fps`` and ``exposure_ms``."""
        return dict(self.settings)

    def set_setting(self, name: str, value: Any) -> None:
        """Set ``fps`` (0.1..1000) or ``exposure_ms`` (> 0)."""
        if name not in _SETTINGS:
            raise CameraError(f"PatternCamera has no setting {name!r}; settings: "
                              f"{', '.join(_SETTINGS)}")
        number = float(value)
        if name == "fps" and not 0.1 <= number <= 1000.0:
            raise ValueError(f"PatternCamera setting fps={value!r}: expected 0.1..1000")
        if name == "exposure_ms" and number <= 0:
            raise ValueError(f"PatternCamera setting exposure_ms={value!r}: expected > 0")
        self.settings[name] = number

    def bead_positions(self) -> list[BeadSite]:
        """Where the beads are (read by the core's ``FindBeads``)."""
        return list(self._sites)
