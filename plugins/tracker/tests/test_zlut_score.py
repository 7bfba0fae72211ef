"""Scores of candidate Z-LUTs: a good bead outranks a noisy one and a stuck one."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
from magscope_tracker import CpuTracker, best_candidate

Z = np.arange(-2000.0, 2000.1, 200.0)  # 21 planes
N_IMAGES = 4


def _sweep(beads: ModuleType, model: Any, z_true: np.ndarray, photons: float,
           seed: int) -> np.ndarray:
    """``(n_planes, N_IMAGES, 64, 64)`` noisy images of a bead at heights ``z_true``."""
    zz = np.repeat(z_true, N_IMAGES)
    rng = np.random.default_rng(seed)
    x = 31.5 + rng.uniform(-0.3, 0.3, zz.size)
    y = 31.5 + rng.uniform(-0.3, 0.3, zz.size)
    images = beads.render_rois(model, x, y, zz, photons=photons, seed=seed)
    return np.asarray(images).reshape(z_true.size, N_IMAGES, 64, 64)


def test_good_bead_scores_best_and_its_self_rms_is_small(
        beads: ModuleType, model: Any, tracker: CpuTracker) -> None:
    good = _sweep(beads, model, Z, photons=3000.0, seed=1)
    noisy = _sweep(beads, model, Z, photons=3.0, seed=2)
    # a bead stuck out of range: it does not move with the focus (always 6 um away)
    stuck = _sweep(beads, model, np.full(Z.size, 6000.0), photons=3000.0, seed=3)
    scores = {}
    for key, stack in ((1, good), (2, noisy), (3, stuck)):
        lut = tracker.make_zlut(stack, Z)
        scores[key] = tracker.score_zlut(lut, stack, Z)
        print(key, scores[key])
    g, n, s = scores[1], scores[2], scores[3]
    assert g.usable and g.reason == ""
    assert g.self_rms_nm < 20.0 and g.found == 1.0 and g.monotonic > 0.9
    # the noisy bead: its own images disagree with its LUT far more
    assert n.self_rms_nm > 3 * g.self_rms_nm
    assert n.score < g.score
    # the stuck bead: neighbouring planes are alike and its images cannot tell heights
    assert s.distinctness < g.distinctness / 10
    assert s.self_rms_nm > 10 * g.self_rms_nm or s.found < 0.5
    assert s.score < g.score
    assert best_candidate(scores) == 1
    assert best_candidate({k: scores[k] for k in (2, 3)}) in (2, 3)
    assert best_candidate({}) is None


def test_scores_are_plain_json(beads: ModuleType, model: Any, tracker: CpuTracker) -> None:
    import json

    stack = _sweep(beads, model, Z, photons=3000.0, seed=4)
    score = tracker.score_zlut(tracker.make_zlut(stack, Z), stack, Z)
    back = json.loads(json.dumps(score.to_dict()))
    assert back["usable"] is True and back["self_rms_nm"] == score.self_rms_nm
