"""Tracks batches held and handed to the writers together (``TracksCoalescer``)."""

from __future__ import annotations

import numpy as np
import pytest

from magscope_core._pipeline_stats import LATENCY_SAMPLES, PipelineFigures
from magscope_core._tracks_batcher import TracksCoalescer
from magscope_core._writer import TracksBatch


def batch(seq: int) -> TracksBatch:
    z = np.zeros((2, 1))
    return TracksBatch(seq, np.arange(2 * seq, 2 * seq + 2), np.zeros(2), np.array([1]),
                       z, z, z, np.array([0]), np.array([0]))


def test_batches_wait_until_the_oldest_is_due_and_keep_their_order():
    c = TracksCoalescer(max_age_s=0.5, max_batches=100)
    assert c.add(batch(0), now=10.0) == []
    assert c.add(batch(1), now=10.25) == []
    assert c.seconds_left(now=10.25) == pytest.approx(0.25)
    assert c.due(now=10.375) == []
    out = c.due(now=10.5)
    assert [b.sequence for b in out] == [0, 1]
    assert len(c) == 0 and c.due(now=99.0) == [] and c.seconds_left() is None
    # the clock starts again with the next batch held
    assert c.add(batch(2), now=20.0) == []
    assert [b.sequence for b in c.flush()] == [2]


def test_too_many_batches_and_zero_age_flush_at_once():
    c = TracksCoalescer(max_age_s=60.0, max_batches=3)
    assert c.add(batch(0), now=0.0) == [] and c.add(batch(1), now=0.0) == []
    assert [b.sequence for b in c.add(batch(2), now=0.0)] == [0, 1, 2]
    at_once = TracksCoalescer(max_age_s=0.0)
    assert [b.sequence for b in at_once.add(batch(5), now=0.0)] == [5]
    with pytest.raises(ValueError, match="max_age_s must be >= 0"):
        TracksCoalescer(max_age_s=-1.0)


def test_latency_percentiles_over_the_newest_frames():
    f = PipelineFigures()
    assert f.latency_ms() == {"frames": 0}
    f.latency(np.array([9.0, 9.5, 9.9]), now=10.0)
    lat = f.latency_ms()
    assert lat["frames"] == 3
    assert lat["p50"] == pytest.approx(500.0) and lat["max"] == pytest.approx(1000.0)
    # more than the samples kept: only the newest count, wrapping the ring
    f.latency(np.full(LATENCY_SAMPLES - 1, 19.998), now=20.0)
    assert f.latency_ms()["frames"] == LATENCY_SAMPLES
    assert f.latency_ms()["p99"] == pytest.approx(2.0)
    f.reset_latency()
    assert f.latency_ms() == {"frames": 0}
    with f.stage("emit"):
        sum(range(1000))
    f.add("emit", 1.0)
    assert f.stages["emit"] >= 1.0
