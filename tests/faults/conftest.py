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

Helpers (``MagscopeResult``, ``session_processes``, ``kill_tree``, ``magscope_argv``) are
in ``faults._session_support``.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from faults._session_support import (
    FAULTPLUGIN_DIR,
    TESTPLUGIN_DIR,
    MagscopeResult,
    kill_tree,
    magscope_argv,
    session_processes,
)


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
