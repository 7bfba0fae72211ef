"""Re-tracking recorded videos: the jobs, their bead ROIs, and what marks a job done.

Each video given to ``magscope retrack`` is one job with its own output folder
``<out>/<video name>/``: the tracking file(s) (``Tracking Data <time>.h5``, the live
schema), ``rois.json`` (the ROIs tracked) and, once every frame is written,
``retrack.json`` (what was done, by which engine). A job whose ``retrack.json`` says
``complete`` is skipped on a second run (``--force`` redoes it), so an interrupted
archive run resumes and nothing is written twice.

Bead ROIs, first that applies: the ROIs a ROI video records (ids, origins, size); those
of a tracking file given with ``--rois`` (its first frame's ROI corners, when the file
saved them); the beads found in the video's first frame (``--beads N``, default all).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from magscope_core import ConfigurationError, find_beads
from magscope_replay._camera import ReplayCamera

__all__ = ["DONE_FILE", "ROIS_FILE", "RetrackJob", "is_done", "mark_done", "plan_job"]

DONE_FILE = "retrack.json"
ROIS_FILE = "rois.json"


@attrs.frozen
class RetrackJob:
    """One video to re-track.

    Attributes
    ----------
    video
        The video as given (a file, folder or glob pattern of one recording).
    out_dir
        Its output folder.
    rois
        ``(bead_id, x0, y0, size)`` per bead, in the replayed camera frame.
    n_frames
        Frames in the video.
    roi_source
        Where the ROIs come from (``"video"``, ``"tracking file"``, ``"found"``).
    """

    video: str
    out_dir: Path
    rois: tuple[tuple[int, int, int, int], ...]
    n_frames: int
    roi_source: str

    @property
    def rois_file(self) -> Path:
        """``rois.json`` in the output folder (the replay camera's ``rois`` option)."""
        return self.out_dir / ROIS_FILE


def job_name(video: str) -> str:
    """A folder name for a video: its file name without suffix, safe characters only."""
    p = Path(video)
    base = p.name if p.is_dir() else p.stem
    return re.sub(r"[^\w.\- ]+", "_", base).strip(" .") or "video"


def _rois_from_tracking(path: Path, size: int) -> list[tuple[int, int, int, int]]:
    from magscope_writers import TrackingFileError, read_tracking

    try:
        data = read_tracking(path)
    except (OSError, TrackingFileError) as exc:
        raise ConfigurationError(f"retrack: --rois {path}: cannot read it as a tracking "
                                 f"file: {exc}") from None
    if data.roi_positions_px is None:
        raise ConfigurationError(
            f"retrack: --rois {path} has no ROI positions (it was recorded with "
            "writer.hdf5.save_roi_positions off); use --beads N to find the beads instead")
    first = data.frame_index == int(data.frame_index.min())
    ids = data.bead_ids[first].astype(int).tolist()
    corners = data.roi_positions_px[first].astype(int).tolist()
    return [(i, x, y, size) for i, (x, y) in zip(ids, corners, strict=True)]


def plan_job(video: str, out: Path, *, rois_file: Path | None, beads: int | None,
             roi_size: int, dataset: str = "") -> RetrackJob:
    """Open ``video``, choose its bead ROIs and its output folder.

    Raises
    ------
    ConfigurationError
        The video cannot be played, or no bead ROI could be had.
    """
    cam = ReplayCamera(path=video, fps=0, dataset=dataset)
    lay = cam.layout
    # a ROI video's own ROIs, or those recorded with full frames (unless --rois is given)
    if lay is not None or (cam.start_rois and rois_file is None):
        rois = cam.start_rois
        source = "video"
        if beads is not None:
            rois = rois[:beads]
    elif rois_file is not None:
        rois = _rois_from_tracking(rois_file, roi_size)
        source = "tracking file"
    else:
        frame = cam.first_frame()
        centres = find_beads(frame, beads if beads is not None else 1000, roi_size)
        half = roi_size / 2
        rois = [(k, round(x - half), round(y - half), roi_size)
                for k, (x, y) in enumerate(centres)]
        source = "found"
    h, w = cam.connect().shape
    for bead_id, x0, y0, size in rois:
        if x0 < 0 or y0 < 0 or x0 + size > w or y0 + size > h:
            raise ConfigurationError(f"retrack: bead {bead_id}'s ROI ({x0}, {y0}, {size} px) "
                                     f"does not fit the {w} x {h} frame of {video}")
    if not rois:
        raise ConfigurationError(f"retrack: no bead ROI for {video}: the video records none "
                                 "and none was found in its first frame (try --beads N or "
                                 "--rois TRACKING.h5)")
    return RetrackJob(video, out / job_name(video), tuple(rois), cam.source.n_frames, source)


def write_rois(job: RetrackJob) -> Path:
    """Write the job's ``rois.json`` (creating its folder); return its path."""
    job.out_dir.mkdir(parents=True, exist_ok=True)
    _replace(job.rois_file, json.dumps([list(r) for r in job.rois]))
    return job.rois_file


def is_done(job: RetrackJob) -> dict[str, Any] | None:
    """The job's ``retrack.json`` if it says the job is complete, else None."""
    try:
        data = json.loads((job.out_dir / DONE_FILE).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("complete") else None


def mark_done(job: RetrackJob, summary: dict[str, Any]) -> None:
    """Write ``retrack.json`` (atomically): the job is complete."""
    _replace(job.out_dir / DONE_FILE, json.dumps({**summary, "complete": True}, indent=1))


def _replace(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def rois_array(job: RetrackJob) -> tuple[np.ndarray, np.ndarray]:
    """``(ids, rois)``: bead ids and ``(n, 3)`` rows ``(x0, y0, size)`` as the pipeline has."""
    ids = np.array([r[0] for r in job.rois], np.int64)
    rois = np.array([r[1:] for r in job.rois], np.int64).reshape(-1, 3)
    return ids, rois
