"""`Hdf5TracksWriter`: tracked positions into ``Tracking Data <local time>.h5`` files.

The ``/tracking`` group follows the reference system's schema v1 exactly (see
:mod:`magscope_writers._tracking_file`), so its readers keep working. Our own metadata goes
into a separate ``/magscope`` group whose attributes are JSON text:

=================  ===========================================================
attribute          content
=================  ===========================================================
format             ``"magscope-tracking"``; ``format_version`` = 1
writer             ``"magscope-writers <version>"``
recording_uuid     the recording's UUID (``/tracking`` ``recording_id`` is its first 64 bits)
file_index         0 for the first file of a recording, then 1, 2, ... on rotation
file_start_local   ISO local time of the first frame, with its UTC offset
utc_offset_s       that offset in seconds (the file name is local time)
camera             JSON of the :class:`~magscope_core.CameraInfo`
metadata           JSON of the ``metadata`` dict given to ``open`` (settings, versions, ...);
                   JSON larger than 16 KB is a string *dataset* of the same name instead
options            JSON of this writer's options
closed             ``"open"`` while writing, then ``"rotation"`` or ``"close"``
stats              JSON of the run's ``stats`` (dropped frames, ...), added to every file
                   of the recording when the writer closes (unless the disk is full)
protocol           group: the protocol run(s) of the recording, if any (text and each
                   step's start time; see :mod:`magscope_writers._protocol_h5`)
gap                JSON, only when frames are missing before this file's first frame
                   because the pipeline restarted (``metadata["resumed"]``, see
                   :class:`Hdf5TracksWriter`): ``last_frame_before``, ``first_frame``,
                   ``missing_frames``, ``cause``
=================  ===========================================================

``/magscope/forces`` (with ``forces=True``): one row per magnet plateau, tethered bead,
method and lateral axis, as equal-length 1-D datasets named after
:data:`~magscope_writers._plateau_forces.FORCE_COLUMNS` (``plateau``, ``t_start``,
``t_end``, ``n_frames``, ``magnet_force_pn``, ``turns``, ``bead_id``, ``reference_bead``,
``method``, ``axis``, ``force_pn``, ``sigma_pn``, ``extension_nm``, ``corner_hz``), written
into the file being written when the plateau's analysis completes (see
:mod:`magscope_writers._plateau_forces`); its ``columns`` attribute is JSON of units.
"""

from __future__ import annotations

import logging
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np

from magscope_core._disk_space import is_no_space
from magscope_core._writer import TracksBatch, WriterBase
from magscope_writers import __version__
from magscope_writers._errors import WriterError
from magscope_writers._jsonable import to_json
from magscope_writers._naming import (
    create_unique,
    local_iso,
    local_stamp,
    utc_offset_s,
)
from magscope_writers._plateau_forces import FORCE_COLUMNS, PlateauForces, PlateauRow
from magscope_writers._protocol_h5 import runs_for_recording, write_protocols
from magscope_writers._track_records import merge_records, records_from_batch
from magscope_writers._tracking_file import (
    AppendError,
    TrackingFile,
    TrackRecords,
    chunk_bytes_for,
)

if TYPE_CHECKING:
    from magscope_core import CameraInfo

__all__ = [
    "ATTR_LIMIT",
    "SPACE_MARGIN",
    "TRACKING_PREFIX",
    "Hdf5TracksWriter",
    "append_forces",
    "put_json",
    "records_from_batch",
]

log = logging.getLogger("magscope.writers.hdf5")

TRACKING_PREFIX = "Tracking Data"
_MINUTE_NS = 60_000_000_000
ATTR_LIMIT = 16_384
"""Largest JSON (bytes) stored as an attribute of ``/magscope``; larger goes in a dataset."""
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
            raise WriterError(self.name, "opening a new recording in", Path(out_dir),
                              "the previous recording is still open; call close() first")
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
        try:
            free = shutil.disk_usage(path.parent if path else _existing(self.out_dir)).free
        except OSError:
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
            m = new.h5.create_group("magscope")
            m.attrs["format"] = "magscope-tracking"
            m.attrs["format_version"] = np.int64(1)
            m.attrs["writer"] = f"magscope-writers {__version__}"
            m.attrs["recording_uuid"] = str(self.recording_uuid)
            m.attrs["file_index"] = np.int64(len(self._paths) - 1)
            m.attrs["file_start_local"] = local_iso(first_ns)
            m.attrs["utc_offset_s"] = np.int64(utc_offset_s(first_ns))
            put_json(m, "camera", self.info)
            put_json(m, "metadata", self.metadata)
            put_json(m, "options", {"rotation_minutes": self.rotation_minutes,
                                    "save_roi_positions": self.save_roi_positions})
            m.attrs["closed"] = "open"
            gap = _gap(self.metadata, batch) if len(self._paths) == 1 else None
            if gap is not None:
                put_json(m, "gap", gap)
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


def _gap(metadata: dict[str, Any], batch: TracksBatch) -> dict[str, Any] | None:
    """The frames missing before ``batch``, from ``metadata["resumed"]`` (pipeline restart)."""
    resumed = metadata.get("resumed")
    if not isinstance(resumed, dict) or "last_frame_before" not in resumed:
        return None
    last = int(resumed["last_frame_before"])
    first = int(batch.frame_numbers[0]) if batch.n_frames else last + 1
    return {"last_frame_before": last, "first_frame": first,
            "missing_frames": max(0, first - last - 1),
            "cause": str(resumed.get("cause", "restart"))}


def _existing(folder: Path) -> Path:
    """``folder`` or its nearest existing parent (the folder may not be created yet)."""
    for p in (folder, *folder.parents):
        if p.exists():
            return p
    return folder


_FORCE_UNITS = {"t_start": "s (epoch)", "t_end": "s (epoch)", "magnet_force_pn": "pN",
                "force_pn": "pN", "sigma_pn": "pN", "extension_nm": "nm", "corner_hz": "Hz",
                "turns": "turns"}


def append_forces(group: h5py.Group, rows: list[PlateauRow]) -> None:
    """Append :class:`PlateauRow` rows to ``group/forces`` (one 1-D dataset per column)."""
    forces = group.require_group("forces")
    if "columns" not in forces.attrs:
        forces.attrs["columns"] = to_json({c: _FORCE_UNITS.get(c, "") for c in FORCE_COLUMNS})
    for col in FORCE_COLUMNS:
        values = [getattr(r, col) for r in rows]
        if isinstance(values[0], str):
            data = np.array(values, dtype=object)
            dtype: Any = h5py.string_dtype()
        else:
            data = np.asarray(values)
            dtype = data.dtype
        if col not in forces:
            forces.create_dataset(col, shape=(0,), maxshape=(None,), dtype=dtype, chunks=(256,))
        ds = forces[col]
        n = ds.shape[0]
        ds.resize((n + len(values),))
        ds[n:] = data


def put_json(group: h5py.Group, key: str, value: Any) -> None:
    """Store ``value`` as JSON text: attribute ``key``, or a string dataset if it is large.

    HDF5 attributes live in the object header (64 KiB in all for files readable by
    HDF5 1.8), so JSON over :data:`ATTR_LIMIT` bytes becomes a scalar dataset of that name.
    """
    text = to_json(value)
    if key in group:
        del group[key]
    if key in group.attrs:
        del group.attrs[key]
    if len(text.encode()) <= ATTR_LIMIT:
        group.attrs[key] = text
    else:
        group.create_dataset(key, data=text, dtype=h5py.string_dtype())
