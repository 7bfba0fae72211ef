"""``plan_session`` checks what the user named before any process starts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from magscope_core import ConfigurationError, CorePlugin, SetupError, load_plugins, plan_session
from magscope_core._app import prepare_out_dir

pytest.importorskip("magscope_sim")
tracker_mod = pytest.importorskip("magscope_tracker")


@pytest.fixture(scope="module")
def plugins():
    return load_plugins(builtins=[(CorePlugin(), "core", "magscope-core")])


def _camera_options(plan) -> dict:
    camera = next(e for e in plan.managers if e.spec.name == "camera")
    return dict(camera.spec.options["camera_options"])


def test_camera_options_are_converted_to_the_declared_types(plugins, tmp_path: Path) -> None:
    plan = plan_session(plugins, camera="sim", out_dir=tmp_path,
                        camera_options={"width": "256", "fps": "50", "gain_auto": "off"})
    options = _camera_options(plan)
    assert options["width"] == 256 and options["fps"] == 50.0 and options["gain_auto"] is False
    assert options["min_separation_px"] == 91.0  # the spec's own options stay


@pytest.mark.parametrize(("options", "words"), [
    ({"fsp": "20"}, ["unknown camera 'sim' option 'fsp'", "did you mean 'fps'?"]),
    ({"bits": "12.5"}, ["option bits = '12.5'", "not an integer", "from 8 to 16 (bits)"]),
])
def test_bad_camera_options_are_configuration_errors(plugins, tmp_path: Path, options,
                                                     words) -> None:
    with pytest.raises(ConfigurationError) as info:
        plan_session(plugins, camera="sim", out_dir=tmp_path, camera_options=options)
    for word in words:
        assert word in str(info.value)


def test_setup_errors_are_configuration_errors(plugins, tmp_path: Path) -> None:
    with pytest.raises(SetupError, match="did you mean 'sim'") as info:
        plan_session(plugins, camera="sin", out_dir=tmp_path)
    assert isinstance(info.value, ConfigurationError)


def _zlut_file(path: Path) -> Path:
    z = np.linspace(-1000.0, 1000.0, 5)
    profiles = np.array([np.cos(np.linspace(0, 3, 20) + k) + 2 for k in range(5)])
    tracker_mod.ZLut(z_nm=z, profiles=profiles).save(path)
    return path


def test_zlut_is_read_with_the_trackers_loader(plugins, tmp_path: Path) -> None:
    good = _zlut_file(tmp_path / "good.txt")
    plan = plan_session(plugins, camera="sim", out_dir=tmp_path, zlut=good)
    pipeline = next(e for e in plan.managers if e.spec.name == "pipeline")
    assert pipeline.spec.options["zlut_path"] == str(good)
    bad = tmp_path / "bad.txt"
    bad.write_text(good.read_text().replace("\n", "\nnot-a-number 1 2\n", 3))
    with pytest.raises(ConfigurationError, match=rf"Z-LUT file {bad} cannot be used by "
                                                 r"tracker 'cpu': .*line"):
        plan_session(plugins, camera="sim", out_dir=tmp_path, zlut=bad)
    with pytest.raises(ConfigurationError, match="does not exist"):
        plan_session(plugins, camera="sim", out_dir=tmp_path, zlut=tmp_path / "nope.txt")


def test_output_folder_is_created_or_named_in_the_error(tmp_path: Path) -> None:
    nested = tmp_path / "a" / "b" / "run"
    assert prepare_out_dir(nested) == nested and nested.is_dir()
    (tmp_path / "file").write_text("")
    with pytest.raises(ConfigurationError, match="is a file, not a folder; choose another"):
        prepare_out_dir(tmp_path / "file" / "run")


def _manager_names(plan) -> list[str]:
    return [e.spec.name for e in plan.managers]


def test_the_locks_manager_is_started_only_when_asked(plugins, tmp_path: Path) -> None:
    plain = plan_session(plugins, camera="sim", out_dir=tmp_path)
    assert "locks" not in _manager_names(plain) and "focus" in _manager_names(plain)
    locked = plan_session(plugins, camera="sim", out_dir=tmp_path, locks=True)
    assert _manager_names(locked).count("locks") == 1
    # asked for by name (a frontend's managers), even without the plugins' own managers
    bare = plan_session(plugins, camera="sim", out_dir=tmp_path, with_managers=False,
                        managers=["locks"])
    assert _manager_names(bare) == ["camera", "pipeline", "locks"]
    with pytest.raises(SetupError, match="unknown manager 'lock'; did you mean 'locks'"):
        plan_session(plugins, camera="sim", out_dir=tmp_path, managers=["lock"])
