"""The writers on a real full disk (a small tmpfs): nothing corrupt, empty or temporary."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import tifffile
from magscope_writers import (
    Hdf5TracksWriter,
    TelemetryWriter,
    TiffVideoWriter,
    WriterError,
    read_tracking,
)
from magscope_writers._tracking_file import RECORD_CHUNK

from magscope_core._disk_space import is_no_space


def test_hdf5_writes_until_the_disk_is_nearly_full_and_the_file_stays_valid(
    small_disk, info, make_tracks, t0
):
    disk = small_disk("1m")
    w = Hdf5TracksWriter()
    w.open(disk, info, {"note": "x" * 100})
    beads = list(range(40))
    written = 0
    with pytest.raises(WriterError) as err:
        for seq in range(10_000):
            w.write_tracks(make_tracks(seq, 10, beads, t0=t0 + seq * 0.1, first_frame=10 * seq))
            written += 1
    assert err.value.no_space and is_no_space(err.value)
    assert "disk is nearly full" in str(err.value) and "file is intact" in str(err.value)
    # 1 MB holds one chunk of records, not two: the refused batch is the one that would
    # have allocated the second chunk, not an earlier one
    assert written * 10 * len(beads) <= RECORD_CHUNK < (written + 1) * 10 * len(beads)
    free = shutil.disk_usage(disk).free
    assert free > 0
    paths = w.close({"run": 1})
    data = read_tracking(paths[0])
    assert data.frame_timestamps_ns.size == 10 * written
    np.testing.assert_array_equal(np.unique(data.frame_batch_sequence), np.arange(written))
    assert data.magscope["closed"] == "close"


def test_a_full_disk_leaves_no_empty_tracking_file_and_writing_resumes(
    small_disk, fill_disk, info, make_tracks, t0
):
    disk = small_disk("2m")
    w = Hdf5TracksWriter()
    w.open(disk / "run", info, {})
    ballast = fill_disk(disk, 100_000)
    with pytest.raises(WriterError, match=r"disk is nearly full.*not written$") as err:
        w.write_tracks(make_tracks(0, 2, [1, 2]))
    assert err.value.no_space
    assert not (disk / "run").exists() and w.files() == []
    ballast.unlink()
    w.write_tracks(make_tracks(0, 2, [1, 2]))
    path = w.current_path
    assert w.files() == [path]
    size_before = path.stat().st_size
    ballast = fill_disk(disk, 30_000)
    with pytest.raises(WriterError, match=r"disk is nearly full.*file is intact"):
        w.write_tracks(make_tracks(1, 2, [1, 2], t0=t0 + 1))
    assert path.stat().st_size == size_before
    ballast.unlink()
    w.write_tracks(make_tracks(2, 2, [1, 2], t0=t0 + 2))
    data = read_tracking(w.close({})[0])
    np.testing.assert_array_equal(data.frame_batch_sequence, [0, 0, 2, 2])


def test_tiff_on_a_full_disk_leaves_no_empty_tif_and_no_tmp(
    small_disk, info, make_rois, t0
):
    disk = small_disk("400k")
    w = TiffVideoWriter(frames_per_file=5)
    w.open(disk, info, {})
    failures = []
    for seq in range(40):
        try:
            w.write_rois(make_rois(seq, 5, [1, 2, 3], size=32, t0=t0 + seq, first_frame=5 * seq))
        except WriterError as exc:
            failures.append(exc)
    assert failures and all(e.no_space for e in failures)
    try:
        paths = w.close({"run": 1})
    except WriterError as exc:  # finishing a file on a full disk may fail: it says so
        assert is_no_space(exc)
        paths = w.files()
    names = sorted(p.name for p in disk.iterdir())
    assert not [n for n in names if n.endswith(".tmp")], names
    tifs = sorted(disk.glob("*.tif"))
    assert tifs and set(tifs) <= set(paths)
    for tif in tifs:
        with tifffile.TiffFile(tif) as tf:
            frames = tf.series[0].asarray()
        assert frames.shape[0] >= 1 and frames.shape[1:] == (3, 32, 32), tif
        side = tif.with_suffix(".json")
        assert side.exists()


def test_telemetry_on_a_full_disk_creates_no_file_and_resumes(
    small_disk, fill_disk, info, t0
):
    disk = small_disk("1m")
    w = TelemetryWriter()
    w.open(disk, info, {})
    ballast = fill_disk(disk, 100_000)
    rows = np.array([[t0, 1.0, 2.0], [t0 + 0.1, 1.5, 2.0]])
    with pytest.raises(WriterError, match="disk is nearly full") as err:
        w.write_telemetry("focus", ("t", "position_nm", "target_nm"), rows)
    assert err.value.no_space
    assert not (disk / "focus.txt").exists() and w.files() == []
    ballast.unlink()
    w.write_telemetry("focus", ("t", "position_nm", "target_nm"), rows)
    assert w.close({}) == [disk / "focus.txt"]
    np.testing.assert_array_equal(np.loadtxt(disk / "focus.txt"), rows)
