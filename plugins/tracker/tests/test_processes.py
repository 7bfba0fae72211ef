from __future__ import annotations

import multiprocessing
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from magscope_tracker import TrackResult, ZLut, create_tracker


@pytest.mark.integration
def test_two_spawned_workers_track_in_parallel_with_identical_results(
    beads: ModuleType, model: Any, zlut: ZLut
) -> None:
    tracker = create_tracker()
    rng = np.random.default_rng(6)
    n = 64
    rois = beads.render_rois(
        model,
        31.5 + rng.uniform(-1, 1, n),
        31.5 + rng.uniform(-1, 1, n),
        rng.uniform(-3000, 3000, n),
        seed=1,
        dtype=np.uint16,
    )
    local: TrackResult = tracker.track(rois, zlut)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        # the bound method pickles as (tracker, "track"): options only, no state
        outputs = pool.starmap(tracker.track, [(rois[: n // 2], zlut), (rois[n // 2 :], zlut)])
    x = np.concatenate([o.x for o in outputs])
    z = np.concatenate([o.z for o in outputs])
    np.testing.assert_array_equal(x, local.x)
    np.testing.assert_array_equal(z, local.z)
