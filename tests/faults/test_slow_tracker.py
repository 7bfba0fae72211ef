"""Fault: the camera outruns tracking (a slow tracker plugin).

The ``counter`` camera (100 fps) fills every pixel of frame ``n`` with ``n``; the
``slow`` tracker costs a fixed 5 ms per ROI (a sleep: the same cost on a loaded machine)
and reports each ROI's pixel value and whether the ROI was uniform. With 4 beads and one
worker it tracks at most 50 frames/s, half the camera's rate. Expected: the frames that
do not fit are dropped *between* stacks and counted (summary and progress line); every
tracked frame is whole (no torn or mixed stack: every ROI of a frame holds that frame's
counter, and a stack's frames are consecutive); the tracker is kept busy all the time
(judged by its busy fraction, the time in its calls over the time from its first to its
last call: no figure of speed is asserted).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

writers = pytest.importorskip("magscope_writers")

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FPS = 100.0
BEADS = 4
STACK = 10  # core.stack_size default
SECONDS_PER_ROI = 0.005  # SlowTracker default


def test_camera_outruns_tracking(run_magscope, magscope_env, tmp_path: Path) -> None:
    out = tmp_path / "run"
    calls = tmp_path / "tracker-calls.txt"
    result = run_magscope(
        "run", "--headless", "--camera", "counter", "--tracker", "slow", "--workers", "1",
        "--mode", "track", "--writers", "hdf5", "--duration", "6", "--out", str(out),
        "--json-summary", timeout=90,
        env={**magscope_env, "MAGSCOPE_SLOW_TRACKER_LOG": str(calls)})
    assert result.returncode == 0, result.stderr[-3000:]
    summary = result.summary()
    assert summary["beads"] == BEADS and summary["errors"] == [], summary

    # drops are counted and shown
    assert summary["dropped"] > 0, summary
    shown = [int(n) for n in re.findall(r"dropped (\d+)", result.stderr)]
    assert shown and max(shown) > 0, result.stderr[-2000:]

    h5 = [Path(p) for p in summary["files"] if p.endswith(".h5")]
    assert len(h5) == 1
    data = writers.read_tracking(h5[0])
    assert data.n_frames == summary["stacks_tracked"] * STACK > 0

    # no torn stack: each ROI uniform, all ROIs of a frame hold the same counter value
    assert np.all(data.z_nm == 1.0), "an ROI mixed pixels of two frames"
    # ROIs of 64 px on the counter camera's bead sites (512 x 128, 4 beads): top-left
    # corners x0 = 32 + 128 k, y0 = 32
    value_y = data.y_nm / 100.0 - 32
    x0 = data.x_nm / 100.0 - value_y
    assert set(np.unique(x0).tolist()) == {32.0, 160.0, 288.0, 416.0}
    vx = value_y
    per_frame = vx.reshape(data.n_frames, BEADS)
    assert np.all(per_frame == per_frame[:, :1]), "beads of one frame from different frames"
    value = per_frame[:, 0].astype(np.int64)
    # a stack is STACK consecutive camera frames; stacks in order; gaps only between them
    stacks = value.reshape(-1, STACK)
    assert np.all(np.diff(stacks, axis=1) == 1), "a stack is not a run of consecutive frames"
    gaps = stacks[1:, 0] - stacks[:-1, -1] - 1
    assert np.all(gaps >= 0), "stacks out of order"
    assert gaps.sum() <= summary["dropped"] and gaps.sum() > 0

    # kept busy: from its first call to its last, the tracker was working, not waiting
    # for stacks (the idle time between calls is the pipeline's hand-over)
    spans = np.loadtxt(calls, ndmin=2)
    assert spans.shape[0] == summary["stacks_tracked"] and np.all(spans[:, 2] == STACK * BEADS)
    assert np.all(spans[:, 1] - spans[:, 0] >= STACK * BEADS * SECONDS_PER_ROI)
    busy = float(np.sum(spans[:, 1] - spans[:, 0]) / (spans[-1, 1] - spans[0, 0]))
    print(f"tracked {data.n_frames} of {value[-1] - value[0] + 1} frames, "
          f"dropped {summary['dropped']}, tracker busy {busy:.1%}")
    assert busy >= 0.8, f"the tracker sat idle while frames were dropped (busy {busy:.0%})"
