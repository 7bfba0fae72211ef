"""Reading ``Tracking Data`` files back: :func:`read_tracking`.

Works on files from this package and from the reference system (same ``/tracking`` schema
v1; the reference has no ``/magscope`` group, so :attr:`TrackingData.magscope` is empty).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import h5py
import numpy as np

__all__ = ["TrackingData", "TrackingFileError", "read_forces", "read_tracking"]

_REQUIRED = (
    "frame_timestamps_ns",
    "frame_offsets",
    "frame_batch_sequence",
    "bead_ids",
    "positions_nm",
    "batch_sequence",
    "batch_frame_start",
    "batch_frame_count",
    "batch_record_start",
    "batch_record_count",
)
_JSON_ATTRS = ("camera", "metadata", "options", "stats", "gap")


class TrackingFileError(ValueError):
    """A file is not a valid ``/tracking`` schema v1 file; the message names file and problem."""


@attrs.frozen(eq=False)
class TrackingData:
    """Everything in one tracking file, expanded to one row per record.

    A record is one bead in one frame; records are frame-major (all beads of frame 0,
    then of frame 1, ...), in the order the beads had in their batch.

    Attributes
    ----------
    path
        The file read.
    timestamps_ns
        ``(n_records,)`` uint64 epoch nanoseconds of each record's frame.
    bead_ids
        ``(n_records,)`` uint16.
    positions_nm
        ``(n_records, 3)`` float64 x, y, z in nanometres (z is NaN without a Z-LUT).
    roi_positions_px
        ``(n_records, 2)`` uint16 ROI top-left corners, or None if not saved.
    batch_sequence
        ``(n_records,)`` uint64 batch number of each record.
    frame_index
        ``(n_records,)`` int64 index of each record's frame in the frame arrays.
    frame_timestamps_ns, frame_offsets, frame_batch_sequence
        The per-frame arrays as stored (``frame_offsets`` has ``n_frames + 1`` entries).
    attrs
        Attributes of ``/tracking`` (``schema_version``, ``recording_id``, ...).
    magscope
        Attributes of ``/magscope``, with the JSON ones (camera, metadata, options, stats, gap)
        decoded; empty for reference files.
    """

    path: Path
    timestamps_ns: np.ndarray
    bead_ids: np.ndarray
    positions_nm: np.ndarray
    roi_positions_px: np.ndarray | None
    batch_sequence: np.ndarray
    frame_index: np.ndarray
    frame_timestamps_ns: np.ndarray
    frame_offsets: np.ndarray
    frame_batch_sequence: np.ndarray
    attrs: Mapping[str, Any]
    magscope: Mapping[str, Any]

    @property
    def n_records(self) -> int:
        """Records in the file."""
        return int(self.bead_ids.shape[0])

    @property
    def n_frames(self) -> int:
        """Frames in the file."""
        return int(self.frame_timestamps_ns.shape[0])

    @property
    def timestamps(self) -> np.ndarray:
        """``(n_records,)`` float64 epoch seconds of each record's frame."""
        return self.timestamps_ns.astype(np.float64) / 1e9

    @property
    def x_nm(self) -> np.ndarray:
        """``(n_records,)`` x positions."""
        return self.positions_nm[:, 0]

    @property
    def y_nm(self) -> np.ndarray:
        """``(n_records,)`` y positions."""
        return self.positions_nm[:, 1]

    @property
    def z_nm(self) -> np.ndarray:
        """``(n_records,)`` z positions."""
        return self.positions_nm[:, 2]

    def bead(self, bead_id: int) -> tuple[np.ndarray, np.ndarray]:
        """Timestamps (ns) and ``(n, 3)`` positions of one bead, in frame order."""
        sel = self.bead_ids == bead_id
        return self.timestamps_ns[sel], self.positions_nm[sel]


