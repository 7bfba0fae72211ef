"""Shared counters: named int64/float64 fields in one segment.

Layout of the segment ``magscope-{session}-ctr``::

    int64 header[16]   line 0 geometry (field count, checksum of the names and kinds)
    8-byte values[n]   int64 or float64 by field kind, in declaration order

Rule: every field has one writer at a time (documented per field in
:data:`STANDARD_COUNTERS`). An aligned 8-byte store is atomic to readers on x86-64 and
ARM64, so ``set`` needs no lock; ``add`` is a read-modify-write and is only correct with
that single writer.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from typing import Literal, TypeAlias

import attrs
import numpy as np

from magscope_core._buffers._errors import UnknownFieldError
from magscope_core._buffers._layout import (
    CACHE_LINE,
    HeaderFields,
    RegionSpec,
    SegmentBuffer,
)
from magscope_core._buffers._segments import SessionMemory

__all__ = ["STANDARD_COUNTERS", "CounterField", "SharedCounters", "SharedCountersHandle"]

_H_NFIELDS, _H_CRC = 3, 4

CounterKind = Literal["int", "float"]


def _check_kind(_inst: object, _attr: object, value: str) -> None:
    if value not in ("int", "float"):
        raise ValueError(f"counter kind must be 'int' or 'float', got {value!r}")


def _check_name(_inst: object, _attr: object, value: str) -> None:
    if not value or not isinstance(value, str):
        raise ValueError(f"counter name must be a non-empty string, got {value!r}")


@attrs.frozen
class CounterField:
    """One counter: name, kind (``"int"`` or ``"float"``), initial value, writer note."""

    name: str = attrs.field(validator=_check_name)
    kind: CounterKind = attrs.field(default="int", validator=_check_kind)
    default: float = 0
    doc: str = attrs.field(default="", eq=False)


STANDARD_COUNTERS: tuple[CounterField, ...] = (
    CounterField("camera_frames", "int", 0, "frames received from the camera; camera manager"),
    CounterField("camera_timeouts", "int", 0, "grab timeouts since start; camera manager"),
    CounterField("camera_queue_full", "int", 0, "times the camera's own queue overflowed; "
                 "camera manager"),
    CounterField("camera_last_frame_t", "float", 0.0, "epoch time of the newest frame; "
                 "camera manager"),
    CounterField("camera_grab_cpu_s", "float", 0.0, "CPU seconds the camera manager spent "
                 "inside the camera's grab calls (copying frames); camera manager"),
    CounterField("frames_dropped", "int", 0, "frames dropped because the ring was full "
                 "(mirror of VideoRing.frames_dropped); camera manager"),
    CounterField("video_busy_count", "int", 0, "stacks being processed now; dispatcher"),
    CounterField("reserved_stacks", "int", 0, "stacks claimed and not yet released; "
                 "dispatcher"),
    CounterField("completed_stacks", "int", 0, "stacks processed since start; dispatcher"),
    CounterField("tracks_rows", "int", 0, "rows appended to the tracks matrix; its writer"),
    CounterField("recorded_last_frame", "int", -1, "frame number of the last tracks batch "
                 "handed to the writers, -1 none (a restarted pipeline records the gap); "
                 "dispatcher"),
    CounterField("live_profile_enabled", "int", 0, "1 while the profile monitor is open; UI"),
    CounterField("live_profile_bead", "int", -1, "bead whose profile is published, -1 none; "
                 "UI"),
)
"""The session's standard fields, each with its single writer in ``doc``."""


FieldSpec: TypeAlias = "CounterField | tuple[str, str] | tuple[str, str, float]"


def _as_field(spec: object) -> CounterField:
    if isinstance(spec, CounterField):
        return spec
    if isinstance(spec, (tuple, list)) and len(spec) in (2, 3):
        return CounterField(*spec)
    raise TypeError(
        f"counter field must be a CounterField or (name, kind[, default]), got {spec!r}"
    )


def _field_tuple(fields: Iterable[object]) -> tuple[CounterField, ...]:
    return tuple(_as_field(f) for f in fields)


