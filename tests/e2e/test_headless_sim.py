"""End to end with the first-party plugins: simulated microscope -> tracker -> files.

These tests run the real application: spawned processes, shared memory, the
simulated camera, the CPU tracker and the writers, and compare the files with the
simulator's ground truth.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("magscope_sim")
pytest.importorskip("magscope_tracker")
writers = pytest.importorskip("magscope_writers")

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _nearest(tracked: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Index of the truth bead nearest to each tracked bead (mean positions, px)."""
    d = np.linalg.norm(tracked[:, None, :] - truth[None, :, :], axis=2)
    return np.argmin(d, axis=1)


def test_headless_run_matches_ground_truth(tmp_path: Path, isolated_config: Path) -> None:
    out = tmp_path / "run"
    truth_file = tmp_path / "truth.npz"
    env = {**os.environ, "MAGSCOPE_CONFIG_DIR": str(isolated_config)}
    proc = subprocess.run(
        [sys.executable, "-m", "magscope_core.cli", "run", "--headless", "--duration", "4",
         "--out", str(out), "--camera", "sim", "-O", "width=384", "-O", "height=384",
         "-O", "n_fixed=2", "-O", "n_tethered=2", "-O", "fps=50", "-O", "seed=7",
         "-O", f"truth_file={truth_file}", "--mode", "track+video-rois", "--json-summary"],
        env=env, capture_output=True, text=True, timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout)
    assert summary["beads"] == 4 and summary["stacks_tracked"] > 5, summary
    h5 = [Path(p) for p in summary["files"] if p.endswith(".h5")]
    tif = [Path(p) for p in summary["files"] if p.endswith(".tif")]
    assert len(h5) == 1 and len(tif) == 1
    assert {"focus.txt", "magnet.txt"} <= {Path(p).name for p in summary["files"]}

    data = writers.read_tracking(h5[0])
    truth = np.load(truth_file)
    nm_per_px = 100.0
    # frames: every tracked frame is a frame the simulator rendered, at the same time
    t_truth = np.round(truth["timestamp"] * 1e9).astype(np.int64)

    def truth_rows(ts_ns: np.ndarray) -> np.ndarray:
        rows = np.clip(np.searchsorted(t_truth, ts_ns.astype(np.int64) - 1000), 0,
                       t_truth.size - 1)
        assert np.all(np.abs(t_truth[rows] - ts_ns.astype(np.int64)) < 1000)  # same frame
        return rows

    truth_rows(data.frame_timestamps_ns)
    # beads: match by position, then compare every frame
    ids = np.unique(data.bead_ids)
    assert ids.size == 4
    mean_tracked = np.array([data.bead(b)[1][:, :2].mean(0) for b in ids]) / nm_per_px
    mean_truth = np.column_stack([truth["x_px"].mean(0), truth["y_px"].mean(0)])
    match = _nearest(mean_tracked, mean_truth)
    assert len(set(match.tolist())) == 4
    errors = []
    for b, k in zip(ids, match, strict=True):
        ts_ns, pos = data.bead(b)
        rows = truth_rows(ts_ns)
        dx = pos[:, 0] / nm_per_px - truth["x_px"][rows, k]
        dy = pos[:, 1] / nm_per_px - truth["y_px"][rows, k]
        errors.append(np.hypot(dx, dy))
    rms_nm = float(np.sqrt(np.mean(np.concatenate(errors) ** 2))) * nm_per_px
    print(f"XY error against ground truth: {rms_nm:.2f} nm RMS")
    assert rms_nm < 5.0
    assert np.isnan(data.z_nm).all()  # no Z-LUT loaded in this run

    import tifffile

    with tifffile.TiffFile(tif[0]) as tf:
        assert tf.is_imagej
        arr = tf.asarray()
        assert arr.shape[1:] == (4, 64, 64) and arr.shape[0] >= 50
        assert tf.imagej_metadata is not None


def test_zlut_sweep_then_focus_move_changes_tracked_z(tmp_path: Path) -> None:
    from magscope_sim import SimulatedCamera
    from magscope_sim._managers import SIM_COMMANDS, SimCameraManager, SimFocusMotor
    from magscope_tracker.plugin import create

    from magscope_core import (
        AddBead,
        FindBeads,
        GetFocus,
        GetZLut,
        GetZLutSweep,
        Hub,
        HubConfig,
        ManagerEntry,
        ManagerSpec,
        MoveFocus,
        PipelineManager,
        StartZLutSweep,
    )

    camera = {"width": 256, "height": 256, "fps": 100.0, "n_fixed": 1, "n_tethered": 0,
              "seed": 2}
    entries = [
        ManagerEntry(ManagerSpec("camera", SimCameraManager, options={
            "camera_factory": SimulatedCamera, "camera_options": camera}), kind="camera"),
        ManagerEntry(ManagerSpec("pipeline", PipelineManager, options={
            "tracker": ("cpu", create, {}), "n_workers": 1, "saving": False})),
        ManagerEntry(ManagerSpec("focus", SimFocusMotor, options={"speed_nm_s": 10_000.0})),
    ]
    commands = [(c, "sim", "magscope-sim") for c in SIM_COMMANDS]
    lut = tmp_path / "zlut.txt"
    with Hub(entries, commands, HubConfig(start_timeout_s=120)) as hub:
        (x, y), = hub.call(FindBeads(n=1, size=64))
        bead = hub.call(AddBead(x=x, y=y, size=64))
        hub.call(StartZLutSweep(start_nm=-2000, stop_nm=2000, step_nm=100, images_per_step=5,
                                bead_id=bead, path=str(lut)))
        deadline = time.monotonic() + 120
        while hub.call(GetZLutSweep())["state"] not in ("done", "failed"):
            assert time.monotonic() < deadline, hub.call(GetZLutSweep())
            time.sleep(0.2)
        status = hub.call(GetZLutSweep())
        assert status["state"] == "done", status
        assert hub.call(GetZLut())["planes"] == 41
        assert lut.exists() and lut.read_text().startswith("#")

        def z_now(n: int = 30) -> float:
            while not hub.call(GetFocus())["at_target"]:
                time.sleep(0.05)
            time.sleep(0.5)
            rows = hub.resources.tracks().latest(n)
            return float(np.nanmedian(rows[:, 3]))

        z0 = z_now()
        assert abs(z0) < 30, z0  # the sweep's reference is where the focus was
        hub.call(MoveFocus(z_nm=hub.call(GetFocus())["z_nm"] + 500.0))
        z1 = z_now()
        assert z1 - z0 == pytest.approx(-500.0, abs=30.0)  # focus up -> bead looks lower

        # live radial profile of the selected bead, published by the pipeline
        counters = hub.resources.counters()
        counters.set("live_profile_bead", bead)
        counters.set("live_profile_enabled", 1)
        profile = hub.resources.profile()
        deadline = time.monotonic() + 10
        read = None
        while read is None and time.monotonic() < deadline:
            read = profile.read()
            time.sleep(0.05)
        assert read is not None and read.bead_id == bead and len(read.samples) >= 20
