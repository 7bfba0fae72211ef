"""Helpers for the core's tests (import as ``from support import ...``)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

TESTPLUGIN_DIR = Path(__file__).parent / "testplugin"


def shm_segments(session: str | None = None) -> list[str]:
    """Names of ``magscope-`` segments in /dev/shm (of one session if given)."""
    if not os.path.isdir("/dev/shm"):
        return []
    prefix = f"magscope-{session}" if session else "magscope-"
    return sorted(n for n in os.listdir("/dev/shm") if n.startswith(prefix))


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0, step: float = 0.05) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` passes; return its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()
