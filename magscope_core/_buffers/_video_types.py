"""Records of the video ring: stack states, the handle, stack views and statistics."""

from __future__ import annotations

import enum
from typing import NamedTuple

import attrs
import numpy as np
import numpy.typing as npt

from magscope_core._buffers._layout import at_least_one

__all__ = ["LatestFrame", "StackState", "StackView", "VideoRingHandle", "VideoRingStats"]


class StackState(enum.IntEnum):
    """State of one stack of the ring."""

    FREE = 0
    FILLING = 1
    READY = 2
    CLAIMED = 3


_FREE, _FILLING, _READY, _CLAIMED = 0, 1, 2, 3


_positive = at_least_one()


def _dtype_name(value: npt.DTypeLike) -> str:
    return str(np.dtype(value).name)


def _unsigned(_inst: object, _attr: attrs.Attribute[str], value: str) -> None:
    dt = np.dtype(value)
    if dt.kind != "u":
        raise ValueError(f"video ring dtype must be an unsigned integer type, got {value!r}")


@attrs.frozen
class VideoRingHandle:
    """Picklable description of a :class:`VideoRing`; pass it to :meth:`VideoRing.attach`."""

    segment: str
    n_stacks: int = attrs.field(validator=_positive)
    stack_size: int = attrs.field(validator=_positive)
    height: int = attrs.field(validator=_positive)
    width: int = attrs.field(validator=_positive)
    dtype: str = attrs.field(default="uint8", converter=_dtype_name, validator=_unsigned)

    @property
    def capacity(self) -> int:
        """Frame slots in the ring."""
        return self.n_stacks * self.stack_size


@attrs.frozen(eq=False)
class StackView:
    """A claimed stack: zero-copy views valid until the stack is released.

    Attributes
    ----------
    index
        Stack index in the ring.
    frames
        ``(stack_size, height, width)`` view (time, rows, columns).
    timestamps
        ``(stack_size,)`` float64 view.
    frame_numbers
        ``(stack_size,)`` int64 view of the frames' numbers.
    live_only
        ``(stack_size,)`` uint8 view: 1 for a frame taken with acquisition off (for the
        live view only: not tracked, not saved); None means all were acquired.
    """

    index: int
    frames: np.ndarray
    timestamps: np.ndarray
    frame_numbers: np.ndarray
    live_only: np.ndarray | None = None

    @property
    def first_frame(self) -> int:
        """Number of the stack's first frame."""
        return int(self.frame_numbers[0])

    @property
    def last_frame(self) -> int:
        """Number of the stack's last frame."""
        return int(self.frame_numbers[-1])

    def __len__(self) -> int:
        return int(self.frames.shape[0])


class LatestFrame(NamedTuple):
    """A consistent copy of the newest frame (see :meth:`VideoRing.peek_latest`)."""

    frame: np.ndarray
    timestamp: float
    frame_number: int


@attrs.frozen
class VideoRingStats:
    """Counters and stack states of a :class:`VideoRing` at one moment."""

    frames_written: int
    frames_live_only: int
    """Of ``frames_written``, those taken with acquisition off (live view only)."""
    frames_dropped: int
    stacks_free: int
    stacks_filling: int
    stacks_ready: int
    stacks_claimed: int
    fill_fraction: float
    """Share of the slots holding frames not yet released (0 to 1)."""
