"""The tracker worker pool on its own: a hung stack times out, a dead worker's stack moves.

Real worker processes on a real shared video ring; the misbehaving tracker is the test
plugin ``tests/faults/trackerplugin/magscope_faulttracker`` (the CPU tracker, failing once
on a worker's N-th stack).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import pytest

from magscope_core._buffers import SessionMemory, VideoRing
from magscope_core._workers import (
    AUTO_TIMEOUT_MIN_S,
    FIRST_STACK_TIMEOUT_S,
    FIRST_STACKS,
    Task,
    TaskResult,
    WorkerPool,
)

pytest.importorskip("magscope_tracker")
pytestmark = pytest.mark.integration

PLUGIN_DIR = Path(__file__).parent / "faults" / "trackerplugin"
N_STACKS = 4


@pytest.fixture
def faulty(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.syspath_prepend(str(PLUGIN_DIR))
    import magscope_faulttracker

    yield magscope_faulttracker
    sys.modules.pop("magscope_faulttracker", None)


@pytest.fixture
def ring() -> Iterator[VideoRing]:
    """A ring of 4 claimed stacks of 2 frames, each with one bright disc."""
    memory = SessionMemory(register_atexit=False)
    ring = VideoRing.create(memory, n_stacks=N_STACKS, stack_size=2, height=64, width=64)
    yy, xx = np.mgrid[:64, :64]
    frame = np.where((xx - 31.5) ** 2 + (yy - 30.0) ** 2 < 64, 200, 20).astype(np.uint8)
    for k in range(2 * N_STACKS):
        assert ring.write(frame, float(k))
    for _ in range(N_STACKS):
        assert ring.claim_next() is not None
    yield ring
    ring.close()
    memory.close()


def _run(pool: WorkerPool, n_tasks: int, timeout: float = 60.0) -> dict[int, TaskResult]:
    """Submit ``n_tasks`` stacks (cycling over the ring) and collect every answer."""
    rois = np.array([[0, 0, 64]])
    for seq in range(n_tasks):
        pool.submit(Task(seq, seq % N_STACKS, rois))
    results: dict[int, TaskResult] = {}
    deadline = time.monotonic() + timeout
    while len(results) < n_tasks and time.monotonic() < deadline:
        for obj in wait(pool.wait_objects(), 0.2):
            for item in pool.collect(obj):
                if isinstance(item, TaskResult):
                    results[item.seq] = item
        for item in pool.check_timeouts():
            results[item.seq] = item
    return results


def test_a_hung_stack_times_out_automatically_and_its_worker_is_replaced(
    faulty: Any, ring: VideoRing, tmp_path: Path
) -> None:
    marker = tmp_path / "hung"
    pool = WorkerPool(2, ring.handle, faulty.create,
                      {"how": "hang", "fail_on": FIRST_STACKS + 1, "marker": str(marker)})
    try:
        assert pool.task_timeout(0) == FIRST_STACK_TIMEOUT_S  # generous on first stacks
        results = _run(pool, 16)
        assert sorted(results) == list(range(16))
        failed = [r for r in results.values() if r.error is not None]
        assert len(failed) == 1 and "timed out after" in (failed[0].error or "")
        # automatic: 20 x the slowest stack so far (milliseconds here), at least 5 s
        assert f"after {AUTO_TIMEOUT_MIN_S:.1f} s" in (failed[0].error or "")
        good = [r for r in results.values() if r.error is None]
        assert all(r.x is not None and np.allclose(r.x, 31.5, atol=0.05) for r in good)
        assert pool.timeouts == 1 and pool.restarts == 1
        culprit = faulty.marker_pid(marker)
        assert not psutil.pid_exists(culprit) or psutil.Process(culprit).status() == \
            psutil.STATUS_ZOMBIE
    finally:
        pool.close()


def test_the_stack_of_a_dead_worker_goes_to_another_worker(
    faulty: Any, ring: VideoRing, tmp_path: Path
) -> None:
    marker = tmp_path / "died"
    pool = WorkerPool(2, ring.handle, faulty.create,
                      {"how": "exit", "fail_on": 2, "marker": str(marker)})
    try:
        results = _run(pool, 12)
        assert sorted(results) == list(range(12))
        assert all(r.error is None for r in results.values())  # the lost stack was redone
        assert marker.exists() and pool.restarts == 1 and pool.timeouts == 0
    finally:
        pool.close()
