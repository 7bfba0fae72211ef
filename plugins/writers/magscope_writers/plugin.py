"""Hook implementations of the ``writers`` plugin (entry point ``magscope: writers``).

The writers are named by import path, so listing plugins and settings imports no h5py or
tifffile; only the settings classes are imported.
"""

from __future__ import annotations

from magscope_core import SettingsSpec, WriterSpec, hookimpl
from magscope_writers._settings import (
    Hdf5WriterSettings,
    TelemetryWriterSettings,
    TiffWriterSettings,
)

__all__ = ["WRITERS", "magscope_settings", "magscope_writers"]

WRITERS: tuple[WriterSpec, ...] = (
    WriterSpec(
        name="hdf5",
        factory="magscope_writers._hdf5:Hdf5TracksWriter",
        settings=Hdf5WriterSettings,
        description="tracking data: 'Tracking Data <local time>.h5', /tracking schema v1 "
        "(reference-compatible) + /magscope metadata, rotating files",
    ),
    WriterSpec(
        name="tiff",
        factory="magscope_writers._tiff:TiffVideoWriter",
        settings=TiffWriterSettings,
        description="video: ImageJ hyperstack TIFF ('Video ROIs <t>.tif' TCYX, 'Video <t>.tif' "
        "TYX) with per-frame timestamp labels and a JSON sidecar",
    ),
    WriterSpec(
        name="telemetry",
        factory="magscope_writers._telemetry:TelemetryWriter",
        settings=TelemetryWriterSettings,
        description="hardware telemetry: '<source>.txt', '# timestamp <columns>' then rows",
    ),
)
"""The writers this plugin contributes; each spec's ``settings`` is also a namespace."""


@hookimpl
def magscope_writers() -> list[WriterSpec]:
    """HDF5 tracking data, ImageJ TIFF video and telemetry text writers."""
    return list(WRITERS)


@hookimpl
def magscope_settings() -> list[SettingsSpec]:
    """Settings namespaces ``writer.hdf5``, ``writer.tiff`` and ``writer.telemetry``."""
    return [
        SettingsSpec(namespace=f"writer.{spec.name}", schema=spec.settings)
        for spec in WRITERS
        if spec.settings is not None
    ]
