"""Tracks batches laid out as the tracking file's records, one batch or several at once."""

from __future__ import annotations

import numpy as np

from magscope_core._writer import TracksBatch
from magscope_writers._naming import seconds_to_ns
from magscope_writers._tracking_file import TrackRecords

__all__ = ["merge_records", "records_from_batch"]

_U16 = np.iinfo(np.uint16).max


def records_from_batch(batch: TracksBatch, include_roi_positions: bool) -> TrackRecords:
    """Lay a :class:`TracksBatch` out as frame-major records (beads in batch order).

    Raises
    ------
    ValueError
        If shapes disagree, a timestamp is not finite, or bead ids / ROI corners do not
        fit uint16 (the message names the field and the first bad value).
    """
    n_f, n_b = batch.n_frames, batch.n_beads
    if int(batch.sequence) < 0:
        raise ValueError(f"sequence={batch.sequence}: expected a batch number >= 0")
    ts = np.asarray(batch.timestamps)
    if ts.shape != (n_f,):
        raise ValueError(f"timestamps have shape {ts.shape}, expected ({n_f},)")
    for field in ("x_nm", "y_nm", "z_nm"):
        shape = np.shape(getattr(batch, field))
        if shape != (n_f, n_b):
            raise ValueError(f"{field} has shape {shape}, expected ({n_f}, {n_b})")
    ids = _u16(batch.bead_ids, "bead_ids", n_b)
    positions = np.stack(
        [np.asarray(batch.x_nm, np.float64), np.asarray(batch.y_nm, np.float64),
         np.asarray(batch.z_nm, np.float64)], axis=-1,
    ).reshape(n_f * n_b, 3)
    roi = None
    if include_roi_positions:
        x0 = _u16(batch.roi_x0, "roi_x0", n_b)
        y0 = _u16(batch.roi_y0, "roi_y0", n_b)
        roi = np.tile(np.stack([x0, y0], axis=-1), (n_f, 1))
    return TrackRecords(
        sequence=int(batch.sequence),
        frame_timestamps_ns=seconds_to_ns(ts),
        frame_offsets=np.arange(n_f + 1, dtype=np.uint64) * np.uint64(n_b),
        bead_ids=np.tile(ids, n_f),
        positions_nm=positions,
        roi_positions_px=roi,
    )


def _u16(values: np.ndarray, field: str, n: int) -> np.ndarray:
    a = np.asarray(values)
    if a.shape != (n,):
        raise ValueError(f"{field} has shape {a.shape}, expected ({n},)")
    f = a.astype(np.float64)
    bad = ~np.isfinite(f) | (f < 0) | (f > _U16) | (f != np.floor(f))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{field}[{i}] = {a[i].item()!r} does not fit uint16 (integers 0..{_U16})"
        )
    return a.astype(np.uint16)


def merge_records(recs: list[TrackRecords]) -> TrackRecords:
    """Several batches' records as one append (each stays a batch of its own in the file).

    The result's ``batches`` rows are ``(sequence, n_frames, n_records)`` per batch, in
    order; its frame offsets run over all records.
    """
    if len(recs) == 1:
        return recs[0]
    counts = np.array([r.n_records for r in recs], np.uint64)
    shift = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.uint64)
    offsets = np.concatenate([np.zeros(1, np.uint64)] + [
        r.frame_offsets[1:] + s for r, s in zip(recs, shift.tolist(), strict=True)])
    rows = np.array([[r.sequence, r.n_frames, r.n_records] for r in recs], np.uint64)
    roi = (None if recs[0].roi_positions_px is None
           else np.concatenate([r.roi_positions_px for r in recs]))  # type: ignore[misc]
    return TrackRecords(
        sequence=recs[0].sequence,
        frame_timestamps_ns=np.concatenate([r.frame_timestamps_ns for r in recs]),
        frame_offsets=offsets,
        bead_ids=np.concatenate([r.bead_ids for r in recs]),
        positions_nm=np.concatenate([r.positions_nm for r in recs]),
        roi_positions_px=roi,
        batches=rows,
    )
