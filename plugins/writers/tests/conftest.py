"""Factories shared by the writers' tests: camera info, tracks and ROI batches."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from magscope_core import CameraInfo
from magscope_core._writer import RoiBatch, TracksBatch

T0 = 1_764_075_520.25  # 2025-11-25 ~13:00 UTC: an epoch-seconds value with a fraction


@pytest.fixture
def info() -> CameraInfo:
    return CameraInfo(width=40, height=30, dtype="uint16", bits=12, nm_per_px=100.0,
                      fps=100.0, model="test-cam", serial="A1")


def tracks_batch(seq: int, n_frames: int, bead_ids: Sequence[int], t0: float = T0,
                 dt: float = 0.01, first_frame: int = 0) -> TracksBatch:
    """x = 1000*bead + frame + 0.25, y = -x, z = 10*frame + bead/8; ROI corners from bead id."""
    ids = np.asarray(bead_ids, np.int64)
    frames = first_frame + np.arange(n_frames)
    x = 1000.0 * ids[None, :] + frames[:, None] + 0.25
    return TracksBatch(
        sequence=seq,
        frame_numbers=frames,
        timestamps=t0 + dt * np.arange(n_frames),
        bead_ids=ids,
        x_nm=x,
        y_nm=-x,
        z_nm=10.0 * frames[:, None] + ids[None, :] / 8.0,
        roi_x0=ids * 3 + 1,
        roi_y0=ids * 5 + 2,
    )


def roi_batch(seq: int, n_frames: int, bead_ids: Sequence[int], size: int = 6,
              t0: float = T0, dt: float = 0.01, first_frame: int = 0,
              origin_shift: int = 0) -> RoiBatch:
    """Pixel value = 100*bead + frame number (uint16)."""
    ids = np.asarray(bead_ids, np.int64)
    frames = first_frame + np.arange(n_frames)
    crops = (100 * ids[None, :, None, None] + frames[:, None, None, None]
             + np.zeros((1, 1, size, size), np.int64)).astype(np.uint16)
    return RoiBatch(
        sequence=seq,
        frame_numbers=frames,
        timestamps=t0 + dt * np.arange(n_frames),
        bead_ids=ids,
        crops=crops,
        roi_x0=ids * 7 + origin_shift,
        roi_y0=ids * 2 + origin_shift,
    )


@pytest.fixture
def make_tracks():
    return tracks_batch


@pytest.fixture
def make_rois():
    return roi_batch


@pytest.fixture
def t0() -> float:
    return T0


@pytest.fixture
def small_disk(tmp_path):
    """Mount a real tmpfs of a given size; returns ``mount(size) -> Path``.

    Disk-full tests use a real small filesystem, never a patched ``write``. Mounting needs
    root (CI is root): as another user the test is skipped with that reason; as root a
    failed mount fails the test with the mount's own message.
    """
    import os
    import subprocess

    mounted = []

    def mount(size: str) -> Path:
        if os.geteuid() != 0:
            pytest.skip("mounting a small tmpfs (a real full disk) needs root")
        point = tmp_path / f"disk{len(mounted)}"
        point.mkdir()
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                               str(point)], capture_output=True, text=True)
        if proc.returncode != 0:
            pytest.fail(f"cannot mount a {size} tmpfs at {point}: {proc.stderr.strip()}")
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", "-l", str(point)], check=False)


@pytest.fixture
def fill_disk():
    """``fill(folder, leave)``: a ballast file leaves about ``leave`` bytes free."""
    import shutil

    def fill(folder: Path, leave: int) -> Path:
        ballast = folder / "ballast.bin"
        free = shutil.disk_usage(folder).free
        with ballast.open("ab") as fh:
            fh.write(b"\0" * max(0, free - leave))
        return ballast

    return fill
