"""`TelemetryWriter`: hardware telemetry rows into ``<source>.txt`` text files.

The format is the reference's focus-motor telemetry text, readable with
``numpy.loadtxt``::

    # timestamp position_nm target_nm
    1764075520.629624 1200.5 1200
    1764075520.679731 1201.25 1200

One file per source (the hardware manager's name). The first column is the row's epoch
time in seconds; values are written with the shortest text that reads back to the same
float. Rows containing NaN are skipped (as in the reference). A file that already exists
with the same header is appended to; one with another header is left alone and
``<source> (n).txt`` is used instead.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from magscope_core._disk_space import free_bytes, is_no_space
from magscope_core._writer import WriterBase
from magscope_writers._errors import WriterError
from magscope_writers._naming import MAX_COLLISIONS

SPACE_MARGIN = 256 * 2**10
"""Free bytes telemetry leaves on the disk (more than tracking data does, so that the
tracks writer is the last to stop)."""


if TYPE_CHECKING:
    from magscope_core import CameraInfo

__all__ = ["TIME_COLUMNS", "TelemetryWriter"]

TIME_COLUMNS = ("t", "time", "timestamp")
"""Accepted names of a leading time column in ``columns``."""

_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_COLUMN = re.compile(r"^\S+$")


class TelemetryWriter(WriterBase):
    """Append telemetry rows per source to ``<out_dir>/<source>.txt``.

    Parameters
    ----------
    fsync
        Call :func:`os.fsync` after every append (rows are always flushed).

    Notes
    -----
    ``columns`` may start with the time column (``"t"``, ``"time"`` or ``"timestamp"``),
    as in the core's telemetry rings; otherwise ``rows`` must have one more column than
    ``columns``, the first being the time. Either way the header is
    ``# timestamp <value columns...>``.
    """

    name = "telemetry"
    kind = "telemetry"

    def __init__(self, fsync: bool = False) -> None:
        self.fsync = bool(fsync)
        self._files: dict[str, tuple[tuple[str, ...], IO[str], Path]] = {}
        self._paths: list[Path] = []
        self._created: set[Path] = set()
        self._opened = False
        self.rows_skipped = 0
        """Rows skipped because they contained NaN, since :meth:`open`."""

    def open(self, out_dir: Path, info: CameraInfo, metadata: dict[str, Any]) -> None:
        """Start a recording into ``out_dir``; files are created with the first rows."""
        if self._opened:
            raise WriterError.still_open(self.name, out_dir)
        super().open(out_dir, info, metadata)
        self._files, self._paths, self._opened, self.rows_skipped = {}, [], True, 0
        self._created = set()

    def write_telemetry(self, source: str, columns: tuple[str, ...], rows: np.ndarray) -> None:
        """Append the NaN-free ``rows`` of ``source`` and flush."""
        if not self._opened:
            raise WriterError(self.name, f"writing telemetry of {source!r}", None,
                              "the writer is not open; call open() first")
        entry = self._files.get(source)
        where = entry[2] if entry else self.out_dir / f"{source}.txt"
        try:
            values_cols = _value_columns(source, tuple(columns), np.shape(rows))
        except ValueError as exc:
            raise WriterError(self.name, f"checking telemetry rows of {source!r} for", where,
                              str(exc)) from exc
        data = np.asarray(rows, dtype=np.float64).reshape(-1, len(values_cols) + 1)
        keep = ~np.isnan(data).any(axis=1)
        self.rows_skipped += int(data.shape[0] - keep.sum())
        data = data[keep]
        if data.shape[0] == 0:
            return
        if entry is not None and entry[0] != values_cols:
            raise WriterError(self.name, f"appending telemetry of {source!r} to", where,
                              f"columns changed from {list(entry[0])} to {list(values_cols)}")
        text = "".join(" ".join(map(repr, row)) + "\n" for row in data.tolist())
        self._check_space(len(text), source, where)
        new = entry is None
        try:
            if entry is None:
                entry = self._open_file(source, values_cols)
            fh = entry[1]
            fh.write(text)
            fh.flush()
            if self.fsync:
                os.fsync(fh.fileno())
        except OSError as exc:
            if new and entry is not None:
                self._drop_new(source, entry)
            raise WriterError(self.name, f"appending {data.shape[0]} rows of {source!r} to",
                              where, f"{type(exc).__name__}: {exc}",
                              no_space=is_no_space(exc)) from exc

    def files(self) -> list[Path]:
        """Telemetry files of this recording (each holds at least its header and rows)."""
        return list(self._paths)

    def _check_space(self, n_bytes: int, source: str, where: Path) -> None:
        free = free_bytes(self.out_dir)
        if free is None:
            return
        if free < n_bytes + SPACE_MARGIN:
            raise WriterError(self.name, f"appending telemetry of {source!r} to", where,
                              f"the disk is nearly full ({free / 1e6:.2f} MB free); the rows "
                              "were not written, so no line is cut short", no_space=True)

    def _drop_new(self, source: str, entry: tuple[tuple[str, ...], IO[str], Path]) -> None:
        """Forget a file created by the failed call (removed if it was new and is empty)."""
        _cols, fh, path = entry
        self._files.pop(source, None)
        if path in self._paths:
            self._paths.remove(path)
        try:
            fh.close()
        except OSError:
            pass  # the data that could not be flushed is what failed
        if path in self._created:
            self._created.discard(path)
            path.unlink(missing_ok=True)

    def _open_file(self, source: str, values_cols: tuple[str, ...]
                   ) -> tuple[tuple[str, ...], IO[str], Path]:
        header = "# " + " ".join(("timestamp", *values_cols))
        self.out_dir.mkdir(parents=True, exist_ok=True)
        for n in range(MAX_COLLISIONS):
            path = self.out_dir / (f"{source}.txt" if n == 0 else f"{source} ({n}).txt")
            if path.exists():
                with path.open(encoding="utf-8", errors="replace") as old:
                    if old.readline().rstrip("\n") != header:
                        continue
                fh = path.open("a", encoding="utf-8", newline="\n")
            else:
                fh = path.open("x", encoding="utf-8", newline="\n")
                self._created.add(path)
                fh.write(header + "\n")
            entry = (values_cols, fh, path)
            self._files[source] = entry
            self._paths.append(path)
            return entry
        raise FileExistsError(f"{source}.txt and {MAX_COLLISIONS - 1} numbered variants have "
                              "other headers")

    def close(self, stats: dict[str, Any]) -> list[Path]:
        """Close every file and return their paths (in the order they were first written)."""
        if not self._opened:
            return []
        problems = []
        for _cols, fh, path in self._files.values():
            try:
                fh.close()
            except OSError as exc:
                problems.append(f"closing {path}: {exc}")
        self._files, self._opened = {}, False
        if problems:
            raise WriterError(self.name, "closing the recording", None, "; ".join(problems))
        return list(self._paths)


def _value_columns(source: str, columns: tuple[str, ...], shape: tuple[int, ...]
                   ) -> tuple[str, ...]:
    if not _SAFE.match(source) or source in (".", ".."):
        raise ValueError(f"source {source!r} is not usable as a file name (letters, digits, "
                         "'_', '.', '-')")
    bad = [c for c in columns if not _COLUMN.match(c)]
    if bad:
        raise ValueError(f"column names {bad} are empty or contain whitespace")
    if len(shape) != 2:
        raise ValueError(f"rows have shape {shape}, expected (n, columns)")
    timed = bool(columns) and columns[0] in TIME_COLUMNS
    expected = len(columns) if timed else len(columns) + 1
    if shape[1] != expected:
        raise ValueError(
            f"rows have {shape[1]} columns for column names {list(columns)}: expected "
            f"{expected} (a leading time column, {'named' if timed else 'then'} "
            f"{', '.join(columns) or 'nothing'})"
        )
    return columns[1:] if timed else columns
