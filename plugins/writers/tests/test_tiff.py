from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import tifffile
from magscope_writers import TiffVideoWriter, WriterError, seconds_to_ns


def _stamp(ts: float) -> str:
    sec, us = divmod(round(ts * 1e6), 10**6)  # to the microsecond, then cut to ms
    return time.strftime("%Y-%m-%d %H-%M-%S", time.localtime(sec)) + f".{us:06d}"[:4]


def _read(path):
    with tifffile.TiffFile(path) as tf:
        s = tf.series[0]
        return s.axes, s.asarray(), tf.imagej_metadata, tf.pages.first, len(tf.pages)


def test_roi_video_is_an_imagej_tcyx_hyperstack_split_by_frames_per_file(
    tmp_path, info, make_rois, t0
):
    w = TiffVideoWriter(frames_per_file=5)
    w.open(tmp_path, info, {"session": "abc"})
    b0 = make_rois(0, 4, [3, 1, 7], size=6, t0=t0)
    b1 = make_rois(1, 4, [3, 1, 7], size=6, t0=t0 + 0.04, first_frame=4, origin_shift=2)
    w.write_rois(b0)
    w.write_rois(b1)
    paths = w.close({"frames_dropped": 2})
    tifs = [p for p in paths if p.suffix == ".tif"]
    assert [p.suffix for p in paths] == [".tif", ".json", ".tif", ".json"]
    assert [p.name for p in tifs] == [f"Video ROIs {_stamp(t0)}.tif",
                                      f"Video ROIs {_stamp(t0 + 0.05)}.tif"]
    frames = np.concatenate([b0.crops, b1.crops])
    ts = np.concatenate([b0.timestamps, b1.timestamps])
    for tif, sl in zip(tifs, (slice(0, 5), slice(5, 8)), strict=True):
        axes, data, ij, page, n_pages = _read(tif)
        n = sl.stop - sl.start
        assert axes == "TCYX" and data.shape == (n, 3, 6, 6) and data.dtype == np.uint16
        np.testing.assert_array_equal(data, frames[sl])
        assert data[0, 2, 0, 0] == 700 + sl.start  # bead 7 is channel 2
        assert n_pages == n * 3  # every plane has its IFD once closed
        assert ij["frames"] == n and ij["channels"] == 3 and ij["unit"] == "um"
        assert ij["finterval"] == pytest.approx(0.01)
        assert "magscope_reserve" not in ij
        labels = np.array(ij["Labels"], dtype=np.float64).reshape(n, 3)
        np.testing.assert_allclose(labels, np.repeat(ts[sl, None], 3, axis=1), atol=1e-6)
        xres = page.tags["XResolution"].value
        assert xres[0] / xres[1] == pytest.approx(10.0)  # 100 nm/px -> 10 px per um
        info_json = json.loads(ij["Info"])
        assert info_json["bead_ids"] == [3, 1, 7]
        side = json.loads(tif.with_suffix(".json").read_text())
        assert side["complete"] is True and side["frames"] == n and side["axes"] == "TCYX"
        assert side["frame_numbers"] == list(range(sl.start, sl.stop))
        np.testing.assert_array_equal(side["timestamps_ns"], seconds_to_ns(ts[sl]))
        assert side["stats"] == {"frames_dropped": 2}
        assert side["metadata"] == {"session": "abc"} and side["camera"]["model"] == "test-cam"
    first = json.loads(tifs[0].with_suffix(".json").read_text())
    # origins moved at frame 4 (second batch), inside the first file
    assert first["roi_origins"] == [
        {"frame": 0, "x0": [21, 7, 49], "y0": [6, 2, 14]},
        {"frame": 4, "x0": [23, 9, 51], "y0": [8, 4, 16]},
    ]
    assert json.loads(_read(tifs[0])[2]["Info"])["roi_origins"] == first["roi_origins"]


def test_full_frames_are_an_imagej_tyx_stack(tmp_path, info, t0):
    w = TiffVideoWriter(unit="nm")
    w.open(tmp_path, info, {})
    rng = np.random.default_rng(1)
    stacks = [rng.integers(0, 4096, (3, 30, 40), dtype=np.uint16) for _ in range(2)]
    w.write_stack(stacks[0], t0 + 0.01 * np.arange(3), 100)
    w.write_stack(stacks[1], t0 + 0.01 * np.arange(3, 6), 103)
    tif, side = w.close({})
    assert tif.name == f"Video {_stamp(t0)}.tif" and side == tif.with_suffix(".json")
    axes, data, ij, page, n_pages = _read(tif)
    assert axes == "TYX" and data.shape == (6, 30, 40) and n_pages == 6
    np.testing.assert_array_equal(data, np.concatenate(stacks))
    assert ij["unit"] == "nm" and ij["frames"] == 6 and ij["images"] == 6
    assert "slices" not in ij and "channels" not in ij
    np.testing.assert_allclose([float(v) for v in ij["Labels"]], t0 + 0.01 * np.arange(6),
                               atol=1e-6)
    xres = page.tags["XResolution"].value
    assert xres[0] / xres[1] == pytest.approx(0.01)  # 100 nm/px -> 0.01 px per nm
    s = json.loads(side.read_text())
    assert s["frame_numbers"] == list(range(100, 106)) and s["bead_ids"] is None


