"""A real small filesystem for disk-full tests: a tmpfs mounted for the test (root only)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

__all__ = ["fill", "small_disk"]


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
