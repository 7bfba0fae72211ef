"""Commands defined by the core itself."""

from __future__ import annotations

from typing import Any

import attrs

from magscope_core._camera import CameraInfo
from magscope_core._commands import Command, CommandSpec, Route

__all__ = [
    "BUILTIN_COMMANDS",
    "CameraConnected",
    "FilesWritten",
    "FindBeads",
    "GetCameraSettings",
    "GetPipelineStats",
    "GetStatus",
    "Ping",
    "PipelineFinished",
    "Quit",
    "SetAcquisition",
    "SetCameraSetting",
    "Shutdown",
]


@attrs.frozen
class Quit(Command):
    """Every manager ends (sent by the hub when the session stops)."""


@attrs.frozen
class Shutdown(Command):
    """Ask the hub to end the session."""

    reason: str = ""


@attrs.frozen
class GetStatus(Command):
    """Return the hub's view of the session (managers, counters, buffers)."""


@attrs.frozen
class Ping(Command):
    """Return ``payload`` unchanged (round-trip latency checks)."""

    payload: Any = None


@attrs.frozen
class CameraConnected(Command):
    """The camera manager connected; the hub creates the video ring and returns its handle."""

    info: CameraInfo


@attrs.frozen
class SetCameraSetting(Command):
    """Change one camera setting."""

    name: str
    value: int | float | str | bool


@attrs.frozen
class GetCameraSettings(Command):
    """Return the camera's settings as a dict."""


@attrs.frozen
class FilesWritten(Command):
    """A writer's files, for the run summary.

    Sent when a file first holds data, so the hub knows it even if the pipeline dies,
    and again when it closes (the hub keeps each path once).
    """

    writer: str
    paths: tuple[str, ...]


@attrs.frozen
class PipelineFinished(Command):
    """The pipeline's final counts, sent to the hub when it ends (for the run summary)."""

    stacks: int
    frames: int
    failed_writers: dict[str, str]
    stacks_tracked: int = 0
    stacks_failed: int = 0
    worker_restarts: int = 0
    worker_timeouts: int = 0


@attrs.frozen
class GetPipelineStats(Command):
    """Return the pipeline's counts (stacks and frames processed, writer errors).

    With ``reset_latency`` the frame latencies kept so far are forgotten after the reply
    is made (``latency_ms`` then covers the frames from this call on).
    """

    reset_latency: bool = False


@attrs.frozen
class FindBeads(Command):
    """Return up to ``n`` bead centres ``[(x, y), ...]`` for ROIs of ``size`` px."""

    n: int
    size: int = 64


@attrs.frozen
class SetAcquisition(Command):
    """Start or stop putting frames into the ring (the camera keeps running)."""

    on: bool


BUILTIN_COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(Quit, Route.BROADCAST, False, "every manager ends"),
    CommandSpec(Shutdown, Route.HUB, True, "end the session"),
    CommandSpec(GetStatus, Route.HUB, True, "managers, counters and buffers of the session"),
    CommandSpec(Ping, Route.HUB, True, "echo a payload (latency check)"),
    CommandSpec(CameraConnected, Route.HUB, False, "camera metadata; returns the ring handle"),
    CommandSpec(SetCameraSetting, Route.DIRECT, True, "change one camera setting"),
    CommandSpec(GetCameraSettings, Route.DIRECT, True, "read the camera settings"),
    CommandSpec(FilesWritten, Route.HUB, False, "a writer reports its files"),
    CommandSpec(PipelineFinished, Route.HUB, False, "final pipeline counts"),
    CommandSpec(GetPipelineStats, Route.DIRECT, True, "stacks/frames processed, writer errors"),
    CommandSpec(FindBeads, Route.DIRECT, True, "bead centres found by the camera"),
    CommandSpec(SetAcquisition, Route.BROADCAST, True, "acquisition on/off"),
)
