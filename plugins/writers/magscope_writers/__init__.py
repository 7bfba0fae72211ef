"""First-party MagScope writers: HDF5 tracking data, ImageJ TIFF video and telemetry text.

Three writers, registered by :mod:`magscope_writers.plugin` (entry point ``writers``):

- `Hdf5TracksWriter` (``hdf5``, ``write_tracks``):
  ``Tracking Data <YYYY-MM-DD HH-MM-SS.ffffff>.h5``, the reference ``/tracking`` schema v1
  plus a ``/magscope`` metadata group, rotating every ``rotation_minutes``.
- `TiffVideoWriter` (``tiff``, ``write_rois`` and ``write_stack``):
  ``Video ROIs <YYYY-MM-DD HH-MM-SS.fff>.tif`` (ImageJ TCYX) and ``Video <...>.tif`` (TYX),
  each with a ``.json`` sidecar.
- `TelemetryWriter` (``telemetry``, ``write_telemetry``): ``<source>.txt``.

The HDF5 writer also stores the force on each tethered bead per magnet plateau
(``/magscope/forces``, read back with `read_forces`; see `PlateauForces`).

Names use the local time of each file's first frame (``time.localtime`` of the frame's
timestamp). Read tracking files back with `read_tracking`, and the protocol runs recorded
in them (``/magscope/protocol``) with `read_protocols`. The formats are described in
``docs/decisions/0008-file-formats.md``.
"""

from __future__ import annotations

from importlib.metadata import version as _version
from typing import TYPE_CHECKING

from magscope_core import lazy_exports

if TYPE_CHECKING:
    from magscope_writers._errors import WriterError
    from magscope_writers._hdf5 import Hdf5TracksWriter
    from magscope_writers._hdf5_layout import TRACKING_PREFIX
    from magscope_writers._naming import local_stamp, seconds_to_ns
    from magscope_writers._plateau_forces import FORCE_COLUMNS, PlateauForces, PlateauRow
    from magscope_writers._protocol_h5 import read_protocols
    from magscope_writers._settings import (
        Hdf5WriterSettings,
        TelemetryWriterSettings,
        TiffWriterSettings,
    )
    from magscope_writers._telemetry import TelemetryWriter
    from magscope_writers._tiff import FULL_PREFIX, ROI_PREFIX, TiffVideoWriter
    from magscope_writers._track_records import merge_records, records_from_batch
    from magscope_writers._tracking_read import (
        TrackingData,
        TrackingFileError,
        read_forces,
        read_tracking,
    )

__all__ = [
    "FORCE_COLUMNS",
    "FULL_PREFIX",
    "ROI_PREFIX",
    "TRACKING_PREFIX",
    "Hdf5TracksWriter",
    "Hdf5WriterSettings",
    "PlateauForces",
    "PlateauRow",
    "TelemetryWriter",
    "TelemetryWriterSettings",
    "TiffVideoWriter",
    "TiffWriterSettings",
    "TrackingData",
    "TrackingFileError",
    "WriterError",
    "__version__",
    "local_stamp",
    "merge_records",
    "read_forces",
    "read_protocols",
    "read_tracking",
    "records_from_batch",
    "seconds_to_ns",
]

# imported on first use: the hook module (magscope_writers.plugin) imports no h5py
__getattr__ = lazy_exports(__name__, {
    "_errors": ("WriterError",),
    "_hdf5": ("Hdf5TracksWriter",),
    "_hdf5_layout": ("TRACKING_PREFIX",),
    "_track_records": ("merge_records", "records_from_batch"),
    "_naming": ("local_stamp", "seconds_to_ns"),
    "_plateau_forces": ("FORCE_COLUMNS", "PlateauForces", "PlateauRow"),
    "_protocol_h5": ("read_protocols",),
    "_settings": ("Hdf5WriterSettings", "TelemetryWriterSettings", "TiffWriterSettings"),
    "_telemetry": ("TelemetryWriter",),
    "_tiff": ("FULL_PREFIX", "ROI_PREFIX", "TiffVideoWriter"),
    "_tracking_read": ("TrackingData", "TrackingFileError", "read_forces", "read_tracking"),
})

__version__ = _version("magscope-writers")
