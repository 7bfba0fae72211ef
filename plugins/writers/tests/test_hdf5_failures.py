from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import h5py
import magscope_writers._hdf5 as hdf5_module
import numpy as np
import pytest
from magscope_writers import Hdf5TracksWriter, TrackingFileError, WriterError, read_tracking


def _failing_resize(monkeypatch, dataset: str, times: int):
    """Make Dataset.resize raise ENOSPC when ``dataset`` grows, ``times`` times."""
    real = h5py.Dataset.resize
    state = {"left": times}

    def resize(self, size, axis=None):
        grows = (size[0] if isinstance(size, tuple) else size) > self.shape[0]
        if self.name == f"/tracking/{dataset}" and grows and state["left"] > 0:
            state["left"] -= 1
            raise OSError(28, "No space left on device")
        return real(self, size, axis)

    monkeypatch.setattr(h5py.Dataset, "resize", resize)


def _check_consistent(data):
    off = data.frame_offsets.astype(np.int64)
    assert off[0] == 0 and off[-1] == data.n_records and (np.diff(off) >= 0).all()


def test_failed_append_is_rolled_back_and_the_file_stays_valid(
    tmp_path, info, make_tracks, t0, monkeypatch
):
    w = Hdf5TracksWriter(save_roi_positions=True)
    w.open(tmp_path, info, {})
    w.write_tracks(make_tracks(0, 3, [1, 2]))
    path = w.current_path
    _failing_resize(monkeypatch, "positions_nm", times=1)  # fails after 8 datasets grew
    with pytest.raises(WriterError) as err:
        w.write_tracks(make_tracks(1, 4, [1, 2, 3], t0=t0 + 1))
    msg = str(err.value)
    assert msg.startswith(f"hdf5 writer: appending batch 1 (4 frames, 12 records) to {path}")
    assert "No space left on device" in msg and "rolled back" in msg
    assert "still holds its 1 earlier batches (3 frames)" in msg
    assert isinstance(err.value.__cause__, OSError)
    # the open file was restored: every dataset back to its pre-batch length
    g = w._file.group
    assert {n: g[n].shape[0] for n in g} == {
        "batch_sequence": 1, "batch_frame_start": 1, "batch_frame_count": 1,
        "batch_record_start": 1, "batch_record_count": 1, "frame_timestamps_ns": 3,
        "frame_batch_sequence": 3, "frame_offsets": 4, "bead_ids": 6, "positions_nm": 6,
        "roi_positions_px": 6,
    }
    assert g.attrs["max_frame_timestamp_ns"] < int((t0 + 1) * 1e9)
    # later batches go on in the same file
    w.write_tracks(make_tracks(2, 2, [5], t0=t0 + 2))
    assert w.close({"batches_failed": 1}) == [path]
    data = read_tracking(path)
    _check_consistent(data)
    np.testing.assert_array_equal(data.frame_batch_sequence, [0, 0, 0, 2, 2])
    np.testing.assert_array_equal(data.bead_ids, [1, 2, 1, 2, 1, 2, 5, 5])
    assert data.magscope["stats"] == {"batches_failed": 1}


def test_when_rollback_fails_too_the_file_is_closed_and_a_new_one_started(
    tmp_path, info, make_tracks, t0, monkeypatch
):
    w = Hdf5TracksWriter()
    w.open(tmp_path, info, {})
    w.write_tracks(make_tracks(0, 2, [1]))
    first = w.current_path
    real_restore = hdf5_module.TrackingFile._restore

    def broken_restore(self, state):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(hdf5_module.TrackingFile, "_restore", broken_restore)
    _failing_resize(monkeypatch, "bead_ids", times=1)
    with pytest.raises(WriterError, match=r"rolling back failed too \(OSError: \[Errno 5\].*"
                       r"the next batch starts a new file"):
        w.write_tracks(make_tracks(1, 2, [1], t0=t0 + 1))
    monkeypatch.setattr(hdf5_module.TrackingFile, "_restore", real_restore)
    assert w.current_path is None
    w.write_tracks(make_tracks(2, 2, [1], t0=t0 + 2))
    paths = w.close({})
    assert paths[0] == first and len(paths) == 2
    # the failed file keeps the half-written batch, and the reader says so; the new one is clean
    with pytest.raises(TrackingFileError, match=r"frame_offsets must rise from 0 to n_records=2"):
        read_tracking(paths[0])
    np.testing.assert_array_equal(read_tracking(paths[1]).frame_batch_sequence, [2, 2])


@pytest.mark.integration
def test_a_killed_process_loses_nothing_that_was_written(tmp_path, info):
    conftest = os.path.join(os.path.dirname(__file__), "conftest.py")
    script = textwrap.dedent(f"""
        import importlib.util, os, sys
        from pathlib import Path
        spec = importlib.util.spec_from_file_location("factories", {conftest!r})
        mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
        from magscope_core import CameraInfo
        from magscope_writers import Hdf5TracksWriter
        info = CameraInfo(width=40, height=30, dtype="uint16", bits=12, nm_per_px=100.0,
                          fps=100.0)
        w = Hdf5TracksWriter()
        w.open(Path({str(tmp_path)!r}), info, {{}})
        for i in range(3):
            w.write_tracks(mod.tracks_batch(i, 40, list(range(20)), t0=mod.T0 + i * 0.4))
        print(w.current_path, flush=True)
        os._exit(9)  # no close, no atexit: as if the power went
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 9, out.stderr
    data = read_tracking(out.stdout.strip())
    _check_consistent(data)
    assert data.n_frames == 120 and data.n_records == 2400
    np.testing.assert_array_equal(np.unique(data.frame_batch_sequence), [0, 1, 2])
    assert data.magscope["closed"] == "open" and "stats" not in data.magscope
