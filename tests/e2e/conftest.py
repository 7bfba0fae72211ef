"""Fixtures of the end-to-end tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def warm_tracker() -> None:
    """Compile (or load) the CPU tracker's numba kernels once, in this process.

    numba caches them next to the module, so a session's tracker workers load them from
    the cache instead of compiling (11 s on a cold machine) while the camera streams:
    the first test of a fresh clone then runs like any other, as in ``make test`` where
    the tracker's own tests compile them first.
    """
    plugin = pytest.importorskip("magscope_tracker.plugin")
    plugin.create().warm_up()
