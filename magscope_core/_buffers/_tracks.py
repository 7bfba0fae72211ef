"""The tracks matrix: a float64 ring of rows with one writer and many readers.

Layout of the segment ``magscope-{session}-trk``::

    int64   header[16]              line 0 geometry, line 1 write counters
    float64 data[capacity, ncols]   row ``i`` (counted from creation) lives at ``i % capacity``

Two monotonic counters describe the ring: ``total_written`` (rows published) and
``write_start`` (rows the writer may be touching: set before it writes a batch, to
``total_written + n``). Rows ``[max(0, total - capacity), total)`` are the valid region, in
write order. A reader copies what it needs, then re-reads ``write_start`` and discards any
row ``i < write_start - capacity``: the writer may have overwritten it during the copy.
Nothing ever sorts the ring, and every reader stays correct after any number of wraps.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence

import attrs
import numpy as np
import numpy.typing as npt

from magscope_core._buffers._errors import UnknownFieldError
from magscope_core._buffers._layout import (
    CACHE_LINE,
    HeaderFields,
    RegionSpec,
    SegmentBuffer,
    at_least_one,
)
from magscope_core._buffers._segments import SessionMemory

__all__ = ["DEFAULT_TRACK_COLUMNS", "TracksMatrix", "TracksMatrixHandle", "TracksRead"]

DEFAULT_TRACK_COLUMNS: tuple[str, ...] = ("t", "x", "y", "z", "bead", "roi_x", "roi_y")
"""Columns of the tracks matrix: epoch seconds, x/y in nm, z, bead id, ROI corner (px)."""

_H_CAPACITY, _H_NCOLS, _H_COLS_CRC = 3, 4, 5
_H_TOTAL, _H_WRITE_START = 8, 9
_RETRIES = 4


def _columns_crc(columns: Sequence[str]) -> int:
    return zlib.crc32("\x1f".join(columns).encode())


def _column_tuple(columns: Sequence[str]) -> tuple[str, ...]:
    if isinstance(columns, str):
        raise TypeError(f"columns must be a sequence of names, not the string {columns!r}")
    return tuple(str(c) for c in columns)


def _check_columns(_inst: object, _attr: object, value: tuple[str, ...]) -> None:
    if not value:
        raise ValueError("a tracks matrix needs at least one column")
    if len(set(value)) != len(value):
        raise ValueError(f"duplicate column names in {value!r}")


@attrs.frozen
class TracksMatrixHandle:
    """Picklable description of a :class:`TracksMatrix`."""

    segment: str
    capacity: int = attrs.field(validator=at_least_one("tracks matrix capacity", unit="row"))
    columns: tuple[str, ...] = attrs.field(converter=_column_tuple, validator=_check_columns)


@attrs.frozen(eq=False)
class TracksRead:
    """Result of :meth:`TracksMatrix.read_since`.

    Attributes
    ----------
    rows
        ``(n, ncols)`` copy of the new rows, in write order.
    cursor
        Pass this to the next ``read_since`` call.
    lost
        Rows written after the old cursor that were overwritten before they were read.
    """

    rows: np.ndarray
    cursor: int
    lost: int


class TracksMatrix(SegmentBuffer[TracksMatrixHandle]):
    """Ring of float64 rows with named columns; one writer, readers anywhere.

    Make one with :meth:`create` in the owner process and :meth:`attach` its
    :attr:`handle` elsewhere. Only one process may :meth:`append`.
    """

    _kind = "TracksMatrix"
    _magic_tag = b"MSTRACK1"
    _header_words = 16

    @classmethod
    def _body(cls, handle: TracksMatrixHandle) -> list[RegionSpec]:
        return [("data", (handle.capacity, len(handle.columns)), np.float64, CACHE_LINE)]

    @classmethod
    def _geometry(cls, handle: TracksMatrixHandle) -> HeaderFields:
        return {
            _H_CAPACITY: ("capacity", handle.capacity),
            _H_NCOLS: ("column count", len(handle.columns)),
            _H_COLS_CRC: ("column-name checksum", _columns_crc(handle.columns)),
        }

    def _bind(self, views: dict[str, np.ndarray]) -> None:
        self._data = views["data"]
        self._cap = self._handle.capacity
        self._col_index = {name: i for i, name in enumerate(self._handle.columns)}

    @classmethod
    def create(
        cls,
        memory: SessionMemory,
        *,
        capacity: int,
        columns: Sequence[str] = DEFAULT_TRACK_COLUMNS,
        name: str = "trk",
    ) -> TracksMatrix:
        """Create the matrix in ``memory`` (owner side)."""
        return cls._create(memory, name, TracksMatrixHandle("", capacity, _column_tuple(columns)))

    @property
    def capacity(self) -> int:
        """Rows the ring holds."""
        return self._cap

    @property
    def columns(self) -> tuple[str, ...]:
        """Column names."""
        return self._handle.columns

    @property
    def total_written(self) -> int:
        """Rows appended since creation (monotonic)."""
        self._check_open()
        return int(self._hdr[_H_TOTAL])

    def column(self, name: str) -> int:
        """Index of column ``name``.

        Raises
        ------
        UnknownFieldError
            (a KeyError) naming the column and the known ones.
        """
        try:
            index: int = self._col_index[name]
        except KeyError:
            raise UnknownFieldError(
                f"TracksMatrix {self._handle.segment!r} has no column {name!r}; "
                f"columns are {list(self._handle.columns)}"
            ) from None
        return index

    # -- writer ------------------------------------------------------------------------
    def append(self, rows: npt.ArrayLike) -> int:
        """Append ``(n, ncols)`` rows (one row may be 1-D); return the new total.

        When ``n`` exceeds the capacity only the newest ``capacity`` rows are stored (the
        others count as written and lost). Single writer.

        Raises
        ------
        ValueError
            ``rows`` has the wrong number of columns or dimensions.
        """
        self._check_open()
        arr = np.asarray(rows, dtype=np.float64)
        ncols = len(self._handle.columns)
        if arr.ndim == 1 and arr.shape[0] == ncols:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[1] != ncols:
            raise ValueError(
                f"TracksMatrix {self._handle.segment!r}: rows must have shape (n, {ncols}) "
                f"for columns {list(self._handle.columns)}, got {arr.shape}"
            )
        n = int(arr.shape[0])
        total = int(self._hdr[_H_TOTAL])
        if n == 0:
            return total
        keep = arr[-self._cap:]
        k = int(keep.shape[0])
        self._hdr[_H_WRITE_START] = total + n  # announce before touching any row
        pos = (total + n - k) % self._cap
        first = min(k, self._cap - pos)
        self._data[pos:pos + first] = keep[:first]
        if first < k:
            self._data[:k - first] = keep[first:]
        self._hdr[_H_TOTAL] = total + n  # publish
        return total + n

    # -- readers -----------------------------------------------------------------------
    def _pieces(self, a: int, b: int) -> list[tuple[int, np.ndarray]]:
        """Ring views covering absolute rows ``[a, b)`` as ``(first absolute row, view)``."""
        length = b - a
        if length <= 0:
            return []
        pa = a % self._cap
        if pa + length <= self._cap:
            return [(a, self._data[pa:pa + length])]
        first = self._cap - pa
        return [(a, self._data[pa:]), (a + first, self._data[:length - first])]

    def _safe_from(self) -> int:
        """Oldest absolute row that no write has touched so far."""
        return int(self._hdr[_H_WRITE_START]) - self._cap

    def _copy(self, a: int, b: int) -> tuple[np.ndarray, int]:
        """Copy rows ``[a, b)``; return the still-valid tail and its first absolute row."""
        pieces = self._pieces(a, b)
        if not pieces:
            return np.empty((0, len(self._handle.columns))), b
        rows = np.concatenate([p for _, p in pieces]) if len(pieces) > 1 else pieces[0][1].copy()
        start = max(a, self._safe_from())
        if start >= b:
            return rows[:0], b
        return rows[start - a:], start

    def read_since(self, cursor: int) -> TracksRead:
        """Rows appended since ``cursor`` (a ``total_written`` value); start with 0.

        Raises
        ------
        ValueError
            ``cursor`` is negative or ahead of ``total_written``.
        """
        self._check_open()
        total = int(self._hdr[_H_TOTAL])
        if not 0 <= cursor <= total:
            raise ValueError(
                f"TracksMatrix {self._handle.segment!r}: cursor {cursor} outside "
                f"0..{total} (total_written)"
            )
        a = max(cursor, total - self._cap)
        rows, first = self._copy(a, total)
        return TracksRead(rows, total, first - cursor)

    def latest(self, n: int) -> np.ndarray:
        """Copy of the newest ``n`` rows (fewer if fewer exist), oldest first."""
        self._check_open()
        if n < 0:
            raise ValueError(f"latest(n): n must be >= 0, got {n}")
        rows = np.empty((0, len(self._handle.columns)))
        for _ in range(_RETRIES):
            total = int(self._hdr[_H_TOTAL])
            a = max(total - min(n, self._cap), 0)
            rows, first = self._copy(a, total)
            if first == a:
                break
        return rows

    def _select(self, mask_fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """Rows of the valid region where ``mask_fn(view) -> bool array``, write order."""
        total = int(self._hdr[_H_TOTAL])
        lo = max(total - self._cap, 0)
        found: list[np.ndarray] = []
        first_abs: list[np.ndarray] = []
        for start, view in self._pieces(lo, total):
            idx = np.flatnonzero(mask_fn(view))
            if idx.size:
                found.append(view[idx])
                first_abs.append(idx + start)
        if not found:
            return np.empty((0, len(self._handle.columns)))
        rows = np.concatenate(found)
        abs_rows = np.concatenate(first_abs)
        safe = self._safe_from()
        if abs_rows[0] < safe:
            rows = rows[abs_rows >= safe]
        return rows

    def rows_newer_than(self, t: float, *, column: str = "t") -> np.ndarray:
        """Copy of the rows whose ``column`` value is ``> t``, in write order.

        Cost: one vectorised comparison over the valid rows of one column, and a copy of
        the matches only (no sort, no full copy).
        """
        self._check_open()
        c = self.column(column)
        return self._select(lambda v: v[:, c] > t)

    def rows_of_bead(
        self, bead: int, newer_than: float | None = None, *, bead_column: str = "bead",
        time_column: str = "t",
    ) -> np.ndarray:
        """Copy of the rows of ``bead`` (optionally with time ``> newer_than``), write order."""
        self._check_open()
        cb = self.column(bead_column)
        if newer_than is None:
            return self._select(lambda v: v[:, cb] == bead)
        ct = self.column(time_column)
        return self._select(lambda v: (v[:, cb] == bead) & (v[:, ct] > newer_than))

    def __repr__(self) -> str:
        return (f"TracksMatrix({self._handle.segment!r}, {self._cap} rows x "
                f"{list(self._handle.columns)})")