def read_tracking(path: str | Path) -> TrackingData:
    """Read and check a ``Tracking Data`` HDF5 file (``/tracking`` schema v1).

    Parameters
    ----------
    path
        The ``.h5`` file.

    Returns
    -------
    TrackingData
        Per-record arrays (frame timestamp, bead id, position, batch, ...) plus the
        stored per-frame arrays and attributes.

    Raises
    ------
    TrackingFileError
        If the file lacks the ``/tracking`` group or a dataset, has another
        ``schema_version``, or its index arrays disagree (offsets not starting at 0,
        decreasing, not ending at the record count, batch table not matching).
    OSError
        If the file cannot be opened as HDF5.

    Examples
    --------
    >>> data = read_tracking("Tracking Data 2026-11-24 12-58-40.629624.h5")  # doctest: +SKIP
    >>> t_ns, xyz = data.bead(3)  # doctest: +SKIP
    """
    path = Path(path)
    with h5py.File(path, "r") as h5:
        if "tracking" not in h5:
            raise TrackingFileError(f"{path}: no /tracking group (not a tracking data file)")
        g = h5["tracking"]
        attrs_ = {k: _plain(v) for k, v in g.attrs.items()}
        version = attrs_.get("schema_version")
        if version != 1:
            raise TrackingFileError(f"{path}: /tracking schema_version is {version!r}, expected 1")
        missing = [n for n in _REQUIRED if n not in g]
        if missing:
            raise TrackingFileError(f"{path}: /tracking lacks dataset(s) {', '.join(missing)}")
        arrays = {n: g[n][()] for n in _REQUIRED}
        roi = g["roi_positions_px"][()] if "roi_positions_px" in g else None
        magscope = _read_magscope(h5)
    _check(path, arrays, roi)
    offsets = arrays["frame_offsets"].astype(np.int64)
    counts = np.diff(offsets)
    frame_index = np.repeat(np.arange(counts.shape[0], dtype=np.int64), counts)
    ts = arrays["frame_timestamps_ns"]
    return TrackingData(
        path=path,
        timestamps_ns=ts[frame_index],
        bead_ids=arrays["bead_ids"],
        positions_nm=arrays["positions_nm"],
        roi_positions_px=roi,
        batch_sequence=arrays["frame_batch_sequence"][frame_index],
        frame_index=frame_index,
        frame_timestamps_ns=ts,
        frame_offsets=arrays["frame_offsets"],
        frame_batch_sequence=arrays["frame_batch_sequence"],
        attrs=attrs_,
        magscope=magscope,
    )


def _check(path: Path, a: dict[str, np.ndarray], roi: np.ndarray | None) -> None:
    def fail(msg: str) -> None:
        raise TrackingFileError(f"{path}: {msg}")

    n_f = a["frame_timestamps_ns"].shape[0]
    n_r = a["bead_ids"].shape[0]
    off = a["frame_offsets"].astype(np.int64)
    if off.shape != (n_f + 1,):
        fail(f"frame_offsets has {off.shape[0]} entries, expected n_frames + 1 = {n_f + 1}")
    if off[0] != 0 or (np.diff(off) < 0).any() or off[-1] != n_r:
        fail(f"frame_offsets must rise from 0 to n_records={n_r}; got {off[0]}..{off[-1]}")
    if a["frame_batch_sequence"].shape != (n_f,):
        fail("frame_batch_sequence length differs from frame_timestamps_ns")
    if a["positions_nm"].shape != (n_r, 3):
        fail(f"positions_nm has shape {a['positions_nm'].shape}, expected ({n_r}, 3)")
    if roi is not None and roi.shape != (n_r, 2):
        fail(f"roi_positions_px has shape {roi.shape}, expected ({n_r}, 2)")
    b = {k: a[k].astype(np.int64) for k in _REQUIRED if k.startswith("batch_")}
    n_b = b["batch_sequence"].shape[0]
    if any(v.shape != (n_b,) for v in b.values()):
        fail("the batch_* datasets differ in length")
    if b["batch_frame_count"].sum() != n_f or b["batch_record_count"].sum() != n_r:
        fail("batch frame/record counts do not add up to the frame/record totals")
    frame_start = np.cumsum(np.concatenate([[0], b["batch_frame_count"]]))[:-1]
    record_start = np.cumsum(np.concatenate([[0], b["batch_record_count"]]))[:-1]
    if (b["batch_frame_start"] != frame_start).any():
        fail("batch_frame_start is not the running sum of batch_frame_count")
    if (b["batch_record_start"] != record_start).any():
        fail("batch_record_start is not the running sum of batch_record_count")
    if n_b and (off[b["batch_frame_start"]] != b["batch_record_start"]).any():
        fail("batch_record_start disagrees with frame_offsets at the batch's first frame")


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def _read_magscope(h5: h5py.File) -> dict[str, Any]:
    if "magscope" not in h5:
        return {}
    m = h5["magscope"]
    items = [(k, v) for k, v in m.attrs.items()]
    items += [(k, m[k][()]) for k in m if isinstance(m[k], h5py.Dataset) and m[k].shape == ()]
    out: dict[str, Any] = {}
    for key, value in items:
        v = _plain(value)
        if key in _JSON_ATTRS and isinstance(v, str):
            try:
                v = json.loads(v)
            except json.JSONDecodeError:
                pass  # leave the text as stored
        out[key] = v
    return out


def read_forces(path: str | Path) -> dict[str, np.ndarray]:
    """The ``/magscope/forces`` table of a tracking file (column -> 1-D array; empty if none).

    String columns (``method``, ``axis``) come back as ``str`` arrays.
    """
    with h5py.File(Path(path), "r") as h5:
        if "magscope" not in h5 or "forces" not in h5["magscope"]:
            return {}
        g = h5["magscope"]["forces"]
        out: dict[str, np.ndarray] = {}
        for name, ds in g.items():
            data = ds[()]
            if data.dtype.kind in ("O", "S"):
                data = np.array([v.decode() if isinstance(v, bytes) else str(v) for v in data])
            out[name] = data
        return out
