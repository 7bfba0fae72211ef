from __future__ import annotations

import itertools
import multiprocessing as mp
import pickle
import time

import attrs
import magscope_buffers_testprocs as procs
import numpy as np
import pytest

from magscope_core._buffers import (
    BufferAttachError,
    BufferClosedError,
    BufferLayoutError,
    SessionMemory,
    StackState,
    StackStateError,
    VideoRing,
    VideoRingHandle,
)

ctx = mp.get_context("spawn")


def make(memory, n_stacks=3, stack_size=4, height=6, width=5, dtype=np.uint8):
    return VideoRing.create(memory, n_stacks=n_stacks, stack_size=stack_size,
                            height=height, width=width, dtype=dtype)


def frame(ring, k):
    return np.full(ring.frame_shape, k % 251, ring.dtype)


def test_handle_pickles_and_validates(memory):
    ring = make(memory)
    h = pickle.loads(pickle.dumps(ring.handle))
    assert h == ring.handle
    assert (h.n_stacks, h.stack_size, h.height, h.width, h.dtype) == (3, 4, 6, 5, "uint8")
    assert h.capacity == 12
    assert h.segment == f"magscope-{memory.session_id}-vid"
    with pytest.raises(ValueError, match="unsigned integer type, got 'float32'"):
        VideoRingHandle("x", 1, 1, 1, 1, "float32")
    with pytest.raises(ValueError, match="stack_size must be >= 1, got 0"):
        VideoRingHandle("x", 1, 0, 1, 1)
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(ring)


def test_frames_flow_in_order_with_numbers_and_timestamps(memory):
    ring = make(memory)
    reader = VideoRing.attach(ring.handle)
    assert reader.claim_next() is None
    for k in range(8):
        assert ring.write(frame(ring, k), 100.0 + k)
    for s in range(2):
        sv = reader.claim_next()
        assert sv is not None
        assert sv.index == s and len(sv) == 4
        assert sv.first_frame == 4 * s and sv.last_frame == 4 * s + 3
        assert sv.frames.shape == (4, 6, 5)
        assert sv.frames[:, 0, 0].tolist() == list(range(4 * s, 4 * s + 4))
        assert sv.timestamps.tolist() == [100.0 + k for k in range(4 * s, 4 * s + 4)]
        assert reader.stack_state(s) is StackState.CLAIMED
        with pytest.raises(ValueError, match="read-only"):
            sv.frames[0, 0, 0] = 1
    assert reader.claim_next() is None
    assert ring.frames_written == 8 and ring.frames_dropped == 0
    reader.close()


def test_slot_commit_zero_copy_and_idempotent_slot(memory):
    ring = make(memory, dtype=np.uint16)
    a = ring.slot()
    b = ring.slot()  # same slot until committed
    assert a is not None and b is not None
    assert np.shares_memory(a, b)
    a[:] = 65000
    assert ring.commit(1.5) == 0
    c = ring.slot()
    assert c is not None and not np.shares_memory(a, c)
    latest = ring.peek_latest()
    assert latest is not None
    assert latest.frame_number == 0 and latest.timestamp == 1.5
    assert latest.frame.dtype == np.uint16 and (latest.frame == 65000).all()
    assert not np.shares_memory(latest.frame, a)  # a copy


def test_commit_without_slot(memory):
    ring = make(memory)
    with pytest.raises(StackStateError, match="commit\\(\\) without a pending slot"):
        ring.commit(0.0)


def test_full_ring_drops_between_stacks_only(memory):
    """Drops never split a stack: each stack holds stack_size consecutive frames and
    the gap between two stacks' numbers equals the frames dropped there."""
    ring = make(memory, n_stacks=2, stack_size=3)
    results = [ring.write(frame(ring, k), float(k)) for k in range(10)]
    assert results == [True] * 6 + [False] * 4
    assert ring.frames_dropped == 4 and ring.frames_written == 6
    assert ring.slot() is None  # a full ring hands out no slot (and counts nothing)
    assert ring.frames_dropped == 4
    first = ring.claim_next()
    assert first is not None
    ring.release(first.index)
    for k in range(10, 14):  # frames 10..12 fill stack 0, frame 13 is dropped again
        ring.write(frame(ring, k), float(k))
    second, third = ring.claim_next(), ring.claim_next()
    assert second is not None and third is not None
    assert second.frame_numbers.tolist() == [3, 4, 5]
    assert third.index == 0 and third.frame_numbers.tolist() == [10, 11, 12]
    assert third.frames[:, 0, 0].tolist() == [10, 11, 12]
    assert third.first_frame - second.last_frame - 1 == 4  # frames 6..9 dropped
    assert ring.frames_dropped == 5 and ring.claim_next() is None


