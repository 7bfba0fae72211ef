"""Process titles: every process of a running session says what it is in ``ps``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from support import TESTPLUGIN_DIR, wait_for

from magscope_core._proctitle import PREFIX, set_process_title

FAULTPLUGIN_DIR = Path(__file__).parent / "faults" / "faultplugin"


def _title(proc: psutil.Process) -> str:
    """What ``ps -o args`` shows: /proc/<pid>/cmdline, as the process left it."""
    try:
        raw = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def test_set_process_title_degrades_without_the_package(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "setproctitle", None)  # import now raises ImportError
    assert set_process_title("hub") is False


@pytest.mark.integration
@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs Linux /proc")
def test_every_process_of_a_session_has_its_title(isolated_config, tmp_path) -> None:
    pytest.importorskip("setproctitle")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(TESTPLUGIN_DIR), str(FAULTPLUGIN_DIR)])
    env["MAGSCOPE_CONFIG_DIR"] = str(isolated_config)
    proc = subprocess.Popen(
        [sys.executable, "-m", "magscope_core.cli", "run", "--headless", "--camera",
         "counter", "--tracker", "slow", "--workers", "2", "--mode", "track", "--no-save",
         "--out", str(tmp_path / "run")],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True)
    main = psutil.Process(proc.pid)
    wanted = {"hub", "camera", "pipeline", "echo", "tracker 1", "tracker 2"}

    def titles() -> dict[str, psutil.Process]:
        procs = [main, *main.children(recursive=True)]
        return {t[len(PREFIX):]: p for p in procs if (t := _title(p)).startswith(PREFIX)}

    try:
        assert wait_for(lambda: wanted <= set(titles()), timeout=60), titles()
        found = titles()
        assert found["hub"].pid == proc.pid
        workers = found["pipeline"].children()
        assert {found["tracker 1"], found["tracker 2"]} <= set(workers)
        # 'top' shows the kernel's short name (15 characters): it starts the same way
        assert found["camera"].name().startswith("magscope")
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-2000:]
