"""The real application under Xvfb: ``magscope run`` with the GUI saves a screenshot.

It runs exactly what a user runs (a new process, the CLI, the simulated microscope, the
tracker, the window on an X server) and checks the picture: not blank, dark theme,
beads visible as bright blobs in the video dock, ROI boxes drawn. With
``MAGSCOPE_UPDATE_SCREENSHOT=1`` the picture is copied to ``docs/screenshot.png``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[3]
SCREEN = (1400, 900)


@pytest.fixture
def display() -> Iterator[str]:
    """A private Xvfb server (its display number chosen by Xvfb itself)."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.skip("Xvfb is not installed: run scripts/install-gui-sysdeps.sh as root "
                    "(or apt-get install xvfb xauth and Qt's xcb libraries)")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        [xvfb, "-displayfd", str(write_fd), "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24",
         "-nolisten", "tcp"], pass_fds=(write_fd,), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    os.close(write_fd)
    with os.fdopen(read_fd) as fh:
        number = fh.readline().strip()
    try:
        if not number:
            pytest.fail(f"Xvfb did not start (exit code {proc.poll()})")
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _rgb(path: Path) -> np.ndarray:
    from PySide6.QtGui import QImage

    image = QImage(str(path)).convertToFormat(QImage.Format.Format_RGB888)
    assert not image.isNull(), path
    w, h, stride = image.width(), image.height(), image.bytesPerLine()
    rgb = np.frombuffer(image.constBits(), np.uint8, count=stride * h).reshape(h, stride)
    return rgb[:, : 3 * w].reshape(h, w, 3).copy()  # the QImage's memory goes with it


def test_screenshot_of_the_real_app(tmp_path: Path, display: str) -> None:
    shot = tmp_path / "magscope.png"
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb", MAGSCOPE_GUI_SCREENSHOT=str(shot),
               MAGSCOPE_CONFIG_DIR=str(tmp_path / "config"))
    proc = subprocess.run(
        [sys.executable, "-m", "magscope_core.cli", "run", "--duration", "6", "--camera", "sim",
         "-O", "width=512", "-O", "height=512", "-O", "n_fixed=3", "-O", "n_tethered=7",
         "-O", "seed=5", "--workers", "1", "--out", str(tmp_path / "out"), "--no-save"],
        env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert shot.exists(), f"no screenshot; stderr:\n{proc.stderr[-4000:]}"
    meta = json.loads(shot.with_suffix(".json").read_text())
    assert meta["failed_panels"] == {}, meta["failed_panels"]
    assert meta["window"] == list(SCREEN), "the window does not fit the screen"
    rgb = _rgb(shot).astype(np.float64)
    gray = rgb.mean(axis=2)
    assert gray.std() > 10, "the screenshot is blank"
    assert np.median(gray) < 70, "expected the dark theme"
    x, y, w, h = meta["docks"]["video"]
    video = rgb[y + 40 : y + h - 5, x + 5 : x + w - 5]  # below the title and toolbar
    vgray = video.mean(axis=2)
    from scipy import ndimage

    bright = vgray > max(200.0, np.percentile(vgray, 99.5))
    _, n_blobs = ndimage.label(bright)
    assert n_blobs >= 4, f"only {n_blobs} bright bead centres in the video"
    r, g, b = video[..., 0], video[..., 1], video[..., 2]
    roi_pixels = np.count_nonzero((r > 200) & (g > 150) & (b < 130))  # the yellow boxes
    assert roi_pixels > 500, "no ROI boxes drawn"
    assert {"plots", "controls", "log"} <= set(meta["docks"])
    if os.environ.get("MAGSCOPE_UPDATE_SCREENSHOT") == "1":
        target = REPO / "docs" / "screenshot.png"
        shutil.copyfile(shot, target)
        print(f"screenshot copied to {target}")
