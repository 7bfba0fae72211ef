"""A misbehaving tracker plugin for the fault-injection tests.

``faulty`` wraps the real CPU tracker and, once per session, fails on one stack: it
raises on, hangs in, or exits the process at the ``fail_on``-th stack a worker tracks.
``marker`` is a file path: the first worker to reach that stack creates it (atomically)
and misbehaves; any later worker sees the file and tracks normally, so exactly one stack
fails. The file
holds the failing worker's pid and the frame count of the stack.

Put this folder on ``sys.path`` and register the module as a plugin; it is never
installed.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import attrs
from magscope_tracker import CpuTracker, create_tracker

from magscope_core import SettingsSpec, TrackerSpec, hookimpl, setting

__all__ = ["FaultSettings", "FaultyTracker", "create", "magscope_settings",
           "magscope_trackers"]


@attrs.frozen
class FaultSettings:
    """Settings of the faulty tracker (namespace ``tracker.faulty``)."""

    how: str = setting("raise", choices=("raise", "hang", "exit", "none"),
                       doc="What to do on the failing stack.")
    fail_on: int = setting(5, minimum=1, maximum=1_000_000,
                           doc="Which stack of a worker fails (1 = its first).")
    marker: str = setting("", doc="File created by the worker that fails (once per session).")


class FaultyTracker:
    """The CPU tracker, except on one stack per session (see the module docstring)."""

    def __init__(self, how: str = "raise", fail_on: int = 5, marker: str = "") -> None:
        self.how, self.fail_on, self.marker = how, fail_on, marker
        self.inner: CpuTracker = create_tracker()
        self.stacks = 0

    def __getattr__(self, name: str) -> Any:  # make_zlut, load_zlut, warm_up, ...
        return getattr(self.inner, name)

    def _claim(self, n_rois: int) -> bool:
        """Whether this call is the one that fails (only the first worker to get here)."""
        if self.how == "none" or not self.marker:
            return False
        try:
            fd = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w") as fh:
            fh.write(f"{os.getpid()} {n_rois}\n")
        return True

    def track(self, rois: Any, zlut: Any = None, **kwargs: Any) -> Any:
        if not kwargs:  # live-profile calls do not count as stacks
            self.stacks += 1
            if self.stacks == self.fail_on and self._claim(len(rois)):
                if self.how == "hang":
                    time.sleep(3600)
                if self.how == "exit":
                    os._exit(3)
                raise RuntimeError(f"faulty tracker: failing on stack {self.stacks} on purpose")
        return self.inner.track(rois, zlut, **kwargs)


def create(**options: Any) -> FaultyTracker:
    """The spec's factory (runs in every worker)."""
    return FaultyTracker(**options)


@hookimpl
def magscope_trackers() -> list[TrackerSpec]:
    return [TrackerSpec(name="faulty", factory=create, settings=FaultSettings, priority=-100,
                        description="the CPU tracker, failing on one stack (tests only)")]


@hookimpl
def magscope_settings() -> list[SettingsSpec]:
    return [SettingsSpec(namespace="tracker.faulty", schema=FaultSettings)]


def marker_pid(marker: str | Path) -> int:
    """Pid of the worker that failed (from the marker file)."""
    return int(Path(marker).read_text().split()[0])
