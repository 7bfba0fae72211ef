"""Similar-bead search (NCC with a seed bead) against the simulator's known bead positions.

The simulated microscope renders fixed beads (stuck on the surface) and tethered beads
(higher up, so their rings differ): a seed of one kind must find the beads of that kind
and not the others. Recall and precision are computed bead by bead against the
camera's ground truth of the searched frame (``truth()``, ``bead_positions()`` for the kind).
"""

from __future__ import annotations

import threading

import attrs
import numpy as np
import pytest

from magscope_core._beads import random_corners
from magscope_core._similar_beads import (
    SearchCancelled,
    SimilarSearch,
    find_similar,
    ncc_map,
    propose_threshold,
)

SIZE = 64


def _frame(seed: int, n_tethered: int, n_fixed: int) -> tuple[np.ndarray, list]:
    sim = pytest.importorskip("magscope_sim._camera")
    # beads at least one ROI diagonal apart: every bead can get its own ROI
    cam = sim.SimulatedCamera(seed=seed, n_tethered=n_tethered, n_fixed=n_fixed,
                              min_separation_px=92.0)
    info = cam.connect()
    try:
        frame = np.zeros(info.shape, info.dtype)
        assert cam.grab_into(frame, 5.0) is not None
        now = cam.truth()  # where each bead is in this frame (tethered beads move)
        half = SIZE / 2
        sites = [attrs.evolve(s, x_px=float(now.x_px[s.bead_id]), y_px=float(now.y_px[s.bead_id]))
                 for s in cam.bead_positions()]
        sites = [s for s in sites
                 if half <= s.x_px <= info.width - half and half <= s.y_px <= info.height - half]
    finally:
        cam.disconnect()
    return frame, sites


def _recall_precision(found: list[tuple[float, float]], truth: np.ndarray
                      ) -> tuple[int, int, int]:
    """True positives (each true bead matched at most once, within 4 px), found, true."""
    used: set[int] = set()
    tp = 0
    for x, y in found:
        d = np.hypot(truth[:, 0] - x, truth[:, 1] - y)
        j = int(np.argmin(d))
        if d[j] <= 4.0 and j not in used:
            used.add(j)
            tp += 1
    return tp, len(found), len(truth)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("kind", ["tethered", "fixed"])
