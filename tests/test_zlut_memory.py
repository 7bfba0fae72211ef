"""Z-LUTs remembered per camera, and which cameras get the automatic first-session sweep."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from magscope_core import ConfigurationError, CorePlugin, load_plugins, plan_session
from magscope_core._zlut_memory import (
    AutoSweep,
    auto_sweep_settings,
    auto_zlut_path,
    remember_zlut,
    remembered_zlut,
    zlut_dir,
)

pytest.importorskip("magscope_sim")
tracker_mod = pytest.importorskip("magscope_tracker")


def _zlut_file(path: Path, roi: int = 64) -> Path:
    tracker = tracker_mod.create_tracker()
    n_bins = tracker.n_bins((roi, roi))
    z = np.linspace(-1000.0, 1000.0, 5)
    profiles = np.array([np.cos(np.linspace(0, 3, n_bins) + k) + 2 for k in range(5)])
    tracker_mod.ZLut(z_nm=z, profiles=profiles, metadata={"roi_shape": [roi, roi]}).save(path)
    return path


def test_the_data_folder_is_the_isolated_one(isolated_data: Path) -> None:
    assert zlut_dir() == isolated_data / "zluts"
    assert auto_zlut_path("sim") == isolated_data / "zluts" / "sim-auto.zlut.txt"


def test_each_camera_remembers_its_own_last_zlut(tmp_path: Path, caplog) -> None:
    a, b, c = (_zlut_file(tmp_path / f"{n}.txt") for n in "abc")
    assert remembered_zlut("sim") is None
    remember_zlut("sim", a)
    remember_zlut("testcam", b)
    assert remembered_zlut("sim") == a and remembered_zlut("testcam") == b
    remember_zlut("sim", c)  # the last loaded wins, the other camera keeps its own
    assert remembered_zlut("sim") == c and remembered_zlut("testcam") == b
    c.unlink()
    with caplog.at_level(logging.WARNING, logger="magscope"):
        assert remembered_zlut("sim") is None
    assert "no longer exists" in caplog.text
    index = zlut_dir() / "remembered.json"
    index.write_text("{not json")
    with caplog.at_level(logging.WARNING, logger="magscope"):
        assert remembered_zlut("testcam") is None  # a broken index: start afresh, no crash
    remember_zlut("testcam", b)
    assert remembered_zlut("testcam") == b


@pytest.fixture(scope="module")
def plugins():
    return load_plugins(builtins=[(CorePlugin(), "core", "magscope-core")])


def _pipeline_zlut(plan) -> str | None:
    return next(e for e in plan.managers if e.spec.name == "pipeline").spec.options["zlut_path"]


def test_plan_loads_the_cameras_remembered_zlut(plugins, tmp_path: Path) -> None:
    lut = _zlut_file(tmp_path / "lut.txt")
    remember_zlut("other-camera", lut)
    plan = plan_session(plugins, camera="sim", out_dir=tmp_path)
    assert plan.zlut is None and _pipeline_zlut(plan) is None  # not this camera's
    remember_zlut("sim", lut)
    plan = plan_session(plugins, camera="sim", out_dir=tmp_path)
    assert plan.zlut == str(lut) and plan.zlut_origin == "remembered"
    assert _pipeline_zlut(plan) == str(lut) and not plan.auto_zlut
    given = _zlut_file(tmp_path / "given.txt")
    plan = plan_session(plugins, camera="sim", out_dir=tmp_path, zlut=given)
    assert plan.zlut == str(given) and plan.zlut_origin == "given"


def test_a_remembered_zlut_that_no_longer_fits_is_not_loaded(plugins, tmp_path: Path,
                                                             caplog) -> None:
    remember_zlut("sim", _zlut_file(tmp_path / "small.txt", roi=32))
    with caplog.at_level(logging.WARNING, logger="magscope"):
        plan = plan_session(plugins, camera="sim", out_dir=tmp_path)
    assert plan.zlut is None and "made for 32x32 ROIs" in caplog.text
    broken = tmp_path / "broken.txt"
    broken.write_text("1 2 3\nx y z\n")
    remember_zlut("sim", broken)
    with caplog.at_level(logging.WARNING, logger="magscope"):
        plan = plan_session(plugins, camera="sim", out_dir=tmp_path)
    assert plan.zlut is None and "is not used" in caplog.text


def test_only_a_camera_that_declares_auto_zlut_gets_the_automatic_sweep(
        testplugin_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAGSCOPE_AUTO_ZLUT")
    everything = load_plugins(builtins=[(CorePlugin(), "core", "magscope-core")])
    assert dict(everything.cameras)["sim"].spec.auto_zlut is True
    assert dict(everything.cameras)["testcam"].spec.auto_zlut is False
    assert plan_session(everything, camera="sim", out_dir=tmp_path).auto_zlut
    assert not plan_session(everything, camera="testcam", out_dir=tmp_path).auto_zlut
    monkeypatch.setenv("MAGSCOPE_AUTO_ZLUT", "off")
    assert not plan_session(everything, camera="sim", out_dir=tmp_path).auto_zlut


def test_auto_sweep_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAGSCOPE_AUTO_ZLUT")
    assert auto_sweep_settings() == AutoSweep(-3000.0, 3000.0, 100.0, 5)
    monkeypatch.setenv("MAGSCOPE_AUTO_ZLUT", "-1000:2000:250:2")
    assert auto_sweep_settings() == AutoSweep(-1000.0, 2000.0, 250.0, 2)
    for bad in ("1:2", "3000:-3000:100", "a:b:c", "-1:1:0"):
        monkeypatch.setenv("MAGSCOPE_AUTO_ZLUT", bad)
        with pytest.raises(ConfigurationError, match=r"MAGSCOPE_AUTO_ZLUT=.*START:STOP:STEP"):
            auto_sweep_settings()
