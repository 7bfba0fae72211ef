"""``magscope run`` with the GUI, as a user runs it: a new process, Qt offscreen.

The window's screenshot sidecar (``$MAGSCOPE_GUI_SCREENSHOT``) says what it showed, and
``magscope.log`` says in which order things happened: the start-up window comes before
the managers are up; a start-up failure is named in the window, which stays until
``--duration`` closes it; no shared memory is left behind either way.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


HERE = Path(__file__).resolve().parent
GATE_PLUGIN = HERE / "gateplugin"  # contributes the gate manager (magscope_guigate)
SMALL_SIM = ("-O", "width=256", "-O", "height=256", "-O", "n_fixed=2", "-O", "n_tethered=2",
             "-O", "seed=11")


def _run(tmp_path: Path, *options: str, duration: float = 2.0, fail: str = ""
         ) -> tuple[subprocess.CompletedProcess[str], dict[str, object], list[str]]:
    """``magscope run`` with the GUI; with ``fail``, the gate manager's setup fails."""
    shot = tmp_path / "shot.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DISPLAY=":offscreen",
               MAGSCOPE_GUI_SCREENSHOT=str(shot), MAGSCOPE_CONFIG_DIR=str(tmp_path / "cfg"))
    if fail:
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(GATE_PLUGIN), str(HERE), env.get("PYTHONPATH", "")) if p)
        env["MAGSCOPE_GUIGATE_FAIL"] = fail
    else:
        options = ("--no-managers", *options)
    cmd = [sys.executable, "-m", "magscope_core.cli", "run", "--duration", str(duration),
           "--camera", "sim", "--workers", "1", "--no-save",
           "--out", str(tmp_path / "out"), "--panels", "video,status", *options]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=tmp_path)
    out, err = proc.communicate(timeout=90)
    leftovers = [n for n in os.listdir("/dev/shm") if n.startswith(f"magscope-{proc.pid}-")]
    assert leftovers == [], f"shared memory left behind: {leftovers}"
    done = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    assert shot.exists(), f"no screenshot; stderr:\n{err[-3000:]}"
    sidecar = json.loads(shot.with_suffix(".json").read_text())
    log = (tmp_path / "out" / "magscope.log").read_text().splitlines()
    return done, sidecar, log


def _first(log: list[str], text: str) -> int:
    for i, line in enumerate(log):
        if text in line:
            return i
    raise AssertionError(f"{text!r} is not in magscope.log")


def test_the_start_up_window_comes_first_then_the_live_panels(tmp_path: Path) -> None:
    done, sidecar, log = _run(tmp_path, *SMALL_SIM)
    assert done.returncode == 0, done.stderr[-3000:]
    shown = _first(log, "magscope.gui: start-up window shown")
    assert shown < _first(log, "manager camera is running")
    assert shown < _first(log, "manager pipeline is running")
    assert _first(log, "manager pipeline is running") < _first(log, "window ready: 2 panels")
    assert sidecar["failed_panels"] == {}
    video = sidecar["video"]
    assert isinstance(video, dict) and video["live"] is True
    assert video["beads"] == video["rois_drawn"] == 4 and video["frames_shown"] >= 10


def test_a_failed_start_up_is_named_in_the_window(tmp_path: Path) -> None:
    """A manager (the gate, as a plugin) fails its setup: the window names it and why."""
    _, sidecar, log = _run(tmp_path, *SMALL_SIM, duration=1.0,
                           fail="no motor controller on /dev/ttyUSB7")
    startup = sidecar["startup"]
    assert isinstance(startup, dict)
    assert startup["failure"].startswith("session started without gate")
    reason = "gate failed to start: no motor controller on /dev/ttyUSB7"
    assert startup["failed_parts"] == {"gate": reason}
    assert ["hub", "working", "shared memory ready"] in startup["rows"]
    assert ["gate", "FAILED", reason] in startup["rows"]
    assert ["camera", "ready", "camera ready"] in startup["rows"]  # the rest came up
    failed = _first(log, "magscope.gui: start-up failed: session started without gate")
    assert _first(log, "start-up window shown") < failed
    assert "window ready" not in "\n".join(log)  # the panels never replaced it


def test_sigterm_during_the_start_up_ends_cleanly(tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DISPLAY=":offscreen",
               MAGSCOPE_CONFIG_DIR=str(tmp_path / "cfg"))
    env.pop("MAGSCOPE_GUI_SCREENSHOT", None)
    log = tmp_path / "out" / "magscope.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "magscope_core.cli", "run", "--camera", "sim", "--workers",
         "1", "--no-save", "--no-managers", "--out", str(tmp_path / "out"),
         "--json-summary"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 60
        while not (log.exists() and "start-up window shown" in log.read_text()):
            assert proc.poll() is None, proc.communicate()[1][-3000:]
            assert time.monotonic() < deadline, "the start-up window never appeared"
            time.sleep(0.05)  # polls the log for the condition
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err[-3000:]
    assert json.loads(out)["stop_reason"] == "signal SIGTERM"
    leftovers = [n for n in os.listdir("/dev/shm") if n.startswith(f"magscope-{proc.pid}-")]
    assert leftovers == [], f"shared memory left behind: {leftovers}"
    assert "Traceback" not in err
