"""`Hdf5TracksWriter`: tracked positions into ``Tracking Data <local time>.h5`` files.

This module is the writer's life: a recording is opened, batches are appended (a file is
created on the first batch and rotated every ``rotation_minutes``), free space is checked
before each batch, and the files are finished when the recording closes. What a file
holds is described in :mod:`magscope_writers._hdf5_layout` (``/tracking`` and
``/magscope``) and :mod:`magscope_writers._forces_h5` (``/magscope/forces``).
"""

from __future__ import annotations

import logging
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import h5py

from magscope_core._disk_space import free_bytes, is_no_space
from magscope_core._writer import TracksBatch, WriterBase
from magscope_writers._errors import WriterError
from magscope_writers._forces_h5 import append_forces
from magscope_writers._hdf5_layout import (
    TRACKING_PREFIX,
    create_magscope_group,
    put_json,
    resume_gap,
)
from magscope_writers._jsonable import to_json
from magscope_writers._naming import create_unique, local_stamp
from magscope_writers._plateau_forces import PlateauForces, PlateauRow
from magscope_writers._protocol_h5 import runs_for_recording, write_protocols
from magscope_writers._track_records import merge_records, records_from_batch
from magscope_writers._tracking_file import (
    AppendError,
    TrackingFile,
    TrackRecords,
    chunk_bytes_for,
)

if TYPE_CHECKING:
    import numpy as np

    from magscope_core import CameraInfo

__all__ = ["SPACE_MARGIN", "Hdf5TracksWriter"]

log = logging.getLogger("magscope.writers.hdf5")

_MINUTE_NS = 60_000_000_000
SPACE_MARGIN = 64 * 2**10
"""Free bytes kept beyond what a batch needs (HDF5 index nodes and headers). A batch is
refused (file untouched) when the disk has less than the chunks it allocates, twice its
raw size and this margin. HDF5 cannot undo a write that ran out of space mid-flush (the
file is left shorter than its superblock says and will not open), so running out must be
avoided rather than rolled back."""


