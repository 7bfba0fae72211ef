"""`TiffVideoWriter`: ImageJ hyperstack TIFF video of bead ROIs and of full frames.

=========================  ==============================  ======  =====================
call                       file                            axes    ImageJ
=========================  ==============================  ======  =====================
``write_rois``             ``Video ROIs <local>.tif``      TCYX    C = bead ROIs
``write_stack``            ``Video <local>.tif``           TYX     one channel
=========================  ==============================  ======  =====================

``<local>`` is ``YYYY-MM-DD HH-MM-SS.fff``, the local time of the file's first frame.
Resolution is stored as pixels per ``unit`` (``um`` by default, or ``nm``) with that unit in
the ImageJ description, and ``finterval`` = 1 / fps. ``Labels`` holds one label per plane:
the epoch time (seconds, microsecond digits) of the plane's frame. ``Info`` is JSON with
the bead ids and ROI origins; the ``.json`` sidecar has the full per-frame timing and,
for full frames, the bead ROIs in force (``rois``: frame, bead ids, origins, size).
See :mod:`magscope_writers._imagej` for why the files are valid after a crash.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from magscope_core._writer import RoiBatch, WriterBase
from magscope_writers._errors import WriterError
from magscope_writers._jsonable import jsonable
from magscope_writers._video_stream import VideoStream

if TYPE_CHECKING:
    from magscope_core import CameraInfo

__all__ = ["FULL_PREFIX", "ROI_PREFIX", "TiffVideoWriter"]

FULL_PREFIX = "Video"
ROI_PREFIX = "Video ROIs"


class TiffVideoWriter(WriterBase):
    """Write ROI crops and full frames to ImageJ TIFF files of ``frames_per_file`` frames.

    Parameters
    ----------
    frames_per_file
        Most frames per file (fewer when the pixels would exceed 3.5 GB).
    unit
        ``"um"`` or ``"nm"``: the spatial calibration is pixels per this unit.

    Notes
    -----
    Memory use is one frame: frames go straight to disk. Files are created on the first
    frame; each stack is committed (description, sidecar) before the call returns.
    """

    name = "tiff"
    kind = "video"

    def __init__(self, frames_per_file: int = 1000, unit: str = "um") -> None:
        if isinstance(frames_per_file, bool) or not int(frames_per_file) >= 1:
            raise ValueError(f"frames_per_file={frames_per_file!r}: expected an integer >= 1")
        if unit not in ("um", "nm"):
            raise ValueError(f"unit={unit!r}: expected 'um' or 'nm'")
        self.frames_per_file = int(frames_per_file)
        self.unit = unit
        self._streams: dict[str, VideoStream] = {}
        self._written: list[Path] = []
        self._opened = False

    def open(self, out_dir: Path, info: CameraInfo, metadata: dict[str, Any]) -> None:
        """Start a recording into ``out_dir``; files are created with the first frames."""
        if self._opened:
            raise WriterError.still_open(self.name, out_dir)
        super().open(out_dir, info, metadata)
        self._opened = True
        self._written = []
        common = {
            "camera": jsonable(info),
            "metadata": jsonable(self.metadata),
            "options": {"frames_per_file": self.frames_per_file, "unit": self.unit},
        }
        self._streams = {
            prefix: VideoStream(self.name, self.out_dir, prefix,
                                frames_per_file=self.frames_per_file, nm_per_px=info.nm_per_px,
                                unit=self.unit, fps=info.fps, common=common,
                                written=self._written)
            for prefix in (ROI_PREFIX, FULL_PREFIX)
        }

    def files(self) -> list[Path]:
        """TIFF files that hold frames, and their sidecars, in creation order."""
        return list(self._written)

    def _stream(self, prefix: str, what: str) -> VideoStream:
        if not self._opened:
            raise WriterError(self.name, what, None, "the writer is not open; call open() first")
        return self._streams[prefix]

    def write_rois(self, batch: RoiBatch) -> None:
        """Append the batch's ROI crops ``(n_frames, n_beads, size, size)`` as T x C planes."""
        stream = self._stream(ROI_PREFIX, f"writing ROI batch {batch.sequence}")
        crops = np.asarray(batch.crops)
        n_f = int(np.shape(batch.timestamps)[0])
        n_b = int(np.shape(batch.bead_ids)[0])
        if crops.ndim != 4 or crops.shape[:2] != (n_f, n_b):
            raise WriterError(self.name, f"checking ROI batch {batch.sequence} for",
                              stream.current_path,
                              f"crops have shape {crops.shape}, expected ({n_f}, {n_b}, h, w)")
        if n_b == 0:
            return
        stream.append(crops, batch.timestamps, batch.frame_numbers, batch.bead_ids,
                      batch.roi_x0, batch.roi_y0)

    def write_stack(self, frames: np.ndarray, timestamps: np.ndarray, first_frame: int) -> None:
        """Append full frames ``(n, h, w)``."""
        stream = self._stream(FULL_PREFIX, f"writing frames from {first_frame}")
        if frames.ndim != 3 or frames.shape[0] != np.shape(timestamps)[0]:
            raise WriterError(self.name, f"checking frames from {first_frame} for",
                              stream.current_path,
                              f"frames have shape {frames.shape} with {np.shape(timestamps)} "
                              "timestamps, expected (n, h, w) and (n,)")
        numbers = np.arange(first_frame, first_frame + frames.shape[0], dtype=np.int64)
        stream.append(frames, timestamps, numbers)

    def write_roi_positions(self, first_frame: int, bead_ids: np.ndarray, x0: np.ndarray,
                            y0: np.ndarray, size: int) -> None:
        """Record the bead ROIs with the full-frame video (sidecar key ``rois``)."""
        stream = self._stream(FULL_PREFIX, f"recording the ROIs from frame {first_frame}")
        stream.set_rois({"frame": int(first_frame), "bead_ids": [int(b) for b in bead_ids],
                         "x0": [int(v) for v in x0], "y0": [int(v) for v in y0],
                         "size": int(size)})

    def close(self, stats: dict[str, Any]) -> list[Path]:
        """Finish every open file, add ``stats`` to the sidecars; return TIFF and JSON paths."""
        if not self._opened:
            return []
        problems: list[str] = []
        for stream in self._streams.values():
            try:
                stream.finish()
            except WriterError as exc:
                problems.append(str(exc))
            problems.extend(stream.add_stats(stats))
        self._opened = False
        paths = [p for p in self._written if p.exists()]
        if problems:
            raise WriterError(self.name, "closing the recording", None,
                              "; ".join(problems) + f" (files written: {[str(p) for p in paths]})")
        return paths
