"""Fault: the main process (hub) is killed with SIGKILL mid-session.

Expected: every manager and tracker worker exits by itself (parent-death signal, end of
file on its pipe). Who removes the session's shared memory depends on what died with the
hub: when only the hub is killed, its resource tracker outlives it and unlinks the
segments once the children are gone; when the tracker died too (the whole process group
killed, an OOM kill), the next ``magscope run`` finds the dead session's segments, removes
them itself and says so (no ``magscope cleanup`` needed).
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import psutil
import pytest
from faults._session_support import session_processes
from support import shm_segments, wait_for

# serial: what a killed session leaves is cleaned by whichever magscope starts next
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.serial]

SESSION = ("run", "--headless", "--camera", "counter", "--tracker", "slow", "--workers", "2",
           "--mode", "track", "--no-save")


def _titles(pid: int) -> dict[str, psutil.Process]:
    """Session processes by title (``magscope: camera`` -> ``camera``)."""
    found = {}
    for p in session_processes(pid):
        try:
            cmd = " ".join(p.cmdline()).strip()
        except psutil.Error:
            continue
        if cmd.startswith("magscope: "):
            found[cmd.removeprefix("magscope: ")] = p
        elif "resource_tracker" in cmd:
            found["resource tracker"] = p
    return found


def _start(start_magscope, out: Path):
    proc = start_magscope(*SESSION, "--out", str(out))
    wanted = {"camera", "pipeline", "echo", "tracker 1", "tracker 2", "resource tracker"}
    assert wait_for(lambda: wanted <= set(_titles(proc.pid)), timeout=60), _titles(proc.pid)
    assert wait_for(lambda: len(shm_segments(f"{proc.pid}-")) > 0, timeout=10)
    return proc, _titles(proc.pid)


def _next_run(run_magscope, out: Path):
    result = run_magscope(*SESSION, "--duration", "1", "--out", str(out), "--json-summary")
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.summary()["frames"] > 0
    said = [line for line in result.stderr.splitlines() if "left by dead sessions" in line]
    return result, said


def test_hub_sigkill_every_child_exits_and_nothing_is_left(
        start_magscope, run_magscope, tmp_path: Path) -> None:
    """SIGKILL of the main process alone: managers, workers and the resource tracker end."""
    proc, procs = _start(start_magscope, tmp_path / "a")
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)  # reap it: a zombie's pid still looks alive
    # every manager and worker exits by itself; the resource tracker then unlinks what the
    # session had registered and exits too
    _gone, alive = psutil.wait_procs(list(procs.values()), timeout=30)
    assert alive == [], f"outlived the hub: {[(p.pid, p.name()) for p in alive]}"
    assert shm_segments(f"{proc.pid}-") == []
    _result, said = _next_run(run_magscope, tmp_path / "b")
    assert not any(f"magscope-{proc.pid}-" in line for line in said)


def test_session_killed_whole_next_run_removes_its_segments_and_says_so(
        start_magscope, run_magscope, tmp_path: Path) -> None:
    """SIGKILL of the hub and its resource tracker (a killed process group, an OOM kill):
    nobody unlinks the session's memory; the next ``magscope run`` does, and says so."""
    proc, procs = _start(start_magscope, tmp_path / "a")
    os.killpg(proc.pid, signal.SIGKILL)  # the session leader's group: every process at once
    proc.communicate(timeout=30)
    _gone, alive = psutil.wait_procs(list(procs.values()), timeout=30)
    assert alive == []
    stale = shm_segments(f"{proc.pid}-")
    assert stale, "the killed session left no segment"
    _result, said = _next_run(run_magscope, tmp_path / "b")
    assert shm_segments(f"{proc.pid}-") == []
    assert said and f"magscope-{proc.pid}-" in said[0], said
    assert f"removed {len(stale)} shared-memory segments" in said[0]