class Hdf5TracksWriter(WriterBase):
    """Write tracked positions (:class:`~magscope_core._writer.TracksBatch`) to HDF5 files.

    Parameters
    ----------
    rotation_minutes
        Start a new file when a batch's first frame is at least this long after the current
        file's first frame; 0 disables rotation.
    save_roi_positions
        Also store each record's ROI top-left corner (``roi_positions_px``).

    Notes
    -----
    Files are created lazily, on the first batch; each is named from the local time of its
    own first frame; a file whose first batch cannot be written is removed again. Every
    batch is flushed before :meth:`write_tracks` returns, so a crash
    loses at most the batch being written. A batch that fails to append (disk full, ...)
    is rolled back and reported as :class:`~magscope_writers.WriterError`; the file stays
    valid and later batches are appended to it.
    """

    name = "hdf5"
    kind = "tracks"

    def __init__(self, rotation_minutes: float = 60.0, save_roi_positions: bool = False,
                 forces: bool = True, bead_radius_nm: float = 500.0, field_axis: str = "x",
                 force_min_plateau_s: float = 10.0) -> None:
        if not rotation_minutes >= 0:
            raise ValueError(f"rotation_minutes={rotation_minutes!r}: expected a number >= 0")
        self.forces = bool(forces)
        self._force_options: dict[str, Any] = {
            "radius_nm": float(bead_radius_nm), "field_axis": str(field_axis),
            "min_plateau_s": float(force_min_plateau_s)}
        self._plateaus: PlateauForces | None = None
        self._unwritten: list[PlateauRow] = []
        self.rotation_minutes = float(rotation_minutes)
        self.save_roi_positions = bool(save_roi_positions)
        self.rotation_ns = round(self.rotation_minutes * _MINUTE_NS)
        self._file: TrackingFile | None = None
        self._paths: list[Path] = []
        self._opened = False
        self._with_data = False
        self.recording_uuid = uuid.uuid4()
        self.recording_start_ns: int | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def open(self, out_dir: Path, info: CameraInfo, metadata: dict[str, Any]) -> None:
        """Start a recording into ``out_dir``; no file is created until the first batch."""
        if self._opened:
            raise WriterError.still_open(self.name, out_dir)
        super().open(out_dir, info, metadata)
        self._opened = True
        self._paths = []
        self._file = None
        self.recording_uuid = uuid.uuid4()
        self.recording_start_ns = None
        self._unwritten = []
        self._plateaus = (PlateauForces(float(info.fps), **self._force_options)
                          if self.forces and info.fps > 0 else None)

    def write_tracks(self, batch: TracksBatch) -> None:
        """Append one batch (rotating first if it is due); flushed before returning."""
        self.write_tracks_many([batch])

    def write_tracks_many(self, batches: Sequence[TracksBatch]) -> None:
        """Append batches in one transaction per file (one flush); each stays a batch.

        A batch that cannot be laid out is reported after the others are written.
        """
        if not self._opened:
            label = batches[0].sequence if batches else "-"
            raise WriterError(self.name, f"writing batch {label}", None,
                              "the writer is not open; call open() first")
        recs: list[tuple[TracksBatch, TrackRecords]] = []
        bad: WriterError | None = None
        for batch in batches:
            if batch.n_frames == 0:
                continue
            try:
                recs.append((batch, records_from_batch(batch, self.save_roi_positions)))
            except ValueError as exc:
                target = self._file.path if self._file is not None else None
                bad = bad or WriterError(self.name, f"checking batch {batch.sequence} for",
                                         target, f"{exc}; the batch was not written")
        while recs:
            group = self._one_file(recs)
            recs = recs[len(group):]
            self._append([b for b, _ in group], merge_records([r for _, r in group]))
        if bad is not None:
            raise bad

    def _one_file(self, recs: list[tuple[TracksBatch, TrackRecords]]
                  ) -> list[tuple[TracksBatch, TrackRecords]]:
        """The leading batches that go into one file (a rotation starts a new one)."""
        if self._file is None or self.rotation_ns <= 0:
            return recs if self._file is not None else recs[:1]
        start = self._file.file_start_ns
        n = 0
        for _, rec in recs:
            if int(rec.frame_timestamps_ns[0]) - start >= self.rotation_ns:
                break
            n += 1
        return recs[:max(1, n)]

    def _append(self, batches: list[TracksBatch], rec: TrackRecords) -> None:
        """Append ``rec`` (the records of ``batches``) to the current or a new file."""
        batch = batches[0]
        first_ns = int(rec.frame_timestamps_ns[0])
        rotate = (self._file is not None and self.rotation_ns > 0
                  and first_ns - self._file.file_start_ns >= self.rotation_ns)
        self._check_space(rec, None if rotate else self._file)
        if rotate:
            self._finish_current("rotation")
        fresh = self._file is None
        if fresh:
            self._file = self._new_file(first_ns, batch.sequence, batch)
        f = self._file
        assert f is not None
        try:
            f.append(rec)
        except AppendError as exc:
            if fresh:
                self._discard_current()
            label = (f"batch {batch.sequence}" if len(batches) == 1 else
                     f"batches {batch.sequence}-{batches[-1].sequence}")
            what = f"appending {label} ({rec.n_frames} frames, {rec.n_records} records) to"
            cause = f"{type(exc.cause).__name__}: {exc}"
            if fresh:
                reason = f"{cause}; the new file was removed"
            elif exc.rolled_back:
                reason = (f"{cause}; the batch was rolled back and the file still holds its "
                          f"{f.n_batches} earlier batches ({f.n_frames} frames)")
            else:
                reason = (f"{cause}; rolling back failed too ({exc.rollback_error}), so the "
                          "file was closed and the next batch starts a new file")
                self._abandon_current()
            raise WriterError(self.name, what, f.path, reason,
                              no_space=is_no_space(exc.cause)) from exc.cause
        self._with_data = True
        if self._plateaus is not None:
            for one in batches:
                try:
                    rows = self._plateaus.add_tracks(one)
                except Exception:  # never let the analysis stop the tracks being written
                    log.exception("force plateaus failed; forces are off for this recording")
                    self._plateaus, rows = None, []
                self._store_forces(rows)
                if self._plateaus is None:
                    break

    def write_telemetry(self, source: str, columns: tuple[str, ...], rows: np.ndarray) -> None:
        """Follow the magnet's telemetry (plateaus for the force estimate); nothing written."""
        if self._plateaus is not None and self._opened:
            try:
                self._plateaus.add_telemetry(source, columns, rows)
            except Exception:  # never let the analysis stop the tracks being written
                log.exception("force plateaus: telemetry of %r not understood; forces are "
                              "off for this recording", source)
                self._plateaus = None

    def _store_forces(self, rows: list[PlateauRow]) -> None:
        """Append force rows to ``/magscope/forces`` of the current file (kept if none)."""
        self._unwritten += rows
        f = self._file
        if not self._unwritten or f is None:
            return
        try:
            append_forces(f.h5["magscope"], self._unwritten)
            f.h5.flush()
            self._unwritten = []
        except Exception as exc:  # the tracks matter more: report, keep the rows for later
            log.warning("could not store %d force estimates in %s: %s: %s",
                        len(self._unwritten), f.path, type(exc).__name__, exc)

    def files(self) -> list[Path]:
        """Tracking files of this recording that hold at least one batch."""
        if self._file is not None and not self._with_data:
            return self._paths[:-1]
        return list(self._paths)

    def space_needed(self, rec: TrackRecords, f: TrackingFile | None) -> int:
        """Free bytes appending ``rec`` needs (to ``f``, or to a new file if None)."""
        per_record = 24 + 2 + (4 if rec.roi_positions_px is not None else 0)
        raw = rec.n_records * per_record + rec.n_frames * 24 + 40
        if f is not None:
            chunks = f.bytes_to_append(rec.n_frames, rec.n_records, len(rec.batch_rows()))
        else:
            chunks = chunk_bytes_for(None, rec.n_frames, rec.n_records,
                                     rec.roi_positions_px is not None, len(rec.batch_rows()))
            chunks += len(to_json(self.metadata)) + len(to_json(self.info)) + SPACE_MARGIN
        return chunks + 2 * raw + SPACE_MARGIN

    def _check_space(self, rec: TrackRecords, f: TrackingFile | None) -> None:
        need = self.space_needed(rec, f)
        path = f.path if f is not None else None
        free = free_bytes(path.parent if path else self.out_dir)
        if free is None:
            return  # cannot tell; let the write itself report any problem
        if free < need:
            raise WriterError(
                self.name, f"appending batch {rec.sequence} ({rec.n_frames} frames) to", path,
                f"the disk is nearly full ({free / 1e6:.2f} MB free, {need / 1e6:.2f} MB "
                "needed so that HDF5 never runs out mid-write); the batch was not written"
                + (" and the file is intact" if path else ""),
                no_space=True,
            )

    def rotate(self) -> None:
        """Finish the current file now; the next batch starts a new one."""
        if self._file is not None:
            self._finish_current("rotation")

    def close(self, stats: dict[str, Any]) -> list[Path]:
        """Finish the recording: write ``stats`` into every file of it and return their paths."""
        if not self._opened:
            return []
        errors: list[str] = []
        if self._plateaus is not None:
            try:
                self._store_forces(self._plateaus.finish())
            except Exception:
                log.exception("force plateaus failed at the end of the recording")
            self._plateaus = None
        if self._file is not None:
            try:
                self._finish_current("close")
            except WriterError as exc:
                errors.append(str(exc))
        stats = dict(stats)
        start_s = None if self.recording_start_ns is None else self.recording_start_ns / 1e9
        runs = runs_for_recording(stats.pop("protocols", None) or [], start_s)
        need = 2 * (len(to_json(stats)) + len(to_json(runs))) + SPACE_MARGIN
        for path in self._paths:
            try:
                if shutil.disk_usage(path.parent).free < need:
                    log.warning("not adding the run's figures to %s: the disk is full (the "
                                "file itself is complete)", path)
                    continue
                with h5py.File(path, "r+") as h5:
                    put_json(h5["magscope"], "stats", stats)
                    if runs:
                        write_protocols(h5["magscope"], runs)
            except Exception as exc:
                errors.append(f"adding stats to {path}: {type(exc).__name__}: {exc}")
        self._opened = False
        paths = list(self._paths)
        if errors:
            raise WriterError(self.name, "closing the recording", None,
                              "; ".join(errors) + f" (files written: {[str(p) for p in paths]})")
        return paths

    # -- files -------------------------------------------------------------------------

    @property
    def current_path(self) -> Path | None:
        """The file being written, if any."""
        return self._file.path if self._file is not None else None

    def _new_file(self, first_ns: int, sequence: int, batch: TracksBatch) -> TrackingFile:
        if self.recording_start_ns is None:
            self.recording_start_ns = first_ns
        stem = f"{TRACKING_PREFIX} {local_stamp(first_ns, 6)}"

        tried: list[Path] = []

        def create(path: Path) -> TrackingFile:
            if path.exists():  # cheap check; the "x" mode below makes it race-free
                raise FileExistsError(path)
            tried.append(path)
            return TrackingFile.create(
                path,
                include_roi_positions=self.save_roi_positions,
                recording_id=self.recording_uuid.int >> 64,
                recording_start_ns=self.recording_start_ns or first_ns,
                file_start_ns=first_ns,
                rotation_interval_ns=self.rotation_ns,
            )

        f: TrackingFile | None = None
        try:
            path, new = create_unique(self.out_dir, stem, ".h5", create)
            f = new
            self._paths.append(path)
            gap = resume_gap(self.metadata, batch) if len(self._paths) == 1 else None
            create_magscope_group(
                new.h5, recording_uuid=self.recording_uuid, file_index=len(self._paths) - 1,
                first_ns=first_ns, info=self.info, metadata=self.metadata,
                options={"rotation_minutes": self.rotation_minutes,
                         "save_roi_positions": self.save_roi_positions},
                gap=gap)
            new.h5.flush()
        except Exception as exc:
            if f is not None:
                f.close()
                self._paths.pop()
            for p in tried[-1:]:  # the file this call created (others existed already)
                p.unlink(missing_ok=True)
            raise WriterError(self.name, f"creating a tracking file for batch {sequence} in",
                              self.out_dir, f"{type(exc).__name__}: {exc}; nothing was left "
                              "behind", no_space=is_no_space(exc)) from exc
        self._with_data = False
        log.info("tracking data -> %s", path)
        return new

    def _finish_current(self, how: str) -> None:
        f, self._file = self._file, None
        if f is None:
            return
        try:
            f.h5["magscope"].attrs["closed"] = how
            f.close()
        except Exception as exc:
            f.close()
            raise WriterError(self.name, "closing", f.path,
                              f"{type(exc).__name__}: {exc}") from exc

    def _discard_current(self) -> None:
        """Close and remove the current file: its first batch could not be written."""
        f, self._file = self._file, None
        if f is None:
            return
        try:
            f.close()
        except Exception:
            log.exception("closing %s after its first batch failed", f.path)
        f.path.unlink(missing_ok=True)
        if self._paths and self._paths[-1] == f.path:
            self._paths.pop()

    def _abandon_current(self) -> None:
        f, self._file = self._file, None
        if f is not None:
            try:
                f.close()
            except Exception:  # already reported by the caller
                log.exception("closing %s after a failed append", f.path)
