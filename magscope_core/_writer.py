"""The writer contract: what a writer plugin's object implements, and what it is fed.

Writers run inside the pipeline manager's process. The pipeline calls only the methods
that match the acquisition mode (and only while saving is on):

=========================  ===============================================
mode                       calls
=========================  ===============================================
Track                      ``write_tracks``
Track and Video (ROIs)     ``write_tracks`` + ``write_rois``
Track and Video (Full)     ``write_tracks`` + ``write_stack``
Video (ROIs)               ``write_rois``
Video (Full)               ``write_stack``
any, hardware present      ``write_telemetry``
=========================  ===============================================

Subclass :class:`WriterBase` and override what you need; arrays handed to a writer are
valid only during the call (they may be views into shared memory): copy what you keep.
Flush per call so that a crash loses at most the last batch. Tracks come in groups of
batches (``write_tracks_many``, one flush per group; by default it calls ``write_tracks``
for each): the pipeline holds them up to ``core.writer_batch_s`` (ADR 0015).

Two optional members help the pipeline keep what matters when the disk fills up
(see :mod:`magscope_core._disk_space`):

- ``kind``: ``"tracks"``, ``"telemetry"``, ``"video"`` (or anything else, read as
  ``"other"``). Tracks and telemetry are *essential*: when free space runs low every other
  writer is stopped first, so the essential ones keep the reserve.
- ``files()``: the files that already hold data. The pipeline reports them to the hub
  as soon as they appear, so a run's summary lists them even if the pipeline dies.

A write that fails because the disk is full should raise an exception that is (or was
raised from) an ``OSError`` with ``errno.ENOSPC``, or carries ``no_space = True``: the
pipeline then stops the writer (calling ``close``) instead of counting a failure, and
opens it again when space is free. A writer should leave no empty or temporary file
behind when it cannot write.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import attrs
import numpy as np

if TYPE_CHECKING:
    from magscope_core._camera import CameraInfo

__all__ = ["RoiBatch", "TracksBatch", "Writer", "WriterBase"]


@attrs.frozen(eq=False)
class TracksBatch:
    """Tracked positions of every bead in one stack of frames.

    Attributes
    ----------
    sequence
        Batch number, counting from 0 for the run; a gap means a stack was lost.
    frame_numbers, timestamps
        ``(n_frames,)`` frame numbers (from the video ring) and epoch seconds.
    bead_ids
        ``(n_beads,)`` bead ids.
    x_nm, y_nm
        ``(n_frames, n_beads)`` bead centres in the full frame, in nanometres
        (x = column, y = row; pixel centres at integer pixel coordinates).
    z_nm
        ``(n_frames, n_beads)`` heights from the Z look-up table (NaN without one).
    roi_x0, roi_y0
        ``(n_beads,)`` top-left corner of each bead's ROI, in pixels.
    """

    sequence: int
    frame_numbers: np.ndarray
    timestamps: np.ndarray
    bead_ids: np.ndarray
    x_nm: np.ndarray
    y_nm: np.ndarray
    z_nm: np.ndarray
    roi_x0: np.ndarray
    roi_y0: np.ndarray

    @property
    def n_frames(self) -> int:
        """Frames in the batch."""
        return int(self.frame_numbers.shape[0])

    @property
    def n_beads(self) -> int:
        """Beads in the batch."""
        return int(self.bead_ids.shape[0])


@attrs.frozen(eq=False)
class RoiBatch:
    """Bead ROI crops of one stack (for the ``Video (ROIs)`` modes).

    Attributes
    ----------
    sequence
        Batch number (as in :class:`TracksBatch`).
    frame_numbers, timestamps
        ``(n_frames,)``.
    bead_ids
        ``(n_beads,)``.
    crops
        ``(n_frames, n_beads, size, size)`` pixels.
    roi_x0, roi_y0
        ``(n_beads,)`` top-left corners in pixels.
    """

    sequence: int
    frame_numbers: np.ndarray
    timestamps: np.ndarray
    bead_ids: np.ndarray
    crops: np.ndarray
    roi_x0: np.ndarray
    roi_y0: np.ndarray


@runtime_checkable
class Writer(Protocol):
    """What the pipeline calls on a writer (see :class:`WriterBase` for defaults)."""

    def open(self, out_dir: Path, info: CameraInfo, metadata: dict[str, Any]) -> None:
        """Prepare to write into ``out_dir`` (created already)."""
        ...

    def write_stack(self, frames: np.ndarray, timestamps: np.ndarray, first_frame: int) -> None:
        """Full frames ``(n, h, w)`` with ``(n,)`` timestamps (Video (Full) modes)."""
        ...

    def write_rois(self, batch: RoiBatch) -> None:
        """Bead ROI crops (Video (ROIs) modes)."""
        ...

    def write_tracks(self, batch: TracksBatch) -> None:
        """Tracked positions (Track modes)."""
        ...

    def write_telemetry(self, source: str, columns: tuple[str, ...], rows: np.ndarray) -> None:
        """Hardware telemetry rows ``(n, len(columns))`` from manager ``source``."""
        ...

    def close(self, stats: dict[str, Any]) -> list[Path]:
        """Finish the files and return every path written.

        ``stats`` holds run figures such as dropped frames, for the files' metadata.
        """
        ...


class WriterBase:
    """A writer that ignores everything: subclass it and override what you write."""

    kind: str = "other"
    """What the writer writes: ``"tracks"``, ``"telemetry"``, ``"video"`` or ``"other"``."""

    def files(self) -> list[Path]:
        """Files of the current recording that hold data (none by default)."""
        return []

    def open(self, out_dir: Path, info: CameraInfo, metadata: dict[str, Any]) -> None:
        """Remember where to write; override to create files lazily or eagerly."""
        self.out_dir = Path(out_dir)
        self.info = info
        self.metadata = dict(metadata)

    def write_stack(self, frames: np.ndarray, timestamps: np.ndarray, first_frame: int) -> None:
        """Ignore full frames."""

    def write_rois(self, batch: RoiBatch) -> None:
        """Ignore ROI crops."""

    def write_roi_positions(self, first_frame: int, bead_ids: np.ndarray, x0: np.ndarray,
                            y0: np.ndarray, size: int) -> None:
        """Ignore the bead ROIs in force from ``first_frame`` on.

        Video (Full) modes: called before the first stack of a recording and whenever
        the ROIs change, so a full-frame video can record where its beads' ROIs were
        (``magscope retrack`` then takes them from the file).
        """

    def write_tracks(self, batch: TracksBatch) -> None:
        """Ignore tracks."""

    def write_tracks_many(self, batches: Sequence[TracksBatch]) -> None:
        """Several batches in stack order: :meth:`write_tracks` for each.

        The pipeline hands tracks over in groups (ADR 0015). Override it to write a group
        in one transaction; each batch must stay a batch of its own in the files.
        """
        for batch in batches:
            self.write_tracks(batch)

    def write_telemetry(self, source: str, columns: tuple[str, ...], rows: np.ndarray) -> None:
        """Ignore telemetry."""

    def close(self, stats: dict[str, Any]) -> list[Path]:
        """Nothing was written."""
        return []
