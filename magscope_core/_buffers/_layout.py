"""Segment layout helpers shared by the buffers: regions, headers and the base class.

Every segment starts with an int64 header whose first three words are the same for all
buffers: a magic number naming the buffer kind, the layout version and the segment size.
Buffer-specific words follow. The owner writes the magic word last, so a segment whose
magic is right is fully initialised.

:class:`SegmentBuffer` creates and attaches every buffer from a short description that
each subclass gives (its magic tag, header length, regions and geometry words), so these
steps and the checks on attach are written once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from multiprocessing.shared_memory import SharedMemory
from typing import Any, ClassVar, Generic, Protocol, TypeAlias, TypeVar, cast

import attrs
import numpy as np
import numpy.typing as npt

from magscope_core._buffers._errors import (
    BufferClosedError,
    BufferLayoutError,
    SeqlockTimeoutError,
)
from magscope_core._buffers._segments import (
    SessionMemory,
    _close_quietly,
    attach_segment,
    prefault_read,
    segment_buffer,
)

__all__ = [
    "CACHE_LINE",
    "LAYOUT_VERSION",
    "PAGE",
    "BufferHandle",
    "HeaderFields",
    "Region",
    "RegionSpec",
    "SegmentBuffer",
    "align",
    "at_least_one",
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

RegionSpec: TypeAlias = tuple[str, tuple[int, ...], npt.DTypeLike, int]
"""``(name, shape, dtype, alignment)`` of one region, as :func:`plan_regions` takes it."""

HeaderFields: TypeAlias = Mapping[int, tuple[str, int]]
"""``{header index: (label, value)}``: geometry words written at creation, checked on attach."""


def align(n: int, to: int) -> int:
    """Round ``n`` up to a multiple of ``to``."""
    return (n + to - 1) // to * to


def at_least_one(
    what: str | None = None, *, unit: str = ""
) -> Callable[[object, attrs.Attribute[int], int], None]:
    """An attrs validator that refuses a size below 1.

    The message is ``"{what} must be >= 1[ {unit}], got {value}"``; ``what`` defaults to
    the attribute's name.
    """
    suffix = f" {unit}" if unit else ""

    def check(_inst: object, attr: attrs.Attribute[int], value: int) -> None:
        if value < 1:
            raise ValueError(f"{what or attr.name} must be >= 1{suffix}, got {value}")

    return check


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


def plan_regions(specs: Sequence[RegionSpec]) -> tuple[dict[str, Region], int]:
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
    fields: HeaderFields,
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
    fields: HeaderFields,
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


class BufferHandle(attrs.AttrsInstance, Protocol):
    """What every buffer handle is: an attrs record with the full name of its segment."""

    @property
    def segment(self) -> str:
        """Full name of the shared-memory segment."""
        ...


H = TypeVar("H", bound=BufferHandle)
B = TypeVar("B", bound="SegmentBuffer[Any]")


class SegmentBuffer(Generic[H]):
    """Base of the buffers: one segment, its views, create/attach, close, context management.

    A subclass describes its segment; this class does the rest. The description:

    - ``_kind``: class name used in messages; ``_magic_tag``: the 8-byte tag whose
      :func:`magic` word names the kind; ``_header_words``: length of the int64 header
      (region ``"header"``, first);
    - ``_body(handle)``: the regions after the header, as :func:`plan_regions` takes them;
    - ``_geometry(handle)``: the header words the owner writes at creation and
      :meth:`attach` checks (:data:`HeaderFields`);
    - ``_bind(views)``: keeps the views it needs (called by the constructor);
    - ``_initialise()``: optional owner-side initial values, written before the magic word.

    The subclass's public ``create`` builds a handle with an empty segment name and passes
    it to :meth:`_create`.
    """

    _kind = "buffer"
    _magic_tag: ClassVar[bytes]
    _header_words: ClassVar[int]

    def __init__(self, shm: SharedMemory, handle: H, *, owner: bool) -> None:
        self._shm = shm
        self._owner = owner
        self._closed = False
        self._handle = handle
        views = map_regions(shm, self._regions(handle)[0])
        self._hdr = views["header"]
        self._bind(views)

    # -- description (subclasses) ------------------------------------------------------
    @classmethod
    def _body(cls, handle: H) -> list[RegionSpec]:
        """Regions after the header, in segment order."""
        raise NotImplementedError(f"{cls.__name__} does not describe its regions")

    @classmethod
    def _geometry(cls, handle: H) -> HeaderFields:
        """Header words that describe ``handle``'s geometry: written, then checked."""
        raise NotImplementedError(f"{cls.__name__} does not describe its header words")

    def _bind(self, views: dict[str, np.ndarray]) -> None:
        """Keep the numpy views the buffer uses (``views["header"]`` is ``self._hdr``)."""

    def _initialise(self) -> None:
        """Write initial values on the owner side (before the magic word)."""

    # -- construction ------------------------------------------------------------------
    @classmethod
    def _regions(cls, handle: H) -> tuple[dict[str, Region], int]:
        """Regions by name and segment size for ``handle`` (header first)."""
        return plan_regions([
            ("header", (cls._header_words,), np.int64, CACHE_LINE),
            *cls._body(handle),
        ])

    @classmethod
    def _create(cls: type[B], memory: SessionMemory, name: str, probe: H) -> B:
        """Create the segment for ``probe`` (segment name unset) and initialise it.

        Writes the layout version, the segment size and the geometry words, runs
        :meth:`_initialise`, then writes the magic word last.
        """
        _, nbytes = cls._regions(probe)
        shm = memory.create(name, nbytes)
        # mypy's attrs plugin cannot see that H (bound to a protocol) is an attrs class
        handle: H = attrs.evolve(cast(Any, probe), segment=shm.name)
        buf = cls(shm, handle, owner=True)
        hdr = buf._hdr
        hdr[H_VERSION], hdr[H_BYTES] = LAYOUT_VERSION, nbytes
        for index, (_label, value) in cls._geometry(buf._handle).items():
            hdr[index] = value
        buf._initialise()
        hdr[H_MAGIC] = magic(cls._magic_tag)
        return buf

    @classmethod
    def _attach(cls: type[B], handle: H, *, prefault: bool = False) -> B:
        """Attach ``handle``'s segment after checking its header (see :func:`attach_checked`)."""
        _, nbytes = cls._regions(handle)
        shm = attach_checked(
            handle.segment, cls._kind, magic(cls._magic_tag), nbytes, cls._geometry(handle),
            header_words=cls._header_words, prefault=prefault,
        )
        return cls(shm, handle, owner=False)

    @classmethod
    def attach(cls: type[B], handle: H) -> B:
        """Attach the buffer described by ``handle`` (any process)."""
        return cls._attach(handle)

    @property
    def handle(self) -> H:
        """Picklable handle for :meth:`attach`."""
        return self._handle

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
