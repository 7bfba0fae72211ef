"""Z from the first frame: the first simulated session sweeps a Z-LUT, later ones reuse it.

Real ``magscope run`` processes on the simulated microscope with an empty user data
folder (``MAGSCOPE_DATA_DIR``) and a coarse automatic sweep (``MAGSCOPE_AUTO_ZLUT``).
Every bead's recorded Z is compared with the simulator's ground truth, bead by bead.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("magscope_sim")
pytest.importorskip("magscope_tracker")
writers = pytest.importorskip("magscope_writers")

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SWEEP = "-3000:3000:500:3"  # 13 planes, 3 images each: coarse, to keep the test short


def _run(out: Path, data: Path, config: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MAGSCOPE_DATA_DIR": str(data), "MAGSCOPE_CONFIG_DIR": str(config),
           "MAGSCOPE_AUTO_ZLUT": SWEEP}
    cmd = [sys.executable, "-m", "magscope_core.cli", "run", "--headless", "--duration", "2",
           "--out", str(out), "--writers", "hdf5", "--workers", "1",
           "-O", "width=256", "-O", "height=256", "-O", "n_fixed=2", "-O", "n_tethered=2",
           "-O", "seed=5", "-O", f"truth_file={out / 'truth.npz'}"]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=150)


def _z_against_truth(out: Path) -> dict[int, tuple[float, float, float]]:
    """Per bead: (finite fraction, offset tracked - true defocus, RMS about the offset)."""
    data = writers.read_tracking(next(out.glob("*.h5")))
    truth = np.load(out / "truth.npz")
    t_truth = truth["timestamp"]
    ids = np.unique(data.bead_ids)
    assert ids.size == 4
    result = {}
    for bead in ids:
        ts_ns, pos = data.bead(int(bead))
        rows = np.clip(np.searchsorted(t_truth, ts_ns * 1e-9 - 1e-6), 0, t_truth.size - 1)
        assert np.allclose(t_truth[rows], ts_ns * 1e-9, atol=1e-6)
        xy_truth = np.stack([truth["x_px"][rows].mean(0), truth["y_px"][rows].mean(0)], 1)
        k = int(np.argmin(np.linalg.norm(xy_truth - pos[:, :2].mean(0) / 100.0, axis=1)))
        err = pos[:, 2] - truth["dz_nm"][rows, k]
        finite = np.isfinite(err)
        offset = float(np.median(err[finite])) if finite.any() else float("nan")
        rms = float(np.sqrt(np.mean((err[finite] - offset) ** 2))) if finite.any() else np.nan
        result[int(bead)] = (float(finite.mean()), offset, rms)
    return result


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("first-session")
    data, config = base / "user-data", base / "config"
    proc = _run(base / "run1", data, config)
    return {"base": base, "data": data, "config": config, "proc": proc}


def test_first_session_sweeps_saves_and_records_finite_z_for_every_bead(
        first_run: dict[str, Any]) -> None:
    proc, data, base = first_run["proc"], first_run["data"], first_run["base"]
    print(proc.stderr[-3000:])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "making one by a focus sweep -3000..3000 nm, step 500 nm, of 4 bead(s)" in proc.stderr
    assert "zlut: Z-LUT sweep: plane " in proc.stderr  # progress, as start-up lines
    lut = data / "zluts" / "sim-auto.zlut.txt"
    assert lut.is_file() and f"zlut: Z-LUT saved to {lut} (best bead" in proc.stderr
    remembered = json.loads((data / "zluts" / "remembered.json").read_text())
    assert remembered["sim"]["path"] == str(lut)
    assert not list((data / "zluts").glob("*.part"))
    # the summary tells the sweep's frames apart from the run's
    assert "during start-up, e.g. a Z-LUT sweep)" in proc.stdout + proc.stderr
    per_bead = _z_against_truth(base / "run1")
    offsets = [o for _, o, _ in per_bead.values()]
    for bead, (finite, offset, rms) in per_bead.items():
        print(f"bead {bead}: Z finite {finite:.0%}, offset {offset:+.1f} nm, {rms:.1f} nm RMS")
        assert finite == 1.0, (bead, finite)
        assert rms < 40.0, (bead, rms)  # a 500 nm-step LUT: tens of nm at most
    # one LUT, one reference: every bead's Z is its true defocus minus the same constant
    assert max(offsets) - min(offsets) < 40.0, offsets


def test_second_session_reuses_the_saved_zlut_without_sweeping(
        first_run: dict[str, Any]) -> None:
    assert first_run["proc"].returncode == 0
    data, base = first_run["data"], first_run["base"]
    lut = data / "zluts" / "sim-auto.zlut.txt"
    before = lut.stat().st_mtime_ns, lut.read_bytes()
    proc = _run(base / "run2", data, first_run["config"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"Z-LUT: {lut} (remembered for camera 'sim')" in proc.stderr
    assert "focus sweep" not in proc.stderr
    assert (lut.stat().st_mtime_ns, lut.read_bytes()) == before
    for bead, (finite, _, rms) in _z_against_truth(base / "run2").items():
        assert finite == 1.0 and rms < 40.0, (bead, finite, rms)
