"""``magscope script run FILE`` with a display: the GUI opens with the Script panel running it.

A new process as a user runs it, Qt offscreen. The window stays open when the protocol is
done (the user looks at the result); SIGTERM closes it and the exit code says how the
protocol ended.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

PROTOCOL = '''"""Short: the magnet's state, a pause."""
steps = [GetMagnet(), sleep(0.2 * s), GetMagnet()]
'''


def test_script_run_opens_the_gui_with_the_script_panel_running_the_file(
        tmp_path: Path) -> None:
    path = tmp_path / "forces.py"
    path.write_text(PROTOCOL)
    out = tmp_path / "out"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DISPLAY=":offscreen",
               MAGSCOPE_CONFIG_DIR=str(tmp_path / "cfg"), MAGSCOPE_AUTO_ZLUT="0",
               MAGSCOPE_DATA_DIR=str(tmp_path / "data"))
    env.pop("MAGSCOPE_GUI_SCREENSHOT", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "magscope_core.cli", "script", "run", str(path),
         "--camera", "sim", "--workers", "1", "--no-save", "--out", str(out),
         "--panels", "video", "-O", "width=256", "-O", "height=256", "-O", "n_fixed=1",
         "-O", "n_tethered=1"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, cwd=tmp_path)
    log = out / "magscope.log"
    try:
        deadline = time.monotonic() + 90
        while not (log.exists() and "protocol forces.py done" in log.read_text()):
            assert proc.poll() is None, proc.communicate()[1][-3000:]
            assert time.monotonic() < deadline, "the protocol never ended"
            time.sleep(0.1)  # polls the log for the condition
        proc.send_signal(signal.SIGTERM)  # the user closes the window
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err[-3000:]
    text = log.read_text()
    assert "window ready: 2 panels (video, script)" in text  # added to --panels
    assert f"Script panel: protocol {path} loaded and started" in text
    assert text.index("window ready") < text.index("loaded and started")
    assert "manager locks is running" in text  # the GUI has lock panels
    assert "protocol forces.py done in" in err
    assert "Traceback" not in err
