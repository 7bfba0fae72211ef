"""``magscope run``'s verdict (exit 1 reasons) and ``--help-camera``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from magscope_core import CorePlugin, describe, load_plugins, plan_session
from magscope_core.cli._run_report import run_problems

pytest.importorskip("magscope_sim")
pytest.importorskip("magscope_writers")


@pytest.fixture(scope="module")
def plugins():
    return load_plugins(builtins=[(CorePlugin(), "core", "magscope-core")])


def _summary(**changes):
    base = {"frames": 500, "beads": 2, "files_by_writer": {"hdf5": ["/x/t.h5"]},
            "failed_writers": {}, "fatal_errors": 0}
    return {**base, **changes}


def _status(**states):
    return {"managers": {name: {"state": state, "restarts": 3, "plugin": "sim"}
                         for name, state in {"camera": "running", **states}.items()}}


def test_a_good_run_has_no_problem(plugins, tmp_path: Path) -> None:
    plan = plan_session(plugins, camera="sim", out_dir=tmp_path, writers=["hdf5"], mode="track")
    assert run_problems(_summary(), plan, plugins, _status(), saving=True) == []


def test_each_failure_is_named(plugins, tmp_path: Path) -> None:
    plan = plan_session(plugins, camera="sim", out_dir=tmp_path, writers=["hdf5"], mode="track")
    assert run_problems(_summary(), plan, plugins, _status(focus="failed"), saving=True) == [
        "manager 'focus' (plugin 'sim') was left failed after 3 restart(s)"]
    assert run_problems(_summary(failed_writers={"hdf5": "write_tracks: OSError: full"}),
                        plan, plugins, _status(), saving=True) == [
        "writer 'hdf5' was disabled: write_tracks: OSError: full"]
    assert run_problems(_summary(files_by_writer={}), plan, plugins, _status(),
                        saving=True) == [
        "no tracking data was saved (tracks writer(s) hdf5 wrote no file)"]
    assert run_problems(_summary(frames=0, fatal_errors=2, files_by_writer={}), plan, plugins,
                        _status(), saving=False) == ["no frame was acquired"]


def test_what_was_not_asked_for_is_not_a_failure(plugins, tmp_path: Path) -> None:
    track = plan_session(plugins, camera="sim", out_dir=tmp_path, writers=["hdf5"],
                         mode="track")
    nothing = _summary(files_by_writer={})
    assert run_problems(nothing, track, plugins, _status(), saving=False) == []  # --no-save
    assert run_problems(_summary(beads=0, files_by_writer={}), track, plugins, _status(),
                        saving=True) == []  # no bead: no tracks to save
    video = plan_session(plugins, camera="sim", out_dir=tmp_path, writers=["tiff"],
                         mode="video-full")
    assert run_problems(nothing, video, plugins, _status(), saving=True) == []


def _magscope(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "magscope_core.cli", *args],
                          env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=60)


def test_help_camera_lists_every_option(isolated_config) -> None:
    from magscope_sim import SimCameraOptions

    proc = _magscope("run", "--camera", "sim", "--help-camera", COLUMNS="250")
    assert proc.returncode == 0, proc.stderr
    rows = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:-1]]
            for line in proc.stdout.splitlines()
            if line.startswith("│") and line.split("│")[1].strip()}
    assert set(rows) == {i.key for i in describe(SimCameraOptions)}
    assert rows["fps"][:4] == ["float", "100.0", "0.01 .. 10000", "Hz"]
    assert rows["width"][:4] == ["int", "1024", "16 .. 16384", "px"]
    assert rows["gain_auto"][:3] == ["bool", "true", "any"]
    assert rows["truth_file"][:2] == ["str", "''"]


def test_help_camera_of_a_camera_without_schema(testplugin_path, isolated_config) -> None:
    proc = _magscope("run", "--camera", "testcam", "--help-camera")
    assert proc.returncode == 0, proc.stderr
    assert "camera 'testcam'" in proc.stdout and "does not declare its options" in proc.stdout
    proc = _magscope("run", "--camera", "testcm", "--help-camera")
    assert proc.returncode == 2 and "did you mean 'testcam'?" in proc.stderr
