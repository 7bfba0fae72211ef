from __future__ import annotations

import json
import time
from pathlib import Path

import h5py
import numpy as np
import pytest
from magscope_writers import Hdf5TracksWriter, WriterError, read_tracking
from magscope_writers._tracking_file import BATCH_CHUNK, FRAME_CHUNK, RECORD_CHUNK


def _expected_stamp(ts: float, digits: int) -> str:
    sec, us = divmod(round(ts * 1e6), 10**6)  # to the microsecond, then cut
    return time.strftime("%Y-%m-%d %H-%M-%S", time.localtime(sec)) + f".{us:06d}"[:digits + 1]


def test_round_trip_with_csr_layout_across_batches_of_different_bead_counts(
    tmp_path, info, make_tracks, t0
):
    batches = [
        make_tracks(0, 3, [1, 2, 3, 4], t0=t0),
        make_tracks(1, 5, [2, 7], t0=t0 + 0.03, first_frame=3),
        make_tracks(2, 2, [9, 8, 7, 6, 5], t0=t0 + 0.08, first_frame=8),
    ]
    w = Hdf5TracksWriter()
    w.open(tmp_path, info, {})
    for b in batches:
        w.write_tracks(b)
    paths = w.close({})
    assert len(paths) == 1 and paths[0].parent == tmp_path
    assert paths[0].name == f"Tracking Data {_expected_stamp(t0, 6)}.h5"

    data = read_tracking(paths[0])
    # per-record arrays, frame-major, beads in batch order
    exp_ids, exp_pos, exp_ts, exp_seq = [], [], [], []
    for b in batches:
        for f in range(b.n_frames):
            for k, bead in enumerate(b.bead_ids):
                exp_ids.append(bead)
                exp_pos.append((b.x_nm[f, k], b.y_nm[f, k], b.z_nm[f, k]))
                exp_ts.append(b.timestamps[f])
                exp_seq.append(b.sequence)
    np.testing.assert_array_equal(data.bead_ids, exp_ids)
    np.testing.assert_array_equal(data.positions_nm, np.array(exp_pos))
    np.testing.assert_array_equal(data.batch_sequence, exp_seq)
    np.testing.assert_allclose(data.timestamps, exp_ts, rtol=0, atol=1e-6)
    assert data.timestamps_ns[0] == 1_764_075_520_250_000_000  # exact to the nanosecond
    assert data.n_frames == 10 and data.n_records == 3 * 4 + 5 * 2 + 2 * 5

    with h5py.File(paths[0], "r") as h5:
        g = h5["tracking"]
        np.testing.assert_array_equal(
            g["frame_offsets"][()], [0, 4, 8, 12, 14, 16, 18, 20, 22, 27, 32])
        np.testing.assert_array_equal(g["frame_batch_sequence"][()], [0] * 3 + [1] * 5 + [2] * 2)
        np.testing.assert_array_equal(g["batch_sequence"][()], [0, 1, 2])
        np.testing.assert_array_equal(g["batch_frame_start"][()], [0, 3, 8])
        np.testing.assert_array_equal(g["batch_frame_count"][()], [3, 5, 2])
        np.testing.assert_array_equal(g["batch_record_start"][()], [0, 12, 22])
        np.testing.assert_array_equal(g["batch_record_count"][()], [12, 10, 10])
        dtypes = {n: g[n].dtype for n in g}
        assert dtypes["bead_ids"] == np.uint16 and dtypes["positions_nm"] == np.float64
        assert all(dtypes[n] == np.uint64 for n in g if n not in ("bead_ids", "positions_nm"))
        assert "roi_positions_px" not in g
        assert g["positions_nm"].chunks == (RECORD_CHUNK, 3)
        assert g["frame_timestamps_ns"].chunks == (FRAME_CHUNK,)
        assert g["batch_sequence"].chunks == (BATCH_CHUNK,)
        assert all(g[n].maxshape[0] is None for n in g)
        a = dict(g.attrs)
        assert a["schema_version"] == 1 and a["include_roi_positions"] == 0
        assert a["record_order"] == "frame-major, bead order within frame"
        assert a["batch_sequence_order"] == "write order"
        assert a["file_start_ns"] == a["recording_start_ns"] == data.frame_timestamps_ns[0]
        assert a["min_frame_timestamp_ns"] == data.frame_timestamps_ns.min()
        assert a["max_frame_timestamp_ns"] == data.frame_timestamps_ns.max()
        assert a["rotation_interval_ns"] == 60 * 60 * 10**9
        assert a["recording_id"].dtype == np.uint64
    t, xyz = data.bead(7)
    assert t.shape == (7,) and xyz.shape == (7, 3)


