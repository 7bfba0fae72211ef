"""The read side of the video ring: its regions, the dispatcher's claim and the readers.

Where each word and frame lies in the segment (the layout is drawn in
:mod:`magscope_core._buffers._video`), and what every process other than the producer
does with the ring: the dispatcher claims READY stacks in ring order, any process views a
claimed stack and one releases it, the newest frame is copied without a lock
(:meth:`VideoRingReader.peek_latest`), and the counters are read.
:class:`~magscope_core._buffers.VideoRing` adds creation and the producer on top.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from magscope_core._buffers._errors import StackStateError
from magscope_core._buffers._layout import (
    CACHE_LINE,
    PAGE,
    HeaderFields,
    RegionSpec,
    SegmentBuffer,
)
from magscope_core._buffers._video_types import (
    LatestFrame,
    StackState,
    StackView,
    VideoRingHandle,
    VideoRingStats,
)

__all__ = ["VideoRingReader"]

# line 0: geometry (words 0-2 are magic, version, size)
_H_NSTACKS, _H_STACK_SIZE, _H_HEIGHT, _H_WIDTH, _H_ITEMSIZE = 3, 4, 5, 6, 7
# line 1: producer
_H_WRITTEN, _H_DROPPED, _H_NEXT_FRAME, _H_FILL_STACK = 8, 9, 10, 11
_H_FILL_POS, _H_NEXT_FILL, _H_LATEST, _H_PENDING = 12, 13, 14, 15
# line 2: dispatcher
_H_NEXT_CLAIM, _H_CLAIMED = 16, 17
# line 2, producer-written: frames committed live-only (acquisition off)
_H_LIVE_ONLY = 18
_PEEK_RETRIES = 16
_FREE, _FILLING, _READY, _CLAIMED = (int(state) for state in StackState)


class VideoRingReader(SegmentBuffer[VideoRingHandle]):
    """The video ring's regions and everything but the producer (see the module notes).

    Not made directly: :class:`~magscope_core._buffers.VideoRing` is the ring.
    """

    _kind = "VideoRing"
    _magic_tag = b"MSVRING1"
    _header_words = 24

    # -- regions -----------------------------------------------------------------------
    @classmethod
    def _body(cls, handle: VideoRingHandle) -> list[RegionSpec]:
        n, shape = handle.capacity, (handle.height, handle.width)
        return [
            ("state", (handle.n_stacks,), np.int64, CACHE_LINE),
            ("frame_no", (n,), np.int64, CACHE_LINE),
            ("ts", (n,), np.float64, CACHE_LINE),
            ("live_only", (n,), np.uint8, CACHE_LINE),
            ("frames", (handle.n_stacks, handle.stack_size, *shape), np.dtype(handle.dtype), PAGE),
        ]

    @classmethod
    def _geometry(cls, handle: VideoRingHandle) -> HeaderFields:
        return {
            _H_NSTACKS: ("n_stacks", handle.n_stacks),
            _H_STACK_SIZE: ("stack_size", handle.stack_size),
            _H_HEIGHT: ("height", handle.height),
            _H_WIDTH: ("width", handle.width),
            _H_ITEMSIZE: ("itemsize", np.dtype(handle.dtype).itemsize),
        }

    def _bind(self, views: dict[str, np.ndarray]) -> None:
        h = self._handle
        self._state = views["state"]
        self._frame_no = views["frame_no"]
        self._ts = views["ts"]
        self._live_only = views["live_only"]
        self._frames = views["frames"]
        self._flat = self._frames.reshape(h.capacity, h.height, h.width)
        self._n = h.n_stacks
        self._ss = h.stack_size
        self._shape = (h.height, h.width)

    @property
    def n_stacks(self) -> int:
        """Number of stacks."""
        return self._n

    @property
    def stack_size(self) -> int:
        """Frames per stack."""
        return self._ss

    @property
    def frame_shape(self) -> tuple[int, int]:
        """``(height, width)`` of a frame."""
        return self._shape

    @property
    def dtype(self) -> np.dtype[Any]:
        """Pixel dtype."""
        return self._frames.dtype

    # -- dispatcher --------------------------------------------------------------------
    def claim_next(self) -> StackView | None:
        """Claim the oldest READY stack (ring order), or None if it is not ready yet.

        Only one process (the dispatcher) may call this.
        """
        self._check_open()
        h = self._hdr
        s = int(h[_H_NEXT_CLAIM])
        if self._state[s] != _READY:
            return None
        self._state[s] = _CLAIMED
        h[_H_NEXT_CLAIM] = (s + 1) % self._n
        h[_H_CLAIMED] += 1
        return self._stack_view(s)

    # -- readers -----------------------------------------------------------------------
    def _stack_view(self, s: int) -> StackView:
        a, b = s * self._ss, (s + 1) * self._ss
        views = (self._frames[s], self._ts[a:b], self._frame_no[a:b], self._live_only[a:b])
        for v in views:
            v.flags.writeable = False  # readers must not change frames they share
        return StackView(s, *views)

    def _check_claimed(self, index: int, action: str) -> None:
        if not 0 <= index < self._n:
            raise StackStateError(
                f"VideoRing {self.segment_name!r}: cannot {action} stack {index}: "
                f"index out of range 0..{self._n - 1}"
            )
        state = int(self._state[index])
        if state != _CLAIMED:
            raise StackStateError(
                f"VideoRing {self.segment_name!r}: cannot {action} stack {index}: it is "
                f"{StackState(state).name}, expected CLAIMED (claim it first; released twice?)"
            )

    def stack_state(self, index: int) -> StackState:
        """Current state of stack ``index``."""
        self._check_open()
        return StackState(int(self._state[index]))

    def view(self, index: int) -> StackView:
        """Zero-copy view of the claimed stack ``index`` (valid until released).

        Raises
        ------
        StackStateError
            The stack is not CLAIMED.
        """
        self._check_open()
        self._check_claimed(index, "view")
        return self._stack_view(index)

    def release(self, index: int, first_frame: int | None = None) -> None:
        """Give the claimed stack ``index`` back to the producer (any process, once).

        Parameters
        ----------
        first_frame
            If given, the stack must still hold the fill whose first frame number this
            is (:attr:`StackView.first_frame`): guards against a late release of a stack
            that was released and filled again meanwhile.

        Raises
        ------
        StackStateError
            The stack is not CLAIMED, or holds another fill than ``first_frame``.
        """
        self._check_open()
        self._check_claimed(index, "release")
        if first_frame is not None:
            found = int(self._frame_no[index * self._ss])
            if found != first_frame:
                raise StackStateError(
                    f"VideoRing {self.segment_name!r}: cannot release stack {index}: it holds "
                    f"frames from {found}, not from {first_frame} (released twice?)"
                )
        self._state[index] = _FREE

    def claimed(self) -> list[int]:
        """Indices of the CLAIMED stacks (e.g. to release those of a crashed worker)."""
        self._check_open()
        return [int(i) for i in np.flatnonzero(self._state == _CLAIMED)]

    def peek_latest(self, out: np.ndarray | None = None) -> LatestFrame | None:
        """Consistent copy of the newest committed frame, or None if there is none yet.

        Lock-free: the slot's frame number is read before and after the copy and the
        copy is retried if the producer rewrote the slot meanwhile.

        Parameters
        ----------
        out
            Optional ``(height, width)`` array to copy into (returned as ``frame``).
        """
        self._check_open()
        for _ in range(_PEEK_RETRIES):
            gs = int(self._hdr[_H_LATEST])
            if gs < 0:
                return None
            n1 = int(self._frame_no[gs])
            if n1 < 0:
                continue
            if out is None:
                frame = self._flat[gs].copy()
            else:
                np.copyto(out, self._flat[gs])
                frame = out
            ts = float(self._ts[gs])
            if int(self._frame_no[gs]) == n1:
                return LatestFrame(frame, ts, n1)
        return None

    @property
    def frames_written(self) -> int:
        """Frames committed since creation."""
        self._check_open()
        return int(self._hdr[_H_WRITTEN])

    @property
    def frames_live_only(self) -> int:
        """Frames committed with acquisition off (included in :attr:`frames_written`)."""
        self._check_open()
        return int(self._hdr[_H_LIVE_ONLY])

    @property
    def frames_dropped(self) -> int:
        """Frames dropped since creation."""
        self._check_open()
        return int(self._hdr[_H_DROPPED])

    def stats(self) -> VideoRingStats:
        """Counters and stack occupancy now (an approximate snapshot)."""
        self._check_open()
        states = self._state.copy()
        counts = np.bincount(states, minlength=4)
        pos = int(self._hdr[_H_FILL_POS]) if counts[_FILLING] else 0
        used = int(counts[_READY] + counts[_CLAIMED]) * self._ss + pos
        return VideoRingStats(
            frames_written=int(self._hdr[_H_WRITTEN]),
            frames_live_only=int(self._hdr[_H_LIVE_ONLY]),
            frames_dropped=int(self._hdr[_H_DROPPED]),
            stacks_free=int(counts[_FREE]),
            stacks_filling=int(counts[_FILLING]),
            stacks_ready=int(counts[_READY]),
            stacks_claimed=int(counts[_CLAIMED]),
            fill_fraction=used / self._handle.capacity,
        )
