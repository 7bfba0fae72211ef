"""A manager that crashes every time it starts is given up after ``max_restarts``; the
rest of the session keeps running, and ``magscope run`` exits 1 saying which manager.
Also: a writer disabled while saving makes the run fail (exit 1) with its name.
"""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import pytest
from faults._config_support import CRASHPLUGIN_DIR, error_lines, magscope, plugin_env, run_magscope
from support import TESTPLUGIN_DIR, wait_for

pytestmark = pytest.mark.integration

LEAN = "sim,tracker,gui"  # the plugins these sessions do not need
MAX_RESTARTS = 2  # magscope_crashplugin.MAX_RESTARTS


def test_crash_loop_is_given_up_and_the_run_fails(tmp_path: Path) -> None:
    attempts = tmp_path / "attempts-dir"
    attempts.mkdir()
    env = plugin_env(tmp_path / "config", TESTPLUGIN_DIR, CRASHPLUGIN_DIR,
                     MAGSCOPE_CRASH_KIND="crash", MAGSCOPE_CRASH_DIR=str(attempts),
                     MAGSCOPE_DISABLE_PLUGINS=LEAN)
    out = tmp_path / "run"
    proc = subprocess.Popen(
        magscope("run", "--headless", "--out", str(out), "--camera", "testcam",
                 "--writers", "framelog", "--mode", "video-full", "--json-summary"),
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    log = out / "magscope.log"
    try:
        # wait for the hub to give up, then for frames still being written after that
        assert wait_for(lambda: log.exists() and "left failed" in log.read_text(), 60)
        csv = out / "frames.csv"
        rows_then = csv.read_text().count("\n") if csv.exists() else 0
        assert wait_for(lambda: csv.exists() and csv.read_text().count("\n") > rows_then + 20,
                        30), "the camera and the writer must go on without the crasher"
    finally:
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1, stderr
    summary = json.loads(stdout)
    assert summary["failed_managers"] == ["crasher"]
    assert summary["exit_code"] == 1 and summary["stop_reason"] == "signal SIGTERM"
    assert summary["problems"] == [
        f"manager 'crasher' (plugin 'crashplugin') was left failed after {MAX_RESTARTS} "
        "restart(s)"]
    assert summary["frames"] > 0 and summary["files"] == [str(out / "frames.csv")]
    # one start and max_restarts restarts, then nothing more
    assert (attempts / "attempts").read_text().count("\n") == 1 + MAX_RESTARTS
    text = log.read_text()
    assert text.count("restarting manager 'crasher'") == MAX_RESTARTS
    assert f"manager 'crasher' left failed (gave up after {MAX_RESTARTS} restarts" in text
    assert text.count("Traceback") == 1 + MAX_RESTARTS  # each crash's details, in the log
    # the console: one line per error, no traceback, and the verdict at the end
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1] == (
        f"run failed: manager 'crasher' (plugin 'crashplugin') was left failed after "
        f"{MAX_RESTARTS} restart(s)")
    assert any("left failed (gave up" in line for line in error_lines(stderr))


def test_a_writer_disabled_while_saving_fails_the_run(tmp_path: Path) -> None:
    env = plugin_env(tmp_path / "config", TESTPLUGIN_DIR, CRASHPLUGIN_DIR,
                     MAGSCOPE_CRASH_KIND="none", MAGSCOPE_DISABLE_PLUGINS=LEAN)
    out = tmp_path / "run"
    proc = run_magscope(env, "run", "--headless", "--duration", "2", "--out", str(out),
                        "--camera", "testcam", "--writers", "framelog,broken",
                        "--mode", "video-full", "--json-summary")
    assert proc.returncode == 1, proc.stderr
    summary = json.loads(proc.stdout)
    assert list(summary["failed_writers"]) == ["broken"]
    assert len(summary["problems"]) == 1
    assert summary["problems"][0].startswith("writer 'broken' was disabled: ")
    assert "cannot write, on purpose" in summary["problems"][0]
    assert summary["failed_managers"] == []
    assert summary["files"] == [str(out / "frames.csv")]  # the other writer carried on
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("run failed: writer 'broken'")
