"""The replay camera delivering several frames per call (``grab_many_into``, ADR 0015)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from magscope_replay import ReplayCamera, ReplayFinished

T0 = 1_764_075_520.25


def _video(tmp_path: Path, n: int = 10, rate: float = 200.0) -> tuple[Path, np.ndarray,
                                                                         np.ndarray]:
    frames = np.random.default_rng(4).integers(0, 4000, (n, 12, 14)).astype(np.uint16)
    stamps = T0 + np.arange(n) / rate
    path = tmp_path / "v.npz"
    np.savez(path, frames=frames, timestamps=stamps)
    return path, frames, stamps


def _batches(cam: ReplayCamera, n: int, k: int) -> tuple[np.ndarray, np.ndarray, list[int]]:
    info = cam.connect()
    out = np.zeros((k, *info.shape), info.dtype)
    frames, stamps, sizes = [], [], []
    while sum(sizes) < n:
        ts = cam.grab_many_into(out, 0.5)
        if ts is None:
            continue
        sizes.append(len(ts))
        frames.append(out[: len(ts)].copy())
        stamps.append(ts)
    return np.concatenate(frames), np.concatenate(stamps), sizes


def test_batches_hold_the_same_frames_and_timestamps_as_one_by_one(tmp_path: Path) -> None:
    path, frames, stamps = _video(tmp_path)
    cam = ReplayCamera(path=str(path), fps=0, loop=True)
    got, ts, sizes = _batches(cam, 14, 4)
    assert sizes == [4, 4, 2, 4]  # a batch never runs past the end of the video
    np.testing.assert_array_equal(got[:10], frames)
    np.testing.assert_array_equal(got[10:], frames[:4])
    np.testing.assert_allclose(ts[:10], stamps, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ts[10:], stamps[:4] + 10 / 200.0, rtol=0, atol=1e-6)
    once = ReplayCamera(path=str(path), fps=0)
    _batches(once, 10, 8)
    with pytest.raises(ReplayFinished):
        once.grab_many_into(np.zeros((2, 12, 14), np.uint16), 0.1)


def test_paced_batches_stamp_each_frame_with_the_time_it_was_due(tmp_path: Path) -> None:
    path, frames, _ = _video(tmp_path, n=40)
    cam = ReplayCamera(path=str(path), fps=2000.0, timestamps="now")
    got, ts, sizes = _batches(cam, 40, 16)
    np.testing.assert_array_equal(got, frames)
    assert all(1 <= s <= 16 for s in sizes)
    start = 0
    for s in sizes:  # within a batch, frames are exactly one period apart
        np.testing.assert_allclose(np.diff(ts[start:start + s]), 1 / 2000.0, rtol=0,
                                   atol=1e-6)
        start += s
    assert np.all(np.diff(ts) > 0)


def test_roi_videos_are_drawn_frame_by_frame_in_a_batch(tmp_path: Path) -> None:
    crops = np.arange(5 * 3 * 6 * 6, dtype=np.uint8).reshape(5, 3, 6, 6)
    np.save(tmp_path / "r.npy", crops)
    cam = ReplayCamera(path=str(tmp_path / "r.npy"), fps=0)
    got, _, _ = _batches(cam, 5, 3)
    np.testing.assert_array_equal(got, cam.render(0, 5))


def test_a_video_without_timestamps_at_full_speed_gets_one_time_per_frame(
        tmp_path: Path) -> None:
    """fps=0 and no timestamps in the file: the replay's clock, never two frames alike."""
    frames = np.zeros((30, 4, 4), np.uint8)
    np.save(tmp_path / "v.npy", frames)
    cam = ReplayCamera(path=str(tmp_path / "v.npy"), fps=0, loop=True)
    t0 = time.time()
    _, ts, sizes = _batches(cam, 60, 16)
    assert max(sizes) > 1  # batches of several frames
    assert np.all(np.diff(ts) > 0)
    assert t0 <= ts[0] and ts[-1] <= time.time() + 60 * 1e-6
