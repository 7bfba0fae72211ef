"""Helpers shared by the benchmark scripts."""

from __future__ import annotations

import psutil


def cpu_seconds(procs: list[psutil.Process]) -> dict[int, float]:
    """User + system CPU seconds of each process still alive, by pid."""
    out: dict[int, float] = {}
    for p in procs:
        try:
            t = p.cpu_times()
        except psutil.NoSuchProcess:
            continue
        out[p.pid] = t.user + t.system
    return out
