"""Frames committed with acquisition off: marked live-only, still the newest frame."""

from __future__ import annotations

import numpy as np

from magscope_core._buffers import VideoRing


def test_live_only_frames_are_marked_counted_and_peekable(memory):
    ring = VideoRing.create(memory, n_stacks=3, stack_size=4, height=6, width=5)
    flags = [False, False, True, True, True, False, False, False]
    for k, live in enumerate(flags):
        slot = ring.slot()
        assert slot is not None
        slot[:] = k
        ring.commit(float(k), live_only=live)
        latest = ring.peek_latest()
        assert latest is not None and latest.frame_number == k and int(latest.frame[0, 0]) == k
    assert ring.frames_written == 8 and ring.frames_live_only == 3
    stats = ring.stats()
    assert stats.frames_written == 8 and stats.frames_live_only == 3
    views = [ring.claim_next(), ring.claim_next()]
    assert all(v is not None for v in views)
    got = np.concatenate([np.asarray(v.live_only) for v in views if v is not None])
    np.testing.assert_array_equal(got, np.array(flags, np.uint8))
    for v in views:
        assert v is not None
        ring.release(v.index)
    # a slot reused later gets its own flag (not the old one)
    for k in range(8, 12):
        slot = ring.slot()
        assert slot is not None
        ring.commit(float(k))
    view = ring.claim_next()
    assert view is not None and not np.asarray(view.live_only).any()
    ring.release(view.index)
    ring.close()
