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


def test_focus_move_reaches_camera_and_changes_image() -> None:
    with Hub(_entries(), _commands(), HubConfig(start_timeout_s=60)) as hub:
        ring = hub.resources.ring()
        assert _wait(lambda: ring.peek_latest() is not None)
        before = ring.peek_latest().frame.astype(np.float64)
        target = hub.call(MoveFocus(z_nm=1500.0))
        assert target == 1500.0
        assert _wait(lambda: hub.call(GetFocus())["at_target"])
        assert _wait(lambda: abs(hub.call(GetSimTruth())["focus_nm"] - 1500.0) < 1e-6)
        time.sleep(0.1)
        after = ring.peek_latest().frame.astype(np.float64)
        assert np.abs(after - before).mean() > 2 * np.abs(before - before.mean()).mean() * 0.05
        telemetry = hub.resources.telemetry("focus")
        assert telemetry.columns == ("t", "z_nm", "target_nm", "at_target")
        assert _wait(lambda: telemetry.latest(1)[-1][1] == pytest.approx(1500.0), timeout=3)
        rows = telemetry.latest(1000)
        assert np.all(np.diff(rows[:, 0]) > 0)  # time-ordered
        assert rows[:, 1].min() < 100 and rows[:, 2].max() == 1500.0  # the move was logged


def test_magnet_force_changes_tether_extension() -> None:
    with Hub(_entries(), _commands(), HubConfig(start_timeout_s=60)) as hub:
        assert _wait(lambda: hub.call(GetSimTruth())["frame"] > 5)
        hub.call(SetForce(force_pn=0.05))
        assert _wait(lambda: not hub.call(GetMagnet())["moving"], timeout=20)
        time.sleep(0.5)
        low = hub.call(GetSimTruth())
        hub.call(SetForce(force_pn=8.0))
        assert _wait(lambda: not hub.call(GetMagnet())["moving"], timeout=20)
        time.sleep(0.5)
        high = hub.call(GetSimTruth())
        assert high["force_pn"] == pytest.approx(8.0, rel=1e-3)
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

