"""Exceptions raised by the shared-memory buffers."""

from __future__ import annotations

__all__ = [
    "BufferAttachError",
    "BufferClosedError",
    "BufferLayoutError",
    "DuplicateBeadError",
    "RoiTableError",
    "RoiTableFullError",
    "SegmentExistsError",
    "SeqlockTimeoutError",
    "SharedBufferError",
    "StackStateError",
    "UnknownBeadError",
    "UnknownFieldError",
]


class SharedBufferError(Exception):
    """Base class of every error raised by :mod:`magscope_core._buffers`."""


class SegmentExistsError(SharedBufferError, FileExistsError):
    """A segment of that name already exists (name reused within a session)."""


class BufferAttachError(SharedBufferError):
    """A segment could not be attached, usually because its session has ended."""


class BufferLayoutError(SharedBufferError):
    """A segment's header does not match the handle used to attach it."""


class BufferClosedError(SharedBufferError):
    """A buffer was used after :meth:`close`."""


class StackStateError(SharedBufferError):
    """A video-ring operation found a stack or slot in the wrong state."""


class SeqlockTimeoutError(SharedBufferError):
    """A consistent read was not possible in time (the writer stalled mid-write)."""


class RoiTableError(SharedBufferError):
    """Base class of bead-ROI table errors."""


class UnknownBeadError(RoiTableError, LookupError):
    """No ROI has the given bead id."""


class DuplicateBeadError(RoiTableError, ValueError):
    """A bead id is already in use."""


class RoiTableFullError(RoiTableError):
    """The table is at capacity."""


class UnknownFieldError(SharedBufferError, KeyError):
    """A counter field or column name is unknown.

    It is a :class:`KeyError`, but prints its message plainly.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""
