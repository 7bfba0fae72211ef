"""The video ring: camera frames in shared memory, handed out as whole stacks.

Layout of the segment ``magscope-{session}-vid`` (one segment, all offsets fixed at
creation)::

    int64 header[24]       line 0 geometry, line 1 producer words, line 2 dispatcher words
    int64 state[n_stacks]  FREE / FILLING / READY / CLAIMED per stack
    int64 frame_no[n]      frame number per slot, -1 while the slot is being (re)written
    f64   timestamp[n]     per slot (n = n_stacks * stack_size)
    u8    live_only[n]     1: the frame was taken with acquisition off (view only)
    dtype frames[n_stacks, stack_size, height, width]   page aligned, C order

Protocol (no locks, details in ADR 0002): every word has one writer at a time.

- The *producer* (camera process) takes the stacks in ring order: FREE -> FILLING, fills
  its ``stack_size`` slots (one by one, or several at once with :meth:`VideoRing.slots`),
  then FILLING -> READY. If the next stack is not FREE the ring is full: the frame is
  dropped and counted (:meth:`VideoRing.drop`), so drops happen only *between* stacks
  and frame numbers count every frame offered.
- One *dispatcher* claims READY stacks in ring order: READY -> CLAIMED.
- Any process may then read the claimed stack (:meth:`VideoRing.view`) and one of them
  releases it: CLAIMED -> FREE. Releases may come out of order and from any process.
- :meth:`VideoRing.peek_latest` copies the newest frame without any lock: the per-slot
  frame number is a sequence word (-1 while rewritten) checked before and after the copy,
  so a torn frame is never returned.

Memory ordering: writers store the data first and publish it with a single aligned
8-byte store (state word, frame number); readers load in the opposite order. This is
correct on x86-64, whose TSO model keeps stores in order and loads in order. CPython has no
memory fences, so on weakly ordered CPUs (ARM64) this is an assumption, not a guarantee.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from magscope_core._buffers._errors import StackStateError
from magscope_core._buffers._segments import SessionMemory
from magscope_core._buffers._video_read import (
    _FILLING,
    _FREE,
    _H_DROPPED,
    _H_FILL_POS,
    _H_FILL_STACK,
    _H_LATEST,
    _H_LIVE_ONLY,
    _H_NEXT_FILL,
    _H_NEXT_FRAME,
    _H_PENDING,
    _H_WRITTEN,
    _READY,
    VideoRingReader,
)
from magscope_core._buffers._video_types import (
    LatestFrame,
    StackState,
    StackView,
    VideoRingHandle,
    VideoRingStats,
)

__all__ = [
    "LatestFrame", "StackState", "StackView", "VideoRing", "VideoRingHandle", "VideoRingStats",
]


class VideoRing(VideoRingReader):
    """Lock-free ring of camera frames organised in stacks (see the module notes).

    Make one with :meth:`create` in the owner process and :meth:`attach` its
    :attr:`handle` elsewhere. Roles: one producer (:meth:`slot`, :meth:`commit`,
    :meth:`slots`, :meth:`commit_many`,
    :meth:`write`, :meth:`drop`), one dispatcher (:meth:`claim_next`), any readers
    (:meth:`view`, :meth:`release`, :meth:`peek_latest`, :meth:`stats`); the dispatcher
    and the readers are in :class:`~magscope_core._buffers._video_read.VideoRingReader`.
    """

    # -- construction ------------------------------------------------------------------
    def _initialise(self) -> None:
        self._hdr[_H_FILL_STACK] = -1
        self._hdr[_H_LATEST] = -1
        self._frame_no[:] = -1
        self._ts[:] = np.nan

    @classmethod
    def create(
        cls,
        memory: SessionMemory,
        *,
        n_stacks: int,
        stack_size: int,
        height: int,
        width: int,
        dtype: npt.DTypeLike = np.uint8,
        name: str = "vid",
    ) -> VideoRing:
        """Create the ring's segment in ``memory`` (owner side; pages pre-faulted).

        Raises
        ------
        ValueError
            A non-positive size or a dtype that is not an unsigned integer.
        """
        dtype_name = np.dtype(dtype).name
        probe = VideoRingHandle("", n_stacks, stack_size, height, width, dtype_name)
        return cls._create(memory, name, probe)

    @classmethod
    def attach(cls, handle: VideoRingHandle, *, prefault: bool = True) -> VideoRing:
        """Attach the ring described by ``handle`` (any process).

        Parameters
        ----------
        prefault
            Map every page now (reading one byte per page) so the first pass is fast.

        Raises
        ------
        BufferAttachError
            The segment is gone.
        BufferLayoutError
            The segment does not match ``handle``.
        """
        return cls._attach(handle, prefault=prefault)

    # -- producer ----------------------------------------------------------------------
    def slot(self) -> np.ndarray | None:
        """Writable ``(height, width)`` view of the next free slot, or None if full.

        Write the frame into it (a camera SDK may write straight into it), then call
        :meth:`commit`. Calling again before :meth:`commit` returns the same slot. On None
        the frame has nowhere to go: discard it and call :meth:`drop` so it is counted.
        Producer only.
        """
        self._check_open()
        h = self._hdr
        s = int(h[_H_FILL_STACK])
        if s < 0:
            s = int(h[_H_NEXT_FILL])
            if self._state[s] != _FREE:
                return None
            self._state[s] = _FILLING
            h[_H_FILL_POS] = 0
            h[_H_FILL_STACK] = s
        pos = int(h[_H_FILL_POS])
        if not h[_H_PENDING]:
            self._frame_no[s * self._ss + pos] = -1  # readers: slot is being rewritten
            h[_H_PENDING] = 1
        result: np.ndarray = self._frames[s, pos]
        return result

    def slots(self, max_n: int) -> np.ndarray | None:
        """Writable ``(k, height, width)`` view of the next ``k`` free slots, or None if full.

        ``k`` is at most ``max_n`` and never crosses the end of the stack being filled,
        so a camera that delivers frames in batches writes them straight into the ring;
        publish them with :meth:`commit_many` (all ``k`` or fewer). Producer only.
        """
        if max_n < 1:
            raise ValueError(f"max_n must be >= 1, got {max_n}")
        if self.slot() is None:
            return None
        h = self._hdr
        s, pos = int(h[_H_FILL_STACK]), int(h[_H_FILL_POS])
        k = min(int(max_n), self._ss - pos)
        a = s * self._ss + pos
        self._frame_no[a:a + k] = -1  # readers: these slots are being rewritten
        h[_H_PENDING] = k
        result: np.ndarray = self._frames[s, pos:pos + k]
        return result

    def commit_many(self, timestamps: npt.ArrayLike, live_only: bool = False) -> int:
        """Publish the first ``len(timestamps)`` slots of :meth:`slots`; first frame number.

        Raises
        ------
        StackStateError
            More frames than :meth:`slots` gave (or none pending).
        """
        self._check_open()
        ts = np.asarray(timestamps, np.float64).reshape(-1)
        h = self._hdr
        n, pending = int(ts.shape[0]), int(h[_H_PENDING])
        if n == 0 or n > pending:
            raise StackStateError(
                f"VideoRing {self.segment_name!r}: commit_many() of {n} frames with "
                f"{pending} slots pending; call slots() first and commit at most what it gave")
        s, pos = int(h[_H_FILL_STACK]), int(h[_H_FILL_POS])
        a = s * self._ss + pos
        number = int(h[_H_NEXT_FRAME])
        self._ts[a:a + n] = ts
        self._live_only[a:a + n] = 1 if live_only else 0
        self._frame_no[a:a + n] = np.arange(number, number + n)
        self._advance(s, pos, n, live_only)
        return number

    @property
    def fill_position(self) -> int:
        """Position in its stack of the slot :meth:`slot` gives next (0: a new stack).

        Producer only.
        """
        self._check_open()
        return int(self._hdr[_H_FILL_POS]) if int(self._hdr[_H_FILL_STACK]) >= 0 else 0

    def commit(self, timestamp: float, live_only: bool = False) -> int:
        """Publish the slot from :meth:`slot` with ``timestamp``; return its frame number.

        ``live_only`` marks a frame taken with acquisition off: it is there for the live
        view (:meth:`peek_latest`); the dispatcher neither tracks nor saves it.

        Raises
        ------
        StackStateError
            No slot is pending (``commit`` without ``slot``).
        """
        self._check_open()
        h = self._hdr
        if not h[_H_PENDING]:
            raise StackStateError(
                f"VideoRing {self.segment_name!r}: commit() without a pending slot; "
                "call slot() first and check it is not None"
            )
        s = int(h[_H_FILL_STACK])
        pos = int(h[_H_FILL_POS])
        gs = s * self._ss + pos
        number = int(h[_H_NEXT_FRAME])
        self._ts[gs] = timestamp
        self._live_only[gs] = 1 if live_only else 0
        self._frame_no[gs] = number
        self._advance(s, pos, 1, live_only)
        return number

    def _advance(self, s: int, pos: int, n: int, live_only: bool) -> None:
        """Header words after ``n`` slots from ``pos`` of stack ``s`` were published."""
        h = self._hdr
        if live_only:
            h[_H_LIVE_ONLY] += n
        h[_H_LATEST] = s * self._ss + pos + n - 1
        h[_H_PENDING] = 0
        h[_H_WRITTEN] += n
        h[_H_NEXT_FRAME] += n
        pos += n
        if pos == self._ss:
            h[_H_FILL_STACK] = -1
            h[_H_FILL_POS] = 0
            h[_H_NEXT_FILL] = (s + 1) % self._n
            self._state[s] = _READY  # publish: data and timestamps are stored before
        else:
            h[_H_FILL_POS] = pos

    def drop(self, n: int = 1) -> None:
        """Count ``n`` frames that were discarded (they consume frame numbers)."""
        self._check_open()
        if n < 0:
            raise ValueError(f"drop count must be >= 0, got {n}")
        self._hdr[_H_DROPPED] += n
        self._hdr[_H_NEXT_FRAME] += n

    def write(self, frame: npt.ArrayLike, timestamp: float) -> bool:
        """Copy ``frame`` into the next slot and commit it; False if dropped (ring full).

        Raises
        ------
        ValueError
            ``frame`` does not have the ring's ``(height, width)`` shape.
        TypeError
            ``frame``'s dtype cannot be stored without loss in the ring's dtype.
        """
        arr = np.asarray(frame)
        if arr.shape != self._shape:
            raise ValueError(
                f"VideoRing {self.segment_name!r}: frame shape {arr.shape} != ring frame "
                f"shape {self._shape} (height, width)"
            )
        dst = self.slot()
        if dst is None:
            self.drop()
            return False
        np.copyto(dst, arr, casting="safe")
        self.commit(timestamp)
        return True

    def __repr__(self) -> str:
        h = self._handle
        return (f"VideoRing({h.segment!r}, {h.n_stacks}x{h.stack_size} frames of "
                f"{h.height}x{h.width} {h.dtype})")
