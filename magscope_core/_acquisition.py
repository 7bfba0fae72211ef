"""Acquisition modes and the recording commands (handled by the pipeline manager)."""

from __future__ import annotations

import attrs

from magscope_core._commands import Command, CommandSpec, Route

__all__ = [
    "ACQUISITION_COMMANDS",
    "MODES",
    "GetAcquisition",
    "GetCapture",
    "GetZLut",
    "LoadZLut",
    "NewRecording",
    "SetAcquisitionMode",
    "SetOutputFolder",
    "SetSaving",
    "StartCapture",
    "UnloadZLut",
    "mode_parts",
]

MODES: dict[str, str] = {
    "track": "Track",
    "track+video-rois": "Track and Video (ROIs)",
    "track+video-full": "Track and Video (Full)",
    "video-rois": "Video (ROIs)",
    "video-full": "Video (Full)",
}
"""Mode names and the reference system's labels for them."""


def mode_parts(mode: str) -> tuple[bool, str | None]:
    """``(tracks?, video kind)`` of a mode; video kind is ``"rois"``, ``"full"`` or None.

    Raises
    ------
    ValueError
        Naming the mode and the valid ones.
    """
    if mode not in MODES:
        raise ValueError(f"unknown acquisition mode {mode!r}; modes: {', '.join(MODES)}")
    video: str | None = None
    if mode.endswith("video-rois"):
        video = "rois"
    elif mode.endswith("video-full"):
        video = "full"
    return mode.startswith("track"), video


@attrs.frozen
class SetAcquisitionMode(Command):
    """Choose what is tracked and saved (see :data:`MODES`)."""

    mode: str


@attrs.frozen
class SetSaving(Command):
    """Saving on or off (tracking goes on either way)."""

    on: bool


@attrs.frozen
class SetOutputFolder(Command):
    """Folder for new files (starts a new recording)."""

    path: str


@attrs.frozen
class NewRecording(Command):
    """Close the current files and start new ones; returns the paths closed."""


@attrs.frozen
class GetAcquisition(Command):
    """Return mode, saving, folder, Z-LUT, worker and timing figures."""


@attrs.frozen
class LoadZLut(Command):
    """Load a Z-LUT file for tracking; returns its metadata."""

    path: str


@attrs.frozen
class UnloadZLut(Command):
    """Track without a Z-LUT (z becomes NaN)."""


@attrs.frozen
class GetZLut(Command):
    """Return the loaded Z-LUT's metadata (or None)."""


@attrs.frozen
class StartCapture(Command):
    """Collect the ROI crops of one bead from the next ``n_frames`` frames; returns a token."""

    bead_id: int
    n_frames: int


@attrs.frozen
class GetCapture(Command):
    """Return the crops ``(n, s, s)`` of a finished capture (None while it runs)."""

    token: int


ACQUISITION_COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(SetAcquisitionMode, Route.BROADCAST, True, "set the acquisition mode"),
    CommandSpec(SetSaving, Route.BROADCAST, True, "saving on/off"),
    CommandSpec(SetOutputFolder, Route.BROADCAST, True, "folder for new files"),
    CommandSpec(NewRecording, Route.DIRECT, True, "close the files, start new ones"),
    CommandSpec(GetAcquisition, Route.DIRECT, True, "mode, saving, folder, Z-LUT, timing"),
    CommandSpec(LoadZLut, Route.DIRECT, True, "load a Z-LUT file"),
    CommandSpec(UnloadZLut, Route.DIRECT, True, "unload the Z-LUT"),
    CommandSpec(GetZLut, Route.DIRECT, True, "metadata of the loaded Z-LUT"),
    CommandSpec(StartCapture, Route.DIRECT, False, "collect ROI crops of one bead"),
    CommandSpec(GetCapture, Route.DIRECT, False, "crops of a finished capture"),
)
