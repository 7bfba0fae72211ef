"""The pipeline's own figures: seconds per stage and frame latency.

Stages (CPU seconds of the pipeline's thread, ``time.thread_time``, summed since start;
time the process waits or is preempted is not counted): ``dispatch`` (claiming a
stack and handing it to a worker), ``collect`` (reading the workers' results),
``emit`` (rows into the shared tracks matrix, the live profile), ``writers`` (every
writer call), ``telemetry``. Latency is the time from a frame's timestamp (the camera's
clock, epoch seconds) to the moment its rows are in the shared tracks matrix, kept for
the last :data:`LATENCY_SAMPLES` frames. ``GetPipelineStats`` reports both.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

__all__ = ["LATENCY_SAMPLES", "PipelineFigures"]

LATENCY_SAMPLES = 65_536
"""Frames whose latency is kept (the newest)."""


class PipelineFigures:
    """Seconds per stage and the latency of the newest frames."""

    def __init__(self) -> None:
        self.stages: dict[str, float] = {}
        self._lat = np.full(LATENCY_SAMPLES, np.nan)
        self._n = 0

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Add the CPU time the block takes to stage ``name``."""
        t0 = time.thread_time()
        try:
            yield
        finally:
            self.stages[name] = self.stages.get(name, 0.0) + time.thread_time() - t0

    def add(self, name: str, seconds: float) -> None:
        """Add ``seconds`` to stage ``name``."""
        self.stages[name] = self.stages.get(name, 0.0) + seconds

    def latency(self, stamps: np.ndarray, now: float) -> None:
        """Record ``now - stamps`` (seconds) for frames whose rows were just stored."""
        k = int(stamps.shape[0])
        if k == 0:
            return
        if k >= LATENCY_SAMPLES:
            stamps, k = stamps[-LATENCY_SAMPLES:], LATENCY_SAMPLES
        i = self._n % LATENCY_SAMPLES
        first = min(k, LATENCY_SAMPLES - i)
        self._lat[i:i + first] = now - stamps[:first]
        self._lat[:k - first] = now - stamps[first:]
        self._n += k

    def latency_ms(self) -> dict[str, float]:
        """``p50``, ``p99``, ``max`` (ms) and ``frames`` (how many are kept)."""
        kept = self._lat[: min(self._n, LATENCY_SAMPLES)]
        if kept.size == 0:
            return {"frames": 0}
        p50, p99 = np.percentile(kept, [50, 99])
        return {"p50": 1e3 * float(p50), "p99": 1e3 * float(p99),
                "max": 1e3 * float(kept.max()), "frames": int(kept.size)}

    def reset_latency(self) -> None:
        """Forget the latencies recorded so far."""
        self._lat[:] = np.nan
        self._n = 0
