"""Configuration errors: names with "did you mean", the factory call boundary, and the
hub never restarting a manager that failed on one (real spawned processes)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import wait_for

from magscope_core import (
    CameraManager,
    ConfigurationError,
    Hub,
    HubConfig,
    ManagerEntry,
    ManagerSpec,
    ManagerState,
    PipelineManager,
    RestartPolicy,
)
from magscope_core._config_errors import call_factory, check_call, did_you_mean, unknown_name

CRASHPLUGIN_DIR = Path(__file__).parent / "faults" / "crashplugin"
FAST = HubConfig(heartbeat_interval_s=0.2, heartbeat_timeout_s=2.0, join_timeout_s=3.0,
                 start_timeout_s=20.0)


def test_did_you_mean_finds_near_names_only() -> None:
    assert did_you_mean("fsp", ["fps", "width", "height"]) == "fps"
    assert did_you_mean("WIDTH", ["fps", "width"]) == "width"
    assert did_you_mean("colour", ["fps", "width", "height"]) is None


def test_unknown_name_lists_the_allowed_names() -> None:
    err = unknown_name("camera", "simm", ["testcam", "sim"], plural="installed cameras")
    assert isinstance(err, ConfigurationError) and isinstance(err, ValueError)
    assert str(err) == "unknown camera 'simm'; did you mean 'sim'? installed cameras: sim, testcam"
    assert str(unknown_name("writer", "xyz", [])) == "unknown writer 'xyz'; known writers: none"


class _Camera:
    def __init__(self, width: int = 64, fps: float = 10.0) -> None:
        if width < 0:
            raise TypeError("a bug inside the factory, not the user's arguments")
        self.width = width


def test_check_call_rejects_arguments_at_the_boundary_only() -> None:
    check_call(_Camera, {"width": 32}, "camera 'x'")
    with pytest.raises(ConfigurationError) as info:
        check_call(_Camera, {"widht": 32}, "camera 'x'")
    assert str(info.value) == ("unknown camera 'x' option 'widht'; did you mean 'width'? "
                               "camera 'x' accepts: fps, width")
    assert call_factory(_Camera, {"width": 8}, "camera 'x'").width == 8
    with pytest.raises(TypeError, match="a bug inside") as bug:
        call_factory(_Camera, {"width": -1}, "camera 'x'")
    assert not isinstance(bug.value, ConfigurationError)  # the plugin's own bug stays one


def _crasher(kind: str, attempts: Path, policy: RestartPolicy) -> ManagerEntry:
    from magscope_crashplugin import CrashingManager

    return ManagerEntry(ManagerSpec("crasher", CrashingManager,
                                    options={"kind": kind, "attempts_dir": str(attempts)},
                                    restart=policy), "crashplugin", "magscope-crashplugin")


@pytest.fixture
def crashplugin(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(CRASHPLUGIN_DIR))
    return CRASHPLUGIN_DIR


@pytest.mark.integration
def test_configuration_error_in_setup_is_never_restarted(crashplugin, tmp_path: Path) -> None:
    policy = RestartPolicy("restart", max_restarts=3, backoff_s=0.05)
    with Hub([_crasher("config", tmp_path, policy)], (), FAST) as hub:
        assert hub.state("crasher") is ManagerState.FAILED  # settled during start()
        assert hub.restarts("crasher") == 0
        [report] = hub.config_errors
        assert report.configuration and report.fatal and report.manager == "crasher"
        assert report.error.type == "ConfigurationError"
        assert "port = 'COM99'" in report.error.message
        assert "Traceback" in report.error.traceback
        assert hub._children["crasher"].proc.exitcode == 2
    assert (tmp_path / "attempts").read_text().count("\n") == 1


@pytest.mark.integration
def test_a_crash_is_restarted_up_to_max_restarts(crashplugin, tmp_path: Path) -> None:
    policy = RestartPolicy("restart", max_restarts=2, backoff_s=0.05, backoff_max_s=0.1)
    with Hub([_crasher("crash", tmp_path, policy)], (), FAST) as hub:
        assert wait_for(lambda: hub.state("crasher") is ManagerState.FAILED, timeout=30)
        assert hub.restarts("crasher") == 2 and hub.config_errors == []
    assert (tmp_path / "attempts").read_text().count("\n") == 3


@pytest.mark.integration
def test_camera_factory_rejecting_its_arguments_starts_nothing_else(
        testplugin_path, tmp_path: Path) -> None:
    import magscope_testplugin as tp

    entries = [
        ManagerEntry(ManagerSpec("camera", CameraManager, options={
            "camera_factory": tp.PatternCamera, "camera_options": {"fsp": 50.0}},
            restart=RestartPolicy("restart", backoff_s=0.05)), kind="camera"),
        ManagerEntry(ManagerSpec("pipeline", PipelineManager, options={
            "writers": [], "out_dir": str(tmp_path), "mode": "video-full"})),
    ]
    with Hub(entries, (), FAST) as hub:
        assert hub.state("camera") is ManagerState.FAILED and hub.restarts("camera") == 0
        [report] = hub.config_errors
        assert "option 'fsp'; did you mean 'fps'?" in report.error.message
        assert hub.pid("pipeline") is None and "pipeline" not in hub._children
        last = hub.startup_steps[-1]
        assert last.state == "session-failed" and "option 'fsp'" in last.message


@pytest.mark.integration
def test_configuration_error_under_stop_all_ends_the_session(crashplugin,
                                                             tmp_path: Path) -> None:
    with Hub([_crasher("config", tmp_path, RestartPolicy("stop_all"))], (), FAST) as hub:
        assert hub.wait(10) and "configuration error" in hub.stop_reason
        assert hub.state("crasher") is ManagerState.FAILED


@pytest.mark.integration
def test_zlut_refused_inside_the_pipeline_is_not_restarted(crashplugin, testplugin_path,
                                                           tmp_path: Path) -> None:
    import magscope_testplugin as tp
    from magscope_crashplugin import BadLutTracker

    lut = tmp_path / "lut.txt"
    entries = [
        ManagerEntry(ManagerSpec("camera", CameraManager, options={
            "camera_factory": tp.PatternCamera, "camera_options": {"fps": 50.0}}),
            kind="camera"),
        ManagerEntry(ManagerSpec("pipeline", PipelineManager, options={
            "writers": [], "out_dir": str(tmp_path), "mode": "track", "n_workers": 1,
            "tracker": ("badlut", BadLutTracker, {}), "zlut_path": str(lut)},
            restart=RestartPolicy("restart", backoff_s=0.05))),
    ]
    with Hub(entries, (), FAST) as hub:
        assert hub.state("pipeline") is ManagerState.FAILED
        assert hub.restarts("pipeline") == 0 and hub.state("camera") is ManagerState.RUNNING
        [report] = hub.config_errors
        assert report.manager == "pipeline"
        assert report.error.message == (f"Z-LUT file {lut} cannot be loaded: Z-LUT file "
                                        f"'{lut}', line 3: 7 values, expected 20")
