"""Magnet rotation (RotateMagnet / GetMagnet turns) and the force calibration setting."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from magscope_sim import SimulatedCamera
from magscope_sim._managers import SIM_COMMANDS, GetSimTruth, SimCameraManager, SimMagnetMotor
from magscope_sim._twist import buckling_turns, plectoneme_slope_nm_per_turn
from support import wait_for

from magscope_core import (
    ConfigurationError,
    CorePlugin,
    GetMagnet,
    Hub,
    HubConfig,
    ManagerEntry,
    ManagerSpec,
    PipelineManager,
    RotateMagnet,
    SetForce,
    load_plugins,
    plan_session,
)
from magscope_core._settings import SettingsStore

CAMERA = {"width": 256, "height": 256, "fps": 50.0, "n_fixed": 1, "n_tethered": 2, "seed": 5}


def _entries() -> list[ManagerEntry]:
    return [
        ManagerEntry(ManagerSpec("camera", SimCameraManager, options={
            "camera_factory": SimulatedCamera, "camera_options": CAMERA}),
            "sim", "magscope-sim", kind="camera"),
        ManagerEntry(ManagerSpec("pipeline", PipelineManager)),
        ManagerEntry(ManagerSpec("magnet", SimMagnetMotor, options={
            "speed_mm_s": 10.0, "rotation_speed_turns_s": 50.0}), "sim", "magscope-sim"),
    ]


def _mean_tethered_z(hub: Hub, frames: int = 40) -> float:
    start = hub.call(GetSimTruth())["frame"]
    zs = []
    while len(zs) < frames:
        t = hub.call(GetSimTruth())
        if t["frame"] > start:
            start = t["frame"]
            zs.append(np.array(t["z_nm"])[np.array(t["tethered"])])
        else:
            time.sleep(0.01)
    return float(np.mean(zs))


@pytest.mark.integration
def test_rotating_the_magnet_follows_the_hat_curve() -> None:
    force = 0.5
    with Hub(_entries(), [(c, "sim", "magscope-sim") for c in SIM_COMMANDS],
             HubConfig(start_timeout_s=60)) as hub:
        hub.call(SetForce(force_pn=force))
        assert wait_for(lambda: abs(hub.call(GetSimTruth())["force_pn"] - force) < 1e-3,
                        timeout=20.0)
        flat = _mean_tethered_z(hub)
        nb = buckling_turns(force, CAMERA.get("contour_length_nm", 2000.0))
        turns = nb + 10.0
        assert hub.call(RotateMagnet(turns=turns)) == turns
        assert wait_for(lambda: hub.call(GetMagnet())["turns"] == turns, timeout=20.0)
        state = hub.call(GetMagnet())
        assert state["target_turns"] == turns and not state["moving"]
        assert wait_for(lambda: hub.call(GetSimTruth())["turns"] == turns, timeout=20.0)
        twisted = _mean_tethered_z(hub)
        # 10 turns past buckling: 10 x slope shorter (Brownian z noise ~ 20 nm / sqrt(80))
        assert flat - twisted == pytest.approx(10 * plectoneme_slope_nm_per_turn(force), abs=40)
        hub.call(RotateMagnet(turns=nb / 2))  # within the flat top
        assert wait_for(lambda: hub.call(GetSimTruth())["turns"] == nb / 2, timeout=20.0)
        assert _mean_tethered_z(hub) == pytest.approx(flat, abs=40)


def _table(path: Path, rows: np.ndarray) -> Path:
    np.savetxt(path, rows, header="position_mm force_pn")
    return path


def test_calibration_file_is_used_and_bad_files_are_one_line(tmp_path: Path) -> None:
    z = np.linspace(0.0, 34.5, 50)
    good = _table(tmp_path / "cal.txt", np.c_[z, 20.0 * np.exp(-z / 3.0)])
    motor = SimMagnetMotor(position_mm=0.0, calibration_file=str(good))
    assert motor.force() == pytest.approx(20.0, rel=1e-6)
    assert motor.calibration.source == str(good)
    short = _table(tmp_path / "short.txt", np.c_[z[:10], 20.0 * np.exp(-z[:10] / 3.0)])
    for path, words in ((tmp_path / "missing.txt", "cannot read"),
                        (short, r"covers 0\.\.6\.3\d* mm"),
                        (_table(tmp_path / "flat.txt", np.c_[z, np.ones(50)]), "monotone")):
        with pytest.raises(ConfigurationError, match=words) as info:
            SimMagnetMotor(calibration_file=str(path))
        assert "\n" not in str(info.value)
        assert "calibration_file" in str(info.value)


def test_calibration_file_is_a_setting_that_reaches_the_magnet(tmp_path: Path) -> None:
    z = np.linspace(0.0, 34.5, 50)
    good = _table(tmp_path / "cal.txt", np.c_[z, 20.0 * np.exp(-z / 3.0)])
    plugins = load_plugins(strict=False, builtins=[(CorePlugin(), "core", "magscope-core")])
    store = SettingsStore({ns: c.spec.schema for ns, c in plugins.settings.items()},
                          tmp_path / "settings.toml")
    store.set("magnet", "calibration_file", str(good))
    plan = plan_session(plugins, store, camera="sim", out_dir=tmp_path / "out", writers=[])
    magnet = next(e for e in plan.managers if e.spec.name == "magnet")
    assert magnet.spec.options["calibration_file"] == str(good)
    built = magnet.spec.factory(**magnet.spec.options)
    assert built.force() == pytest.approx(20.0 * np.exp(-10.0 / 3.0), rel=1e-3)
