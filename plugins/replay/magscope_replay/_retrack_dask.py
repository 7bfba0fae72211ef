"""Re-tracking on a Dask cluster (``magscope retrack --scheduler tcp://HOST:PORT``).

One task per chunk of a video (``chunk_frames`` frames): a worker opens the video
(memory-mapped; the path must be readable on the workers, a shared file system), draws
the frames as the replay camera does, crops the bead ROIs as the pipeline's workers do
(:func:`magscope_core._workers.crop_rois`) and tracks them with the session's tracker
and options; only ``x, y, z`` come back. The client writes each video's tracking file
itself, chunk after chunk in frame order, with the session's HDF5 writer and settings,
in batches of ``core.stack_size`` frames as a live run does: so the file equals the
local run's. A task that fails is submitted again (``retries`` times, each attempt a new
key) and reported; a chunk is written once, whatever a worker does twice.

Needs ``distributed`` (``pip install magscope-replay[dask]``).
"""

from __future__ import annotations

import threading
import time
import traceback
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from magscope_core import ConfigurationError, TracksBatch, plan_session
from magscope_core._workers import crop_rois, warm_up_tracker
from magscope_replay._camera import ReplayCamera
from magscope_replay._retrack import RetrackJob, rois_array, write_rois

__all__ = ["ChunkResult", "ChunkTask", "retrack_dask", "session_parts", "track_chunk"]


@attrs.frozen(eq=False)
class ChunkTask:
    """Track frames ``start`` to ``stop`` of a video (what one Dask task does)."""

    video: str
    dataset: str
    start: int
    stop: int
    rois: np.ndarray
    tracker: tuple[str, Callable[..., Any], dict[str, Any]]
    zlut: str


@attrs.frozen(eq=False)
class ChunkResult:
    """Positions in px within each ROI (``(frames, beads)``), as a pipeline worker sends."""

    start: int
    stop: int
    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    seconds: float
    worker: str


_CACHE: dict[tuple[Any, ...], Any] = {}
_CACHE_LOCK = threading.Lock()


