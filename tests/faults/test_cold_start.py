"""The first ``make demo`` on a fresh machine: no numba cache, and still a clean run.

The demo's command runs with ``NUMBA_CACHE_DIR`` pointed at an empty folder, so the
tracker's kernels are compiled during start-up (in the pipeline process, once; the
workers then load the cache). The run must wait for that instead of killing the
pipeline, and start the camera and the clock only when every consumer is ready: no
frame dropped, no ERROR, every stack tracked from the first one with beads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("magscope_sim")
pytest.importorskip("magscope_tracker")
writers = pytest.importorskip("magscope_writers")

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DURATION_S = 5


def test_first_demo_run_without_a_numba_cache_is_clean(
    tmp_path: Path, isolated_config: Path
) -> None:
    cache = tmp_path / "numba-cache"
    cache.mkdir()
    out = tmp_path / "demo"
    env = {**os.environ, "MAGSCOPE_CONFIG_DIR": str(isolated_config),
           "NUMBA_CACHE_DIR": str(cache)}
    proc = subprocess.run(
        [sys.executable, "-m", "magscope_core.cli", "run", "--headless", "--duration",
         str(DURATION_S), "--out", str(out), "--mode", "track+video-rois", "--json-summary"],
        env=env, capture_output=True, text=True, timeout=170,
    )
    log = (out / "magscope.log").read_text()
    assert proc.returncode == 0, proc.stderr[-3000:]
    # it was cold: the kernels were compiled into the empty cache during this run, once,
    # by the pipeline; every worker loaded them from that cache
    assert list(cache.rglob("*.nbi")), "nothing was compiled into NUMBA_CACHE_DIR"
    compiled = [line for line in log.splitlines() if "numba kernels compiled" in line]
    loaded = [line for line in log.splitlines() if "numba kernels loaded" in line]
    assert len(compiled) == 1 and "magscope:pipeline" in compiled[0], compiled
    assert len(loaded) == 2, loaded
    assert all(any(f"magscope:tracker-{i} " in line for line in loaded) for i in (0, 1))
    assert " ERROR " not in proc.stderr and " ERROR " not in log, proc.stderr[-3000:]
    assert "killing it" not in log and "restarting" not in log
    # the headless start-up lines end with the session ready
    assert "start-up" in proc.stderr and "session ready after" in proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["dropped"] == 0, summary
    assert summary["errors"] == [] and summary["stacks_failed"] == 0, summary

    # every stack from the first one with beads is tracked and in the file
    h5 = [Path(p) for p in summary["files"] if p.endswith(".h5")]
    assert len(h5) == 1
    data = writers.read_tracking(h5[0])
    first = int(data.frame_batch_sequence.min())
    stack = 10
    trackable = summary["frames"] - first * stack
    tracked = summary["stacks_tracked"] * stack
    assert data.n_frames == tracked
    print(f"cold demo run: {summary['frames']} frames ({summary['fps']} fps), "
          f"{tracked} tracked, {trackable} after the beads were added, "
          f"{tracked / (DURATION_S * 100):.0%} of the {DURATION_S * 100} requested")
    assert tracked >= 0.95 * trackable, summary
