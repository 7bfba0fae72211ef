"""The pipeline manager: the video ring's dispatcher.

It claims full stacks in order, hands them to the tracker workers (whichever is idle),
feeds the writers according to the acquisition mode, puts tracked positions into the
shared tracks matrix and releases the stacks. It sleeps until the camera manager pokes
it that a stack is ready, or a worker answers. Nothing here blocks the camera: when
the ring is full the camera drops frames and counts them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from magscope_core._acquisition import (
    LoadZLut,
    mode_parts,
)
from magscope_core._builtin import FilesWritten, PipelineFinished
from magscope_core._config_errors import ConfigurationError
from magscope_core._manager import ManagerProcess
from magscope_core._pipeline_acquisition import AcquisitionHandlers
from magscope_core._pipeline_commands import TrackerCommandHandlers
from magscope_core._pipeline_stats import PipelineFigures
from magscope_core._protocol_record import ProtocolRecordHandlers
from magscope_core._recording import Recording
from magscope_core._startup import progress_while
from magscope_core._tracks_batcher import TracksCoalescer
from magscope_core._workers import Task, TaskResult, WorkerPool, crop_rois, warm_up_tracker
from magscope_core._writer import RoiBatch, TracksBatch
from magscope_core._zlut_sweep import SweepHandlers

__all__ = ["PipelineManager"]


class PipelineManager(AcquisitionHandlers, TrackerCommandHandlers, SweepHandlers,
                      ProtocolRecordHandlers, ManagerProcess):
    """Dispatch ring stacks to tracker workers and writers.

    Parameters
    ----------
    writers
        ``(name, factory, options)`` for each writer.
    out_dir
        Folder for the files.
    metadata
        Metadata handed to every writer.
    tracker
        ``(name, factory, options)`` of the tracker, or None to record without tracking.
    n_workers
        Tracker worker processes.
    mode
        Acquisition mode at start (see :data:`~magscope_core.MODES`).
    saving
        Whether writers get data from the start.
    zlut_path
        A Z-LUT file to load at start.
    task_timeout_s
        Seconds after which a worker's stack counts as hung (0: automatic; see
        :meth:`WorkerPool.task_timeout`).
    writer_batch_s
        Seconds tracks batches may wait to be written together (0: each at once; see
        :class:`~magscope_core._tracks_batcher.TracksCoalescer`, ADR 0015).
    """

    tick_interval = 0.25  # telemetry, sweep steps, and a catch-up if a poke was lost

    def __init__(
        self,
        writers: list[tuple[str, Callable[..., Any], dict[str, Any]]] | None = None,
        out_dir: str | None = None,
        metadata: dict[str, Any] | None = None,
        tracker: tuple[str, Callable[..., Any], dict[str, Any]] | None = None,
        n_workers: int = 2,
        mode: str = "track",
        saving: bool = True,
        zlut_path: str | None = None,
        task_timeout_s: float = 0.0,
        writer_batch_s: float = 0.1,
    ) -> None:
        super().__init__()
        mode_parts(mode)
        self.recording = Recording(list(writers or []), Path(out_dir) if out_dir else None,
                                   dict(metadata or {}))
        self._tracker_spec = tracker
        self._n_workers = max(1, n_workers)
        self.mode = mode
        self.saving = saving
        self._zlut_path = zlut_path
        self._task_timeout_s = task_timeout_s
        self.zlut: Any = None
        self.zlut_meta: dict[str, Any] | None = None
        self.pool: WorkerPool | None = None
        self._seq = 0
        self._inflight: dict[int, tuple[int, Any, np.ndarray, np.ndarray, np.ndarray,
                                        np.ndarray | None]] = {}
        self._done: dict[int, tuple[TaskResult, tuple[Any, ...]]] = {}
        self._roi_version = -1
        self._rois_given = -1  # ROI table version last given to the writers
        self._rois = (np.zeros(0, np.int64), np.zeros((0, 3), np.int64))
        self._captures: dict[int, dict[str, Any]] = {}
        self._next_token = 1
        self._telemetry_cursors: dict[str, int] = {}
        self.stacks = 0
        self.frames = 0
        self.live_frames = 0  # taken with acquisition off: shown, not tracked nor saved
        self.tracked = 0
        self.stacks_failed = 0
        self.failed_stacks: list[tuple[int, int, int]] = []  # (seq, first, last frame)
        self._errors_seen: dict[str, int] = {}
        self._track_seconds = 0.0
        self.frames_tracked = 0
        self.figures = PipelineFigures()
        self._tracks_out = TracksCoalescer(writer_batch_s)

    # ------------------------------------------------------------------ lifecycle
    def setup(self) -> None:
        """Attach buffers, release stacks a crashed predecessor left claimed, start workers."""
        res = self.resources
        self.ring = res.ring()
        self.counters = res.counters()
        self.tracks = res.tracks()
        self.rois_table = res.rois()
        self.info = res.camera_info
        self._notify = res.stack_notify_recv
        for index in self.ring.claimed():
            self.log.warning("releasing stack %d left claimed by a previous pipeline", index)
            self.ring.release(index)
        self._telemetry_cursors = {n: res.telemetry(n).total_written
                                   for n in res.telemetry_handles}
        if self._tracker_spec is not None:
            self._start_tracker(*self._tracker_spec)
            if self._zlut_path:
                try:
                    self.load_zlut(LoadZLut(path=self._zlut_path))
                except Exception as exc:  # the file given at start: the user's to fix
                    raise ConfigurationError(
                        f"Z-LUT file {self._zlut_path} cannot be loaded: {exc}") from exc
        self._start_recording()

    def _start_recording(self) -> None:
        """Open the writers; after a restart, tell them where the predecessor stopped."""
        last = int(self.counters.get("recorded_last_frame"))
        if last >= 0:
            self.recording.gap_before = {
                "last_frame_before": last,
                "cause": "the pipeline restarted (its previous process ended unexpectedly)",
            }
            self.log.warning("pipeline restarted: the previous process saved tracks up to "
                             "frame %d; new files record the gap", last)
        self.recording.start(self.info, self.saving, self._report_files)

    def _start_tracker(self, name: str, factory: Callable[..., Any],
                       options: dict[str, Any]) -> None:
        """Build the tracker here and warm it up, then start the workers.

        Warming up here first compiles the tracker's kernels once, in one process, into
        its on-disk cache; the workers then load that cache instead of all compiling at
        once. Both steps report progress, so a long first run is shown, not killed.
        """
        dtype = str(self.info.dtype) if self.info is not None else None
        with progress_while(self.report_progress, self.log,
                            f"preparing the tracker {name!r} (first run only)"):
            self.tracker = factory(**options)
            try:
                warm_up_tracker(self.tracker, dtype)
            except Exception:  # not fatal: the kernels are then prepared on first use
                self.log.warning("tracker %r: warm-up failed", name, exc_info=True)
        with progress_while(self.report_progress, self.log,
                            f"starting {self._n_workers} tracker workers"):
            self.pool = WorkerPool(self._n_workers, self.resources.ring_handle, factory,
                                   options, task_timeout_s=self._task_timeout_s, dtype=dtype)

    def wait_objects(self) -> list[Any]:
        """The camera's pokes and the workers' pipes."""
        return [self._notify, *(self.pool.wait_objects() if self.pool else [])]

    def on_ready(self, obj: Any) -> None:
        """A poke (stacks ready) or a worker result."""
        if obj is self._notify:
            try:
                while obj.poll():
                    obj.recv_bytes()
            except (EOFError, OSError):
                pass
        else:
            self._collect(obj)
        self._process_ready()

    def _collect(self, obj: Any) -> None:
        """Take the results a ready worker pipe (or a dead worker's sentinel) brings."""
        if self.pool is not None:
            with self.figures.stage("collect"):
                items = self.pool.collect(obj)
            for item in items:
                if isinstance(item, TaskResult):
                    self._track_done(item)

    def tick(self) -> None:
        """Telemetry to the writers, sweep steps, any stack a lost poke left, hung stacks."""
        if self.pool is not None:
            for result in self.pool.check_timeouts():
                self._track_done(result)
        self._process_ready()
        self._write_tracks(self._tracks_out.due())
        self._write_telemetry()
        self.sweep_tick()

    def teardown(self) -> None:
        """Finish what is in flight, close the workers and the writers, report."""
        if hasattr(self, "ring"):
            deadline = time.monotonic() + 2.0
            self._process_ready(force=True)
            while self._inflight and self.pool is not None and time.monotonic() < deadline:
                for obj in wait(self.pool.wait_objects(), 0.2):
                    self._collect(obj)
            for seq in list(self._inflight):
                self.ring.release(self._inflight.pop(seq)[0])
            for seq in sorted(self._done):
                self._emit(*self._done.pop(seq))
            self._write_tracks(self._tracks_out.flush())
            self._write_telemetry()
        if self.pool is not None:
            self.pool.close(timeout=2.0)
        self.recording.stop(self._stats())
        try:
            self.send(PipelineFinished(
                self.stacks, self.frames, self.recording.problems(), self.tracked,
                stacks_failed=self.stacks_failed,
                worker_restarts=self.pool.restarts if self.pool else 0,
                worker_timeouts=self.pool.timeouts if self.pool else 0))
        except Exception as exc:
            self.log.warning("could not report the final counts: %s", exc)

    def _report_files(self, writer: str, paths: list[Path]) -> None:
        self.send(FilesWritten(writer=writer, paths=tuple(str(p) for p in paths)))

    # ------------------------------------------------------------------ the flow
    def _current_rois(self) -> tuple[np.ndarray, np.ndarray]:
        if self.rois_table.version != self._roi_version:
            snap = self.rois_table.snapshot()
            self._roi_version = snap.version
            self._rois = (snap.ids.copy(), snap.rois.copy())
        return self._rois

    def _process_ready(self, force: bool = False) -> None:
        while force or not self.quitting:
            t0 = time.thread_time()
            view = self.ring.claim_next()
            if view is None:
                return
            writing = self.figures.stages.get("writers", 0.0)
            self._take_stack(view)
            spent = time.thread_time() - t0  # video writers are counted as writers
            self.figures.add("dispatch", spent - self.figures.stages.get("writers", 0.0)
                             + writing)

    def _take_stack(self, view: Any) -> None:
        """Hand one claimed stack to the writers (video) and a worker (tracking)."""
        self.counters.set("reserved_stacks", len(self.ring.claimed()))
        track, video = mode_parts(self.mode)
        ids, rois = self._current_rois()
        # frames taken with acquisition off are for the live view only
        keep = (np.ones(len(view), bool) if view.live_only is None
                else np.asarray(view.live_only) == 0)
        n_keep = int(keep.sum())
        self.live_frames += len(view) - n_keep
        crops = None
        if ids.size and ((video == "rois" and n_keep) or self._captures):
            try:
                crops = crop_rois(view.frames, rois)
            except ValueError as exc:
                self.log.error("cannot crop bead ROIs: %s", exc)
        self._feed_captures(ids, crops)  # a Z-LUT sweep works with acquisition off
        if n_keep == 0:
            self.ring.release(view.index)
            self.counters.add("completed_stacks", 1)
            return
        seq = self._seq
        self._seq += 1
        self.stacks += 1
        self.frames += n_keep
        whole = n_keep == len(view)
        if self.saving:
            numbers = view.frame_numbers if whole else view.frame_numbers[keep]
            stamps = view.timestamps if whole else view.timestamps[keep]
            if video == "full":
                frames = view.frames if whole else view.frames[keep]
                if self._rois_given != self._roi_version:  # ROIs recorded with the video
                    self._rois_given = self._roi_version
                    size = int(rois[0, 2]) if len(rois) else 0
                    self._write("write_roi_positions", int(numbers[0]), ids, rois[:, 0],
                                rois[:, 1], size)
                self._write("write_stack", frames, stamps, int(numbers[0]))
            elif video == "rois" and crops is not None:
                self._write("write_rois", RoiBatch(
                    seq, numbers.copy(), stamps.copy(), ids,
                    crops if whole else crops[keep], rois[:, 0], rois[:, 1]))
        if track and ids.size and self.pool is not None:
            self._inflight[seq] = (view.index, ids, rois, view.frame_numbers.copy(),
                                   view.timestamps.copy(), None if whole else keep)
            self.pool.submit(Task(seq, view.index, rois, self._profile_column(ids)))
            self.counters.set("video_busy_count", self.pool.busy)
        else:
            self.ring.release(view.index)
            self.counters.add("completed_stacks", 1)

    def _profile_column(self, ids: np.ndarray) -> int:
        """Column of the bead whose live profile is wanted (-1: none or not present)."""
        if not self.counters.get("live_profile_enabled"):
            return -1
        where = np.flatnonzero(ids == int(self.counters.get("live_profile_bead")))
        return int(where[0]) if where.size else -1

    def _track_done(self, result: TaskResult) -> None:
        """A worker finished: release the stack, then emit results in stack order."""
        entry = self._inflight.pop(result.seq, None)
        if entry is None:
            return
        self.ring.release(entry[0])
        self.counters.add("completed_stacks", 1)
        assert self.pool is not None
        self.counters.set("video_busy_count", self.pool.busy)
        self._done[result.seq] = (result, entry)
        while self._done and min(self._done) <= min(self._inflight, default=self._seq):
            seq = min(self._done)
            self._emit(*self._done.pop(seq))

    def _emit(self, result: TaskResult, entry: tuple[Any, ...]) -> None:
        _, ids, rois, numbers, stamps, keep = entry
        if result.error is not None:
            self._stack_failed(result, numbers)
            return
        assert result.x is not None and result.y is not None and result.z is not None
        if keep is not None:  # acquisition changed within the stack: acquired frames only
            numbers, stamps = numbers[keep], stamps[keep]
            result = attrs.evolve(result, x=result.x[keep], y=result.y[keep],
                                  z=result.z[keep])
        assert result.x is not None and result.y is not None and result.z is not None
        t0 = time.thread_time()
        self._track_seconds += result.seconds
        self.tracked += 1
        self.frames_tracked += int(numbers.size)
        assert self.info is not None
        nm = self.info.nm_per_px
        x_nm = (result.x + rois[:, 0]) * nm
        y_nm = (result.y + rois[:, 1]) * nm
        batch = TracksBatch(result.seq, numbers, stamps, ids, x_nm, y_nm, result.z,
                            rois[:, 0], rois[:, 1])
        nf, nb = x_nm.shape
        rows = np.column_stack([
            np.repeat(stamps, nb), x_nm.ravel(), y_nm.ravel(), result.z.ravel(),
            np.tile(ids, nf), np.tile(rois[:, 0], nf), np.tile(rois[:, 1], nf),
        ])
        self.tracks.append(rows)
        self.figures.latency(stamps, time.time())
        self.counters.add("tracks_rows", rows.shape[0])
        if result.profile is not None:
            bead = int(self.counters.get("live_profile_bead"))
            self.resources.profile().write(float(stamps[-1]), bead, result.profile)
        self.figures.add("emit", time.thread_time() - t0)
        if self.saving and mode_parts(self.mode)[0]:
            self._write_tracks(self._tracks_out.add(batch))

    def _write(self, method: str, *args: Any) -> None:
        with self.figures.stage("writers"):
            self.recording.write(method, *args)

    def _write_tracks(self, batches: list[TracksBatch]) -> None:
        """Hand tracks batches to the writers in one call (see ADR 0015)."""
        if not batches:
            return
        self._write("write_tracks_many", batches)
        last = batches[-1].frame_numbers
        if last.size:
            self.counters.set("recorded_last_frame", int(last[-1]))

    def _stack_failed(self, result: TaskResult, numbers: np.ndarray) -> None:
        """Count a stack that could not be tracked, note its frames, and say so.

        A new error is logged with its traceback; the same error again in one line (the
        first 10 times, then every 100th), so a tracker failing on every stack cannot
        flood the log.
        """
        assert result.error is not None
        self.stacks_failed += 1
        first, last = int(numbers[0]), int(numbers[-1])
        if len(self.failed_stacks) < 10_000:
            self.failed_stacks.append((result.seq, first, last))
        lines = result.error.strip().splitlines()
        key = lines[-1] if lines else "unknown error"
        seen = self._errors_seen.get(key, 0) + 1
        self._errors_seen[key] = seen
        where = f"tracking stack {result.seq} (frames {first}-{last}) failed"
        if seen == 1:
            self.log.error("%s:\n%s", where, result.error)
        elif seen <= 10 or seen % 100 == 0:
            self.log.error("%s: %s (%d times so far)", where, key, seen)

    def _write_telemetry(self) -> None:
        for name, cursor in self._telemetry_cursors.items():
            ring = self.resources.telemetry(name)
            read = ring.read_since(cursor)
            self._telemetry_cursors[name] = read.cursor
            if self.saving and read.rows.shape[0]:
                self._write("write_telemetry", name, ring.columns, read.rows)
