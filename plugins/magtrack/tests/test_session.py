"""``magscope run --tracker magtrack``: a headless session on the simulator, bead by bead.

The real application (spawned processes, shared memory, the tracker workers running
MagTrack) against the simulator's ground truth file: every tracked frame of every bead
is compared with where the simulator drew it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("magscope_sim")
writers = pytest.importorskip("magscope_writers")

pytestmark = pytest.mark.integration

NM_PER_PX = 100.0


def test_a_session_tracks_with_magtrack(tmp_path: Path) -> None:
    truth_file = tmp_path / "truth.npz"
    env = {**os.environ, "MAGSCOPE_CONFIG_DIR": str(tmp_path / "config"),
           "MAGSCOPE_DATA_DIR": str(tmp_path / "data"), "MAGSCOPE_AUTO_ZLUT": "0"}
    proc = subprocess.run(
        [sys.executable, "-m", "magscope_core.cli", "run", "--headless", "--duration", "3",
         "--out", str(tmp_path / "run"), "--camera", "sim", "--tracker", "magtrack",
         "--workers", "1", "-O", "width=256", "-O", "height=256", "-O", "n_fixed=2",
         "-O", "n_tethered=2", "-O", "fps=30", "-O", "seed=5",
         "-O", f"truth_file={truth_file}", "--mode", "track", "--json-summary"],
        env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout)
    assert summary["beads"] == 4 and summary["errors"] == [], summary
    (h5,) = [Path(p) for p in summary["files"] if p.endswith(".h5")]
    data = writers.read_tracking(h5)
    truth = np.load(truth_file)
    assert data.n_frames >= 60  # 3 s at 30 fps, in whole stacks
    t_truth = np.round(truth["timestamp"] * 1e9).astype(np.int64)
    for bead in np.unique(data.bead_ids):
        ts_ns, pos = data.bead(bead)
        rows = np.searchsorted(t_truth, ts_ns.astype(np.int64) - 1000)
        assert np.all(np.abs(t_truth[rows] - ts_ns) < 1000)  # frames the camera made
        mean = pos[:, :2].mean(0) / NM_PER_PX
        k = int(np.argmin(np.hypot(truth["x_px"].mean(0) - mean[0],
                                   truth["y_px"].mean(0) - mean[1])))
        dx = pos[:, 0] - truth["x_px"][rows, k] * NM_PER_PX
        dy = pos[:, 1] - truth["y_px"][rows, k] * NM_PER_PX
        rms = float(np.sqrt(np.mean(dx ** 2 + dy ** 2)))
        print(f"bead {bead}: MagTrack XY {rms:.2f} nm RMS over {rows.size} frames")
        assert np.isfinite(pos[:, :2]).all()
        assert rms <= 5.0, (bead, rms)  # generous: MagTrack is about 1-2 nm here
    assert np.isnan(data.z_nm).all()  # no Z-LUT in this run