def _cached(key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
    """One object per worker thread and key (trackers are not shared between threads)."""
    key = (threading.get_ident(), *key)
    with _CACHE_LOCK:
        if key in _CACHE:
            return _CACHE[key]
    value = make()
    with _CACHE_LOCK:
        return _CACHE.setdefault(key, value)


def track_chunk(task: ChunkTask) -> ChunkResult:
    """Track one chunk (runs on a Dask worker; importable, so it pickles by name)."""
    t0 = time.perf_counter()
    cam = _cached(("video", task.video, task.dataset),
                  lambda: ReplayCamera(path=task.video, fps=0, dataset=task.dataset))
    name, factory, options = task.tracker

    def build() -> tuple[Any, Any]:
        tracker = factory(**options)
        warm_up_tracker(tracker, cam.source.dtype.name)
        return tracker, tracker.load_zlut(Path(task.zlut))

    tracker, zlut = _cached(("tracker", name, repr(sorted(options.items())), task.zlut), build)
    crops = crop_rois(cam.render(task.start, task.stop), task.rois)
    nf, nb, s, _ = crops.shape
    res = tracker.track(crops.reshape(nf * nb, s, s), zlut)
    shape = (nf, nb)
    return ChunkResult(task.start, task.stop, np.asarray(res.x, np.float64).reshape(shape),
                       np.asarray(res.y, np.float64).reshape(shape),
                       np.asarray(res.z, np.float64).reshape(shape),
                       time.perf_counter() - t0, threading.current_thread().name)


def session_parts(plugins: Any, store: Any, job: RetrackJob, zlut: Path,
                  tracker: str | None) -> tuple[tuple[str, Callable[..., Any], dict[str, Any]],
                                                tuple[str, Callable[..., Any], dict[str, Any]],
                                                dict[str, Any]]:
    """The tracker, the HDF5 writer and the metadata a live session would use."""
    plan = plan_session(plugins, store, camera="replay", out_dir=job.out_dir,
                        writers=["hdf5"], with_managers=False, tracker=tracker, mode="track",
                        zlut=zlut, camera_options={"path": job.video, "fps": 0.0})
    pipeline = next(e for e in plan.managers if e.kind != "camera"
                    and "writers" in e.spec.options)
    opts = pipeline.spec.options
    if opts["tracker"] is None:
        raise ConfigurationError("retrack: no tracker plugin is installed")
    return opts["tracker"], opts["writers"][0], dict(opts["metadata"])


def retrack_dask(job: RetrackJob, plugins: Any, store: Any, client: Any, *, zlut: Path,
                 tracker: str | None = None, chunk_frames: int = 400, retries: int = 2,
                 dataset: str = "", progress: Callable[[int], None] | None = None,
                 task_fn: Callable[[ChunkTask], ChunkResult] = track_chunk,
                 ) -> dict[str, Any]:
    """Re-track one video on a Dask cluster; return its summary (see the module notes).

    Parameters
    ----------
    client
        A connected ``distributed.Client``.
    chunk_frames
        Frames per task.
    retries
        Times a failed task is submitted again before the video counts as failed.
    task_fn
        The task (default :func:`track_chunk`).

    Raises
    ------
    RuntimeError
        A chunk failed ``retries + 1`` times: nothing of the video is marked done (the
        frames before it are in the file; a new run redoes the video).
    """
    from distributed import as_completed

    trk, (_, wfactory, wopts), metadata = session_parts(plugins, store, job, zlut,
                                                             tracker)
    write_rois(job)
    cam = ReplayCamera(path=job.video, fps=0, dataset=dataset)
    info = cam.connect()
    src = cam.source
    n = src.n_frames
    stamps = src.timestamps if src.timestamps is not None else (
        time.time() + np.arange(n) / (src.recorded_fps() or info.fps))
    ids, rois = rois_array(job)
    stack = int(store.get("core").stack_size) if store is not None else 40
    chunk = max(stack, chunk_frames // stack * stack)  # whole stacks: batches as live
    spans = [(a, min(a + chunk, n)) for a in range(0, n, chunk)]
    token = uuid.uuid4().hex[:8]

    def submit(k: int, attempt: int) -> Any:
        a, b = spans[k]
        fut = client.submit(task_fn, ChunkTask(job.video, dataset, a, b, rois, trk, str(zlut)),
                            key=f"retrack-{token}-{k}-{attempt}", pure=False, retries=0)
        owner[fut.key] = (k, attempt)
        return fut

    owner: dict[str, tuple[int, int]] = {}
    t0 = time.monotonic()
    futures = as_completed([submit(k, 0) for k in range(len(spans))])  # type: ignore[no-untyped-call]
    done: dict[int, ChunkResult] = {}
    failures: list[dict[str, Any]] = []
    writer = wfactory(**wopts)
    writer.open(job.out_dir, info, {**metadata, "retrack": {
        "video": job.video, "engine": "dask", "zlut": str(zlut), "rois": job.roi_source}})
    next_k, seq, written, failed = 0, 0, 0, None
    try:
        for fut in futures:
            k, attempt = owner[fut.key]
            if fut.status != "finished":
                error = "".join(traceback.format_exception_only(type(fut.exception()),
                                                                fut.exception())).strip()
                failures.append({"chunk": k, "frames": list(spans[k]), "attempt": attempt + 1,
                                 "error": error})
                if attempt < retries:
                    futures.add(submit(k, attempt + 1))  # type: ignore[no-untyped-call]
                else:
                    failed = failures[-1]
                    break
                continue
            if k in done or k < next_k:
                continue  # a duplicate result: written once
            done[k] = fut.result()
            while next_k in done:
                res = done.pop(next_k)
                for a in range(res.start, res.stop, stack):
                    b = min(a + stack, res.stop)
                    i, j = a - res.start, b - res.start
                    writer.write_tracks(TracksBatch(
                        seq, np.arange(a, b), stamps[a:b], ids,
                        (res.x[i:j] + rois[:, 0]) * info.nm_per_px,
                        (res.y[i:j] + rois[:, 1]) * info.nm_per_px, res.z[i:j],
                        rois[:, 0], rois[:, 1]))
                    seq += 1
                written = res.stop
                next_k += 1
            if progress is not None:
                progress(written)
    finally:
        stats = {"frames": written, "engine": "dask", "failed_attempts": len(failures)}
        files = [str(p) for p in writer.close(stats)]
    if failed is not None:
        raise RuntimeError(f"retrack of {job.video}: chunk {failed['chunk']} (frames "
                           f"{failed['frames'][0]}-{failed['frames'][1] - 1}) failed "
                           f"{retries + 1} times: {failed['error']}")
    return {"video": job.video, "engine": "dask", "frames": written, "beads": len(ids),
            "roi_source": job.roi_source, "files": files,
            "seconds": round(time.monotonic() - t0, 3), "stacks": seq,
            "tasks": len(spans), "retried": failures}
