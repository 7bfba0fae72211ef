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


@pytest.mark.parametrize(("backend", "z_fit", "mode"),
                         [("auto", "interpolate", "precise"), ("auto", "parabola", "precise"),
                          ("numpy", "interpolate", "precise"), ("auto", "interpolate", "fast")])
def test_a_roi_gets_bit_identical_results_in_any_batch(
    beads: ModuleType, model: Any, zlut: ZLut, backend: str, z_fit: str, mode: str
) -> None:
    # workers track whatever stacks they are given: a ROI's answer must not depend on
    # which other ROIs share its batch (a BLAS product over the batch broke this once)
    tracker = create_tracker(backend=backend, z_fit=z_fit, mode=mode)
    rng = np.random.default_rng(11)
    n = 48
    rois = beads.render_rois(model, 31.5 + rng.uniform(-1, 1, n), 31.5 + rng.uniform(-1, 1, n),
                             rng.uniform(-3000, 3000, n), seed=3, dtype=np.uint16)
    whole = tracker.track(rois, zlut)
    assert np.isfinite(whole.z).all()
    for lo, hi in [(0, 1), (5, 6), (47, 48), (0, 7), (3, 40), (24, 48), (0, 32)]:
        part = tracker.track(rois[lo:hi], zlut)
        for field in ("x", "y", "z", "quality"):
            np.testing.assert_array_equal(getattr(part, field), getattr(whole, field)[lo:hi],
                                          err_msg=f"{field} of ROIs {lo}:{hi}")
