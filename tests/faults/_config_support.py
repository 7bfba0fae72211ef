"""Helpers of the configuration-error and crash-loop fault tests: ``magscope run`` in a
subprocess with the test plugins on the path, and what its stderr must look like."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CRASHPLUGIN_DIR = Path(__file__).parent / "crashplugin"


def plugin_env(config: Path, *paths: Path, **extra: str) -> dict[str, str]:
    """The environment of a ``magscope`` subprocess: private settings, plugins on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in paths)
    env["MAGSCOPE_CONFIG_DIR"] = str(config)
    env.update(extra)
    return env


def magscope(*args: str) -> list[str]:
    """The command line of ``magscope ARGS`` with this interpreter."""
    return [sys.executable, "-m", "magscope_core.cli", *args]


def run_magscope(env: dict[str, str], *args: str,
                 timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``magscope ARGS`` to the end."""
    return subprocess.run(magscope(*args), env=env, capture_output=True, text=True,
                          timeout=timeout)


def error_lines(stderr: str) -> list[str]:
    """The lines of stderr that report an error or a warning (any case)."""
    return [line for line in stderr.splitlines()
            if any(w in line.lower() for w in ("error", "warning", "traceback", "failed"))]


def assert_one_clear_line(proc: subprocess.CompletedProcess[str], *words: str) -> str:
    """Exit code 2, no traceback, exactly one error line holding every one of ``words``."""
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = error_lines(proc.stderr)
    assert len(lines) == 1, proc.stderr
    line = lines[0]
    assert line.startswith("error: "), line
    for word in words:
        assert word in line, (word, line)
    return line
