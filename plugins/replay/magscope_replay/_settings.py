"""Options of the ``replay`` camera (``magscope run --camera replay -O KEY=VALUE``)."""

from __future__ import annotations

import attrs

from magscope_core import setting

__all__ = ["RATE_RECORDED", "ReplayCameraOptions"]

RATE_RECORDED = -1.0
"""``fps`` value meaning: the rate the video was recorded at (its timestamps)."""


@attrs.frozen
class ReplayCameraOptions:
    """Options of :class:`~magscope_replay.ReplayCamera`, checked before anything starts."""

    path: str = setting("", doc="Video to play: a TIFF (ours, MagScope 1.0's, ImageJ), HDF5 "
                        "or NumPy file, a folder of them or a glob pattern such as "
                        "'out/Video *.tif'.")
    fps: float = setting(RATE_RECORDED, minimum=-1.0, maximum=1e6, unit="Hz",
                         doc="-1: the recorded rate (from the timestamps); 0: as fast as "
                         "possible; N: N frames per second.")
    loop: bool = setting(False, doc="Start again at the end (else play once).")
    at_end: str = setting("stop", choices=("stop", "pause"),
                          doc="Played once to the end: 'stop' ends the session once every "
                          "frame is tracked and written; 'pause' keeps the session.")
    timestamps: str = setting("recorded", choices=("recorded", "now"),
                              doc="'recorded': the file's timestamps (shifted by the "
                              "video's length on each loop); 'now': the replay's clock.")
    wait_when_full: bool = setting(False, doc="When the video ring is full, wait for the "
                                   "pipeline instead of dropping the frame (offline "
                                   "re-tracking: no frame lost).")
    rois: str = setting("auto", doc="Bead ROIs the camera adds before the first frame: "
                        "'auto' (a ROI video's recorded ROIs), 'none', or a JSON file of "
                        "[[bead_id, x0, y0, size], ...].")
    preload: bool = setting(False, doc="Read every frame into memory at start instead of "
                            "memory-mapping the file.")
    dataset: str = setting("", doc="HDF5: the dataset holding the frames (default: the "
                           "first 3-D or 4-D one).")
    nm_per_px: float = setting(0.0, minimum=0.0, maximum=1e6, unit="nm/px",
                               doc="Pixel size; 0: from the file (100 if it has none).")
