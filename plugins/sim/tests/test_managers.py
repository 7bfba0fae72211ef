"""The simulated microscope's processes talking to each other through real commands."""

from __future__ import annotations

import time

import numpy as np
import pytest
from magscope_sim import SimulatedCamera
from magscope_sim._managers import (
    SIM_COMMANDS,
    GetSimTruth,
    SimCameraManager,
    SimFocusMotor,
    SimMagnetMotor,
)

from magscope_core import (
    GetCameraSettings,
    GetFocus,
    GetMagnet,
    Hub,
    HubConfig,
    ManagerEntry,
    ManagerSpec,
    MoveFocus,
    PipelineManager,
    SetForce,
)

pytestmark = pytest.mark.integration

CAMERA = {"width": 256, "height": 256, "fps": 50.0, "n_fixed": 1, "n_tethered": 2, "seed": 3}


def _entries(camera: dict | None = None) -> list[ManagerEntry]:
    return [
        ManagerEntry(ManagerSpec("camera", SimCameraManager, options={
            "camera_factory": SimulatedCamera, "camera_options": camera or CAMERA}),
            "sim", "magscope-sim", kind="camera"),
        ManagerEntry(ManagerSpec("pipeline", PipelineManager)),
        ManagerEntry(ManagerSpec("focus", SimFocusMotor, options={"speed_nm_s": 5000.0}),
                     "sim", "magscope-sim"),
        ManagerEntry(ManagerSpec("magnet", SimMagnetMotor, options={"speed_mm_s": 10.0}),
                     "sim", "magscope-sim"),
    ]


def _commands():
    return [(c, "sim", "magscope-sim") for c in SIM_COMMANDS]


def _wait(pred, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


def _change_z(a: np.ndarray, b: np.ndarray, gain: float, read_noise_e: float) -> float:
    """How far two frames differ beyond camera noise, in standard deviations.

    From the noise model (``_noise.py``): a pixel of mean ``m`` ADU holds ``m / gain``
    photo-electrons (Poisson: variance = mean), plus read noise and rounding, so its
    variance is ``gain * m + (gain * read_noise_e)**2 + 1/12``. Two frames of the same
    scene differ by noise alone: ``(a - b)**2`` then has mean ``2 var`` and standard
    deviation ``2 sqrt(2) var`` per pixel. Clipped pixels (0 or full scale) are left out.
    Returns the standardised sum: about N(0, 1) for the same scene, large for a change.
    """
    a, b = a.astype(np.float64), b.astype(np.float64)
    ok = (a > 0) & (b > 0) & (a < 255) & (b < 255)
    m = (a[ok] + b[ok]) / 2
    var = gain * m + (gain * read_noise_e) ** 2 + 1 / 12
    excess = np.sum((a[ok] - b[ok]) ** 2 - 2 * var)
    return float(excess / np.sqrt(np.sum(8 * var**2)))


def _newer_frame(ring, than: int) -> np.ndarray:
    """The first ring frame numbered above ``than`` (waits for the camera)."""
    assert _wait(lambda: ring.peek_latest().frame_number > than)
    return ring.peek_latest().frame


def test_focus_move_reaches_camera_and_changes_image() -> None:
    # beads stuck to the surface only: at a fixed focus, frames differ by noise alone
    camera = {**CAMERA, "n_fixed": 2, "n_tethered": 0, "min_separation_px": 100.0}
    with Hub(_entries(camera), _commands(), HubConfig(start_timeout_s=60)) as hub:
        ring = hub.resources.ring()
        assert _wait(lambda: ring.peek_latest() is not None)
        settings = hub.call(GetCameraSettings())
        noise = (settings["gain"], settings["read_noise_e"])
        first = ring.peek_latest()
        before = first.frame
        again = _newer_frame(ring, first.frame_number)
        # control: same scene, the statistic stays within noise (so the threshold below
        # is a real test, not one that shot noise alone would pass)
        assert abs(_change_z(before, again, *noise)) < 6
        target = hub.call(MoveFocus(z_nm=1500.0))
        assert target == 1500.0
        assert _wait(lambda: hub.call(GetFocus())["at_target"])
        assert _wait(lambda: abs(hub.call(GetSimTruth())["focus_nm"] - 1500.0) < 1e-6)
        # a frame rendered after the truth said 1500 nm (render, then commit)
        after = _newer_frame(ring, ring.peek_latest().frame_number)
        assert _change_z(before, after, *noise) > 50
        telemetry = hub.resources.telemetry("focus")
        assert telemetry.columns == ("t", "z_nm", "target_nm", "at_target")
        assert _wait(lambda: telemetry.latest(1)[-1][1] == pytest.approx(1500.0), timeout=15)
        rows = telemetry.latest(1000)
        assert np.all(np.diff(rows[:, 0]) > 0)  # time-ordered
        assert rows[:, 1].min() < 100 and rows[:, 2].max() == 1500.0  # the move was logged


def _settled_truth(hub, force_pn: float, frames: int = 50) -> dict:
    """Truth once the camera has rendered ``frames`` frames at ``force_pn`` (simulated
    time: 1 s at 50 fps, many relaxation times of a tether), whatever the wall clock."""
    assert _wait(lambda: not hub.call(GetMagnet())["moving"], timeout=20)
    assert _wait(lambda: hub.call(GetSimTruth())["force_pn"] == pytest.approx(force_pn,
                                                                            rel=1e-3))
    start = hub.call(GetSimTruth())["frame"]
    assert _wait(lambda: hub.call(GetSimTruth())["frame"] >= start + frames, timeout=30)
    truth = hub.call(GetSimTruth())
    assert truth["force_pn"] == pytest.approx(force_pn, rel=1e-3)
    return truth


def test_magnet_force_changes_tether_extension() -> None:
    with Hub(_entries(), _commands(), HubConfig(start_timeout_s=60)) as hub:
        assert _wait(lambda: hub.call(GetSimTruth())["frame"] > 5)
        hub.call(SetForce(force_pn=0.05))
        low = _settled_truth(hub, 0.05)
        hub.call(SetForce(force_pn=8.0))
        high = _settled_truth(hub, 8.0)
        tethered = np.array(low["tethered"])
        z_low, z_high = np.array(low["z_nm"]), np.array(high["z_nm"])
        assert np.all(z_high[tethered] - z_low[tethered] > 300)  # stretched by >= 0.3 um
        assert np.allclose(z_high[~tethered], z_low[~tethered])  # stuck beads do not move


def test_camera_restart_catches_up_with_the_focus() -> None:
    import os
    import signal

    with Hub(_entries(), _commands(), HubConfig(start_timeout_s=60)) as hub:
        hub.call(MoveFocus(z_nm=-800.0))
        assert _wait(lambda: hub.call(GetFocus())["at_target"])
        os.kill(hub.pid("camera"), signal.SIGKILL)
        assert _wait(lambda: hub.restarts("camera") == 1, timeout=20)
        assert _wait(lambda: _truth_focus(hub) == pytest.approx(-800.0), timeout=30)


def _truth_focus(hub):
    try:
        return hub.call(GetSimTruth())["focus_nm"]
    except Exception:
        return None

