"""Ground truth the simulated camera reports: where each bead sits, what each frame shows.

Tests and benchmarks compare tracked positions with these records, bead by bead and frame
by frame; the simulator fills them as it renders (:meth:`SimulatedCamera.truth`,
:meth:`SimulatedCamera.bead_positions`).
"""

from __future__ import annotations

import attrs
import numpy as np
from numpy.typing import NDArray

__all__ = ["BeadSite", "FrameTruth"]

F64 = NDArray[np.float64]


@attrs.frozen
class BeadSite:
    """Where a bead sits, for placing a tracking ROI on it.

    Attributes
    ----------
    bead_id
        Index of the bead (also its index in :class:`FrameTruth` arrays).
    tethered
        ``True`` for a DNA-tethered bead, ``False`` for a bead stuck to the surface.
    x_px, y_px
        Rest position (tether anchor or stuck position, with stage drift): column and row
        in the frame, pixel centres at integers.
    """

    bead_id: int
    tethered: bool
    x_px: float
    y_px: float

    @property
    def roi_center(self) -> tuple[int, int]:
        """``(x, y)`` of the nearest pixel, to centre a ROI on."""
        return round(self.x_px), round(self.y_px)


@attrs.frozen(eq=False)
class FrameTruth:
    """Ground truth of one rendered frame. Arrays are indexed by bead id.

    Attributes
    ----------
    frame
        Frame number, counting every rendered frame from 0 (never reset).
    timestamp
        The frame's timestamp as returned by ``grab_into`` (seconds since the epoch).
    focus_nm, force_pn
        Focal-plane height above the surface and magnetic force at this frame.
    tethered
        Bead kinds.
    x_px, y_px
        Bead centres in the frame: column and row, pixel centres at integers.
    z_nm
        Height of each bead's centre above the surface.
    dz_nm
        Defocus ``z_nm + stage drift - focus_nm`` the bead was rendered at.
    """

    frame: int
    timestamp: float
    focus_nm: float
    force_pn: float
    tethered: NDArray[np.bool_]
    x_px: F64
    y_px: F64
    z_nm: F64
    dz_nm: F64