def test_camera_side_drops_consume_frame_numbers(memory):
    ring = make(memory, n_stacks=2, stack_size=2)
    ring.write(frame(ring, 0), 0.0)
    ring.drop(2)  # e.g. the camera reported two lost frames
    assert ring.write(frame(ring, 3), 3.0)
    sv = ring.claim_next()
    assert sv is not None and sv.frame_numbers.tolist() == [0, 3]
    with pytest.raises(ValueError, match="drop count must be >= 0"):
        ring.drop(-1)


def test_releases_out_of_order_and_ring_order_reuse(memory):
    ring = make(memory, n_stacks=3, stack_size=2)
    for k in range(6):
        ring.write(frame(ring, k), float(k))
    views = [ring.claim_next() for _ in range(3)]
    assert [v.index for v in views if v is not None] == [0, 1, 2]
    ring.release(2)
    ring.release(1)
    assert ring.slot() is None  # the producer reuses stacks in ring order: 0 first
    ring.release(0)
    for k in range(6, 12):
        assert ring.write(frame(ring, k), float(k))
    assert [ring.stack_state(i) for i in range(3)] == [StackState.READY] * 3
    sv = ring.claim_next()
    assert sv is not None and sv.index == 0 and sv.first_frame == 6


def test_view_and_release_errors_name_the_stack(memory):
    ring = make(memory, n_stacks=2, stack_size=1)
    with pytest.raises(StackStateError, match="cannot view stack 0: it is FREE, expected CLAIMED"):
        ring.view(0)
    ring.write(frame(ring, 0), 0.0)
    with pytest.raises(StackStateError, match="release stack 0: it is READY"):
        ring.release(0)
    sv = ring.claim_next()
    assert sv is not None
    other = VideoRing.attach(ring.handle)
    assert np.shares_memory(other.view(0).frames, other.view(0).frames)
    assert other.view(0).frames[0, 0, 0] == 0
    other.release(0)  # by another "process"
    with pytest.raises(StackStateError, match="release stack 0: it is FREE"):
        ring.release(0)
    with pytest.raises(StackStateError, match=r"stack 5: index out of range 0\.\.1"):
        ring.release(5)
    other.close()


def test_late_release_of_a_recycled_stack_is_refused(memory):
    ring = make(memory, n_stacks=1, stack_size=2)
    for k in range(2):
        ring.write(frame(ring, k), float(k))
    old = ring.claim_next()
    assert old is not None and ring.claimed() == [0]
    ring.release(0, first_frame=old.first_frame)
    assert ring.claimed() == []
    for k in range(2, 4):
        ring.write(frame(ring, k), float(k))
    assert ring.claim_next() is not None
    with pytest.raises(StackStateError, match="holds frames from 2, not from 0"):
        ring.release(0, first_frame=0)
    ring.release(0, first_frame=2)


def test_write_validates_shape_and_dtype(memory):
    ring = make(memory)
    with pytest.raises(ValueError, match=r"frame shape \(5, 6\) != ring frame shape \(6, 5\)"):
        ring.write(np.zeros((5, 6), np.uint8), 0.0)
    with pytest.raises(TypeError):
        ring.write(np.zeros((6, 5), np.uint16), 0.0)
    assert ring.frames_dropped == 0
    assert ring.write(np.ones((6, 5), bool), 0.0)  # safe cast is fine


def test_stats_and_fill_fraction(memory):
    ring = make(memory, n_stacks=4, stack_size=5)
    s = ring.stats()
    assert (s.stacks_free, s.fill_fraction, s.frames_written) == (4, 0.0, 0)
    for k in range(12):
        ring.write(frame(ring, k), float(k))
    ring.claim_next()
    s = ring.stats()
    assert (s.stacks_free, s.stacks_filling, s.stacks_ready, s.stacks_claimed) == (1, 1, 1, 1)
    assert s.fill_fraction == pytest.approx(12 / 20)
    assert s.frames_written == 12 and s.frames_dropped == 0


def test_peek_latest_none_and_out(memory):
    ring = make(memory)
    assert ring.peek_latest() is None
    ring.write(frame(ring, 7), 7.0)
    ring.write(frame(ring, 8), 8.0)
    out = np.empty(ring.frame_shape, ring.dtype)
    latest = ring.peek_latest(out=out)
    assert latest is not None and latest.frame is out
    frame_copy, ts, number = latest
    assert (frame_copy == 8).all() and ts == 8.0 and number == 1


