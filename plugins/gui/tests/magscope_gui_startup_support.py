"""A manager whose start-up the GUI tests control: it waits for a gate file.

Imported by the spawned manager process too (the tests folder is on ``sys.path``, which
``multiprocessing`` hands to its children), so it imports no Qt.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from magscope_core import ManagerEntry, ManagerProcess, ManagerSpec, RestartPolicy

WAITING = "waiting for the gate"
"""The progress step the gate manager reports while its gate is closed."""


class GateManager(ManagerProcess):
    """Reports :data:`WAITING`, waits until the file ``gate`` exists, then is ready
    (or raises ``RuntimeError(fail)`` when ``fail`` is given).

    It reports progress every second while it waits, so the hub's start-up deadline
    never runs out; it gives up after ``limit_s`` (a test that forgot the gate).
    """

    def __init__(self, gate: str = "", fail: str = "", limit_s: float = 60.0) -> None:
        super().__init__()
        self.gate = gate
        self.fail = fail
        self.limit_s = limit_s

    def setup(self) -> None:
        self.report_progress(WAITING)
        started = last = time.monotonic()
        while self.gate and not os.path.exists(self.gate):
            now = time.monotonic()
            if now - started > self.limit_s:
                raise RuntimeError(f"the gate {self.gate} never opened")
            if now - last >= 1.0:
                last = now
                self.report_progress(WAITING)
            time.sleep(0.02)  # polls the gate file: the condition this setup waits for
        if self.fail:
            raise RuntimeError(self.fail)


def gate_entry(gate: Path | None, fail: str = "") -> ManagerEntry:
    """The gate manager as a session's manager (never restarted)."""
    return ManagerEntry(ManagerSpec("gate", GateManager,
                                    options={"gate": str(gate or ""), "fail": fail},
                                    restart=RestartPolicy("leave"),
                                    description="the test's gate"),
                        "gui-tests", "magscope-gui")


def shm_segments(session: str) -> list[str]:
    """Names of the session's shared-memory segments still in /dev/shm."""
    if not os.path.isdir("/dev/shm"):
        return []
    return sorted(n for n in os.listdir("/dev/shm") if n.startswith(f"magscope-{session}"))
