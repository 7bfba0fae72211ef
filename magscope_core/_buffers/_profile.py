"""The live radial profile: one row, one writer, seqlock readers.

Layout of the segment ``magscope-{session}-prof``::

    int64   header[16]          line 0 geometry; line 1 sequence word
    float64 row[3 + max_length]    timestamp, bead id, n, samples[0..n-1], unused tail

The writer makes the sequence odd, writes the row, makes it even; a reader copies between
two equal even readings, so it never sees half a profile.
"""

from __future__ import annotations

import attrs
import numpy as np
import numpy.typing as npt

from magscope_core._buffers._layout import (
    CACHE_LINE,
    HeaderFields,
    RegionSpec,
    SegmentBuffer,
    at_least_one,
    seqlock_read,
)
from magscope_core._buffers._segments import SessionMemory

__all__ = ["LiveProfile", "LiveProfileHandle", "ProfileRead"]

_H_MAX_LENGTH = 3
_H_SEQ = 8


@attrs.frozen
class LiveProfileHandle:
    """Picklable description of a :class:`LiveProfile`."""

    segment: str
    max_length: int = attrs.field(validator=at_least_one("live profile max_length"))


@attrs.frozen(eq=False)
class ProfileRead:
    """A consistent copy of the live profile."""

    version: int
    """Number of profiles written so far."""
    timestamp: float
    bead_id: int
    samples: np.ndarray
    """``(n,)`` float64 copy."""


class LiveProfile(SegmentBuffer[LiveProfileHandle]):
    """The newest radial profile of the selected bead (one writer, any readers)."""

    _kind = "LiveProfile"
    _magic_tag = b"MSPROF01"
    _header_words = 16

    @classmethod
    def _body(cls, handle: LiveProfileHandle) -> list[RegionSpec]:
        return [("row", (3 + handle.max_length,), np.float64, CACHE_LINE)]

    @classmethod
    def _geometry(cls, handle: LiveProfileHandle) -> HeaderFields:
        return {_H_MAX_LENGTH: ("max_length", handle.max_length)}

    def _bind(self, views: dict[str, np.ndarray]) -> None:
        self._row = views["row"]

    @classmethod
    def create(
        cls, memory: SessionMemory, *, max_length: int = 2560, name: str = "prof"
    ) -> LiveProfile:
        """Create an empty profile buffer in ``memory`` (owner side)."""
        return cls._create(memory, name, LiveProfileHandle("", max_length))

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
