"""The pipeline's acquisition commands: mode, saving, output folder, new recording, figures.

Mixed into :class:`~magscope_core._pipeline.PipelineManager` (one concept per module:
the flow of stacks is there, what a user or a script asks of the acquisition and what it
reports back is here; the tracker's commands are in
:mod:`magscope_core._pipeline_commands`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from magscope_core._acquisition import (
    GetAcquisition,
    NewRecording,
    SetAcquisitionMode,
    SetOutputFolder,
    SetSaving,
    mode_parts,
)
from magscope_core._builtin import GetPipelineStats
from magscope_core._manager import handles
from magscope_core._pipeline_stats import PipelineFigures
from magscope_core._recording import Recording
from magscope_core._tracks_batcher import TracksCoalescer
from magscope_core._writer import TracksBatch

__all__ = ["AcquisitionHandlers"]


class AcquisitionHandlers:
    """Acquisition mode, saving, folders and recordings; the pipeline's figures."""

    mode: str
    saving: bool
    recording: Recording
    figures: PipelineFigures
    pool: Any
    ring: Any
    zlut_meta: dict[str, Any] | None
    stacks: int
    frames: int
    live_frames: int
    tracked: int
    frames_tracked: int
    stacks_failed: int
    failed_stacks: list[tuple[int, int, int]]
    _track_seconds: float
    _inflight: dict[int, Any]
    _tracker_spec: tuple[str, Callable[..., Any], dict[str, Any]] | None
    _rois_given: int
    _tracks_out: TracksCoalescer
    _write_tracks: Callable[[list[TracksBatch]], None]

    def _stats(self) -> dict[str, Any]:
        return {
            "stacks": self.stacks,
            "frames": self.frames,
            "live_only_frames": self.live_frames,
            "stacks_tracked": self.tracked,
            "frames_dropped": self.ring.frames_dropped if hasattr(self, "ring") else 0,
            "frames_written_to_ring": self.ring.frames_written if hasattr(self, "ring") else 0,
            "worker_restarts": self.pool.restarts if self.pool else 0,
            "worker_timeouts": self.pool.timeouts if self.pool else 0,
            "stacks_failed": self.stacks_failed,
            "failed_stacks": [list(f) for f in self.failed_stacks],
        }

    @handles(GetPipelineStats)
    def stats(self, cmd: GetPipelineStats) -> dict[str, Any]:
        """Stacks and frames processed, failed writers, tracking time per stack."""
        reply = {**self._stats(), "failed_writers": self.recording.problems(),
                "writers_stopped_for_space": dict(self.recording.stopped),
                "writer_errors": list(self.recording.errors[-20:]),
                "writer_ms_per_call": self.recording.timing_ms(),
                "track_ms_per_stack": 1e3 * self._track_seconds / max(1, self.tracked),
                "frames_tracked": self.frames_tracked,
                "stage_seconds": dict(self.figures.stages),
                "latency_ms": self.figures.latency_ms(),
                "workers": self.pool.size if self.pool else 0,
                "workers_busy": self.pool.busy if self.pool else 0,
                "stacks_in_flight": len(self._inflight),
                "tracker_options": dict(self._tracker_spec[2]) if self._tracker_spec else {},
                "worker_tracker_options": (dict(self.pool.applied_options) if self.pool
                                           else {})}
        if cmd.reset_latency:
            self.figures.reset_latency()
        return reply

    @handles(GetAcquisition)
    def acquisition(self, cmd: GetAcquisition) -> dict[str, Any]:
        """Mode, saving, folder, Z-LUT and figures."""
        return {"mode": self.mode, "saving": self.saving,
                "out_dir": str(self.recording.out_dir), "zlut": self.zlut_meta,
                **self.stats(GetPipelineStats())}

    @handles(SetAcquisitionMode)
    def set_mode(self, cmd: SetAcquisitionMode) -> None:
        """Change the mode (an unknown mode is refused, the old one kept)."""
        mode_parts(cmd.mode)
        self._write_tracks(self._tracks_out.flush())
        self.mode = cmd.mode

    @handles(SetSaving)
    def set_saving(self, cmd: SetSaving) -> None:
        """Start or stop giving data to the writers."""
        self._rois_given = -1  # new files: the ROIs again
        self._write_tracks(self._tracks_out.flush())
        self.saving = cmd.on
        self.recording.saving_changed(cmd.on)

    @handles(SetOutputFolder)
    def set_folder(self, cmd: SetOutputFolder) -> None:
        """New files go to ``cmd.path`` (a new recording starts)."""
        self._rois_given = -1  # new files: the ROIs again
        self._write_tracks(self._tracks_out.flush())
        self.recording.new_folder(Path(cmd.path))

    @handles(NewRecording)
    def new_recording(self, cmd: NewRecording) -> list[str]:
        """Close the files and start new ones; return the closed paths."""
        self._rois_given = -1  # new files: the ROIs again
        self._write_tracks(self._tracks_out.flush())
        return [str(p) for p in self.recording.restart(self._stats())]
