"""A small test plugin: a pattern camera, a frame-log writer and two managers.

Used by the core's tests and by ``magscope run`` in them; it is put on the path by the
tests (its ``*.dist-info`` sits next to it), never installed.
"""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from magscope_core import (
    CameraInfo,
    CameraSpec,
    Command,
    CommandSpec,
    ManagerProcess,
    ManagerSpec,
    RestartPolicy,
    Route,
    WriterBase,
    WriterSpec,
    handles,
    hookimpl,
)


def pattern_value(frame_number: int) -> int:
    """The value every pixel of frame ``frame_number`` has."""
    return frame_number % 251


class PatternCamera:
    """Frames filled with ``frame_number % 251``, paced at ``fps``."""

    def __init__(self, width: int = 64, height: int = 48, fps: float = 200.0,
                 dtype: str = "uint8") -> None:
        self.width, self.height, self.fps, self.dtype = width, height, fps, dtype
        self.n = 0
        self._next = 0.0
        self.settings: dict[str, Any] = {"fps": fps, "exposure_ms": 1.0}

    def connect(self) -> CameraInfo:
        self._next = time.monotonic()
        return CameraInfo(width=self.width, height=self.height, dtype=self.dtype,
                          bits=8 if self.dtype == "uint8" else 12, nm_per_px=100.0,
                          fps=self.fps, model="pattern")

    def grab_into(self, out: np.ndarray, timeout: float) -> float | None:
        delay = self._next - time.monotonic()
        if delay > timeout:
            time.sleep(timeout)
            return None
        if delay > 0:
            time.sleep(delay)
        self._next = max(self._next + 1.0 / float(self.settings["fps"]),
                         time.monotonic() - 1.0)
        out[...] = pattern_value(self.n)
        self.n += 1
        return time.time()

    def disconnect(self) -> None:
        pass

    def get_settings(self) -> dict[str, Any]:
        return dict(self.settings)

    def set_setting(self, name: str, value: Any) -> None:
        if name not in self.settings:
            raise ValueError(f"unknown camera setting {name!r}; known: {sorted(self.settings)}")
        self.settings[name] = float(value)


class FrameLogWriter(WriterBase):
    """Writes one CSV row per frame: its timestamp and whether its pixels are intact
    (fed in the Video (Full) modes)."""

    def __init__(self, name: str = "frames.csv") -> None:
        self.name = name
        self.rows = 0

    def open(self, out_dir: Path, info: CameraInfo, metadata: dict[str, Any]) -> None:
        self.path = Path(out_dir) / self.name
        self._fh = self.path.open("w", newline="")
        self._csv = csv.writer(self._fh)
        self._csv.writerow(["frame", "timestamp", "value", "intact"])

    def write_stack(self, frames: np.ndarray, timestamps: np.ndarray, first_frame: int) -> None:
        for i in range(frames.shape[0]):
            v = int(frames[i, 0, 0])
            intact = bool((frames[i] == v).all())
            self._csv.writerow([first_frame + i, f"{timestamps[i]:.6f}", v, int(intact)])
        self._fh.flush()
        self.rows += frames.shape[0]

    def close(self, stats: dict[str, Any]) -> list[Path]:
        if not hasattr(self, "_fh"):
            return []
        self._fh.close()
        return [self.path]


@attrs.frozen
class Echo(Command):
    text: str


@attrs.frozen
class Note(Command):
    text: str


@attrs.frozen
class Fail(Command):
    how: str = "raise"


@attrs.frozen
class Relay(Command):
    """Handled by the listener, which asks the echo manager (manager -> manager request)."""

    text: str


class EchoManager(ManagerProcess):
    """Answers Echo, records Notes to ``<notes_dir>/<name>.notes``, fails on demand."""

    def __init__(self, notes_dir: str = "", slow_setup: float = 0.0,
                 fail_setup: bool = False, progress_steps: int = 0) -> None:
        super().__init__(fail_setup=fail_setup)
        self.notes_dir = notes_dir
        self.slow_setup = slow_setup
        self.progress_steps = progress_steps

    def setup(self) -> None:
        # a long setup that says what it does: slow_setup seconds per reported step
        for step in range(self.progress_steps):
            self.report_progress(f"step {step + 1} of {self.progress_steps}")
            time.sleep(self.slow_setup)
        if not self.progress_steps:
            time.sleep(self.slow_setup)
        if self.options.get("fail_setup"):
            raise RuntimeError("setup failed on purpose")

    @handles(Echo)
    def echo(self, cmd: Echo) -> str:
        return f"{self.name}:{cmd.text}"

    @handles(Note)
    def note(self, cmd: Note) -> None:
        if self.notes_dir:
            with open(os.path.join(self.notes_dir, f"{self.name}.notes"), "a") as fh:
                fh.write(cmd.text + "\n")

    @handles(Fail)
    def fail(self, cmd: Fail) -> None:
        if cmd.how == "exit":
            os._exit(3)
        if cmd.how == "quit":
            self.quit()
            return
        if cmd.how == "hang":
            time.sleep(60)
            return
        raise RuntimeError(f"asked to fail ({cmd.how})")


class ListenerManager(ManagerProcess):
    """Only subscribes to Note."""

    def __init__(self, notes_dir: str = "") -> None:
        super().__init__()
        self.notes_dir = notes_dir

    @handles(Note)
    def note(self, cmd: Note) -> None:
        if self.notes_dir:
            with open(os.path.join(self.notes_dir, f"{self.name}.notes"), "a") as fh:
                fh.write(cmd.text + "\n")

    @handles(Relay)
    def relay(self, cmd: Relay) -> str:
        answer: str = self.call(Echo(text=cmd.text), timeout=5.0)
        return f"{self.name} got {answer}"


COMMANDS = [
    CommandSpec(Echo, Route.DIRECT, scriptable=True, description="echo text back"),
    CommandSpec(Note, Route.BROADCAST, description="every listener writes it down"),
    CommandSpec(Fail, Route.DIRECT, description="raise or exit in the handler"),
    CommandSpec(Relay, Route.DIRECT, description="listener asks echo (manager to manager)"),
]


@hookimpl
def magscope_cameras() -> list[CameraSpec]:
    return [CameraSpec(name="testcam", factory=PatternCamera, options={"fps": 100.0})]


@hookimpl
def magscope_writers() -> list[WriterSpec]:
    return [WriterSpec(name="framelog", factory=FrameLogWriter)]


@hookimpl
def magscope_commands() -> list[CommandSpec]:
    return COMMANDS


@hookimpl
def magscope_managers() -> list[ManagerSpec]:
    return [ManagerSpec(name="echo", factory=EchoManager, restart=RestartPolicy("restart"))]
