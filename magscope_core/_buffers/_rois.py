"""The bead-ROI table: square regions of interest, one writer, seqlock readers.

Layout of the segment ``magscope-{session}-roi``::

    int64 header[16]        line 0 geometry; line 1 sequence, count, next id
    int64 rows[capacity, 4] (bead id, x0, y0, size), rows 0..count-1 in insertion order

``x0, y0`` is the top-left pixel (x = column, y = row) and ``size`` the side of the square.
The sequence word is odd while the single writer changes the table; a reader copies
``count`` rows between two equal even readings (a seqlock), so snapshots are always
consistent. ``version = sequence // 2`` grows by one per change, which lets readers skip
work cheaply (:meth:`BeadRoiTable.snapshot` with ``if_newer_than``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import attrs
import numpy as np
import numpy.typing as npt

from magscope_core._buffers._errors import (
    DuplicateBeadError,
    RoiTableFullError,
    UnknownBeadError,
)
from magscope_core._buffers._layout import (
    CACHE_LINE,
    HeaderFields,
    RegionSpec,
    SegmentBuffer,
    at_least_one,
    seqlock_read,
)
from magscope_core._buffers._segments import SessionMemory

__all__ = ["BeadRoiTable", "BeadRoiTableHandle", "RoiSnapshot"]

_H_CAPACITY = 3
_H_SEQ, _H_COUNT, _H_NEXT_ID = 8, 9, 10


@attrs.frozen
class BeadRoiTableHandle:
    """Picklable description of a :class:`BeadRoiTable`."""

    segment: str
    capacity: int = attrs.field(validator=at_least_one("ROI table capacity"))


@attrs.frozen(eq=False)
class RoiSnapshot:
    """A consistent copy of the table.

    Attributes
    ----------
    version
        Number of changes made to the table when the copy was taken.
    ids
        ``(n,)`` int64 bead ids.
    rois
        ``(n, 3)`` int64 rows ``(x0, y0, size)``, in the order of ``ids``.
    """

    version: int
    ids: np.ndarray
    rois: np.ndarray

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def get(self, bead_id: int) -> tuple[int, int, int]:
        """``(x0, y0, size)`` of ``bead_id``; raises :class:`UnknownBeadError`."""
        hit = np.flatnonzero(self.ids == bead_id)
        if hit.size == 0:
            raise UnknownBeadError(f"bead id {bead_id} is not in this ROI snapshot")
        x0, y0, size = (int(v) for v in self.rois[hit[0]])
        return x0, y0, size


def _roi_values(x0: int, y0: int, size: int, what: str) -> tuple[int, int, int]:
    vals = (int(x0), int(y0), int(size))
    if vals[0] < 0 or vals[1] < 0 or vals[2] < 1:
        raise ValueError(
            f"{what}: ROI (x0={vals[0]}, y0={vals[1]}, size={vals[2]}) needs x0, y0 >= 0 "
            "and size >= 1"
        )
    return vals


class BeadRoiTable(SegmentBuffer[BeadRoiTableHandle]):
    """Shared table of square bead ROIs (see the module notes).

    Only one process may call the writing methods (:meth:`add`, :meth:`move`,
    :meth:`remove`, :meth:`reassign`, :meth:`clear`, :meth:`replace`); any process may
    :meth:`snapshot`. Every writing method validates first, so an error leaves the table
    unchanged.
    """

    _kind = "BeadRoiTable"
    _magic_tag = b"MSROITB1"
    _header_words = 16

    @classmethod
    def _body(cls, handle: BeadRoiTableHandle) -> list[RegionSpec]:
        return [("rows", (handle.capacity, 4), np.int64, CACHE_LINE)]

    @classmethod
    def _geometry(cls, handle: BeadRoiTableHandle) -> HeaderFields:
        return {_H_CAPACITY: ("capacity", handle.capacity)}

    def _bind(self, views: dict[str, np.ndarray]) -> None:
        self._rows = views["rows"]
        self._cap = self._handle.capacity

    @classmethod
    def create(
        cls, memory: SessionMemory, *, capacity: int = 10_000, name: str = "roi"
    ) -> BeadRoiTable:
        """Create an empty table in ``memory`` (owner side)."""
        return cls._create(memory, name, BeadRoiTableHandle("", capacity))

    @property
    def capacity(self) -> int:
        """Maximum number of ROIs."""
        return self._cap

    @property
    def version(self) -> int:
        """Changes made so far (cheap: one load)."""
        self._check_open()
        return int(self._hdr[_H_SEQ]) // 2

    def __len__(self) -> int:
        self._check_open()
        return int(self._hdr[_H_COUNT])

    # -- readers -----------------------------------------------------------------------
    def snapshot(
        self, if_newer_than: int | None = None, *, timeout: float = 1.0
    ) -> RoiSnapshot | None:
        """Consistent copy of the table.

        Parameters
        ----------
        if_newer_than
            A version seen before: return None if the table has not changed since.
        timeout
            Seconds to retry while the writer is mid-change.

        Raises
        ------
        SeqlockTimeoutError
            The writer stayed mid-change for ``timeout`` seconds (it died while writing).
        """
        self._check_open()
        if if_newer_than is not None and int(self._hdr[_H_SEQ]) == 2 * if_newer_than:
            return None

        def read() -> tuple[np.ndarray, np.ndarray]:
            n = min(max(int(self._hdr[_H_COUNT]), 0), self._cap)
            block = self._rows[:n].copy()
            return block[:, 0].copy(), block[:, 1:].copy()

        seq, (ids, rois) = seqlock_read(
            self._hdr, _H_SEQ, read, what=f"BeadRoiTable {self.segment_name!r}", timeout=timeout
        )
        return RoiSnapshot(seq // 2, ids, rois)

    # -- writer ------------------------------------------------------------------------
    @contextmanager
    def _writing(self) -> Iterator[None]:
        self._check_open()
        self._hdr[_H_SEQ] += 1  # odd: readers retry
        try:
            yield
        finally:
            self._hdr[_H_SEQ] += 1

    def _count(self) -> int:
        return int(self._hdr[_H_COUNT])

    def _find(self, bead_id: int) -> int:
        hit = np.flatnonzero(self._rows[: self._count(), 0] == bead_id)
        if hit.size == 0:
            raise UnknownBeadError(
                f"BeadRoiTable {self.segment_name!r}: no ROI with bead id {bead_id}"
            )
        return int(hit[0])

    def _check_new_id(self, bead_id: int) -> None:
        if bead_id < 0:
            raise ValueError(f"bead id must be >= 0, got {bead_id}")
        if np.any(self._rows[: self._count(), 0] == bead_id):
            raise DuplicateBeadError(
                f"BeadRoiTable {self.segment_name!r}: bead id {bead_id} is already in use"
            )

    def get(self, bead_id: int) -> tuple[int, int, int]:
        """``(x0, y0, size)`` of ``bead_id`` (writer side; readers use :meth:`snapshot`)."""
        self._check_open()
        x0, y0, size = (int(v) for v in self._rows[self._find(bead_id), 1:])
        return x0, y0, size

    def add(self, x0: int, y0: int, size: int, bead_id: int | None = None) -> int:
        """Add an ROI; return its bead id (a new one unless ``bead_id`` is given).

        Raises
        ------
        DuplicateBeadError
            ``bead_id`` is in use.
        RoiTableFullError
            The table holds ``capacity`` ROIs.
        ValueError
            Negative corner, size < 1 or negative id.
        """
        self._check_open()
        bid = int(self._hdr[_H_NEXT_ID]) if bead_id is None else int(bead_id)
        roi = _roi_values(x0, y0, size, f"add bead {bid}")
        self._check_new_id(bid)
        n = self._count()
        if n >= self._cap:
            raise RoiTableFullError(
                f"BeadRoiTable {self.segment_name!r} is full ({self._cap} ROIs): "
                f"cannot add bead {bid}"
            )
        with self._writing():
            self._rows[n] = (bid, *roi)
            self._hdr[_H_COUNT] = n + 1
            self._hdr[_H_NEXT_ID] = max(int(self._hdr[_H_NEXT_ID]), bid + 1)
        return bid

    def move(self, bead_id: int, x0: int, y0: int) -> None:
        """Move the ROI of ``bead_id`` to the corner ``(x0, y0)``."""
        self._check_open()
        i = self._find(bead_id)
        x, y, _ = _roi_values(x0, y0, 1, f"move bead {bead_id}")
        with self._writing():
            self._rows[i, 1] = x
            self._rows[i, 2] = y

    def remove(self, bead_id: int) -> None:
        """Remove the ROI of ``bead_id`` (the others keep their order)."""
        self._check_open()
        i = self._find(bead_id)
        n = self._count()
        with self._writing():
            self._rows[i:n - 1] = self._rows[i + 1:n].copy()
            self._hdr[_H_COUNT] = n - 1

    def reassign(self, old_id: int, new_id: int) -> None:
        """Give the ROI of ``old_id`` the id ``new_id``."""
        self._check_open()
        i = self._find(old_id)
        if new_id == old_id:
            return
        self._check_new_id(int(new_id))
        with self._writing():
            self._rows[i, 0] = new_id
            self._hdr[_H_NEXT_ID] = max(int(self._hdr[_H_NEXT_ID]), int(new_id) + 1)

    def clear(self, *, reset_ids: bool = False) -> None:
        """Remove every ROI; new ids restart at 0 only with ``reset_ids``."""
        self._check_open()
        with self._writing():
            self._hdr[_H_COUNT] = 0
            if reset_ids:
                self._hdr[_H_NEXT_ID] = 0

    def replace(self, rois: npt.ArrayLike, ids: npt.ArrayLike | None = None) -> np.ndarray:
        """Replace the whole table with ``rois`` ``(n, 3)`` rows ``(x0, y0, size)``.

        ``ids`` (distinct, >= 0) default to new ids. Returns the ids used.
        """
        self._check_open()
        r = np.asarray(rois, dtype=np.int64).reshape(-1, 3)
        n = r.shape[0]
        next_id = int(self._hdr[_H_NEXT_ID])
        new_ids = (np.arange(next_id, next_id + n, dtype=np.int64) if ids is None
                   else np.asarray(ids, dtype=np.int64).reshape(-1))
        if new_ids.shape[0] != n:
            raise ValueError(f"replace: {n} ROIs but {new_ids.shape[0]} ids")
        if n > self._cap:
            raise RoiTableFullError(
                f"BeadRoiTable {self.segment_name!r}: cannot hold {n} ROIs (capacity {self._cap})"
            )
        uniq, counts = np.unique(new_ids, return_counts=True)
        if np.any(counts > 1):
            raise DuplicateBeadError(f"replace: bead id {int(uniq[counts > 1][0])} given twice")
        if n and (new_ids.min() < 0 or r[:, :2].min() < 0 or r[:, 2].min() < 1):
            bad = int(np.flatnonzero((new_ids < 0) | (r[:, :2] < 0).any(1) | (r[:, 2] < 1))[0])
            raise ValueError(
                f"replace: bead {int(new_ids[bad])} has ROI {tuple(int(v) for v in r[bad])}; "
                "ids and x0, y0 must be >= 0 and size >= 1"
            )
        with self._writing():
            self._rows[:n, 0] = new_ids
            self._rows[:n, 1:] = r
            self._hdr[_H_COUNT] = n
            if n:
                self._hdr[_H_NEXT_ID] = max(next_id, int(new_ids.max()) + 1)
        return new_ids

    def __repr__(self) -> str:
        return f"BeadRoiTable({self._handle.segment!r}, capacity {self._cap})"