def test_attach_checks_layout_and_lifetime():
    memory = SessionMemory(register_atexit=False)
    ring = make(memory)
    with pytest.raises(BufferLayoutError, match=r"segment size .*handle says"):
        VideoRing.attach(attrs.evolve(ring.handle, height=7))
    with pytest.raises(BufferLayoutError, match="n_stacks is 3 but the handle says 4"):
        VideoRing.attach(attrs.evolve(ring.handle, n_stacks=4, stack_size=3))
    handle = ring.handle
    sv = ring.write(frame(ring, 0), 0.0) and ring.peek_latest()
    ring.close()
    ring.close()
    assert ring.closed
    with pytest.raises(BufferClosedError, match="is closed"):
        ring.slot()
    memory.close()
    assert sv  # a copy made earlier stays usable
    with pytest.raises(BufferAttachError, match="session that created it has ended"):
        VideoRing.attach(handle)


def test_close_with_outstanding_views_is_safe(memory):
    ring = make(memory)
    for k in range(4):
        ring.write(frame(ring, k), float(k))
    sv = ring.claim_next()
    assert sv is not None
    ring.close()  # views still exist: the mapping stays until they go
    assert sv.frames[3, 0, 0] == 3


def _run(target, *args):
    p = ctx.Process(target=target, args=args)
    p.start()
    return p


def _produce_and_consume(ring, n, *, block, delay):
    """Offer ``n`` frames from one process and claim them in another (``delay`` s per stack).

    ``block``: the producer waits for a free slot instead of dropping the frame. Returns
    ``(written, dropped, seen, firsts, errors)`` as the two children reported them.
    """
    start, done, result = ctx.Event(), ctx.Event(), ctx.Queue()
    procs_ = [_run(procs.video_producer, ring.handle, n, block, start, done, result),
              _run(procs.video_consumer, ring.handle, delay, done, result)]
    start.set()
    msgs = {m[0]: m for m in procs.collect(result, procs_, 2)}
    for p in procs_:
        p.join(30)
        assert p.exitcode == 0
    _, written, dropped = msgs["producer"]
    _, seen, firsts, errors = msgs["consumer"]
    return written, dropped, seen, firsts, errors


@pytest.mark.integration
def test_every_frame_arrives_intact_across_processes(memory):
    ring = make(memory, n_stacks=4, stack_size=8, height=64, width=64)
    n = 2000
    written, dropped, seen, firsts, errors = _produce_and_consume(ring, n, block=True, delay=0.0)
    assert errors == []
    assert (written, dropped, seen) == (n, 0, n)
    assert firsts == list(range(0, n, 8))
    assert ring.stats().stacks_free == 4


@pytest.mark.integration
def test_slow_consumer_drops_are_counted_not_silent(memory):
    ring = make(memory, n_stacks=3, stack_size=4, height=32, width=32)
    n = 3000
    written, dropped, seen, firsts, errors = _produce_and_consume(ring, n, block=False,
                                                                  delay=0.005)
    assert errors == []
    assert dropped > 0 and written + dropped == n
    assert ring.frames_dropped == dropped
    partial = written - seen  # frames of a last, unfinished stack
    assert 0 <= partial < 4
    gaps = sum(b - a - 4 for a, b in itertools.pairwise(firsts))
    tail = n - (firsts[-1] + 4)  # offered after the last full stack
    assert gaps + tail == dropped + partial


@pytest.mark.integration
def test_peek_latest_never_returns_a_torn_frame(memory):
    ring = make(memory, n_stacks=2, stack_size=2, height=256, width=256)
    start, done = ctx.Event(), ctx.Event()
    p = _run(procs.video_self_dispatch, ring.handle, 1.5, start, done)
    start.set()
    peeks, numbers = 0, set()
    out = np.empty(ring.frame_shape, ring.dtype)
    t_end = time.monotonic() + 10
    while not done.is_set() and time.monotonic() < t_end:
        latest = ring.peek_latest(out=out)
        if latest is None:
            continue
        lo, hi = int(out.min()), int(out.max())
        assert lo == hi == latest.frame_number % 251, (lo, hi, latest.frame_number)
        assert latest.timestamp == float(latest.frame_number)
        peeks += 1
        numbers.add(latest.frame_number)
    p.join(30)
    assert p.exitcode == 0
    assert peeks > 100 and len(numbers) > 50
