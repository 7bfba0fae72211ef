"""Shared-memory buffers of a MagScope session (session-scoped POSIX shared memory).

The owner process makes a :class:`SessionMemory` and creates the buffers in it; every
buffer has a small picklable ``handle`` that other processes pass to ``attach``. See
``docs/decisions/0002-buffer-layout.md`` for the layouts and the lock-free protocols.
"""

from __future__ import annotations

from magscope_core._buffers._counters import (
    STANDARD_COUNTERS,
    CounterField,
    SharedCounters,
    SharedCountersHandle,
)
from magscope_core._buffers._errors import (
    BufferAttachError,
    BufferClosedError,
    BufferLayoutError,
    DuplicateBeadError,
    RoiTableError,
    RoiTableFullError,
    SegmentExistsError,
    SeqlockTimeoutError,
    SharedBufferError,
    StackStateError,
    UnknownBeadError,
    UnknownFieldError,
)
from magscope_core._buffers._profile import LiveProfile, LiveProfileHandle, ProfileRead
from magscope_core._buffers._rois import BeadRoiTable, BeadRoiTableHandle, RoiSnapshot
from magscope_core._buffers._segments import (
    SEGMENT_PREFIX,
    SessionMemory,
    attach_segment,
    cleanup_stale_segments,
    list_session_segments,
    new_session_id,
)
from magscope_core._buffers._tracks import (
    DEFAULT_TRACK_COLUMNS,
    TracksMatrix,
    TracksMatrixHandle,
    TracksRead,
)
from magscope_core._buffers._video import VideoRing
from magscope_core._buffers._video_types import (
    LatestFrame,
    StackState,
    StackView,
    VideoRingHandle,
    VideoRingStats,
)

__all__ = [
    "DEFAULT_TRACK_COLUMNS",
    "SEGMENT_PREFIX",
    "STANDARD_COUNTERS",
    "BeadRoiTable",
    "BeadRoiTableHandle",
    "BufferAttachError",
    "BufferClosedError",
    "BufferLayoutError",
    "CounterField",
    "DuplicateBeadError",
    "LatestFrame",
    "LiveProfile",
    "LiveProfileHandle",
    "ProfileRead",
    "RoiSnapshot",
    "RoiTableError",
    "RoiTableFullError",
    "SegmentExistsError",
    "SeqlockTimeoutError",
    "SessionMemory",
    "SharedBufferError",
    "SharedCounters",
    "SharedCountersHandle",
    "StackState",
    "StackStateError",
    "StackView",
    "TracksMatrix",
    "TracksMatrixHandle",
    "TracksRead",
    "UnknownBeadError",
    "UnknownFieldError",
    "VideoRing",
    "VideoRingHandle",
    "VideoRingStats",
    "attach_segment",
    "cleanup_stale_segments",
    "list_session_segments",
    "new_session_id",
]
