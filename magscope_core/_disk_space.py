"""Free disk space for a recording: who may write, and when saving may resume.

Tracking data is small and is the experiment's result; video is large. When the output
folder's free space falls below a *reserve* sized from the essential writers' own data
rate (``reserve_seconds`` of their measured bytes per second, never less than
``reserve_floor``), the other writers (video, unknown kinds) are stopped first, so the
reserve is left to the essential ones (``kind`` ``"tracks"`` or ``"telemetry"``). These
keep writing until their own write would no longer fit, and are then stopped cleanly.
A stopped writer resumes when the space it needs is free again.
"""

from __future__ import annotations

import errno
import shutil
from pathlib import Path
from typing import Any

import attrs
import numpy as np

__all__ = [
    "ESSENTIAL_KINDS",
    "DiskSpace",
    "WriterRate",
    "free_bytes",
    "is_no_space",
    "payload_bytes",
    "writer_kind",
]

ESSENTIAL_KINDS = frozenset({"tracks", "telemetry"})
"""Writer kinds that keep writing into the reserve; every other kind stops first."""

_NO_SPACE_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
_NO_SPACE_TEXT = ("no space left on device", "errno = 28", "disk quota exceeded")


def writer_kind(writer: Any) -> str:
    """A writer's declared ``kind`` (``"tracks"``, ``"video"``, ...), else ``"other"``."""
    kind = getattr(writer, "kind", "other")
    return kind if isinstance(kind, str) and kind else "other"


def free_bytes(folder: Path | None) -> int | None:
    """Free bytes where ``folder`` is (or its nearest existing parent); None if unknown.

    The folder of a recording may not be created yet: the disk it will be on is the one
    of its nearest existing parent.
    """
    if folder is None:
        return None
    for p in (folder, *folder.parents):
        if p.exists():
            try:
                return int(shutil.disk_usage(p).free)
            except OSError:
                return None
    return None


def is_no_space(exc: BaseException) -> bool:
    """Whether ``exc`` (or an exception it was raised from) means the disk is full.

    True for ``OSError`` with ``ENOSPC``/``EDQUOT``, exceptions with a true ``no_space``
    attribute (a writer's own free-space guard), and HDF5 errors that quote errno 28.
    """
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if getattr(e, "no_space", False):
            return True
        if isinstance(e, OSError) and e.errno in _NO_SPACE_ERRNOS:
            return True
        if any(t in str(e).lower() for t in _NO_SPACE_TEXT):
            return True
        e = e.__cause__ or e.__context__
    return False


def payload_bytes(args: tuple[Any, ...]) -> int:
    """Bytes of array data in a writer call's arguments (arrays, or objects holding arrays)."""
    total = 0
    for a in args:
        if isinstance(a, np.ndarray):
            total += a.nbytes
        elif attrs.has(type(a)):
            total += sum(v.nbytes for v in attrs.astuple(a, recurse=False)
                         if isinstance(v, np.ndarray))
        elif isinstance(a, list):  # a group of batches (write_tracks_many)
            total += payload_bytes(tuple(a))
    return total


@attrs.define
class WriterRate:
    """Bytes handed to one writer, and its mean data rate since its first write."""

    bytes: int = 0
    first_t: float | None = None
    last_t: float = 0.0

    def add(self, n: int, now: float) -> None:
        """Count ``n`` bytes written at monotonic time ``now``."""
        if self.first_t is None:
            self.first_t = now
        self.bytes += n
        self.last_t = now

    def per_second(self) -> float:
        """Mean bytes per second (over at least one second, so one write is not a burst)."""
        if self.first_t is None:
            return 0.0
        return self.bytes / max(1.0, self.last_t - self.first_t)


@attrs.define
class DiskSpace:
    """The reserve kept for essential writers, and the free space of the output folder.

    Attributes
    ----------
    reserve_seconds
        Seconds of the essential writers' data kept free when other writers stop.
    reserve_floor
        Least reserve, in bytes (also used before any data rate is known).
    resume_seconds
        A stopped writer resumes when this many seconds of its own data fit above what
        is kept free for others (at least ``resume_floor`` bytes).
    resume_floor
        Least free space, in bytes, above the reserve before a writer resumes.
    """

    reserve_seconds: float = 300.0
    reserve_floor: int = 8 * 2**20
    resume_seconds: float = 30.0
    resume_floor: int = 1 * 2**20

    def free(self, folder: Path | None) -> int | None:
        """Free bytes where ``folder`` is (or its nearest existing parent); None if unknown."""
        return free_bytes(folder)

    def reserve(self, essential_rate: float) -> int:
        """Bytes kept free for essential writers writing ``essential_rate`` bytes/s."""
        return max(self.reserve_floor, int(self.reserve_seconds * essential_rate))

    def resume_at(self, essential: bool, own_rate: float, essential_rate: float) -> int:
        """Free bytes a stopped writer waits for before it resumes."""
        extra = max(self.resume_floor, int(self.resume_seconds * own_rate))
        return extra if essential else self.reserve(essential_rate) + extra
