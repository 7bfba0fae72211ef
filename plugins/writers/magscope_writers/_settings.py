"""User settings of the writers: namespaces ``writer.hdf5``, ``writer.tiff``, ``writer.telemetry``.

Each field has the name of the writer's keyword option, so a writer is built with
``factory(**attrs.asdict(settings))``. Writers are built when a session starts, so every
writer setting is start-up only ("restart required" when changed while MagScope runs).
"""

from __future__ import annotations

import attrs

from magscope_core import setting

__all__ = ["Hdf5WriterSettings", "TelemetryWriterSettings", "TiffWriterSettings"]


@attrs.frozen
class Hdf5WriterSettings:
    """Settings of the HDF5 tracking-data writer (namespace ``writer.hdf5``)."""

    rotation_minutes: float = setting(
        60.0,
        startup_only=True,
        minimum=0.0,
        maximum=7 * 24 * 60.0,
        unit="min",
        doc="Start a new 'Tracking Data' file when a batch begins this long after the current "
        "file's first frame; 0 keeps one file per recording. Every file is complete on its own.",
    )
    save_roi_positions: bool = setting(
        False,
        startup_only=True,
        doc="Also store the top-left corner of each bead's ROI for every record "
        "(dataset roi_positions_px, uint16 pixels).",
    )
    forces: bool = setting(
        True,
        startup_only=True,
        doc="Estimate the force on every tethered bead per magnet plateau from its Brownian "
        "motion (PSD and Allan-variance methods, corrected for camera blur and aliasing) and "
        "store it in /magscope/forces (docs/forces.md).",
    )
    bead_radius_nm: float = setting(
        500.0, minimum=1.0, maximum=100_000.0, unit="nm", startup_only=True,
        doc="Bead radius used by the force estimate (pendulum length l + R along the field, "
        "drag near the surface).",
    )
    field_axis: str = setting(
        "x", choices=("x", "y"), startup_only=True,
        doc="Image axis along the magnetic field (the long pendulum l + R).",
    )
    force_min_plateau_s: float = setting(
        10.0, minimum=1.0, maximum=86_400.0, unit="s", startup_only=True,
        doc="Shortest magnet plateau (after 1 s of settling) analysed for forces.",
    )


@attrs.frozen
class TiffWriterSettings:
    """Settings of the ImageJ TIFF video writer (namespace ``writer.tiff``)."""

    frames_per_file: int = setting(
        1000,
        startup_only=True,
        minimum=1,
        maximum=1_000_000,
        unit="frames",
        doc="Frames per video file before a new one is started (files are also kept "
        "under 3.5 GB of pixels so every reader can index them).",
    )
    unit: str = setting(
        "um",
        startup_only=True,
        choices=("um", "nm"),
        doc="Length unit of the ImageJ spatial calibration: resolution is stored in pixels "
        "per this unit.",
    )


@attrs.frozen
class TelemetryWriterSettings:
    """Settings of the telemetry text writer (namespace ``writer.telemetry``)."""

    fsync: bool = setting(
        False,
        startup_only=True,
        doc="Force every appended block of rows to the disk (survives a power cut; slower). "
        "Rows are always flushed to the operating system after each call.",
    )
