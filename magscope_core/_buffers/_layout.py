"""Segment layout helpers shared by the buffers: regions, headers and the base class.

Every segment starts with an int64 header whose first three words are the same for all
buffers: a magic number naming the buffer kind, the layout version and the segment size.
Buffer-specific words follow. The owner writes the magic word last, so a segment whose
magic is right is fully initialised.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from multiprocessing.shared_memory import SharedMemory
from typing import Any, TypeVar

import attrs
import numpy as np
import numpy.typing as npt

from magscope_core._buffers._errors import (
    BufferClosedError,
    BufferLayoutError,
    SeqlockTimeoutError,
)
from magscope_core._buffers._segments import (
    _close_quietly,
    attach_segment,
    prefault_read,
    segment_buffer,
)

__all__ = [
    "CACHE_LINE",
    "LAYOUT_VERSION",
    "PAGE",
    "Region",
    "SegmentBuffer",
    "align",
    "attach_checked",
    "check_header",
    "magic",
    "map_regions",
    "plan_regions",
    "seqlock_read",
]

CACHE_LINE = 64
PAGE = 4096
LAYOUT_VERSION = 1

H_MAGIC = 0
H_VERSION = 1
H_BYTES = 2

T = TypeVar("T")


def align(n: int, to: int) -> int:
    """Round ``n`` up to a multiple of ``to``."""
    return (n + to - 1) // to * to


def magic(tag: bytes) -> int:
    """The int64 magic word for an 8-byte tag such as ``b"MSVRING1"``."""
    if len(tag) != 8:
        raise ValueError(f"magic tag must be 8 bytes, got {tag!r}")
    return int.from_bytes(tag, "little", signed=True)


@attrs.frozen
class Region:
    """One typed array inside a segment."""

    name: str
    offset: int
    shape: tuple[int, ...]
    dtype: np.dtype[Any]

    @property
    def nbytes(self) -> int:
        """Size of the region in bytes."""
        return int(np.prod(self.shape, dtype=np.int64)) * self.dtype.itemsize


def plan_regions(
    specs: Sequence[tuple[str, tuple[int, ...], npt.DTypeLike, int]],
) -> tuple[dict[str, Region], int]:
    """Place ``(name, shape, dtype, alignment)`` regions one after another.

    Returns the regions by name and the total segment size in bytes.
    """
    regions: dict[str, Region] = {}
    offset = 0
    for name, shape, dtype, alignment in specs:
        offset = align(offset, alignment)
        region = Region(name, offset, tuple(int(s) for s in shape), np.dtype(dtype))
        regions[name] = region
        offset += region.nbytes
    return regions, max(offset, 1)


def map_regions(shm: SharedMemory, regions: Mapping[str, Region]) -> dict[str, np.ndarray]:
    """Numpy views of every region of ``shm``.

    ``np.frombuffer`` (unlike ``np.ndarray(buffer=...)``) holds a buffer export, so the
    mapping cannot be unmapped under a live view: ``close()`` then fails safely instead
    of leaving views that crash the process when touched.
    """
    buf = segment_buffer(shm)
    return {
        name: np.frombuffer(
            buf, dtype=r.dtype, count=r.nbytes // r.dtype.itemsize, offset=r.offset
        ).reshape(r.shape)
        for name, r in regions.items()
    }


def check_header(
    segment: str,
    kind: str,
    header: np.ndarray,
    magic_word: int,
    nbytes: int,
    fields: Mapping[int, tuple[str, int]],
) -> None:
    """Compare a segment's header with what a handle expects.

    Parameters
    ----------
    segment, kind
        Names for the error message (segment name, buffer class).
    header
        The int64 header view.
    magic_word, nbytes
        Expected magic word and segment size.
    fields
        ``{header index: (label, expected value)}`` of geometry words.

    Raises
    ------
    BufferLayoutError
        Naming the segment, the field, the expected and the found value.
    """
    found_magic = int(header[H_MAGIC])
    if found_magic != magic_word:
        raise BufferLayoutError(
            f"segment {segment!r} is not a {kind} (magic {found_magic:#x}, "
            f"expected {magic_word:#x}) or it is not initialised yet"
        )
    checks: dict[int, tuple[str, int]] = {
        H_VERSION: ("layout version", LAYOUT_VERSION),
        H_BYTES: ("segment size", nbytes),
        **fields,
    }
    for index, (label, expected) in checks.items():
        found = int(header[index])
        if found != expected:
            raise BufferLayoutError(
                f"{kind} segment {segment!r}: {label} is {found} but the handle says {expected}"
            )


def attach_checked(
    segment: str,
    kind: str,
    magic_word: int,
    nbytes: int,
    fields: Mapping[int, tuple[str, int]],
    *,
    header_words: int,
    prefault: bool = False,
) -> SharedMemory:
    """Attach ``segment`` and verify its header (see :func:`check_header`).

    Raises
    ------
    BufferAttachError
        The segment is gone.
    BufferLayoutError
        The header does not match.
    """
    shm = attach_segment(segment)
    try:
        if shm.size < header_words * 8:
            raise BufferLayoutError(
                f"{kind} segment {segment!r} has {shm.size} bytes, too small for its header"
            )
        header = np.frombuffer(segment_buffer(shm), np.int64, count=header_words).copy()
        check_header(segment, kind, header, magic_word, nbytes, fields)
        if prefault:
            prefault_read(shm)
    except BaseException:
        _close_quietly(shm)
        raise
    return shm


def seqlock_read(
    seq: np.ndarray,
    index: int,
    read: Callable[[], T],
    *,
    what: str,
    timeout: float = 1.0,
) -> tuple[int, T]:
    """Run ``read`` until it saw no concurrent write; return ``(sequence, result)``.

    ``seq[index]`` is odd while the writer writes. ``read`` must copy what it needs.

    Raises
    ------
    SeqlockTimeoutError
        The sequence stayed odd or kept changing for ``timeout`` seconds (writer died or
        stalled mid-write).
    """
    deadline = 0.0
    spins = 0
    while True:
        s1 = int(seq[index])
        if not s1 & 1:
            result = read()
            if int(seq[index]) == s1:
                return s1, result
        spins += 1
        if spins > 64:
            now = time.monotonic()
            if deadline == 0.0:
                deadline = now + timeout
            elif now > deadline:
                raise SeqlockTimeoutError(
                    f"{what}: no consistent read within {timeout} s (sequence {s1}); "
                    "the writer stalled or died while writing"
                )
            time.sleep(0)


class SegmentBuffer:
    """Base of the buffers: one segment, its views, close and context management."""

    _kind = "buffer"

    def __init__(self, shm: SharedMemory, *, owner: bool) -> None:
        self._shm = shm
        self._owner = owner
        self._closed = False

    @property
    def segment_name(self) -> str:
        """Full name of the shared-memory segment."""
        return str(self._shm.name)

    @property
    def is_owner(self) -> bool:
        """Whether this object was made by ``create`` (in the owner process)."""
        return self._owner

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has run."""
        return self._closed

    def _check_open(self) -> None:
        if self._closed:
            raise BufferClosedError(f"{self._kind} {self.segment_name!r} is closed")

    def _drop_views(self) -> None:
        """Delete every numpy view held in an attribute, so the mapping can be closed."""
        for key in [k for k, v in vars(self).items() if isinstance(v, np.ndarray)]:
            delattr(self, key)

    def close(self) -> None:
        """Detach from the segment in this process (idempotent; never unlinks).

        Views handed out earlier stay valid until they are garbage collected; the mapping
        is released with the last one.
        """
        if self._closed:
            return
        self._closed = True
        self._drop_views()
        _close_quietly(self._shm)

    def __enter__(self: T) -> T:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError(
            f"a {self._kind} cannot be pickled; send its .handle and attach() in the other process"
        )
