"""Groups of tracks batches in one transaction (``write_tracks_many``, ADR 0015)."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
from magscope_writers import Hdf5TracksWriter, WriterError, read_tracking

_SETS = ("frame_timestamps_ns", "frame_offsets", "frame_batch_sequence", "bead_ids",
         "positions_nm", "roi_positions_px", "batch_sequence", "batch_frame_start",
         "batch_frame_count", "batch_record_start", "batch_record_count")


def _datasets(path):
    with h5py.File(path, "r") as h5:
        g = h5["tracking"]
        return {n: g[n][()] for n in _SETS}, {a: g.attrs[a] for a in
                                              ("min_frame_timestamp_ns",
                                               "max_frame_timestamp_ns")}


def _write(folder, info, batches, grouped, **options):
    w = Hdf5TracksWriter(save_roi_positions=True, **options)
    w.open(folder, info, {})
    if grouped:
        w.write_tracks_many(batches[:1])  # the first makes the file, then one group
        w.write_tracks_many(batches[1:])
    else:
        for b in batches:
            w.write_tracks(b)
    return w.close({})


def test_a_group_writes_the_same_file_as_one_batch_at_a_time(tmp_path, info, make_tracks, t0):
    batches = [make_tracks(s, 1 + s % 3, [4, 2, 9][: 1 + s % 3], t0=t0 + 0.05 * s,
                           first_frame=3 * s) for s in range(7)]
    one = _write(tmp_path / "one", info, batches, grouped=False)
    many = _write(tmp_path / "many", info, batches, grouped=True)
    assert len(one) == len(many) == 1
    a, b = _datasets(one[0]), _datasets(many[0])
    for name in _SETS:
        np.testing.assert_array_equal(a[0][name], b[0][name], err_msg=name)
    assert a[1] == b[1]
    data = read_tracking(many[0])
    np.testing.assert_array_equal(data.batch_sequence[:5], [0, 1, 1, 1, 1])


def test_a_group_across_a_rotation_splits_at_the_right_batch(tmp_path, info, make_tracks, t0):
    # a file per minute: batches 0-2 in the first, 3-4 (61 s later) in the second
    stamps = [0.0, 10.0, 20.0, 61.0, 70.0]
    batches = [make_tracks(s, 2, [1], t0=t0 + dt, first_frame=2 * s)
               for s, dt in enumerate(stamps)]
    paths = _write(tmp_path, info, batches, grouped=True, rotation_minutes=1)
    assert len(paths) == 2
    seqs = [read_tracking(p).batch_sequence.tolist() for p in paths]
    assert seqs == [[0, 0, 1, 1, 2, 2], [3, 3, 4, 4]]


def test_a_bad_batch_in_a_group_is_reported_after_the_others_are_written(
        tmp_path, info, make_tracks, t0):
    good = [make_tracks(s, 2, [1], t0=t0 + s, first_frame=2 * s) for s in range(3)]
    bad = make_tracks(9, 2, [70_000], t0=t0 + 5, first_frame=20)  # id beyond uint16
    w = Hdf5TracksWriter()
    w.open(tmp_path, info, {})
    with pytest.raises(WriterError, match=r"checking batch 9 for.*bead_ids"):
        w.write_tracks_many([good[0], bad, *good[1:]])
    paths = w.close({})
    assert read_tracking(paths[0]).batch_sequence.tolist() == [0, 0, 1, 1, 2, 2]
