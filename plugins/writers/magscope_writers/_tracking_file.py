"""One HDF5 tracking file in the reference's ``/tracking`` schema v1, appended batch by batch.

Layout (what readers of the reference system rely on; see ADR 0008)::

    /tracking                       attrs: schema_version=1, include_roi_positions (u8),
                                    record_order, batch_sequence_order, recording_id (u64),
                                    recording_start_ns, file_start_ns, rotation_interval_ns,
                                    min_frame_timestamp_ns, max_frame_timestamp_ns (u64)
        frame_timestamps_ns   u64 (n_frames,)
        frame_offsets         u64 (n_frames + 1,)  records of frame i: [off[i], off[i+1])
        frame_batch_sequence  u64 (n_frames,)
        bead_ids              u16 (n_records,)
        positions_nm          f64 (n_records, 3)   x, y, z
        roi_positions_px      u16 (n_records, 2)   optional: ROI x0, y0
        batch_sequence, batch_frame_start, batch_frame_count,
        batch_record_start, batch_record_count     u64 (n_batches,)

Every dataset is chunked and resizable. :meth:`TrackingFile.append` grows all of them and
flushes; if anything fails it shrinks them back to their lengths before the batch and
restores the timestamp-range attributes, so the file always holds whole batches.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import h5py
import numpy as np

__all__ = [
    "BATCH_CHUNK",
    "FRAME_CHUNK",
    "RECORD_CHUNK",
    "AppendError",
    "TrackRecords",
    "TrackingFile",
    "chunk_bytes_for",
]

BATCH_CHUNK = 1024
FRAME_CHUNK = 4096
RECORD_CHUNK = 16384
"""Records per chunk: 384 KiB of positions, so a new file takes about 0.5 MB of disk."""
RECORD_ORDER = "frame-major, bead order within frame"
BATCH_SEQUENCE_ORDER = "write order"

_BATCH_SETS = (
    "batch_sequence",
    "batch_frame_start",
    "batch_frame_count",
    "batch_record_start",
    "batch_record_count",
)
_FRAME_SETS = ("frame_timestamps_ns", "frame_batch_sequence")
_RANGE_ATTRS = ("min_frame_timestamp_ns", "max_frame_timestamp_ns")
_LAYOUT: dict[str, tuple[str, int, int]] = {
    **{name: ("batch", BATCH_CHUNK, 8) for name in _BATCH_SETS},
    **{name: ("frame", FRAME_CHUNK, 8) for name in (*_FRAME_SETS, "frame_offsets")},
    "bead_ids": ("record", RECORD_CHUNK, 2),
    "positions_nm": ("record", RECORD_CHUNK, 24),
    "roi_positions_px": ("record", RECORD_CHUNK, 4),
}
"""Dataset -> (what it grows with, rows per chunk, bytes per row)."""


def chunk_bytes_for(lengths: dict[str, int] | None, n_frames: int, n_records: int,
                    include_roi_positions: bool, n_batches: int = 1) -> int:
    """Bytes of new chunks that appending ``n_batches`` batches allocates.

    HDF5 allocates a whole chunk of disk the first time any row of it is written, so
    the space a batch needs is lumpy: nothing for most batches, then a chunk at a
    boundary. ``lengths`` are the datasets' current lengths (None for a new file).
    """
    grows = {"batch": n_batches, "frame": n_frames, "record": n_records}
    total = 0
    for name, (what, chunk, row) in _LAYOUT.items():
        if name == "roi_positions_px" and not include_roi_positions:
            continue
        n = (lengths or {}).get(name, 1 if name == "frame_offsets" else 0)
        new_chunks = -(-(n + grows[what]) // chunk) - -(-n // chunk)
        total += new_chunks * chunk * row
    return total


@attrs.frozen(eq=False)
class TrackRecords:
    """One batch in the file's record layout (built by the writer from a ``TracksBatch``).

    Attributes
    ----------
    sequence
        Batch number.
    frame_timestamps_ns
        ``(n_frames,)`` uint64.
    frame_offsets
        ``(n_frames + 1,)`` uint64, starting at 0 and ending at ``n_records``.
    bead_ids
        ``(n_records,)`` uint16.
    positions_nm
        ``(n_records, 3)`` float64.
    roi_positions_px
        ``(n_records, 2)`` uint16, or None.
    batches
        Several batches appended at once: ``(k, 3)`` uint64 rows ``(sequence, n_frames,
        n_records)``, in order (see ``merge_records``); None for the one batch
        ``sequence``.
    """

    sequence: int
    frame_timestamps_ns: np.ndarray
    frame_offsets: np.ndarray
    bead_ids: np.ndarray
    positions_nm: np.ndarray
    roi_positions_px: np.ndarray | None
    batches: np.ndarray | None = None

    def batch_rows(self) -> np.ndarray:
        """``(k, 3)`` uint64 rows ``(sequence, n_frames, n_records)``."""
        if self.batches is not None:
            return self.batches
        return np.array([[self.sequence, self.n_frames, self.n_records]], np.uint64)

    @property
    def n_frames(self) -> int:
        """Frames in the batch."""
        return int(self.frame_timestamps_ns.shape[0])

    @property
    def n_records(self) -> int:
        """Records (bead positions) in the batch."""
        return int(self.bead_ids.shape[0])


class AppendError(Exception):
    """Appending a batch failed; ``rolled_back`` says whether the file was restored."""

    def __init__(self, cause: BaseException, rolled_back: bool, rollback_error: str = "") -> None:
        self.cause = cause
        self.rolled_back = rolled_back
        self.rollback_error = rollback_error
        super().__init__(str(cause) or type(cause).__name__)


class TrackingFile:
    """An open ``Tracking Data`` file: create it with :meth:`create`, then :meth:`append`."""

    def __init__(self, path: Path, h5: h5py.File, include_roi_positions: bool) -> None:
        self.path = path
        self.h5 = h5
        self.group: h5py.Group = h5["tracking"]
        # the datasets, looked up once (a lookup by name costs more than a small write)
        self.ds: dict[str, h5py.Dataset] = {name: self.group[name] for name in self.group}
        self.include_roi_positions = include_roi_positions
        self.file_start_ns = int(self.group.attrs["file_start_ns"])

    @classmethod
    def create(
        cls,
        path: Path,
        *,
        include_roi_positions: bool,
        recording_id: int,
        recording_start_ns: int,
        file_start_ns: int,
        rotation_interval_ns: int,
    ) -> TrackingFile:
        """Create the file (it must not exist) with empty datasets and the schema attributes."""
        h5 = h5py.File(path, "x")
        try:
            g = h5.create_group("tracking")
            g.attrs["schema_version"] = np.int64(1)
            g.attrs["include_roi_positions"] = np.uint8(include_roi_positions)
            g.attrs["record_order"] = RECORD_ORDER
            g.attrs["batch_sequence_order"] = BATCH_SEQUENCE_ORDER
            g.attrs["recording_id"] = np.uint64(recording_id)
            g.attrs["recording_start_ns"] = np.uint64(recording_start_ns)
            g.attrs["file_start_ns"] = np.uint64(file_start_ns)
            g.attrs["rotation_interval_ns"] = np.uint64(rotation_interval_ns)
            for name in _BATCH_SETS:
                _grow(g, name, (0,), np.uint64, (BATCH_CHUNK,))
            for name in _FRAME_SETS:
                _grow(g, name, (0,), np.uint64, (FRAME_CHUNK,))
            g.create_dataset(
                "frame_offsets", data=np.zeros(1, np.uint64), maxshape=(None,),
                chunks=(FRAME_CHUNK,),
            )
            _grow(g, "bead_ids", (0,), np.uint16, (RECORD_CHUNK,))
            _grow(g, "positions_nm", (0, 3), np.float64, (RECORD_CHUNK, 3))
            if include_roi_positions:
                _grow(g, "roi_positions_px", (0, 2), np.uint16, (RECORD_CHUNK, 2))
            h5.flush()
        except BaseException:
            h5.close()
            raise
        return cls(path, h5, include_roi_positions)

    def bytes_to_append(self, n_frames: int, n_records: int, n_batches: int = 1) -> int:
        """Bytes of new chunks that appending ``n_frames`` frames / ``n_records`` allocates."""
        lengths = {name: int(ds.shape[0]) for name, ds in self.ds.items()}
        return chunk_bytes_for(lengths, n_frames, n_records, self.include_roi_positions,
                               n_batches)

    @property
    def n_frames(self) -> int:
        """Frames written."""
        return int(self.ds["frame_timestamps_ns"].shape[0])

    @property
    def n_records(self) -> int:
        """Records written."""
        return int(self.ds["bead_ids"].shape[0])

    @property
    def n_batches(self) -> int:
        """Batches written."""
        return int(self.ds["batch_sequence"].shape[0])

    def append(self, rec: TrackRecords) -> None:
        """Append one batch (or several: ``rec.batches``) and flush.

        On failure the file is restored and :class:`AppendError` raised.
        """
        g, d = self.group, self.ds
        f0, r0, b0 = self.n_frames, self.n_records, self.n_batches
        f1, r1 = f0 + rec.n_frames, r0 + rec.n_records
        state = self._snapshot()
        try:
            rows = rec.batch_rows()
            seqs, n_f, n_r = rows[:, 0], rows[:, 1], rows[:, 2]
            batch_cols = {
                "batch_sequence": seqs,
                "batch_frame_start": np.uint64(f0) + np.cumsum(n_f) - n_f,
                "batch_frame_count": n_f,
                "batch_record_start": np.uint64(r0) + np.cumsum(n_r) - n_r,
                "batch_record_count": n_r,
            }
            for name, values in batch_cols.items():
                _put(d[name], b0, values.astype(np.uint64))
            _put(d["frame_timestamps_ns"], f0, rec.frame_timestamps_ns)
            _put(d["frame_batch_sequence"], f0, np.repeat(seqs, n_f.astype(np.int64)))
            _put(d["frame_offsets"], f0 + 1, rec.frame_offsets[1:] + np.uint64(r0))
            _put(d["bead_ids"], r0, rec.bead_ids)
            _put(d["positions_nm"], r0, rec.positions_nm)
            if self.include_roi_positions:
                assert rec.roi_positions_px is not None
                _put(d["roi_positions_px"], r0, rec.roi_positions_px)
            lo = int(rec.frame_timestamps_ns.min())
            hi = int(rec.frame_timestamps_ns.max())
            if "min_frame_timestamp_ns" in g.attrs:
                lo = min(lo, int(g.attrs["min_frame_timestamp_ns"]))
                hi = max(hi, int(g.attrs["max_frame_timestamp_ns"]))
            g.attrs["min_frame_timestamp_ns"] = np.uint64(lo)
            g.attrs["max_frame_timestamp_ns"] = np.uint64(hi)
            self.h5.flush()
        except Exception as exc:
            try:
                self._restore(state)
            except Exception as again:
                raise AppendError(exc, False, f"{type(again).__name__}: {again}") from exc
            raise AppendError(exc, True) from exc
        assert self.n_frames == f1 and self.n_records == r1

    def _snapshot(self) -> dict[str, Any]:
        g = self.group
        shapes = {name: ds.shape for name, ds in self.ds.items()}
        ranges = {a: g.attrs.get(a) for a in _RANGE_ATTRS}
        return {"shapes": shapes, "ranges": ranges}

    def _restore(self, state: dict[str, Any]) -> None:
        g = self.group
        for name, shape in state["shapes"].items():
            if self.ds[name].shape != shape:
                self.ds[name].resize(shape)
        for a, value in state["ranges"].items():
            if value is None:
                if a in g.attrs:
                    del g.attrs[a]
            else:
                g.attrs[a] = value
        self.h5.flush()

    def close(self) -> None:
        """Close the HDF5 file (idempotent)."""
        if self.h5.id.valid:
            self.h5.close()


def _grow(g: h5py.Group, name: str, shape: tuple[int, ...], dtype: Any,
          chunks: tuple[int, ...]) -> None:
    g.create_dataset(name, shape=shape, maxshape=(None, *shape[1:]), dtype=dtype, chunks=chunks)


def _put(ds: h5py.Dataset, start: int, values: np.ndarray) -> None:
    n = int(values.shape[0])
    if n == 0:
        return
    ds.resize((start + n, *ds.shape[1:]))
    ds[start:start + n] = values
