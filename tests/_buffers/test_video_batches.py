"""Several frames per call: ``VideoRing.slots`` and ``commit_many`` (ADR 0015)."""

from __future__ import annotations

import numpy as np
import pytest

from magscope_core._buffers import StackState, StackStateError, VideoRing


def make(memory, n_stacks=3, stack_size=4):
    return VideoRing.create(memory, n_stacks=n_stacks, stack_size=stack_size, height=6,
                            width=5, dtype=np.uint16)


def test_batches_never_cross_a_stack_and_equal_frame_by_frame_writes(memory):
    ring = make(memory)
    reader = VideoRing.attach(ring.handle)
    frames = np.arange(8 * 30, dtype=np.uint16).reshape(8, 6, 5)
    given = iter(range(8))
    sizes = []
    while (k := next(given, None)) is not None:
        view = ring.slots(3)
        assert view is not None
        sizes.append(len(view))
        n = len(view)
        idx = [k, *[next(given) for _ in range(n - 1)]]
        view[:] = frames[idx]
        first = ring.commit_many([100.0 + i for i in idx])
        assert first == idx[0]
    assert sizes == [3, 1, 3, 1]  # 3 + 1 fill a stack of 4; never across two stacks
    for s in range(2):
        sv = reader.claim_next()
        assert sv is not None and sv.index == s
        np.testing.assert_array_equal(sv.frames, frames[4 * s:4 * s + 4])
        np.testing.assert_array_equal(sv.frame_numbers, np.arange(4 * s, 4 * s + 4))
        np.testing.assert_array_equal(sv.timestamps, 100.0 + np.arange(4 * s, 4 * s + 4))
    assert ring.frames_written == 8 and ring.stats().stacks_filling == 0
    latest = reader.peek_latest()
    assert latest is not None and latest.frame_number == 7
    np.testing.assert_array_equal(latest.frame, frames[7])


def test_fewer_frames_than_slots_and_live_only(memory):
    ring = make(memory)
    view = ring.slots(4)
    assert view is not None and len(view) == 4
    view[:2] = 7
    assert ring.commit_many([1.0, 2.0], live_only=True) == 0
    assert ring.fill_position == 2 and ring.frames_live_only == 2
    view = ring.slots(4)
    assert view is not None and len(view) == 2  # the rest of the stack
    ring.commit_many([3.0, 4.0])
    assert ring.stack_state(0) is StackState.READY
    sv = VideoRing.attach(ring.handle).claim_next()
    assert sv is not None
    np.testing.assert_array_equal(sv.live_only, [1, 1, 0, 0])


def test_a_full_ring_gives_no_slots_and_misuse_is_refused(memory):
    ring = make(memory, n_stacks=2, stack_size=2)
    with pytest.raises(StackStateError, match="commit_many\\(\\) of 1 frames with 0 slots"):
        ring.commit_many([1.0])
    for _ in range(2):
        view = ring.slots(8)
        assert view is not None and len(view) == 2
        with pytest.raises(StackStateError, match="of 3 frames with 2 slots pending"):
            ring.commit_many([1.0, 2.0, 3.0])
        ring.commit_many([1.0, 2.0])
    assert ring.slots(8) is None  # both stacks READY: the camera must drop
    with pytest.raises(ValueError, match="max_n must be >= 1"):
        ring.slots(0)
