"""Shared fixtures of the fault-injection suite: whole ``magscope run`` sessions.

Each fault case runs a real session: ``magscope run`` as a subprocess (its own process
group, killed on the way out whatever happens), with a private settings folder, the test
plugins on its path, and its summary read with ``--json-summary``.

Fixtures
--------
``magscope_env``
    Environment for a subprocess: ``MAGSCOPE_CONFIG_DIR`` (isolated), ``PYTHONPATH`` with
    ``tests/testplugin`` and ``tests/faults/faultplugin``.
``run_magscope``
    ``run_magscope(*args, timeout=90) -> MagscopeResult`` runs ``python -m
    magscope_core.cli *args`` to the end.
``start_magscope``
    ``start_magscope(*args) -> subprocess.Popen`` starts one and leaves it running; every
    process it started is killed at teardown.
``warm_tracker``
    Compiles (or loads) the CPU tracker's numba kernels once in the test process, as
    ``make test``'s earlier tests do, so a session's workers load them from the cache.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import psutil
import pytest

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


@pytest.fixture
def magscope_env(isolated_config: Path) -> dict[str, str]:
    """Environment for a ``magscope`` subprocess with the test plugins on its path."""
    env = dict(os.environ)
    paths = [str(TESTPLUGIN_DIR), str(FAULTPLUGIN_DIR), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    env["MAGSCOPE_CONFIG_DIR"] = str(isolated_config)
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    return env


@pytest.fixture
def run_magscope(magscope_env: dict[str, str]) -> Callable[..., MagscopeResult]:
    """Run ``magscope ARGS`` to the end (killed, with everything it started, on timeout)."""

    def run(*args: str, timeout: float = 90.0, env: dict[str, str] | None = None
            ) -> MagscopeResult:
        proc = subprocess.Popen(magscope_argv(*args), env=env or magscope_env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_tree(proc)
            raise AssertionError(f"magscope {' '.join(args)} did not end in {timeout} s"
                                 ) from None
        return MagscopeResult(proc.returncode, out, err, proc.pid)

    return run


@pytest.fixture
def start_magscope(magscope_env: dict[str, str]) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Start ``magscope ARGS`` and leave it running; all of it is killed at teardown."""
    started: list[subprocess.Popen[str]] = []

    def start(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        proc = subprocess.Popen(magscope_argv(*args), env=env or magscope_env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None or session_processes(proc.pid):
            kill_tree(proc)


@pytest.fixture(scope="session")
def warm_tracker() -> None:
    """Compile or load the CPU tracker's kernels here once (numba's cache is shared)."""
    plugin = pytest.importorskip("magscope_tracker.plugin")
    plugin.create().warm_up()
