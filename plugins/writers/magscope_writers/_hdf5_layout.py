"""The layout of a tracking file: its name, ``/tracking`` records and ``/magscope`` group.

A file is named ``Tracking Data <local time>.h5`` (:data:`TRACKING_PREFIX`). The
``/tracking`` group follows the reference system's schema v1 exactly (see
:mod:`magscope_writers._tracking_file`; ``_track_records.records_from_batch`` lays a batch
out as its records), so its readers keep working. Our own metadata goes into a separate
``/magscope`` group (:func:`create_magscope_group`) whose attributes are JSON text
(:func:`put_json`):

=================  ===========================================================
attribute          content
=================  ===========================================================
format             ``"magscope-tracking"``; ``format_version`` = 1
writer             ``"magscope-writers <version>"``
recording_uuid     the recording's UUID (``/tracking`` ``recording_id`` is its first 64 bits)
file_index         0 for the first file of a recording, then 1, 2, ... on rotation
file_start_local   ISO local time of the first frame, with its UTC offset
utc_offset_s       that offset in seconds (the file name is local time)
camera             JSON of the :class:`~magscope_core.CameraInfo`
metadata           JSON of the ``metadata`` dict given to ``open`` (settings, versions, ...);
                   JSON larger than 16 KB is a string *dataset* of the same name instead
options            JSON of this writer's options
closed             ``"open"`` while writing, then ``"rotation"`` or ``"close"``
stats              JSON of the run's ``stats`` (dropped frames, ...), added to every file
                   of the recording when the writer closes (unless the disk is full)
protocol           group: the protocol run(s) of the recording, if any (text and each
                   step's start time; see :mod:`magscope_writers._protocol_h5`)
gap                JSON, only when frames are missing before this file's first frame
                   because the pipeline restarted (``metadata["resumed"]``, see
                   :func:`resume_gap`): ``last_frame_before``, ``first_frame``,
                   ``missing_frames``, ``cause``
=================  ===========================================================

``/magscope/forces`` is described in :mod:`magscope_writers._forces_h5`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import h5py
import numpy as np

from magscope_writers import __version__
from magscope_writers._jsonable import to_json
from magscope_writers._naming import local_iso, utc_offset_s

if TYPE_CHECKING:
    import uuid

    from magscope_core import CameraInfo
    from magscope_core._writer import TracksBatch

__all__ = [
    "ATTR_LIMIT",
    "TRACKING_PREFIX",
    "create_magscope_group",
    "put_json",
    "resume_gap",
]

TRACKING_PREFIX = "Tracking Data"
_U16 = np.iinfo(np.uint16).max
ATTR_LIMIT = 16_384
"""Largest JSON (bytes) stored as an attribute of ``/magscope``; larger goes in a dataset."""


def create_magscope_group(h5: h5py.File, *, recording_uuid: uuid.UUID, file_index: int,
                          first_ns: int, info: CameraInfo, metadata: dict[str, Any],
                          options: dict[str, Any], gap: dict[str, Any] | None) -> h5py.Group:
    """Create the ``/magscope`` group of a new file, marked ``closed = "open"``.

    Parameters
    ----------
    h5
        The new tracking file.
    recording_uuid
        The recording's UUID.
    file_index
        0 for the first file of the recording, then 1, 2, ... on rotation.
    first_ns
        Timestamp (epoch ns) of the file's first frame.
    info, metadata, options
        The camera, the recording's metadata and the writer's options (stored as JSON).
    gap
        The frames missing before this file (see :func:`resume_gap`), or None.
    """
    m = h5.create_group("magscope")
    m.attrs["format"] = "magscope-tracking"
    m.attrs["format_version"] = np.int64(1)
    m.attrs["writer"] = f"magscope-writers {__version__}"
    m.attrs["recording_uuid"] = str(recording_uuid)
    m.attrs["file_index"] = np.int64(file_index)
    m.attrs["file_start_local"] = local_iso(first_ns)
    m.attrs["utc_offset_s"] = np.int64(utc_offset_s(first_ns))
    put_json(m, "camera", info)
    put_json(m, "metadata", metadata)
    put_json(m, "options", options)
    m.attrs["closed"] = "open"
    if gap is not None:
        put_json(m, "gap", gap)
    return m


def resume_gap(metadata: dict[str, Any], batch: TracksBatch) -> dict[str, Any] | None:
    """The frames missing before ``batch``, from ``metadata["resumed"]`` (pipeline restart)."""
    resumed = metadata.get("resumed")
    if not isinstance(resumed, dict) or "last_frame_before" not in resumed:
        return None
    last = int(resumed["last_frame_before"])
    first = int(batch.frame_numbers[0]) if batch.n_frames else last + 1
    return {"last_frame_before": last, "first_frame": first,
            "missing_frames": max(0, first - last - 1),
            "cause": str(resumed.get("cause", "restart"))}


def put_json(group: h5py.Group, key: str, value: Any) -> None:
    """Store ``value`` as JSON text: attribute ``key``, or a string dataset if it is large.

    HDF5 attributes live in the object header (64 KiB in all for files readable by
    HDF5 1.8), so JSON over :data:`ATTR_LIMIT` bytes becomes a scalar dataset of that name.
    """
    text = to_json(value)
    if key in group:
        del group[key]
    if key in group.attrs:
        del group.attrs[key]
    if len(text.encode()) <= ATTR_LIMIT:
        group.attrs[key] = text
    else:
        group.create_dataset(key, data=text, dtype=h5py.string_dtype())