def test_recall_and_precision_at_the_proposed_threshold(seed: int, kind: str) -> None:
    frame, sites = _frame(seed, n_tethered=40, n_fixed=10)
    group = [s for s in sites if s.tethered == (kind == "tethered")]
    others = [s for s in sites if s.tethered != (kind == "tethered")]
    assert len(group) >= 5 and others
    seed_bead = group[len(group) // 2]
    peaks = find_similar(frame, seed_bead.x_px, seed_bead.y_px, SIZE)
    found = peaks.selected()
    truth = np.array([(s.x_px, s.y_px) for s in group])
    tp, n_found, n_true = _recall_precision(found, truth)
    recall, precision = tp / n_true, tp / max(1, n_found)
    print(f"\nseed {seed}, {kind} seed bead: threshold {peaks.threshold:.3f}, found "
          f"{n_found}, true {n_true}, recall {recall:.3f}, precision {precision:.3f}")
    assert recall >= 0.95 and precision >= 0.95
    # no bead of the other kind is proposed, and no two ROIs overlap
    other = np.array([(s.x_px, s.y_px) for s in others])
    for x, y in found:
        assert np.min(np.hypot(other[:, 0] - x, other[:, 1] - y)) > 4.0
    xy = np.array(found)
    for i in range(len(xy)):
        for j in range(i):
            assert max(abs(xy[i, 0] - xy[j, 0]), abs(xy[i, 1] - xy[j, 1])) >= SIZE


def test_ncc_is_one_on_the_template_and_invariant_to_gain_and_offset() -> None:
    rng = np.random.default_rng(0)
    frame = rng.normal(100, 5, (120, 150))
    patch = frame[30:46, 70:86].copy()
    frame[80:96, 10:26] = 3.0 * patch + 40.0  # same pattern, other gain and offset
    scores = ncc_map(frame, patch, band_rows=17)  # several bands
    assert scores.shape == (105, 135)
    assert scores[30, 70] == pytest.approx(1.0)
    assert scores[80, 10] == pytest.approx(1.0)
    assert np.sum(scores > 0.9) == 2


def test_flat_windows_score_zero() -> None:
    frame = np.zeros((40, 40))
    frame[5:15, 5:15] = np.arange(100).reshape(10, 10)
    scores = ncc_map(frame, frame[5:15, 5:15])
    assert scores[5, 5] == pytest.approx(1.0)
    assert scores[25, 25] == 0.0


def test_threshold_is_in_the_largest_gap_below_the_seed() -> None:
    # seed 1.0, beads 0.9-0.95, background 0.3-0.4: the gap 0.9 -> 0.4
    scores = np.array([1.0, 0.95, 0.93, 0.9, 0.4, 0.35, 0.3])
    assert propose_threshold(scores) == pytest.approx(0.65)
    # one bead alike only to itself does not pull the threshold up to ~1
    assert propose_threshold(np.array([1.0, 0.5, 0.48, 0.3]), 0.2) == pytest.approx(0.39)
    # no background candidate: the gap down to the floor, not one among the beads
    assert propose_threshold(np.array([1.0, 0.95, 0.94, 0.8]), 0.2) == pytest.approx(0.5)
    assert propose_threshold(np.array([1.0]), 0.2) == pytest.approx(0.6)


def test_a_seed_whose_roi_leaves_the_frame_is_refused() -> None:
    with pytest.raises(ValueError, match="does not fit in the 50x40 frame"):
        find_similar(np.zeros((40, 50)), 3.0, 20.0, 16)


def test_search_thread_reports_progress_and_can_be_cancelled() -> None:
    rng = np.random.default_rng(1)
    frame = rng.normal(100, 5, (2048, 2048))
    search = SimilarSearch(frame, 500.0, 500.0, 64)
    search.cancel()
    search.join(30)
    assert search.done and search.state == "cancelled" and search.result is None
    done = SimilarSearch(frame[:300, :300], 100.0, 100.0, 32)
    done.join(30)
    assert done.state == "done" and done.progress == 1.0 and done.result is not None
    assert done.result.x[0] == pytest.approx(100.0) and done.result.score[0] == pytest.approx(1.0)


def test_cancel_event_stops_between_bands() -> None:
    event = threading.Event()
    fractions: list[float] = []

    def progress(f: float) -> None:
        fractions.append(f)
        event.set()  # cancel after the first band

    with pytest.raises(SearchCancelled):
        ncc_map(np.ones((300, 300)) + np.eye(300), np.eye(20), progress=progress,
                cancel=event, band_rows=50)
    assert len(fractions) == 1


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_corners_fit_do_not_overlap_and_repeat_with_the_seed(seed: int) -> None:
    taken = [(100, 100, 64)]
    corners = random_corners(30, 64, 640, 480, taken, seed)
    assert corners == random_corners(30, 64, 640, 480, taken, seed)
    boxes = [*taken, *[(x, y, 64) for x, y in corners]]
    for i, (x, y, s) in enumerate(boxes):
        assert x >= 0 and y >= 0 and x + s <= 640 and y + s <= 480
        for bx, by, bs in boxes[:i]:
            assert x + s <= bx or bx + bs <= x or y + s <= by or by + bs <= y


def test_random_corners_fill_a_crowded_frame_or_say_how_many_fit() -> None:
    assert len(random_corners(16, 64, 256, 256, [], 3)) == 16  # every place of the grid
    with pytest.raises(ValueError, match=r"could place only \d+ non-overlapping 64 px ROIs"):
        random_corners(17, 64, 256, 256, [], 3)