def test_uint32_frames_are_stored_as_float32_which_imagej_reads(tmp_path, info, t0):
    w = TiffVideoWriter()
    w.open(tmp_path, info, {})
    frames = np.arange(2 * 30 * 40, dtype=np.uint32).reshape(2, 30, 40) * 4099
    w.write_stack(frames, t0 + np.arange(2.0), 0)
    tif, side = w.close({})
    axes, data, _ij, _page, _n = _read(tif)
    assert data.dtype == np.float32 and axes == "TYX"
    np.testing.assert_array_equal(data, frames.astype(np.float32))
    s = json.loads(side.read_text())
    assert (s["dtype"], s["source_dtype"]) == ("float32", "uint32")


def test_a_new_bead_set_starts_a_new_file(tmp_path, info, make_rois, t0):
    w = TiffVideoWriter()
    w.open(tmp_path, info, {})
    w.write_rois(make_rois(0, 2, [1, 2], t0=t0))
    w.write_rois(make_rois(1, 2, [1, 2, 3], t0=t0 + 1))
    w.write_rois(make_rois(2, 2, [1, 2, 3], size=8, t0=t0 + 2))
    w.write_rois(make_rois(3, 2, [4], t0=t0 + 3))
    tifs = [p for p in w.close({}) if p.suffix == ".tif"]
    shapes = [_read(p)[1].shape for p in tifs]
    assert shapes == [(2, 2, 6, 6), (2, 3, 6, 6), (2, 3, 8, 8), (2, 6, 6)]
    assert _read(tifs[3])[0] == "TYX"  # ImageJ drops a single channel
    side = json.loads(tifs[3].with_suffix(".json").read_text())
    assert side["axes"] == "TYX" and side["bead_ids"] == [4]


def test_a_write_error_keeps_the_committed_frames_and_moves_on(tmp_path, info, t0, monkeypatch):
    w = TiffVideoWriter()
    w.open(tmp_path, info, {})
    frames = np.arange(4 * 30 * 40, dtype=np.uint16).reshape(4, 30, 40)
    w.write_stack(frames, t0 + np.arange(4) * 0.01, 0)
    first = w._streams["Video"].current_path
    real = tifffile.TiffWriter.write
    calls = {"n": 0}

    def failing(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(28, "No space left on device")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(tifffile.TiffWriter, "write", failing)
    with pytest.raises(WriterError, match=r"tiff writer: appending 4 frames to .*Video .*\.tif "
                       r"failed: OSError: .*No space left.*keeps its first 4 frames"):
        w.write_stack(frames + 1, t0 + 1 + np.arange(4) * 0.01, 4)
    monkeypatch.undo()
    w.write_stack(frames + 2, t0 + 2 + np.arange(4) * 0.01, 8)
    paths = w.close({})
    tifs = [p for p in paths if p.suffix == ".tif"]
    assert tifs[0] == first and len(tifs) == 2
    np.testing.assert_array_equal(_read(tifs[0])[1], frames)  # partial frame not counted
    np.testing.assert_array_equal(_read(tifs[1])[1], frames + 2)
    side = json.loads(first.with_suffix(".json").read_text())
    assert side["complete"] is False and side["frames"] == 4 and "No space" in side["error"]


def test_no_frames_no_files_and_bad_input_is_reported(tmp_path, info, make_rois):
    w = TiffVideoWriter()
    w.open(tmp_path / "v", info, {})
    w.write_rois(make_rois(0, 2, []))
    w.write_stack(np.zeros((0, 30, 40), np.uint16), np.zeros(0), 0)
    with pytest.raises(WriterError, match=r"tiff writer: checking frames from 5 .* expected"):
        w.write_stack(np.zeros((2, 30, 40), np.uint16), np.zeros(3), 5)
    bad = make_rois(1, 2, [1])
    bad.timestamps[0] = -1.0
    with pytest.raises(WriterError, match=r"timestamp 0 is -1\.0"):
        w.write_rois(bad)
    assert w.close({}) == []
    assert not (tmp_path / "v").exists()
    with pytest.raises(ValueError, match="frames_per_file"):
        TiffVideoWriter(frames_per_file=0)


@pytest.mark.integration
def test_a_killed_process_leaves_readable_video_up_to_the_last_stack(tmp_path):
    script = textwrap.dedent(f"""
        import os
        from pathlib import Path
        import numpy as np
        from magscope_core import CameraInfo
        from magscope_writers import TiffVideoWriter
        info = CameraInfo(width=40, height=30, dtype="uint8", bits=8, nm_per_px=50.0, fps=10.0)
        w = TiffVideoWriter()
        w.open(Path({str(tmp_path)!r}), info, {{}})
        for k in range(3):
            frames = np.full((4, 30, 40), 0, np.uint8) + np.arange(4 * k, 4 * k + 4,
                             dtype=np.uint8)[:, None, None]
            w.write_stack(frames, 1.7e9 + 0.1 * np.arange(4 * k, 4 * k + 4), 4 * k)
        print(w._streams["Video"].current_path, flush=True)
        os._exit(9)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 9, out.stderr
    tif = tmp_path / os.path.basename(out.stdout.strip())
    axes, data, ij, _page, n_pages = _read(tif)
    assert n_pages == 1  # only the first IFD: ImageJ and tifffile read it as contiguous
    assert axes == "TYX" and data.shape == (12, 30, 40)
    assert ij["frames"] == 12  # the description was rewritten in place after each stack
    np.testing.assert_array_equal(data[:, 0, 0], np.arange(12))
    side = json.loads(tif.with_suffix(".json").read_text())
    assert side["complete"] is False and side["frames"] == 12
    assert side["timestamps_ns"][-1] == seconds_to_ns(np.array([1.7e9 + 1.1]))[0]
