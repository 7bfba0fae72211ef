from __future__ import annotations

import multiprocessing as mp
import pickle

import attrs
import magscope_buffers_testprocs as procs
import numpy as np
import pytest

from magscope_core._buffers import (
    DEFAULT_TRACK_COLUMNS,
    BufferLayoutError,
    TracksMatrix,
    UnknownFieldError,
)
from magscope_core._buffers._tracks import _H_WRITE_START

ctx = mp.get_context("spawn")


def rows_for(start, n, ncols=7, seed=None):
    """Rows with absolute index in column 0 and deterministic other columns."""
    idx = np.arange(start, start + n, dtype=np.float64)
    out = np.empty((n, ncols))
    out[:, 0] = idx  # t: increasing
    for c in range(1, ncols):
        out[:, c] = (idx * (c + 3)) % 11
    return out


def test_create_handle_and_columns(memory):
    m = TracksMatrix.create(memory, capacity=10)
    assert m.columns == DEFAULT_TRACK_COLUMNS
    assert m.handle.segment == f"magscope-{memory.session_id}-trk"
    assert pickle.loads(pickle.dumps(m.handle)) == m.handle
    assert m.column("bead") == 4
    with pytest.raises(KeyError) as err:
        m.column("zz")
    assert isinstance(err.value, UnknownFieldError)
    assert str(err.value) == (f"TracksMatrix '{m.handle.segment}' has no column 'zz'; columns "
                              "are ['t', 'x', 'y', 'z', 'bead', 'roi_x', 'roi_y']")
    with pytest.raises(ValueError, match="duplicate column names"):
        TracksMatrix.create(memory, capacity=5, columns=("a", "a"), name="t2")
    with pytest.raises(ValueError, match="capacity must be >= 1 row, got 0"):
        TracksMatrix.create(memory, capacity=0, name="t3")


def test_append_validates_shape(memory):
    m = TracksMatrix.create(memory, capacity=10, columns=("t", "v"))
    assert m.append(np.zeros((0, 2))) == 0
    assert m.append([1.0, 2.0]) == 1  # one row as 1-D
    with pytest.raises(ValueError, match=r"shape \(n, 2\) for columns \['t', 'v'\], got \(3, 3\)"):
        m.append(np.zeros((3, 3)))
    assert m.total_written == 1


def test_read_since_and_lost_after_many_wraps(memory):
    m = TracksMatrix.create(memory, capacity=10)
    assert m.read_since(0).rows.shape == (0, 7)
    m.append(rows_for(0, 4))
    r = m.read_since(0)
    assert r.rows[:, 0].tolist() == [0, 1, 2, 3] and (r.cursor, r.lost) == (4, 0)
    m.append(rows_for(4, 33))  # wraps more than three times
    r2 = m.read_since(r.cursor)
    assert r2.rows[:, 0].tolist() == list(range(27, 37))
    assert (r2.cursor, r2.lost) == (37, 23)
    r3 = m.read_since(r2.cursor)
    assert r3.rows.shape == (0, 7) and (r3.cursor, r3.lost) == (37, 0)
    with pytest.raises(ValueError, match=r"cursor 38 outside 0\.\.37"):
        m.read_since(38)
    with pytest.raises(ValueError, match="cursor -1 outside"):
        m.read_since(-1)


def test_append_more_than_capacity_keeps_newest(memory):
    m = TracksMatrix.create(memory, capacity=5)
    m.append(rows_for(0, 3))
    assert m.append(rows_for(3, 12)) == 15
    assert m.latest(100)[:, 0].tolist() == [10, 11, 12, 13, 14]
    r = m.read_since(3)
    assert r.rows[:, 0].tolist() == [10, 11, 12, 13, 14] and r.lost == 7


def test_rows_overwritten_during_a_read_are_discarded(memory):
    """The writer announces ``write_start`` before touching rows: a reader that sees it
    moved past its rows discards them (simulated mid-write state)."""
    m = TracksMatrix.create(memory, capacity=10)
    m.append(rows_for(0, 15))  # valid rows 5..14
    m._hdr[_H_WRITE_START] = 18  # a writer is now writing rows 15..17 over 5..7
    r = m.read_since(5)
    assert r.rows[:, 0].tolist() == list(range(8, 15))
    assert (r.cursor, r.lost) == (15, 3)
    assert m.latest(10)[:, 0].tolist() == list(range(8, 15))
    assert m.rows_newer_than(-1)[:, 0].tolist() == list(range(8, 15))
    m._hdr[_H_WRITE_START] = 15


