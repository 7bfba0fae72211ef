"""The live radial profile: one row, one writer, seqlock readers.

Layout of the segment ``magscope-{session}-prof``::

    int64   header[16]          line 0 geometry; line 1 sequence word
    float64 row[3 + max_length]    timestamp, bead id, n, samples[0..n-1], unused tail

The writer makes the sequence odd, writes the row, makes it even; a reader copies between
two equal even readings, so it never sees half a profile.
"""

from __future__ import annotations

from multiprocessing.shared_memory import SharedMemory

import attrs
import numpy as np
import numpy.typing as npt

from magscope_core._buffers._layout import (
    CACHE_LINE,
    LAYOUT_VERSION,
    Region,
    SegmentBuffer,
    attach_checked,
    magic,
    map_regions,
    plan_regions,
    seqlock_read,
)
from magscope_core._buffers._segments import SessionMemory

__all__ = ["LiveProfile", "LiveProfileHandle", "ProfileRead"]

_MAGIC = magic(b"MSPROF01")
_H_MAX_LENGTH = 3
_H_SEQ = 8
_HEADER_WORDS = 16


def _check_len(_inst: object, _attr: object, value: int) -> None:
    if value < 1:
        raise ValueError(f"live profile max_length must be >= 1, got {value}")


@attrs.frozen
class LiveProfileHandle:
    """Picklable description of a :class:`LiveProfile`."""

    segment: str
    max_length: int = attrs.field(validator=_check_len)


@attrs.frozen(eq=False)
class ProfileRead:
    """A consistent copy of the live profile."""

    version: int
    """Number of profiles written so far."""
    timestamp: float
    bead_id: int
    samples: np.ndarray
    """``(n,)`` float64 copy."""


def _regions(h: LiveProfileHandle) -> tuple[dict[str, Region], int]:
    return plan_regions([
        ("header", (_HEADER_WORDS,), np.int64, CACHE_LINE),
        ("row", (3 + h.max_length,), np.float64, CACHE_LINE),
    ])


class LiveProfile(SegmentBuffer):
    """The newest radial profile of the selected bead (one writer, any readers)."""

    _kind = "LiveProfile"

    def __init__(self, shm: SharedMemory, handle: LiveProfileHandle, *, owner: bool) -> None:
        super().__init__(shm, owner=owner)
        self._handle = handle
        v = map_regions(shm, _regions(handle)[0])
        self._hdr = v["header"]
        self._row = v["row"]

    @classmethod
    def create(
        cls, memory: SessionMemory, *, max_length: int = 2560, name: str = "prof"
    ) -> LiveProfile:
        """Create an empty profile buffer in ``memory`` (owner side)."""
        probe = LiveProfileHandle("", max_length)
        _, nbytes = _regions(probe)
        shm = memory.create(name, nbytes)
        p = cls(shm, attrs.evolve(probe, segment=shm.name), owner=True)
        p._hdr[1], p._hdr[2], p._hdr[_H_MAX_LENGTH] = LAYOUT_VERSION, nbytes, max_length
        p._hdr[0] = _MAGIC
        return p

    @classmethod
    def attach(cls, handle: LiveProfileHandle) -> LiveProfile:
        """Attach the buffer described by ``handle`` (any process)."""
        _, nbytes = _regions(handle)
        shm = attach_checked(handle.segment, cls._kind, _MAGIC, nbytes, {
            _H_MAX_LENGTH: ("max_length", handle.max_length),
        }, header_words=_HEADER_WORDS)
        return cls(shm, handle, owner=False)

    @property
    def handle(self) -> LiveProfileHandle:
        """Picklable handle for :meth:`attach`."""
        return self._handle

    @property
    def max_length(self) -> int:
        """Longest profile the buffer holds."""
        return self._handle.max_length

    @property
    def version(self) -> int:
        """Profiles written so far (cheap: one load)."""
        self._check_open()
        return int(self._hdr[_H_SEQ]) // 2

    def write(self, timestamp: float, bead_id: int, samples: npt.ArrayLike) -> None:
        """Publish a profile (single writer).

        Raises
        ------
        ValueError
            ``samples`` is not 1-D or longer than :attr:`max_length`.
        """
        self._check_open()
        s = np.asarray(samples, dtype=np.float64)
        if s.ndim != 1 or s.shape[0] > self._handle.max_length:
            raise ValueError(
                f"LiveProfile {self.segment_name!r}: samples must be 1-D with at most "
                f"{self._handle.max_length} values, got shape {s.shape}"
            )
        n = s.shape[0]
        self._hdr[_H_SEQ] += 1
        try:
            self._row[0] = timestamp
            self._row[1] = bead_id
            self._row[2] = n
            self._row[3:3 + n] = s
        finally:
            self._hdr[_H_SEQ] += 1

    def read(self, if_newer_than: int | None = None, *, timeout: float = 1.0) -> ProfileRead | None:
        """Consistent copy of the newest profile.

        Returns None if nothing was written yet, or if the version still equals
        ``if_newer_than``.

        Raises
        ------
        SeqlockTimeoutError
            The writer stayed mid-write for ``timeout`` seconds.
        """
        self._check_open()
        seq_now = int(self._hdr[_H_SEQ])
        if seq_now == 0 or (if_newer_than is not None and seq_now == 2 * if_newer_than):
            return None

        def read() -> np.ndarray:
            n = min(max(int(self._row[2]), 0), self._handle.max_length)
            out: np.ndarray = self._row[:3 + n].copy()
            return out

        seq, row = seqlock_read(
            self._hdr, _H_SEQ, read, what=f"LiveProfile {self.segment_name!r}", timeout=timeout
        )
        return ProfileRead(seq // 2, float(row[0]), int(row[1]), row[3:])

    def __repr__(self) -> str:
        return f"LiveProfile({self._handle.segment!r}, max_length {self._handle.max_length})"
