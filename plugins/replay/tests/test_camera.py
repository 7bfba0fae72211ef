"""The replay camera on its own: pixels, timestamps, pacing, loops, ROI videos, options."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from magscope_replay import ReplayCamera, ReplayCameraOptions, ReplayFinished
from magscope_writers import TiffVideoWriter

from magscope_core import CameraError, CameraInfo, ConfigurationError, check_options
from magscope_core._writer import RoiBatch

T0 = 1_764_075_520.25


def _npz(tmp_path: Path, n: int = 10, rate: float = 200.0) -> tuple[Path, np.ndarray,
                                                                       np.ndarray]:
    frames = np.random.default_rng(3).integers(0, 255, (n, 16, 20)).astype(np.uint8)
    stamps = T0 + np.arange(n) / rate
    path = tmp_path / "v.npz"
    np.savez(path, frames=frames, timestamps=stamps, nm_per_px=72.0)
    return path, frames, stamps


def _play(cam: ReplayCamera, n: int) -> tuple[list[np.ndarray], list[float]]:
    info = cam.connect()
    out = np.zeros(info.shape, info.dtype)
    frames, stamps = [], []
    while len(frames) < n:
        t = cam.grab_into(out, 0.5)
        if t is not None:
            frames.append(out.copy())
            stamps.append(t)
    return frames, stamps


def test_plays_once_pixel_exact_with_recorded_timestamps(tmp_path: Path) -> None:
    path, frames, stamps = _npz(tmp_path)
    cam = ReplayCamera(path=str(path), fps=0)
    got, ts = _play(cam, 10)
    assert cam.connect().nm_per_px == 72.0
    assert not cam.get_settings()["ended"]  # the last frame played, the end not yet met
    for a, b in zip(got, frames, strict=True):
        np.testing.assert_array_equal(a, b)
    assert ts == stamps.tolist()
    with pytest.raises(ReplayFinished):
        cam.grab_into(np.zeros((16, 20), np.uint8), 0.1)
    assert cam.get_settings()["ended"] and cam.get_settings()["position"] == 10


def test_loop_switched_on_after_the_end_plays_the_video_again(tmp_path: Path) -> None:
    path, frames, stamps = _npz(tmp_path, n=4, rate=100.0)
    cam = ReplayCamera(path=str(path), fps=0, at_end="pause")
    _play(cam, 4)
    out = np.zeros((16, 20), np.uint8)
    with pytest.raises(ReplayFinished):
        cam.grab_into(out, 0.1)
    cam.set_setting("loop", False)  # not a restart
    assert cam.get_settings()["ended"]
    cam.set_setting("loop", True)
    assert not cam.get_settings()["ended"]
    got, ts = _play(cam, 4)
    for a, b in zip(got, frames, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(ts, stamps + 4 / 100.0, rtol=0, atol=1e-9)  # the next pass
    assert cam.get_settings()["loops"] == 1


def test_loop_shifts_timestamps_by_the_video_length(tmp_path: Path) -> None:
    path, frames, stamps = _npz(tmp_path, n=4, rate=100.0)
    cam = ReplayCamera(path=str(path), fps=0, loop=True)
    got, ts = _play(cam, 10)
    np.testing.assert_array_equal(got[9], frames[1])
    period = 4 / 100.0
    np.testing.assert_allclose(ts[4:8], stamps + period, rtol=0, atol=1e-9)
    assert np.all(np.diff(ts) > 0)


def test_recorded_rate_and_given_rate_pace_the_frames(tmp_path: Path) -> None:
    path, _, _ = _npz(tmp_path, n=11, rate=200.0)
    for fps, expected in ((-1.0, 10 / 200.0), (100.0, 10 / 100.0)):
        cam = ReplayCamera(path=str(path), fps=fps)
        t0 = time.monotonic()
        _play(cam, 11)
        took = time.monotonic() - t0
        assert expected * 0.9 <= took < expected + 0.5, (fps, took)


def test_roi_video_is_drawn_at_its_recorded_origins(tmp_path: Path) -> None:
    crops = np.arange(3 * 2 * 8 * 8, dtype=np.uint16).reshape(3, 2, 8, 8)
    info_cam = CameraInfo(width=40, height=30, dtype="uint16", bits=12, nm_per_px=50.0,
                          fps=10.0)
    writer = TiffVideoWriter()
    writer.open(tmp_path, info_cam, {})
    writer.write_rois(RoiBatch(0, np.arange(3), T0 + np.arange(3) / 10, np.array([3, 5]),
                               crops, np.array([2, 30]), np.array([20, 4])))
    writer.close({})
    cam = ReplayCamera(path=str(next(tmp_path.glob("*.tif"))), fps=0)
    got, _ = _play(cam, 3)
    assert got[0].shape == (30, 40)
    assert cam.layout is not None and cam.layout.recorded
    np.testing.assert_array_equal(cam.layout.ids, [3, 5])
    for i in range(3):
        np.testing.assert_array_equal(got[i][20:28, 2:10], crops[i, 0])
        np.testing.assert_array_equal(got[i][4:12, 30:38], crops[i, 1])
    np.testing.assert_array_equal(cam.first_frame(), got[0])


def test_roi_video_without_origins_is_a_mosaic(tmp_path: Path) -> None:
    crops = np.arange(2 * 5 * 6 * 6, dtype=np.uint8).reshape(2, 5, 6, 6)
    np.save(tmp_path / "r.npy", crops)
    cam = ReplayCamera(path=str(tmp_path / "r.npy"), fps=0)
    got, _ = _play(cam, 2)
    assert got[0].shape == (12, 18)  # 3 columns, 2 rows of 6 px
    lay = cam.layout
    assert lay is not None and not lay.recorded
    for j in range(5):
        x, y = int(lay.x0[j]), int(lay.y0[j])
        np.testing.assert_array_equal(got[1][y:y + 6, x:x + 6], crops[1, j])


def test_options_are_typed_and_errors_are_one_line(tmp_path: Path) -> None:
    opts = check_options(ReplayCameraOptions, {"fps": "0", "loop": "true"}, "camera 'replay'")
    assert opts == {"fps": 0.0, "loop": True}
    with pytest.raises(ConfigurationError, match="fps"):
        check_options(ReplayCameraOptions, {"fps": "-3"}, "camera 'replay'")
    with pytest.raises(ConfigurationError, match="did you mean 'loop'"):
        check_options(ReplayCameraOptions, {"lop": "1"}, "camera 'replay'")
    np.save(tmp_path / "v.npy", np.zeros((3, 8, 8), np.uint8))
    with pytest.raises(ConfigurationError, match=r"recorded rate is unknown.*-O fps=N"):
        ReplayCamera(path=str(tmp_path / "v.npy"))
    cam = ReplayCamera(path=str(tmp_path / "v.npy"), fps=5)
    cam.set_setting("fps", "0")
    assert cam.get_settings()["fps"] == 0.0
    with pytest.raises(CameraError, match="cannot change while playing"):
        cam.set_setting("path", "x")