def test_roi_positions_are_saved_when_asked(tmp_path, info, make_tracks):
    w = Hdf5TracksWriter(save_roi_positions=True)
    w.open(tmp_path, info, {})
    b = make_tracks(0, 2, [3, 4])
    w.write_tracks(b)
    data = read_tracking(w.close({})[0])
    assert data.attrs["include_roi_positions"] == 1
    assert data.roi_positions_px is not None and data.roi_positions_px.dtype == np.uint16
    np.testing.assert_array_equal(data.roi_positions_px, [[10, 17], [13, 22]] * 2)


def test_metadata_and_stats_are_stored_under_magscope(tmp_path, info, make_tracks):
    meta = {"settings": {"core": {"stack_size": 10}, "out": Path("/data")},
            "plugins": {"magscope-writers": "0.1.0"}, "gain": np.float32(1.5),
            "zlut": np.arange(3)}
    w = Hdf5TracksWriter()
    w.open(tmp_path, info, meta)
    w.write_tracks(make_tracks(0, 2, [1]))
    w.write_tracks(make_tracks(2, 2, [1], t0=1_764_075_521.0))  # batch 1 was dropped
    (path,) = w.close({"frames_dropped": 40, "batches_dropped": 1, "ring_overruns": 0})
    m = read_tracking(path).magscope
    assert m["format"] == "magscope-tracking" and m["format_version"] == 1
    assert m["writer"].startswith("magscope-writers ")
    assert m["camera"]["model"] == "test-cam" and m["camera"]["nm_per_px"] == 100.0
    assert m["metadata"] == {"settings": {"core": {"stack_size": 10}, "out": "/data"},
                             "plugins": {"magscope-writers": "0.1.0"}, "gain": 1.5,
                             "zlut": [0, 1, 2]}
    assert m["options"] == {"rotation_minutes": 60.0, "save_roi_positions": False}
    assert m["stats"] == {"frames_dropped": 40, "batches_dropped": 1, "ring_overruns": 0}
    assert m["closed"] == "close" and m["file_index"] == 0
    assert m["recording_uuid"].count("-") == 4
    rid = read_tracking(path).attrs["recording_id"]
    assert m["recording_uuid"].replace("-", "")[:16] == f"{rid:016x}"
    assert isinstance(m["utc_offset_s"], int)
    assert m["file_start_local"].startswith(_expected_stamp(1_764_075_520.25, 0)[:10])


def test_rotation_makes_complete_files_named_by_their_first_frame(tmp_path, info, make_tracks, t0):
    w = Hdf5TracksWriter(rotation_minutes=1)
    w.open(tmp_path, info, {"run": 1})
    starts = [t0, t0 + 30, t0 + 59.99, t0 + 60.5, t0 + 100]
    for i, s in enumerate(starts):
        w.write_tracks(make_tracks(i, 4, [1, 2], t0=s))
    paths = w.close({"frames_dropped": 0})
    assert [p.name for p in paths] == [
        f"Tracking Data {_expected_stamp(t0, 6)}.h5",
        f"Tracking Data {_expected_stamp(t0 + 60.5, 6)}.h5",
    ]
    a, b = read_tracking(paths[0]), read_tracking(paths[1])
    np.testing.assert_array_equal(np.unique(a.batch_sequence), [0, 1, 2])
    np.testing.assert_array_equal(np.unique(b.batch_sequence), [3, 4])
    assert a.attrs["recording_id"] == b.attrs["recording_id"]
    start = a.attrs["recording_start_ns"]
    assert start == b.attrs["recording_start_ns"] == a.attrs["file_start_ns"]
    assert b.attrs["file_start_ns"] == b.frame_timestamps_ns[0]
    assert a.attrs["rotation_interval_ns"] == 60 * 10**9
    assert [a.magscope["file_index"], b.magscope["file_index"]] == [0, 1]
    assert a.magscope["closed"] == "rotation" and b.magscope["closed"] == "close"
    assert a.magscope["stats"] == b.magscope["stats"] == {"frames_dropped": 0}


def test_rotation_zero_keeps_one_file_and_rotate_starts_a_new_one(tmp_path, info, make_tracks, t0):
    w = Hdf5TracksWriter(rotation_minutes=0)
    w.open(tmp_path, info, {})
    w.write_tracks(make_tracks(0, 2, [1], t0=t0))
    w.write_tracks(make_tracks(1, 2, [1], t0=t0 + 86_400))
    first = w.current_path
    w.rotate()
    w.write_tracks(make_tracks(2, 2, [1], t0=t0 + 86_500))
    paths = w.close({})
    assert paths[0] == first and len(paths) == 2
    assert read_tracking(paths[0]).attrs["rotation_interval_ns"] == 0
    assert read_tracking(paths[0]).n_frames == 4


