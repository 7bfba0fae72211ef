"""Disk-full and writer-fault tests: a real small filesystem (a tmpfs mounted for the test,
root only), and ``magscope run`` as a user would run it, its stderr read as it comes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

__all__ = ["SIM", "Run", "fill", "small_disk"]

SIM = ["--camera", "sim", "-O", "width=384", "-O", "height=384", "-O", "n_fixed=4",
       "-O", "n_tethered=6", "-O", "fps=100", "-O", "seed=3"]
"""A small simulated microscope: 10 beads at 100 fps."""


class Run:
    """``magscope run --headless --json-summary ...`` in a subprocess.

    stderr lines are collected by a thread, so a test can wait for a message and act
    while the session runs.
    """

    def __init__(self, args: list[str], config_dir: Path, path: Path | None = None) -> None:
        env = {**os.environ, "MAGSCOPE_CONFIG_DIR": str(config_dir)}
        if path is not None:  # a plugin folder (package + dist-info) to put on the path
            env["PYTHONPATH"] = os.pathsep.join(
                p for p in (str(path), env.get("PYTHONPATH", "")) if p)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "magscope_core.cli", "run", "--headless", "--json-summary",
             *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)

    @property
    def stderr(self) -> str:
        return "".join(self.lines)

    def wait_for_line(self, text: str, timeout: float) -> str:
        """The first stderr line containing ``text`` (AssertionError after ``timeout`` s)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if text in line:
                    return line
            if self.proc.poll() is not None and not self._reader.is_alive():
                break
            time.sleep(0.05)
        raise AssertionError(f"no stderr line with {text!r} within {timeout} s:\n"
                             f"{self.stderr[-4000:]}")

    def pids(self, manager: str) -> list[int]:
        """Pids of ``manager`` as the hub announced them, in order (one more per restart)."""
        marker = f"manager {manager} is running (pid "
        return [int(line.split(marker, 1)[1].split(")", 1)[0])
                for line in list(self.lines) if marker in line]

    def wait_until(self, what: str, predicate: Any, timeout: float) -> None:
        """Poll ``predicate()`` until true (AssertionError naming ``what`` after timeout)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"{what}: not within {timeout} s\n{self.stderr[-4000:]}")

    def stop(self) -> None:
        """Ctrl-C, as a user would: the run ends and prints its summary."""
        self.proc.send_signal(signal.SIGINT)

    def finish(self, timeout: float) -> tuple[int, dict[str, Any]]:
        """Wait for the run to end; its exit code and JSON summary."""
        # stdout holds only the JSON summary, printed at the end; stderr belongs to the
        # reader thread (communicate() would read it too and steal lines from it)
        self.proc.wait(timeout=timeout)
        assert self.proc.stdout is not None and self.proc.stderr is not None
        out = self.proc.stdout.read()
        self.proc.stdout.close()
        self._reader.join(timeout=5)
        self.proc.stderr.close()
        try:
            summary = json.loads(out)
        except ValueError as exc:
            raise AssertionError(f"no JSON summary ({exc}); stdout {out[-2000:]!r}\n"
                                 f"stderr:\n{self.stderr[-4000:]}") from exc
        return self.proc.returncode, summary

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(timeout=5)
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None and not pipe.closed:
                pipe.close()


@contextmanager
def small_disk(point: Path, size: str) -> Iterator[Path]:
    """Mount a ``size`` tmpfs at ``point`` for the block; skip (saying why) unless root.

    A failed mount as root fails the test with the mount's own message.
    """
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs (a real full disk) needs root; CI runs as root")
    point.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.fail(f"cannot mount a {size} tmpfs at {point}: {proc.stderr.strip()}")
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], check=False)


def fill(folder: Path, leave: int, name: str = "ballast.bin") -> Path:
    """Write a ballast file so that about ``leave`` bytes stay free on ``folder``'s disk."""
    ballast = folder / name
    free = shutil.disk_usage(folder).free
    with ballast.open("ab") as fh:
        fh.write(b"\0" * max(0, free - leave))
    return ballast
