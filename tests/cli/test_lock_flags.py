"""``magscope run --xy-lock --z-lock BEAD``, headless, in real subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.integration


def _run(config: Path, *args: str, **env_extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MAGSCOPE_CONFIG_DIR": str(config), **env_extra}
    return subprocess.run([sys.executable, "-m", "magscope_core.cli", "run", "--headless",
                           *args], env=env, capture_output=True, text=True, timeout=120)


def test_flags_turn_both_locks_on_and_the_xy_lock_follows_drift(
        isolated_config: Path, tmp_path: Path) -> None:
    pytest.importorskip("magscope_sim")
    pytest.importorskip("magscope_tracker")
    pytest.importorskip("magscope_writers")
    out = tmp_path / "run"
    proc = _run(isolated_config, "--duration", "6", "--out", str(out), "--camera", "sim",
                "--tracker", "cpu", "--workers", "1", "--writers", "telemetry",
                "-O", "width=256", "-O", "height=256", "-O", "n_fixed=2", "-O", "n_tethered=0",
                "-O", "drift_x_nm_per_s=300", "--xy-lock", "--z-lock", "0")
    assert proc.returncode == 0, proc.stderr
    assert "--xy-lock: lock on" in proc.stderr and "--z-lock 0: lock on" in proc.stderr
    log = (out / "magscope.log").read_text()
    assert "XY-lock on" in log and "Z-lock on bead 0" in log
    # 3 px/s for 6 s: both beads' ROIs were moved, each move logged and in the telemetry
    moves = [line for line in log.splitlines() if "XY-lock: bead" in line]
    assert {line.split("XY-lock: bead ")[1].split()[0] for line in moves} == {"0", "1"}
    tele = np.loadtxt(out / "locks.txt", ndmin=2)
    # the lock runs to the end: a move in the last instant may miss the last telemetry read
    assert len(moves) - 1 <= len(tele[tele[:, 1] == 1]) <= len(moves)
    assert np.all(tele[tele[:, 1] == 1, 5] > 0)  # every step along +x, like the drift
    # no Z-LUT: the Z-lock waits and says why, it never moves the focus
    assert "Z-lock: bead" not in log


def test_z_lock_on_a_missing_bead_is_one_line_and_exit_2(
        isolated_config: Path, tmp_path: Path) -> None:
    pytest.importorskip("magscope_sim")
    proc = _run(isolated_config, "--duration", "30", "--out", str(tmp_path / "run"),
                "--camera", "sim", "--tracker", "cpu", "--workers", "1", "--writers", "",
                "-O", "width=256", "-O", "height=256", "-O", "n_fixed=1", "-O",
                "n_tethered=0", "--z-lock", "99")
    assert proc.returncode == 2, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert errors == [errors[0]] and "--z-lock 99: SetZLock.bead_id: no bead 99; beads: 0" \
        in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_z_lock_without_a_focus_motor_says_so(
        testplugin_path: Path, isolated_config: Path, tmp_path: Path) -> None:
    proc = _run(isolated_config, "--duration", "30", "--out", str(tmp_path / "run"),
                "--camera", "testcam", "--writers", "framelog", "--beads", "0",
                "--z-lock", "0", MAGSCOPE_DISABLE_PLUGINS="sim",
                PYTHONPATH=str(testplugin_path))
    assert proc.returncode == 2, proc.stderr
    assert "--z-lock 0: Z-lock disabled: no focus motor is installed" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_xy_lock_ids_that_are_not_bead_ids_are_one_line_and_exit_2(
        isolated_config: Path, tmp_path: Path) -> None:
    proc = _run(isolated_config, "--duration", "1", "--out", str(tmp_path / "run"),
                "--xy-lock", "0,x")
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1].endswith(
        "argument --xy-lock: '0,x' rejected; allowed: comma-separated bead ids (e.g. 0,2), "
        "or nothing for every bead")
    assert not (tmp_path / "run").exists()  # refused before any session started