def test_no_data_creates_no_file(tmp_path, info, make_tracks):
    w = Hdf5TracksWriter()
    w.open(tmp_path / "out", info, {})
    w.write_tracks(make_tracks(0, 0, [1, 2]))
    assert w.close({"frames_dropped": 0}) == []
    assert not (tmp_path / "out").exists()


def test_name_collision_gets_a_numbered_suffix(tmp_path, info, make_tracks, t0):
    paths = []
    for _ in range(3):
        w = Hdf5TracksWriter()
        w.open(tmp_path, info, {})
        w.write_tracks(make_tracks(0, 2, [1], t0=t0))
        paths += w.close({})
    stem = f"Tracking Data {_expected_stamp(t0, 6)}"
    assert [p.name for p in paths] == [f"{stem}.h5", f"{stem} (1).h5", f"{stem} (2).h5"]
    assert all(read_tracking(p).n_frames == 2 for p in paths)


def test_a_bad_batch_is_refused_before_touching_the_file(tmp_path, info, make_tracks, t0):
    w = Hdf5TracksWriter(save_roi_positions=True)
    w.open(tmp_path, info, {})
    w.write_tracks(make_tracks(0, 2, [1]))
    with pytest.raises(WriterError, match=r"hdf5 writer: checking batch 1 for .*Tracking Data"
                       r".*bead_ids\[1\] = 70000 does not fit uint16"):
        w.write_tracks(make_tracks(1, 2, [1, 70000]))
    bad_t = make_tracks(2, 2, [1])
    bad_t.timestamps[1] = np.nan
    with pytest.raises(WriterError, match=r"timestamp 1 is nan"):
        w.write_tracks(bad_t)
    w.write_tracks(make_tracks(3, 1, [1], t0=t0 + 1))
    data = read_tracking(w.close({})[0])
    np.testing.assert_array_equal(data.frame_batch_sequence, [0, 0, 3])


def test_misuse_is_reported(tmp_path, info, make_tracks):
    w = Hdf5TracksWriter()
    with pytest.raises(WriterError, match="not open"):
        w.write_tracks(make_tracks(0, 1, [1]))
    w.open(tmp_path, info, {})
    with pytest.raises(WriterError, match="still open"):
        w.open(tmp_path, info, {})
    assert w.close({}) == [] and w.close({}) == []
    with pytest.raises(ValueError, match="rotation_minutes"):
        Hdf5TracksWriter(rotation_minutes=-1)


def test_metadata_attrs_are_json(tmp_path, info, make_tracks):
    w = Hdf5TracksWriter()
    w.open(tmp_path, info, {"a": {1, 2}})
    w.write_tracks(make_tracks(0, 1, [1]))
    (path,) = w.close({"x": float("nan")})
    with h5py.File(path, "r") as h5:
        assert json.loads(h5["magscope"].attrs["metadata"]) == {"a": [1, 2]}
        assert json.loads(h5["magscope"].attrs["stats"]) == {"x": None}


def test_large_metadata_goes_into_a_dataset(tmp_path, info, make_tracks):
    big = {"zlut": np.linspace(0, 1, 5000)}  # ~100 KB of JSON: too big for an attribute
    w = Hdf5TracksWriter()
    w.open(tmp_path, info, big)
    w.write_tracks(make_tracks(0, 1, [1]))
    (path,) = w.close({"frames_dropped": 1})
    with h5py.File(path, "r") as h5:
        assert "metadata" not in h5["magscope"].attrs
        assert isinstance(h5["magscope/metadata"], h5py.Dataset)
    m = read_tracking(path).magscope
    assert len(m["metadata"]["zlut"]) == 5000 and m["stats"] == {"frames_dropped": 1}


def test_a_recording_resumed_after_a_restart_records_the_gap(tmp_path, info, make_tracks, t0):
    w = Hdf5TracksWriter()
    w.open(tmp_path, info, {"resumed": {"last_frame_before": 99, "cause": "pipeline restarted"}})
    w.write_tracks(make_tracks(0, 10, [1, 2], first_frame=120))
    w.rotate()
    w.write_tracks(make_tracks(1, 10, [1, 2], t0=t0 + 1, first_frame=130))
    first, second = (read_tracking(p) for p in w.close({}))
    assert first.magscope["gap"] == {"last_frame_before": 99, "first_frame": 120,
                                     "missing_frames": 20, "cause": "pipeline restarted"}
    assert "gap" not in second.magscope  # only the recording's first file follows the gap
