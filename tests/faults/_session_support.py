"""Helpers of the fault-injection suite (import as ``from faults._session_support import ...``).

The fixtures built on them are in ``tests/faults/conftest.py``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import attrs
import psutil

TESTS_DIR = Path(__file__).resolve().parents[1]
TESTPLUGIN_DIR = TESTS_DIR / "testplugin"
FAULTPLUGIN_DIR = Path(__file__).resolve().parent / "faultplugin"


def magscope_argv(*args: str) -> list[str]:
    """The command line of ``magscope ARGS`` with this interpreter."""
    return [sys.executable, "-m", "magscope_core.cli", *args]


@attrs.frozen
class MagscopeResult:
    """A finished ``magscope`` subprocess."""

    returncode: int
    stdout: str
    stderr: str
    pid: int

    def summary(self) -> dict[str, Any]:
        """The ``--json-summary`` document (the run must have been given that flag)."""
        try:
            doc: dict[str, Any] = json.loads(self.stdout)
        except json.JSONDecodeError as exc:
            raise AssertionError(f"no JSON summary on stdout ({exc}):\n{self.stdout[-2000:]}"
                                 f"\nstderr:\n{self.stderr[-3000:]}") from None
        return doc


def session_processes(pid: int) -> list[psutil.Process]:
    """Every descendant of ``pid`` (managers, tracker workers, resource tracker)."""
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def kill_tree(proc: subprocess.Popen[str]) -> None:
    """SIGKILL ``proc``'s process group and every descendant still alive."""
    kids = session_processes(proc.pid)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    for k in kids:
        try:
            k.kill()
        except psutil.NoSuchProcess:
            pass
    try:
        proc.communicate(timeout=10)
    except (subprocess.TimeoutExpired, ValueError):
        pass
    psutil.wait_procs(kids, timeout=10)
