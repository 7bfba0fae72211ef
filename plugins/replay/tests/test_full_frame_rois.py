"""A full-frame TIFF of ours records its bead ROIs; the replay reader and retrack use them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from magscope_replay import ReplayCamera, open_video
from magscope_replay._retrack import plan_job
from magscope_writers import TiffVideoWriter

from magscope_core import CameraInfo

T0 = 1_764_075_520.25
INFO = CameraInfo(width=48, height=40, dtype="uint16", bits=12, nm_per_px=80.0, fps=100.0)


def _record(folder: Path, frames_per_file: int = 1000) -> np.ndarray:
    frames = np.random.default_rng(5).integers(0, 4000, (6, 40, 48)).astype(np.uint16)
    w = TiffVideoWriter(frames_per_file=frames_per_file)
    w.open(folder, INFO, {})
    w.write_roi_positions(0, np.array([7, 3]), np.array([2, 30]), np.array([4, 20]), 16)
    w.write_stack(frames[:3], T0 + np.arange(3) / 100, 0)
    # the ROIs change from frame 3 on: the sidecar records the change
    w.write_roi_positions(3, np.array([7]), np.array([5]), np.array([6]), 16)
    w.write_stack(frames[3:], T0 + np.arange(3, 6) / 100, 3)
    w.close({})
    return frames


def test_the_reader_gets_the_rois_of_a_full_frame_video(tmp_path: Path) -> None:
    frames = _record(tmp_path)
    video = next(tmp_path.glob("Video *.tif"))
    src = open_video(str(video))
    assert src.kind == "full" and src.n_frames == 6
    np.testing.assert_array_equal(src.chunk(0, 6), frames)
    np.testing.assert_array_equal(src.bead_ids, [7, 3])
    np.testing.assert_array_equal(src.roi_origins, [[2, 4], [30, 20]])
    assert src.roi_size == 16
    assert any("the ROIs changed 1 time(s)" in note for note in src.notes)
    cam = ReplayCamera(path=str(video), fps=0)
    assert cam.layout is None  # full frames, not a ROI video
    assert cam.start_rois == [(7, 2, 4, 16), (3, 30, 20, 16)]


def test_retrack_takes_the_rois_from_the_file_and_each_file_has_them(tmp_path: Path) -> None:
    _record(tmp_path / "rec", frames_per_file=2)  # three files of 2 frames
    videos = sorted((tmp_path / "rec").glob("Video *.tif"))
    assert len(videos) == 3
    for video in videos:  # every file starts with the ROIs in force
        assert open_video(str(video)).roi_size == 16
    np.testing.assert_array_equal(open_video(str(videos[2])).bead_ids, [7])
    job = plan_job(str(videos[0]), tmp_path / "out", rois_file=None, beads=None, roi_size=64)
    assert job.roi_source == "video"
    assert list(job.rois) == [(7, 2, 4, 16), (3, 30, 20, 16)]
