"""A manager that fails in ``setup()`` every time it starts (fault tests only).

Put on the path by the tests (its ``*.dist-info`` sits next to it), never installed.
``MAGSCOPE_CRASH_KIND`` chooses the failure: ``crash`` (a RuntimeError, a fault the hub
restarts until it gives up) or ``config`` (a ConfigurationError, never restarted);
``none`` contributes no manager. Each start appends a line to
``<MAGSCOPE_CRASH_DIR>/attempts``. The writer ``broken`` (not enabled by default) raises
on every stack.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from magscope_core import (
    ConfigurationError,
    ManagerProcess,
    ManagerSpec,
    RestartPolicy,
    WriterBase,
    WriterSpec,
    hookimpl,
)

__all__ = ["BadLutTracker", "BrokenWriter", "CrashingManager", "magscope_managers",
           "magscope_writers"]

MAX_RESTARTS = 2


class CrashingManager(ManagerProcess):
    """Fails in setup, every time."""

    def __init__(self, kind: str = "crash", attempts_dir: str = "") -> None:
        super().__init__()
        self.kind = kind
        self.attempts_dir = attempts_dir

    def setup(self) -> None:
        if self.attempts_dir:
            with (Path(self.attempts_dir) / "attempts").open("a") as fh:
                fh.write(f"{os.getpid()}\n")
        if self.kind == "config":
            raise ConfigurationError("crasher option port = 'COM99' rejected: no such port. "
                                     "Allowed: COM1, COM2")
        raise RuntimeError("the crasher crashed on purpose")


class BadLutTracker:
    """A tracker whose Z-LUT loader refuses every file (a Z-LUT problem only a process
    sees: used directly by the core's tests, not contributed as a plugin)."""

    def load_zlut(self, path: Path) -> None:
        raise ValueError(f"Z-LUT file '{path}', line 3: 7 values, expected 20")

    def make_zlut(self, stack: np.ndarray, z_nm: np.ndarray) -> None:
        raise NotImplementedError

    def track(self, rois: np.ndarray, zlut: object) -> None:
        raise NotImplementedError


class BrokenWriter(WriterBase):
    """A writer whose every write_stack raises (disabled after 3 failures in a row)."""

    def write_stack(self, frames: np.ndarray, timestamps: np.ndarray, first_frame: int) -> None:
        raise OSError("the broken writer cannot write, on purpose")


@hookimpl
def magscope_writers() -> list[WriterSpec]:
    return [WriterSpec(name="broken", factory=BrokenWriter, default_enabled=False)]


@hookimpl
def magscope_managers() -> list[ManagerSpec]:
    kind = os.environ.get("MAGSCOPE_CRASH_KIND", "crash")
    if kind == "none":
        return []
    return [ManagerSpec(
        name="crasher", factory=CrashingManager,
        options={"kind": kind, "attempts_dir": os.environ.get("MAGSCOPE_CRASH_DIR", "")},
        restart=RestartPolicy("restart", max_restarts=MAX_RESTARTS, backoff_s=0.1,
                              backoff_max_s=0.2),
        description="fails in setup every time it starts")]
