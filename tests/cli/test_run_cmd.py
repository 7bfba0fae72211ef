"""``magscope run`` end to end, in real subprocesses."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from support import shm_segments, wait_for

pytestmark = pytest.mark.integration


def _env(testplugin_path: Path, config: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(testplugin_path)
    env["MAGSCOPE_CONFIG_DIR"] = str(config)
    return env


def _magscope(*args: str) -> list[str]:
    return [sys.executable, "-m", "magscope_core.cli", *args]


def test_headless_run_writes_files_and_summary(testplugin_path, isolated_config, tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run(
        _magscope("run", "--headless", "--duration", "2", "--out", str(out),
                  "--camera", "testcam", "--writers", "framelog", "--mode", "video-full",
                  "--json-summary"),
        env=_env(testplugin_path, isolated_config), capture_output=True, text=True, timeout=90,
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["frames"] > 50 and summary["stop_reason"] == "duration reached"
    assert summary["files"] == [str(out / "frames.csv")]
    assert summary["dropped"] == 0 and summary["errors"] == []
    rows = (out / "frames.csv").read_text().splitlines()
    assert len(rows) - 1 == summary["frames_processed"] > 0
    assert (out / "magscope.log").read_text().count("magscope:camera") >= 1
    assert "frames" in proc.stderr  # the progress line


def test_unknown_camera_is_a_clear_error(testplugin_path, isolated_config, tmp_path):
    proc = subprocess.run(
        _magscope("run", "--headless", "--duration", "1", "--out", str(tmp_path),
                  "--camera", "nope"),
        env=_env(testplugin_path, isolated_config), capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2
    assert "unknown camera 'nope'" in proc.stderr and "testcam" in proc.stderr


def _children(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _start_run(testplugin_path, isolated_config, out: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        _magscope("run", "--headless", "--out", str(out), "--camera", "testcam",
                  "--mode", "video-full", "--json-summary"),
        env=_env(testplugin_path, isolated_config), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )
    csv = out / "frames.csv"
    assert wait_for(lambda: csv.exists() and csv.stat().st_size > 200, timeout=60)
    return proc


def test_sigterm_to_main_process_leaves_no_orphan_and_no_segment(
    testplugin_path, isolated_config, tmp_path
):
    proc = _start_run(testplugin_path, isolated_config, tmp_path / "run")
    children = _children(proc.pid)
    managers = [c for c in children if "resource_tracker" not in " ".join(c.cmdline())]
    assert len(managers) >= 3  # camera, pipeline, echo
    assert shm_segments(f"{proc.pid}-")
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    assert json.loads(stdout)["stop_reason"] == "signal SIGTERM"
    _gone, alive = psutil.wait_procs(children, timeout=10)
    assert alive == []
    assert shm_segments(f"{proc.pid}-") == []


@pytest.mark.serial  # a concurrent start would clean the killed session first
def test_sigkill_to_main_process_children_exit_and_next_start_cleans(
    testplugin_path, isolated_config, tmp_path
):
    proc = _start_run(testplugin_path, isolated_config, tmp_path / "run")
    children = _children(proc.pid)
    proc.kill()
    proc.communicate(timeout=30)
    _gone, alive = psutil.wait_procs(children, timeout=15)
    assert alive == [], "managers must not outlive a killed hub"
    # whatever the resource tracker did not unlink, the next start (or cleanup) removes
    subprocess.run(_magscope("cleanup"), env=_env(testplugin_path, isolated_config),
                   check=True, capture_output=True, timeout=60)
    assert shm_segments(f"{proc.pid}-") == []


def test_commands_lists_routes_owners_and_plugins(testplugin_path, isolated_config):
    proc = subprocess.run(_magscope("commands", "--json"),
                          env=_env(testplugin_path, isolated_config),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    rows = {r["name"]: r for r in json.loads(proc.stdout)}
    assert rows["Echo"]["route"] == "direct" and rows["Echo"]["owners"] == ["echo"]
    assert rows["Echo"]["plugin"] == "testplugin" and rows["Echo"]["scriptable"] is True
    assert rows["Echo"]["distribution"] == "magscope-testplugin"
    assert rows["Note"]["route"] == "broadcast"
    assert rows["Shutdown"]["route"] == "hub" and rows["Shutdown"]["owners"] == ["hub"]
    assert set(rows["Quit"]["owners"]) >= {"camera", "pipeline", "echo"}
    assert rows["SetCameraSetting"]["owners"] == ["camera"]
    # complete: every core and test-plugin command is listed, none twice
    from magscope_testplugin import COMMANDS

    from magscope_core._core_plugin import CORE_COMMANDS

    names = [r["name"] for r in json.loads(proc.stdout)]
    assert len(names) == len(set(names))
    assert {s.command.__name__ for s in (*CORE_COMMANDS, *COMMANDS)} <= set(names)
    assert rows["Echo"]["fields"] == ["text"] and rows["Fail"]["fields"] == ["how"]