def _fields_crc(fields: Sequence[CounterField]) -> int:
    return zlib.crc32("\x1f".join(f"{f.name}:{f.kind}" for f in fields).encode())


def _check_fields(_inst: object, _attr: object, value: tuple[CounterField, ...]) -> None:
    names = [f.name for f in value]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"duplicate counter fields: {dup}")


@attrs.frozen
class SharedCountersHandle:
    """Picklable description of a :class:`SharedCounters`."""

    segment: str
    fields: tuple[CounterField, ...] = attrs.field(converter=_field_tuple, validator=_check_fields)


class SharedCounters(SegmentBuffer[SharedCountersHandle]):
    """Named int64/float64 counters shared by all processes (single writer per field)."""

    _kind = "SharedCounters"
    _magic_tag = b"MSCOUNT1"
    _header_words = 16

    @classmethod
    def _body(cls, handle: SharedCountersHandle) -> list[RegionSpec]:
        return [("values", (max(len(handle.fields), 1),), np.int64, CACHE_LINE)]

    @classmethod
    def _geometry(cls, handle: SharedCountersHandle) -> HeaderFields:
        return {
            _H_NFIELDS: ("field count", len(handle.fields)),
            _H_CRC: ("field checksum", _fields_crc(handle.fields)),
        }

    def _bind(self, views: dict[str, np.ndarray]) -> None:
        self._ints = views["values"]
        self._floats = self._ints.view(np.float64)
        self._index = {f.name: (i, f.kind == "float") for i, f in enumerate(self._handle.fields)}

    def _initialise(self) -> None:
        for i, f in enumerate(self._handle.fields):
            if f.kind == "float":
                self._floats[i] = float(f.default)
            else:
                self._ints[i] = int(f.default)

    @classmethod
    def create(
        cls,
        memory: SessionMemory,
        fields: Iterable[FieldSpec | object] = STANDARD_COUNTERS,
        *,
        name: str = "ctr",
    ) -> SharedCounters:
        """Create the counters in ``memory`` (owner side), each set to its default.

        ``fields`` are :class:`CounterField` records or ``(name, kind[, default])`` tuples.
        """
        return cls._create(memory, name, SharedCountersHandle("", _field_tuple(fields)))

    @property
    def fields(self) -> tuple[CounterField, ...]:
        """The fields, in declaration order."""
        return self._handle.fields

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def _lookup(self, name: str) -> tuple[int, bool]:
        self._check_open()
        try:
            return self._index[name]
        except KeyError:
            raise UnknownFieldError(
                f"SharedCounters {self._handle.segment!r} has no field {name!r}; "
                f"known fields: {sorted(self._index)}"
            ) from None

    def get(self, name: str) -> int | float:
        """Current value of ``name`` (int or float by kind).

        Raises
        ------
        UnknownFieldError
            (a KeyError) naming the field and the known ones.
        """
        i, is_float = self._lookup(name)
        return float(self._floats[i]) if is_float else int(self._ints[i])

    def set(self, name: str, value: float) -> None:
        """Set ``name`` to ``value`` (one aligned 8-byte store)."""
        i, is_float = self._lookup(name)
        if is_float:
            self._floats[i] = float(value)
        else:
            self._ints[i] = int(value)

    def add(self, name: str, delta: float = 1) -> int | float:
        """Add ``delta`` to ``name`` and return the new value (single writer per field)."""
        i, is_float = self._lookup(name)
        if is_float:
            self._floats[i] += float(delta)
            return float(self._floats[i])
        self._ints[i] += int(delta)
        return int(self._ints[i])

    def snapshot(self) -> dict[str, int | float]:
        """All fields by name (each value read once; not a cross-field atomic copy)."""
        self._check_open()
        raw = self._ints.copy()
        fl = raw.view(np.float64)
        return {f.name: (float(fl[i]) if f.kind == "float" else int(raw[i]))
                for i, f in enumerate(self._handle.fields)}

    def __repr__(self) -> str:
        return f"SharedCounters({self._handle.segment!r}, {len(self._handle.fields)} fields)"
