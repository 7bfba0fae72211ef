from __future__ import annotations

import multiprocessing as mp
import pickle

import magscope_buffers_testprocs as procs
import numpy as np
import pytest

from magscope_core._buffers import (
    BeadRoiTable,
    DuplicateBeadError,
    RoiTableFullError,
    SeqlockTimeoutError,
    UnknownBeadError,
)
from magscope_core._buffers._rois import _H_SEQ

ctx = mp.get_context("spawn")


def test_add_move_remove_reassign_and_snapshot(memory):
    t = BeadRoiTable.create(memory)
    assert t.capacity == 10_000 and len(t) == 0 and t.version == 0
    assert pickle.loads(pickle.dumps(t.handle)) == t.handle
    a = t.add(10, 20, 30)
    b = t.add(50, 60, 30)
    c = t.add(1, 2, 8, bead_id=40)
    assert (a, b, c) == (0, 1, 40)
    assert t.add(0, 0, 5) == 41  # new ids continue after the largest
    t.move(b, 55, 66)
    t.remove(a)
    t.reassign(40, 7)
    snap = t.snapshot()
    assert snap is not None
    assert snap.ids.tolist() == [1, 7, 41]
    assert snap.rois.tolist() == [[55, 66, 30], [1, 2, 8], [0, 0, 5]]
    assert snap.version == t.version == 7 and len(snap) == 3
    assert snap.get(7) == (1, 2, 8) and t.get(41) == (0, 0, 5)
    with pytest.raises(UnknownBeadError, match="bead id 3 is not in this ROI snapshot"):
        snap.get(3)


def test_snapshot_skips_when_unchanged(memory):
    t = BeadRoiTable.create(memory, capacity=4)
    reader = BeadRoiTable.attach(t.handle)
    first = reader.snapshot()
    assert first is not None and len(first) == 0
    assert reader.snapshot(if_newer_than=first.version) is None
    t.add(1, 1, 4)
    newer = reader.snapshot(if_newer_than=first.version)
    assert newer is not None and newer.ids.tolist() == [0]
    reader.close()


def test_errors_name_the_bead_and_leave_the_table_unchanged(memory):
    t = BeadRoiTable.create(memory, capacity=2)
    t.add(0, 0, 10, bead_id=5)
    v = t.version
    with pytest.raises(DuplicateBeadError, match="bead id 5 is already in use"):
        t.add(1, 1, 10, bead_id=5)
    with pytest.raises(UnknownBeadError, match="no ROI with bead id 9"):
        t.move(9, 0, 0)
    with pytest.raises(UnknownBeadError, match="bead id 9"):
        t.remove(9)
    with pytest.raises(UnknownBeadError, match="bead id 9"):
        t.reassign(9, 10)
    t.add(3, 3, 10, bead_id=6)
    with pytest.raises(DuplicateBeadError, match="bead id 6 is already in use"):
        t.reassign(5, 6)
    with pytest.raises(RoiTableFullError, match=r"full \(2 ROIs\): cannot add bead 7"):
        t.add(1, 1, 1)
    with pytest.raises(ValueError, match=r"add bead 8: ROI \(x0=-1, y0=0, size=3\)"):
        t.add(-1, 0, 3, bead_id=8)
    with pytest.raises(ValueError, match="size=0"):
        t.add(0, 0, 0, bead_id=8)
    with pytest.raises(ValueError, match="bead id must be >= 0, got -2"):
        t.add(0, 0, 3, bead_id=-2)
    with pytest.raises(ValueError, match="move bead 5"):
        t.move(5, -3, 0)
    assert t.version == v + 1  # only the successful add changed it
    t.reassign(5, 5)  # no-op
    assert t.version == v + 1


def test_replace_and_clear(memory):
    t = BeadRoiTable.create(memory, capacity=5)
    t.add(0, 0, 3)
    ids = t.replace([[1, 2, 3], [4, 5, 6]])
    assert ids.tolist() == [1, 2]
    assert t.replace([[7, 8, 9]], ids=[42]).tolist() == [42]
    snap = t.snapshot()
    assert snap is not None and snap.ids.tolist() == [42] and snap.rois.tolist() == [[7, 8, 9]]
    with pytest.raises(DuplicateBeadError, match="bead id 3 given twice"):
        t.replace([[0, 0, 1], [0, 0, 1]], ids=[3, 3])
    with pytest.raises(RoiTableFullError, match="cannot hold 6 ROIs"):
        t.replace(np.ones((6, 3)))
    with pytest.raises(ValueError, match=r"bead 11 has ROI \(0, 0, 0\)"):
        t.replace([[0, 0, 1], [0, 0, 0]], ids=[10, 11])
    with pytest.raises(ValueError, match="2 ROIs but 1 ids"):
        t.replace([[0, 0, 1], [0, 0, 1]], ids=[10])
    assert len(t) == 1
    t.clear()
    assert len(t) == 0 and t.add(0, 0, 1) == 43
    t.clear(reset_ids=True)
    assert t.add(0, 0, 1) == 0


def test_stalled_writer_times_out_readers(memory):
    t = BeadRoiTable.create(memory, capacity=3)
    t._hdr[_H_SEQ] += 1  # a writer died mid-change
    with pytest.raises(SeqlockTimeoutError, match="writer stalled or died"):
        t.snapshot(timeout=0.05)
    t._hdr[_H_SEQ] += 1


@pytest.mark.integration
def test_snapshots_are_consistent_under_concurrent_writes(memory):
    t = BeadRoiTable.create(memory, capacity=64)
    start, done = ctx.Event(), ctx.Event()
    p = ctx.Process(target=procs.roi_writer, args=(t.handle, 20_000, start, done))
    p.start()
    start.set()
    versions = set()
    while not done.is_set():
        snap = t.snapshot()
        assert snap is not None
        if len(snap) == 0:
            continue
        v = int(snap.rois[0, 0]) - 1  # change number the snapshot belongs to
        assert len(snap) == v % 50 + 1
        assert (snap.rois == v + 1).all()
        assert snap.ids.tolist() == [v * 100 + j for j in range(len(snap))]
        versions.add(snap.version)
    p.join(30)
    assert p.exitcode == 0
    assert len(versions) > 20
    assert t.version == 20_000
