"""Re-tracking on this machine: one live session per video, with the replay camera.

The session is the one ``magscope run`` starts (camera manager, pipeline, tracker worker
pool, HDF5 writer), with the replay camera playing the video as fast as the pipeline
takes it (``fps=0``, ``wait_when_full``: no frame dropped) once, its bead ROIs added
before the first frame, and ending by itself when every frame is written. So the
tracks are those a live run makes of the same frames, by construction.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from magscope_core import ConfigurationError, Hub, plan_session
from magscope_replay._retrack import RetrackJob, write_rois

__all__ = ["retrack_local"]

Progress = Callable[[int], None]


def _frames(hub: Hub) -> int:
    ring = hub.status().get("ring", {})
    return int(ring.get("frames_written", 0)) - int(ring.get("frames_live_only", 0))


def retrack_local(job: RetrackJob, plugins: Any, store: Any, *, zlut: Path,
                  tracker: str | None = None, workers: int | None = None,
                  dataset: str = "", progress: Progress | None = None) -> dict[str, Any]:
    """Re-track one video in a session of its own; return its summary.

    Parameters
    ----------
    job
        The video, its ROIs and output folder (see :func:`~magscope_replay.plan_job`).
    plugins, store
        The loaded plugin set and settings (``magscope_core.cli`` ``load_everything``).
    zlut
        The Z-LUT to track Z with.
    tracker, workers
        Tracker plugin (default: the session's default) and worker processes.
    progress
        Called with the frames done so far, about every 0.2 s.

    Raises
    ------
    ConfigurationError
        The session refused the configuration (the message names what).
    RuntimeError
        The session ended before every frame was tracked and written.
    """
    rois_json = write_rois(job)
    plan = plan_session(
        plugins, store, camera="replay", out_dir=job.out_dir, writers=["hdf5"],
        with_managers=False, tracker=tracker, mode="track", saving=True, zlut=zlut,
        n_workers=workers,
        camera_options={"path": job.video, "fps": 0.0, "wait_when_full": True,
                        "at_end": "stop", "loop": False, "rois": str(rois_json),
                        "dataset": dataset})
    config = attrs.evolve(plan.config, start_timeout_s=max(plan.config.start_timeout_s, 120.0))
    hub = Hub(plan.managers, plan.commands, config)
    t0 = time.monotonic()
    try:
        hub.start()
        if hub.config_errors:
            report = hub.config_errors[0]
            raise ConfigurationError(f"{report.error.message} (retracking {job.video})")
        while not hub.wait(0.2):
            if progress is not None:
                progress(_frames(hub))
        status = hub.status()
    finally:
        hub.stop()
    seconds = time.monotonic() - t0
    final = hub.pipeline_final or {}
    frames = int(status.get("ring", {}).get("frames_written", 0)) - int(
        status.get("ring", {}).get("frames_live_only", 0))
    if progress is not None:
        progress(frames)
    files = sorted(set(hub.files.get("hdf5", [])))
    problems = []
    if frames != job.n_frames:
        problems.append(f"{frames} of {job.n_frames} frames went through the pipeline")
    if int(final.get("frames", -1)) != job.n_frames:
        problems.append(f"the pipeline processed {final.get('frames')} frames")
    if final.get("stacks_failed"):
        problems.append(f"{final['stacks_failed']} stacks failed to track")
    if final.get("failed_writers"):
        problems.append(f"writers failed: {final['failed_writers']}")
    if not files:
        problems.append("no tracking file was written")
    if problems:
        raise RuntimeError(f"retrack of {job.video} incomplete ({hub.stop_reason}): "
                           + "; ".join(problems) + f"; see {job.out_dir / 'magscope.log'}")
    return {"video": job.video, "engine": "local", "frames": frames,
            "beads": len(job.rois), "roi_source": job.roi_source, "files": files,
            "seconds": round(seconds, 3), "stacks": int(final.get("stacks", 0))}
