"""A Z-LUT of a simulated camera's bead, by stepping the camera's focus.

What a lab does to calibrate Z, done on a :class:`~magscope_sim.SimulatedCamera`: the
focal plane is stepped through the heights of the table, a few frames are taken at each,
and one bead's ROI is cut out of them. The images are the camera's own (its optics,
noise and pixel size), so a Z-LUT built from them fits a session of that camera. Tests
and benchmarks use it for the Z-LUT a replayed or re-tracked session tracks Z with.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from magscope_sim._camera import SimulatedCamera

__all__ = ["FocusSweep", "ZLutMaker", "focus_sweep"]


class ZLutMaker(Protocol):
    """A tracker that builds and writes Z-LUTs (``magscope_tracker``'s and MagTrack's do)."""

    def make_zlut(self, stack: ArrayLike, z_nm: ArrayLike, *,
                  nm_per_px: float | None = None) -> Any:
        """Build a Z-LUT from ``(planes, images, h, w)`` images at the heights ``z_nm``."""
        ...

    def save_zlut(self, zlut: Any, path: Path) -> None:
        """Write a Z-LUT file."""
        ...


@attrs.frozen(eq=False)
class FocusSweep:
    """Images of one bead at known heights, ready for a tracker's ``make_zlut``.

    Attributes
    ----------
    images
        ``(planes, images_per_plane, roi_size, roi_size)`` float32.
    z_nm
        Height of the bead above the focal plane at each plane (nm).
    nm_per_px
        The camera's pixel size.
    bead_id
        The bead the ROI holds.
    """

    images: NDArray[np.float32]
    z_nm: NDArray[np.float64]
    nm_per_px: float
    bead_id: int

    def make_zlut(self, tracker: ZLutMaker) -> Any:
        """The tracker's Z-LUT of these images (with the camera's pixel size)."""
        return tracker.make_zlut(self.images, self.z_nm, nm_per_px=self.nm_per_px)

    def save_zlut(self, tracker: ZLutMaker, path: str | Path) -> Path:
        """Build the Z-LUT with ``tracker`` and write it to ``path``; return the path."""
        path = Path(path)
        tracker.save_zlut(self.make_zlut(tracker), path)
        return path


def focus_sweep(camera: SimulatedCamera, z_nm: ArrayLike, *, bead: int = 0,
                roi_size: int = 64, images_per_plane: int = 3) -> FocusSweep:
    """Step ``camera``'s focus through ``z_nm`` and cut bead ``bead``'s ROI from its frames.

    At height ``z`` the focal plane is moved to ``-z`` (focus ``-z`` nm above the
    surface), so the bead's defocus is ``z`` plus its own constant height: ``z_nm`` are
    the bead's heights relative to the focal plane, as in the session's Z-LUT sweep.
    Frames are rendered at once (no pacing); the camera is connected if needed and its
    focus is put back afterwards.

    Parameters
    ----------
    camera
        The simulated camera (a fixed bead gives the cleanest table).
    z_nm
        Heights, strictly monotonic (nm).
    bead
        Id of the bead to image (see :meth:`SimulatedCamera.bead_positions`).
    roi_size
        ROI side (px): the size the session tracks.
    images_per_plane
        Frames averaged per height by ``make_zlut``.

    Returns
    -------
    FocusSweep
        The images, heights and pixel size.

    Raises
    ------
    ValueError
        ``z_nm`` is not a strictly monotonic 1-D list, ``bead`` is not a bead of the
        camera, its ROI does not fit the frame, or ``images_per_plane`` is below 1.
    """
    z = np.asarray(z_nm, dtype=np.float64).reshape(-1)
    steps = np.diff(z)
    if z.size < 2 or not (np.all(steps > 0) or np.all(steps < 0)):
        raise ValueError(f"focus_sweep: z_nm must hold 2 or more strictly monotonic heights, "
                         f"got {z.tolist()!r}")
    if images_per_plane < 1:
        raise ValueError(f"focus_sweep: images_per_plane must be 1 or more, got "
                         f"{images_per_plane}")
    info = camera.connect()
    sites = camera.bead_positions()
    if not 0 <= bead < len(sites):
        raise ValueError(f"focus_sweep: the camera has beads 0 to {len(sites) - 1}, not "
                         f"bead {bead}")
    x, y = sites[bead].roi_center
    half = roi_size // 2
    x0, y0 = x - half, y - half
    if x0 < 0 or y0 < 0 or x0 + roi_size > info.width or y0 + roi_size > info.height:
        raise ValueError(f"focus_sweep: bead {bead}'s {roi_size} px ROI at ({x0}, {y0}) does "
                         f"not fit the {info.width} x {info.height} frame")
    focus = float(camera.get_settings()["focus_nm"])
    frame = np.zeros(info.shape, info.dtype)
    images = np.empty((z.size, images_per_plane, roi_size, roi_size), np.float32)
    try:
        for i, dz in enumerate(z.tolist()):
            camera.set_focus(-dz)
            for k in range(images_per_plane):
                camera.render_into(frame)
                images[i, k] = frame[y0:y0 + roi_size, x0:x0 + roi_size]
    finally:
        camera.set_focus(focus)
    return FocusSweep(images, z, float(info.nm_per_px), bead)