def test_queries_return_write_order_without_sorting(memory):
    m = TracksMatrix.create(memory, capacity=8, columns=("t", "bead"))
    # times not monotonic in write order (batches from different stacks)
    data = [(5, 1), (6, 2), (1, 1), (7, 1), (2, 2), (8, 1), (9, 2), (3, 1), (10, 1), (11, 2)]
    m.append(np.array(data, float))  # rows 0,1 overwritten
    assert m.rows_newer_than(4.5).tolist() == [[7, 1], [8, 1], [9, 2], [10, 1], [11, 2]]
    assert m.rows_of_bead(1).tolist() == [[1, 1], [7, 1], [8, 1], [3, 1], [10, 1]]
    assert m.rows_of_bead(1, newer_than=3).tolist() == [[7, 1], [8, 1], [10, 1]]
    assert m.rows_of_bead(9).shape == (0, 2)
    assert m.latest(3).tolist() == [[3, 1], [10, 1], [11, 2]]
    assert m.latest(0).shape == (0, 2)
    with pytest.raises(UnknownFieldError, match="no column 'x'"):
        m.rows_newer_than(0, column="x")


def test_random_appends_match_a_python_model(memory):
    """Property-style: random batch sizes (up to 2.5 x capacity), many wraps, every
    reader compared with a plain list of all rows ever written."""
    rng = np.random.default_rng(1234)
    for capacity in (1, 7, 64):
        m = TracksMatrix.create(memory, capacity=capacity, name=f"m{capacity}")
        model: list[list[float]] = []
        cursors = [0, 0]
        for step in range(300):
            n = int(rng.integers(0, int(2.5 * capacity) + 2))
            batch = rows_for(len(model), n)
            batch[:, 4] = rng.integers(0, 4, n)  # bead column
            batch[:, 0] = rng.permutation(n) + len(model)  # time: shuffled within batch
            model.extend(batch.tolist())
            assert m.append(batch) == len(model)
            valid = model[max(0, len(model) - capacity):]
            reader = step % 2
            if rng.random() < 0.5:
                r = m.read_since(cursors[reader])
                expected_from = max(cursors[reader], len(model) - capacity)
                assert r.rows.tolist() == model[expected_from:]
                assert r.lost == expected_from - cursors[reader]
                assert r.cursor == len(model)
                cursors[reader] = r.cursor
            k = int(rng.integers(0, capacity + 3))
            assert m.latest(k).tolist() == valid[len(valid) - min(k, len(valid)):]
            t = float(rng.integers(0, len(model) + 1))
            assert m.rows_newer_than(t).tolist() == [row for row in valid if row[0] > t]
            bead = int(rng.integers(0, 4))
            assert m.rows_of_bead(bead).tolist() == [row for row in valid if row[4] == bead]
            assert m.rows_of_bead(bead, newer_than=t).tolist() == [
                row for row in valid if row[4] == bead and row[0] > t]
        assert len(model) > 20 * capacity  # many wraps
        m.close()


def test_attach_checks_columns(memory):
    m = TracksMatrix.create(memory, capacity=10)
    with pytest.raises(BufferLayoutError, match="column-name checksum"):
        TracksMatrix.attach(attrs.evolve(m.handle, columns=("t", "x", "y", "z", "b", "r", "q")))
    other = TracksMatrix.attach(m.handle)
    m.append(rows_for(0, 3))
    assert other.read_since(0).rows[:, 0].tolist() == [0, 1, 2]
    other.close()


@pytest.mark.integration
def test_concurrent_writer_no_torn_rows_and_exact_loss_accounting(memory):
    m = TracksMatrix.create(memory, capacity=500)
    start, done = ctx.Event(), ctx.Event()
    p = ctx.Process(target=procs.tracks_writer, args=(m.handle, 4000, 7, start, done))
    p.start()
    start.set()
    cursor = received = lost = reads = 0
    while True:
        finished = done.is_set()
        r = m.read_since(cursor)
        rows = r.rows
        if rows.size:
            # every column of row i holds i: a torn or stale row would break this
            assert (rows == rows[:, :1]).all()
            assert rows[:, 0].tolist() == list(range(cursor + r.lost, r.cursor))
        lost += r.lost
        received += len(rows)
        cursor = r.cursor
        reads += 1
        if finished and cursor == m.total_written:
            break
    p.join(30)
    assert p.exitcode == 0
    assert received + lost == m.total_written
    assert reads > 10
