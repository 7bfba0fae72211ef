"""Hook implementations of the ``writers`` plugin (entry point ``magscope: writers``)."""

from __future__ import annotations

from magscope_core import SettingsSpec, WriterSpec, hookimpl
from magscope_writers._hdf5 import Hdf5TracksWriter
from magscope_writers._settings import (
    Hdf5WriterSettings,
    TelemetryWriterSettings,
    TiffWriterSettings,
)
from magscope_writers._telemetry import TelemetryWriter
from magscope_writers._tiff import TiffVideoWriter

__all__ = ["WRITERS", "magscope_settings", "magscope_writers"]

WRITERS: tuple[WriterSpec, ...] = (
    WriterSpec(
        name="hdf5",
        factory=Hdf5TracksWriter,
        settings=Hdf5WriterSettings,
        description="tracking data: 'Tracking Data <local time>.h5', /tracking schema v1 "
        "(reference-compatible) + /magscope metadata, rotating files",
    ),
    WriterSpec(
        name="tiff",
        factory=TiffVideoWriter,
        settings=TiffWriterSettings,
        description="video: ImageJ hyperstack TIFF ('Video ROIs <t>.tif' TCYX, 'Video <t>.tif' "
        "TYX) with per-frame timestamp labels and a JSON sidecar",
    ),
    WriterSpec(
        name="telemetry",
        factory=TelemetryWriter,
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
