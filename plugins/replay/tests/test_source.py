"""Reading recorded videos back: every format, pixel-exact, timestamps as recorded."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest
import tifffile
from magscope_replay import open_video
from magscope_writers import TiffVideoWriter, seconds_to_ns

from magscope_core import CameraInfo, ConfigurationError
from magscope_core._writer import RoiBatch

T0 = 1_764_075_520.25


def _frames(n: int, h: int = 24, w: int = 32, dtype: str = "uint16") -> np.ndarray:
    rng = np.random.default_rng(n)
    return rng.integers(0, 4000, size=(n, h, w)).astype(dtype)


def _info(h: int = 24, w: int = 32, dtype: str = "uint16") -> CameraInfo:
    return CameraInfo(width=w, height=h, dtype=dtype, bits=12 if dtype == "uint16" else 8,
                      nm_per_px=80.0, fps=100.0, model="test")


def test_our_full_frame_tiff_across_files(tmp_path: Path) -> None:
    frames = _frames(25)
    stamps = T0 + 0.01 * np.arange(25) + 1e-7 * np.arange(25) ** 2
    writer = TiffVideoWriter(frames_per_file=10)
    writer.open(tmp_path, _info(), {})
    for a in range(0, 25, 5):  # stacks of 5 frames, files of 10
        writer.write_stack(frames[a:a + 5], stamps[a:a + 5], a)
    writer.close({})
    src = open_video(tmp_path / "Video *.tif")
    assert src.format == "magscope TIFF" and src.kind == "full" and src.mapped
    assert len(src.paths) == 3 and src.n_frames == 25
    assert src.nm_per_px == 80.0
    for i in range(25):
        np.testing.assert_array_equal(src.frame(i), frames[i])
    # the timestamps are the recorded floats, exactly (and so the recorded nanoseconds)
    assert src.timestamps is not None
    np.testing.assert_array_equal(src.timestamps, stamps)
    np.testing.assert_array_equal(seconds_to_ns(src.timestamps), seconds_to_ns(stamps))
    np.testing.assert_array_equal(src.chunk(8, 13), frames[8:13])


def test_our_roi_tiff_has_rois_and_camera_size(tmp_path: Path) -> None:
    crops = _frames(12, 8, 8).reshape(4, 3, 8, 8)
    ids = np.array([4, 7, 9])
    writer = TiffVideoWriter()
    writer.open(tmp_path, _info(), {})
    writer.write_rois(RoiBatch(0, np.arange(4), T0 + 0.01 * np.arange(4), ids, crops,
                               np.array([0, 10, 20]), np.array([1, 5, 16])))
    writer.close({})
    src = open_video(next(tmp_path.glob("Video ROIs *.tif")))
    assert src.kind == "rois" and src.frame_shape == (3, 8, 8)
    np.testing.assert_array_equal(src.bead_ids, ids)
    np.testing.assert_array_equal(src.roi_origins, [[0, 1], [10, 5], [20, 16]])
    assert src.frame_size == (24, 32)
    for i in range(4):
        np.testing.assert_array_equal(src.frame(i), crops[i])


def test_magscope_1_tiff_labels_and_resolution(tmp_path: Path) -> None:
    """MagScope 1.0: one ImageJ TCYX file per stack, a label per plane, px per nm."""
    stacks = []
    for k in range(2):
        data = _frames(40 * 4 + k, 10, 10, "uint8")[:160].reshape(40, 4, 10, 10)
        stamps = T0 + 40 * 0.033 * k + 0.033 * np.arange(40)
        labels = [f"{t:.6f}" for t in stamps for _ in range(4)]
        path = tmp_path / f"Video 2026-11-24 07-58-{10 + k:02d}.000.tiff"
        tifffile.imwrite(path, data[:, None] if False else data, imagej=True,
                         resolution=(1 / 85.0, 1 / 85.0),
                         metadata={"axes": "TCYX", "unit": "nm", "Labels": labels})
        stacks.append((data, stamps))
    src = open_video(tmp_path)  # the folder: both files, in time order
    assert src.format == "MagScope 1.0 TIFF" and src.kind == "rois"
    assert src.n_frames == 80 and src.roi_origins is None
    assert src.nm_per_px == pytest.approx(85.0)
    np.testing.assert_array_equal(src.frame(45), stacks[1][0][5])
    assert src.timestamps is not None
    np.testing.assert_allclose(src.timestamps[40:], stacks[1][1], rtol=0, atol=1e-6)


def test_npy_hdf5_npz(tmp_path: Path) -> None:
    frames = _frames(6, dtype="uint8")
    np.save(tmp_path / "v.npy", frames)
    src = open_video(tmp_path / "v.npy")
    assert src.mapped and src.timestamps is None
    np.testing.assert_array_equal(src.frame(5), frames[5])
    stamps = T0 + 0.002 * np.arange(6)
    with h5py.File(tmp_path / "v.h5", "w") as f:
        f["video/frames"] = frames
        f["video/timestamps"] = stamps
        f["video/frames"].attrs["nm_per_px"] = 65.0
        f.create_dataset("chunked", data=frames, chunks=(1, 24, 32), compression="gzip")
    src = open_video(tmp_path / "v.h5")
    assert src.mapped and src.nm_per_px == 65.0
    np.testing.assert_array_equal(src.timestamps, stamps)
    np.testing.assert_array_equal(src.frame(3), frames[3])
    src = open_video(tmp_path / "v.h5", dataset="chunked")
    assert not src.mapped
    np.testing.assert_array_equal(src.frame(4), frames[4])
    ns = seconds_to_ns(stamps).astype(np.int64)
    np.savez(tmp_path / "v.npz", frames=frames, timestamps_ns=ns)
    src = open_video(tmp_path / "v.npz")
    np.testing.assert_array_equal(src.timestamps, stamps)
    np.testing.assert_array_equal(src.loaded().frame(2), frames[2])


@pytest.mark.parametrize(("name", "make", "expected"), [
    ("missing.tif", None, "does not exist"),
    ("", None, "no video given"),
    ("v.avi", lambda p: p.write_bytes(b"RIFF"), "unknown format (.avi)"),
    ("f.npy", lambda p: np.save(p, np.zeros((2, 4, 4), np.float64)), "float64 pixels"),
    ("e.npy", lambda p: np.save(p, np.zeros((0, 4, 4), np.uint8)), "holds no frames"),
    ("b.tif", lambda p: p.write_bytes(b"II*\0garbage"), "cannot read"),
    ("x.h5", lambda p: h5py.File(p, "w").close(), "no 3-D or 4-D numeric dataset"),
])
def test_bad_files_are_one_line_errors(tmp_path: Path, name, make, expected: str) -> None:
    path = tmp_path / name if name else ""
    if make is not None:
        make(path)
    with pytest.raises(ConfigurationError, match="replay") as err:
        open_video(path)
    assert expected in str(err.value) and "\n" not in str(err.value)


def test_mixing_roi_and_full_frame_videos_is_refused(tmp_path: Path) -> None:
    writer = TiffVideoWriter()
    writer.open(tmp_path, _info(), {})
    writer.write_stack(_frames(2), T0 + 0.01 * np.arange(2), 0)
    writer.write_rois(RoiBatch(0, np.arange(2), T0 + 0.01 * np.arange(2), np.array([0]),
                               _frames(2, 8, 8)[:, None], np.array([0]), np.array([0])))
    writer.close({})
    with pytest.raises(ConfigurationError, match=r"ROI video .* full-frame video|full-frame "
                       r"video .* ROI video"):
        open_video(tmp_path)
    side = json.loads(next(tmp_path.glob("Video ROIs*.json")).read_text())
    assert side["bead_ids"] == [0]  # one bead: ImageJ drops C, the sidecar still says ROIs
    assert open_video(tmp_path / "Video ROIs *.tif").kind == "rois"
