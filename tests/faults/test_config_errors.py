"""A user's mistakes end in one clear line and exit code 2: never a traceback on screen,
never a restart loop. Each case runs the real ``magscope run`` in a subprocess.

Mistakes found before any process starts (typed camera options, names, the Z-LUT file,
the output folder) start nothing; those only a manager process can see (a camera
constructor's cross-check, a plugin manager's setup) are reported once, the manager is
not restarted, and the traceback is in ``magscope.log`` only.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from faults._config_support import CRASHPLUGIN_DIR, assert_one_clear_line, plugin_env, run_magscope
from support import TESTPLUGIN_DIR

pytestmark = pytest.mark.integration

pytest.importorskip("magscope_sim")

LEAN = "sim,tracker,gui"
"""Plugins left out of the sessions that do not need them (short, light runs)."""


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return plugin_env(tmp_path / "config", TESTPLUGIN_DIR, CRASHPLUGIN_DIR,
                      MAGSCOPE_CRASH_KIND="none")


def _run(env: dict[str, str], out: Path, *args: str) -> object:
    return run_magscope(env, "run", "--headless", "--duration", "1", "--out", str(out), *args)


def test_camera_option_typo_is_one_line_with_did_you_mean(env, tmp_path):
    out = tmp_path / "run"
    proc = _run(env, out, "--camera", "sim", "-O", "fsp=20")
    assert_one_clear_line(proc, "camera 'sim' option 'fsp'", "did you mean 'fps'?",
                          "exposure_ms", "n_tethered")  # the known options are listed
    assert not out.exists()  # found before anything started


@pytest.mark.parametrize(("option", "words"), [
    ("fps=0", ["option fps = '0'", "below the minimum 0.01", "from 0.01 to 10000", "(Hz)"]),
    ("width=wide", ["option width = 'wide'", "not an integer", "from 16 to 16384 (px)"]),
    ("width", ["camera option -O 'width' is not KEY=VALUE"]),
])
def test_bad_camera_option_value_names_the_range_and_unit(env, tmp_path, option, words):
    out = tmp_path / "run"
    assert_one_clear_line(_run(env, out, "--camera", "sim", "-O", option), *words)
    assert not out.exists()


def test_camera_without_schema_rejects_an_unknown_factory_argument(env, tmp_path):
    proc = _run(env, tmp_path / "run", "--camera", "testcam", "-O", "fsp=50")
    assert_one_clear_line(proc, "camera 'testcam' option 'fsp'", "did you mean 'fps'?",
                          "testcam' accepts: dtype, fps, height, width")


@pytest.mark.parametrize(("args", "words"), [
    (["--camera", "testcm"], ["unknown camera 'testcm'", "did you mean 'testcam'?",
                              "installed cameras:", "sim"]),
    (["--camera", "testcam", "--tracker", "cpv"],
     ["unknown tracker 'cpv'", "did you mean 'cpu'?", "installed trackers: cpu"]),
    (["--camera", "testcam", "--writers", "framelgo"],
     ["unknown writer 'framelgo'", "did you mean 'framelog'?", "hdf5"]),
    (["--camera", "testcam", "--mode", "track+video-roi"],
     ["unknown acquisition mode 'track+video-roi'", "did you mean 'track+video-rois'?",
      "video-full"]),
])
def test_unknown_names_get_did_you_mean(env, tmp_path, args, words):
    out = tmp_path / "run"
    assert_one_clear_line(_run(env, out, *args), *words)
    assert not out.exists()


def test_malformed_zlut_is_refused_before_start(env, tmp_path):
    bad = tmp_path / "bad-zlut.txt"
    bad.write_text("not a number\n1 2 3\n")
    out = tmp_path / "run"
    proc = _run(env, out, "--camera", "testcam", "--zlut", str(bad))
    assert_one_clear_line(proc, f"Z-LUT file {bad}", "tracker 'cpu'", "line 1")
    assert not out.exists()
    missing = tmp_path / "missing.txt"
    proc = _run(env, out, "--camera", "testcam", "--zlut", str(missing))
    assert_one_clear_line(proc, f"Z-LUT file {missing} does not exist")


def test_output_folder_that_cannot_be_created(env, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    proc = _run(env, blocker / "run", "--camera", "testcam")
    assert_one_clear_line(proc, f"output folder {blocker / 'run'} cannot be created",
                          f"{blocker} is a file, not a folder", "--out")


def _log(out: Path) -> str:
    return (out / "magscope.log").read_text()


def test_camera_constructor_refusal_is_not_restarted(env, tmp_path):
    # the exposure/frame-period cross-check is only made by the camera, in its process
    out = tmp_path / "run"
    proc = _run(env, out, "--camera", "sim", "-O", "exposure_ms=50", "-O", "fps=100",
                "-O", "width=128", "-O", "height=128", "-O", "n_fixed=0", "-O", "n_tethered=1")
    assert_one_clear_line(proc, "exposure_ms = 50", "frame period", "at most 10 ms",
                          "manager 'camera'", str(out / "magscope.log"))
    log = _log(out)
    assert log.count("configuration error in manager 'camera'") == 1
    assert "Traceback" in log and "ConfigurationError" in log  # the details are kept
    assert "restarting manager" not in log
    assert "pipeline" not in proc.stderr  # nothing else was started after the camera


def test_manager_setup_configuration_error_is_not_restarted(tmp_path):
    attempts = tmp_path / "attempts-dir"
    attempts.mkdir()
    env = plugin_env(tmp_path / "config", TESTPLUGIN_DIR, CRASHPLUGIN_DIR,
                     MAGSCOPE_CRASH_KIND="config", MAGSCOPE_CRASH_DIR=str(attempts),
                     MAGSCOPE_DISABLE_PLUGINS=LEAN)
    out = tmp_path / "run"
    proc = _run(env, out, "--camera", "testcam", "--writers", "framelog", "--mode",
                "video-full")
    assert_one_clear_line(proc, "port = 'COM99'", "Allowed: COM1, COM2", "manager 'crasher'")
    assert (attempts / "attempts").read_text().count("\n") == 1  # one attempt, no restart
    log = _log(out)
    assert "Traceback" in log and "restarting manager 'crasher'" not in log
