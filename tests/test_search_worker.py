"""The bead-search process: same peaks as a search in this process, cancel, close."""

from __future__ import annotations

import numpy as np
import pytest

from magscope_core._search_worker import SearchWorker
from magscope_core._similar_beads import SearchCancelled, SimilarSearch, find_similar


def _frame() -> np.ndarray:
    """Four Gaussian spots (the beads) on a noisy background."""
    rng = np.random.default_rng(4)
    yy, xx = np.mgrid[0:256, 0:256]
    img = rng.normal(100.0, 2.0, (256, 256))
    for cx, cy in ((50, 60), (180, 70), (90, 190), (200, 200)):
        img += 400.0 * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * 4.0 ** 2))
    return img.astype(np.uint16)


@pytest.mark.integration
def test_the_worker_process_finds_what_a_local_search_finds() -> None:
    frame = _frame()
    local = find_similar(frame, 50, 60, 32)
    worker = SearchWorker()
    try:
        search = SimilarSearch(frame, 50, 60, 32, worker=worker)
        search.join(60)
        assert search.state == "done", search.error
        assert search.result is not None and search.progress == 1.0
        assert np.array_equal(search.result.x, local.x) and np.array_equal(
            search.result.y, local.y)
        assert sorted(search.result.selected()) == sorted(
            [(50.0, 60.0), (180.0, 70.0), (90.0, 190.0), (200.0, 200.0)])
        bad = SimilarSearch(frame, 5, 5, 32, worker=worker)  # the ROI does not fit
        bad.join(60)
        assert bad.state == "failed" and "does not fit in the 256x256 frame" in str(bad.error)
        worker.cancel()  # a cancel before a search does not cancel the next one
        assert worker.search(frame, 180, 70, 32).score.size >= 4
    finally:
        worker.close()
    assert not worker.alive


def test_a_set_cancel_flag_stops_a_search() -> None:
    import threading

    flag = threading.Event()
    flag.set()
    with pytest.raises(SearchCancelled):
        find_similar(_frame(), 50, 60, 32, cancel=flag)
