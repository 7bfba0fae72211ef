"""``magscope script check|run`` with a third-party plugin's scriptable command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def _magscope(testplugin_path: Path, config: Path, *args: str,
              timeout: float = 90) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(testplugin_path), MAGSCOPE_CONFIG_DIR=str(config))
    for name in ("DISPLAY", "WAYLAND_DISPLAY"):  # no display: the GUI is not an option
        env.pop(name, None)
    return subprocess.run([sys.executable, "-m", "magscope_core.cli", *args], env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_check_prints_the_plan_with_a_plugin_command(testplugin_path, isolated_config,
                                                     tmp_path: Path) -> None:
    path = tmp_path / "echo.py"
    path.write_text('"""Say hello."""\nsteps = [Echo(text="hi"), sleep(2.5 * s)] * 2\n')
    proc = _magscope(testplugin_path, isolated_config, "script", "check", str(path))
    assert proc.returncode == 0, proc.stderr
    assert "echo.py: Say hello." in proc.stdout
    assert proc.stdout.count("Echo(text='hi')") == 2
    assert "4 steps, duration 0:05.0" in proc.stdout
    assert "at least" not in proc.stdout


def test_a_plugin_command_that_is_not_scriptable_is_refused(testplugin_path, isolated_config,
                                                            tmp_path: Path) -> None:
    path = tmp_path / "note.py"
    path.write_text('steps = [\n    Echo(text="hi"),\n    Note(text="no"),\n]\n')
    proc = _magscope(testplugin_path, isolated_config, "script", "check", str(path))
    assert proc.returncode == 2
    assert proc.stderr.strip() == (f"error: {path}:3: Note is not scriptable (its plugin "
                                   "does not allow scripts to send it)")


def test_run_sends_the_plugin_command_and_ends_the_session(testplugin_path, isolated_config,
                                                           tmp_path: Path) -> None:
    path = tmp_path / "echo.py"
    path.write_text('steps = [Echo(text="hello from a protocol"), sleep(0.2)]\n')
    out = tmp_path / "out"
    proc = _magscope(testplugin_path, isolated_config, "script", "run", str(path),
                     "--out", str(out), "--camera", "testcam",
                     "--writers", "framelog", "--mode", "video-full", "--beads", "0")
    assert proc.returncode == 0, proc.stderr
    # no --headless, but no display either: one line says so, and it runs headless
    assert proc.stderr.splitlines()[0] == "no display: running headless (use --headless to " \
        "say so)"
    assert "protocol echo.py done" in proc.stderr
    assert "protocol done: step 2/2 (line 1): sleep 0.2 s" in proc.stderr
    log = (out / "magscope.log").read_text()
    assert "step 1 reply: 'echo:hello from a protocol'" in log
    assert "manager locks" not in log  # no lock command: no locks manager


def test_a_failing_step_exits_1_with_its_line(testplugin_path, isolated_config,
                                              tmp_path: Path) -> None:
    path = tmp_path / "bad.py"
    path.write_text("steps = [\n    sleep(0.1),\n"
                    "    wait_tracks(bead=99, above=0, timeout=0.5),\n]\n")
    proc = _magscope(testplugin_path, isolated_config, "script", "run", str(path),
                     "--headless", "--out", str(tmp_path / "out"), "--camera", "testcam",
                     "--writers", "framelog", "--beads", "0")
    assert proc.returncode == 1, proc.stderr
    assert ("protocol failed: step 2 (line 3): timed out after 0.5 s: wait until bead 99: "
            "z > 0 nm") in proc.stderr


def test_ctrl_c_stops_the_protocol_at_the_safe_force(testplugin_path, isolated_config,
                                                     tmp_path: Path) -> None:
    import signal

    path = tmp_path / "long.py"
    path.write_text("steps = [SetForce(force_pn=2.0), wait_motor('magnet'), sleep(120)]\n")
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=str(testplugin_path),
               MAGSCOPE_CONFIG_DIR=str(isolated_config))
    proc = subprocess.Popen(
        [sys.executable, "-m", "magscope_core.cli", "script", "run", str(path), "--headless",
         "--out", str(out), "--camera", "testcam", "--writers", "framelog,telemetry",
         "--beads", "0", "--safe-force", "0.7"],
        env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    assert proc.stderr is not None
    seen = []
    try:
        for line in proc.stderr:  # ends if the process dies: the test then fails below
            seen.append(line)
            if "step 3/3" in line:
                proc.send_signal(signal.SIGINT)
                break
        _, rest = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    text = "".join(seen) + rest
    assert proc.returncode == 1, text[-3000:]
    assert "protocol stopped: stopped by SIGINT" in text
    magnet = [row.split() for row in (out / "magnet.txt").read_text().splitlines()
              if not row.startswith("#")]  # t, position_mm, target_mm, force_pn
    assert float(magnet[-1][3]) == pytest.approx(0.7, rel=1e-3)
    assert any(abs(float(r[3]) - 2.0) < 2e-3 for r in magnet)  # it was at 2 pN before


def test_a_protocol_with_a_lock_command_gets_the_locks_manager(
        testplugin_path, isolated_config, tmp_path: Path) -> None:
    """Only a protocol that sends a lock command starts ``locks`` (one process less).

    The protocol without one is ``test_run_sends_the_plugin_command_and_ends_the_session``.
    """
    import io

    from rich.console import Console

    from magscope_core import CORE_COMMANDS
    from magscope_core._protocol_load import parse_protocol
    from magscope_core.cli._script_cmd import print_plan

    path = tmp_path / "locked.py"
    path.write_text("steps = [SetXYLock(on=False), GetLocks()]\n")
    for text, uses in ((path.read_text(), True), ("steps = [sleep(1)]\n", False)):
        printed = io.StringIO()
        print_plan(Console(file=printed, width=200), parse_protocol(text, path, CORE_COMMANDS))
        assert ("uses a lock: 'magscope script run' starts the locks manager"
                in printed.getvalue()) is uses
    out = tmp_path / "out"
    proc = _magscope(testplugin_path, isolated_config, "script", "run", str(path),
                     "--headless", "--out", str(out), "--camera", "testcam",
                     "--writers", "framelog", "--mode", "video-full", "--beads", "0")
    assert proc.returncode == 0, proc.stderr
    assert "manager locks is running" in (out / "magscope.log").read_text()


def test_check_times_motor_moves_with_the_installed_motors(isolated_config, tmp_path: Path) -> None:
    """The simulated magnet: 2 mm/s from 10 mm, its own force calibration (ground truth)."""
    import io

    from rich.console import Console

    from magscope_core import CORE_COMMANDS, motion_models
    from magscope_core._protocol_load import parse_protocol
    from magscope_core.cli._common import load_everything
    from magscope_core.cli._script_cmd import print_plan

    calibration = pytest.importorskip("magscope_sim._magnet").MagnetCalibration.default()
    plugins, store = load_everything(None)
    text = 'steps = [SetForce(force_pn=5), wait_motor("magnet"), MoveFocus(z_nm=2500), ' \
        'wait_motor("focus")]\n'
    protocol = parse_protocol(text, tmp_path / "moves.py", CORE_COMMANDS)
    motion = motion_models(plugins, store)
    expected = abs(calibration.position_for(5.0) - 10.0) / 2.0
    assert [r.duration_s for r in protocol.plan(motion)] == pytest.approx(
        [0.0, expected, 0.0, 2.5])
    printed = io.StringIO()
    print_plan(Console(file=printed, width=200), protocol, motion)
    out = printed.getvalue()
    assert f"{expected:.4g} s" in out and "2.5 s" in out and "at least" not in out
    assert "motor moves timed with: focus 1000 nm/s, magnet 2 mm/s, rotation 5 turns/s" in out
