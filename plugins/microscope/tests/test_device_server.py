"""A real python-microscope ``device-server`` on localhost serving its simulated devices.

One MagScope session (camera manager, pipeline, the stage as focus motor, in spawned
processes) runs against the served ``SimulatedCamera`` and ``SimulatedStage``: frames go
through our ring, settings map both ways, the stage moves and reports its position, and
a server that is killed is reported (one line per device) and reconnected when it is
started again.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import attrs
import numpy as np
import Pyro4
import pytest
from microscope_testkit import gradient_matches
from support import wait_for

from magscope_core import (
    CommandError,
    CorePlugin,
    GetCameraSettings,
    GetFocus,
    Hub,
    ManagerState,
    MoveFocus,
    SetCameraSetting,
    SettingsStore,
    load_plugins,
    plan_session,
)

pytestmark = pytest.mark.integration

_CONFIG = """\
from microscope import AxisLimits
from microscope.device_server import device
from microscope.simulators import SimulatedCamera, SimulatedStage

DEVICES = [
    device(SimulatedCamera, "127.0.0.1", {camera}, conf={{"sensor_shape": (96, 64)}}),
    device(SimulatedStage, "127.0.0.1", {stage},
           conf={{"limits": {{"z": AxisLimits(-100.0, 100.0)}}}}),
]
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


@attrs.define
class DeviceServer:
    """python-microscope's ``device-server`` in a process group of its own."""

    folder: Path
    camera_port: int = attrs.field(factory=_free_port)
    stage_port: int = attrs.field(factory=_free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def camera_uri(self) -> str:
        return f"PYRO:SimulatedCamera@127.0.0.1:{self.camera_port}"

    @property
    def stage_uri(self) -> str:
        return f"PYRO:SimulatedStage@127.0.0.1:{self.stage_port}"

    def start(self) -> None:
        config = self.folder / "devices.py"
        config.write_text(_CONFIG.format(camera=self.camera_port, stage=self.stage_port))
        with (self.folder / "device-server.log").open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "microscope.device_server", "--logging-level", "warning",
                 "--logging-dir", str(self.folder), str(config)],
                stdout=log, stderr=log, start_new_session=True)
        assert wait_for(lambda: _listening(self.camera_port) and _listening(self.stage_port),
                        timeout=30), (self.folder / "device-server.log").read_text()

    def kill(self) -> None:
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
            self.process = None

    def proxy(self, uri: str) -> Pyro4.Proxy:
        proxy = Pyro4.Proxy(uri)
        proxy._pyroSerializer = "pickle"
        proxy._pyroTimeout = 5.0
        return proxy


class Lines(logging.Handler):
    """The plugin's log lines, as the hub re-emits them in this process."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())

    def matching(self, *words: str) -> list[str]:
        return [line for line in self.lines if all(w in line for w in words)]


@attrs.frozen
class Session:
    hub: Hub
    server: DeviceServer
    lines: Lines


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    server = DeviceServer(tmp_path_factory.mktemp("device-server"))
    server.start()
    saved = {k: os.environ.get(k) for k in ("MAGSCOPE_DATA_DIR", "MAGSCOPE_AUTO_ZLUT")}
    os.environ.update({"MAGSCOPE_DATA_DIR": tempfile.mkdtemp(prefix="magscope-microscope-"),
                       "MAGSCOPE_AUTO_ZLUT": "0"})
    lines = Lines()
    logging.getLogger("magscope.microscope").addHandler(lines)
    hub: Hub | None = None
    try:
        plugins = load_plugins(builtins=[(CorePlugin(), "core", "magscope-core")])
        store = SettingsStore({ns: c.spec.schema for ns, c in plugins.settings.items()}, None)
        store.set("microscope-focus", "uri", server.stage_uri)
        plan = plan_session(plugins, store, camera="microscope", managers=["microscope-focus"],
                            out_dir=tmp_path_factory.mktemp("run"), n_workers=1, saving=False,
                            camera_options={"uri": server.camera_uri, "exposure_ms": 5,
                                            "timeout_s": 1.0, "reconnect_s": 0.5})
        hub = Hub(plan.managers, plan.commands, plan.config)
        hub.start()
        yield Session(hub, server, lines)
    finally:
        if hub is not None:
            hub.stop()
        server.kill()
        logging.getLogger("magscope.microscope").removeHandler(lines)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _frames(hub: Hub) -> int:
    return int(hub.resources.counters().get("camera_frames"))


def test_the_stage_replaces_the_simulated_focus_motor(session: Session) -> None:
    assert session.hub.registry.targets(MoveFocus) == ("microscope-focus",)
    assert session.hub.registry.targets(GetFocus) == ("microscope-focus",)


def test_frames_flow_through_the_ring(session: Session) -> None:
    hub = session.hub
    assert hub.resources.camera_info.shape == (64, 96)
    hub.call(SetCameraSetting(name="image pattern", value="gradient"))
    hub.call(SetCameraSetting(name="display image number", value=False))
    ring = hub.resources.ring()
    seen: list[tuple[int, float]] = []

    def gradient_frames() -> bool:
        latest = ring.peek_latest()
        if (latest is not None and gradient_matches(latest.frame)
                and (not seen or latest.frame_number > seen[-1][0])):
            seen.append((latest.frame_number, latest.timestamp))
        return len(seen) >= 3

    assert wait_for(gradient_frames, timeout=10)
    assert np.all(np.diff([t for _, t in seen]) > 0)  # rising timestamps
    assert ring.frame_shape == (64, 96) and ring.dtype == np.uint8


def test_settings_map_both_ways(session: Session) -> None:
    camera = session.server.proxy(session.server.camera_uri)
    settings = session.hub.call(SetCameraSetting(name="exposure_ms", value=7))
    assert settings["exposure_ms"] == pytest.approx(7.0)
    assert camera.get_exposure_time() == pytest.approx(0.007)
    camera.set_setting("gain", 33)
    assert session.hub.call(GetCameraSettings())["gain"] == 33
    with pytest.raises(CommandError, match=r"'gain' = 9000 rejected. Allowed: 0 to 8192"):
        session.hub.call(SetCameraSetting(name="gain", value=9000))
    session.hub.call(SetCameraSetting(name="exposure_ms", value=5))


def test_the_stage_moves_and_reports_its_position(session: Session) -> None:
    hub, stage = session.hub, session.server.proxy(session.server.stage_uri)
    assert hub.call(MoveFocus(z_nm=25_000.0)) == 25_000.0
    assert wait_for(lambda: hub.call(GetFocus())["z_nm"] == pytest.approx(25_000.0), timeout=20)
    assert stage.position["z"] == pytest.approx(25.0)  # micrometres on the stage
    state = hub.call(GetFocus())
    assert (state["min_nm"], state["max_nm"], state["at_target"]) == (-100_000.0, 100_000.0,
                                                                      True)
    assert hub.call(MoveFocus(z_nm=1e9)) == 100_000.0  # clipped to the travel
    stage.move_to({"z": -10.0})  # moved by someone else: reported as it is
    assert wait_for(lambda: hub.call(GetFocus())["z_nm"] == pytest.approx(-10_000.0), timeout=20)
    telemetry = hub.resources.telemetry("microscope-focus")
    assert telemetry.columns == ("t", "z_nm", "target_nm", "at_target")
    rows = telemetry.latest(telemetry.total_written)
    assert rows[-1, telemetry.column("z_nm")] == pytest.approx(-10_000.0)
    assert np.any(np.isclose(rows[:, telemetry.column("z_nm")], 25_000.0))


def test_the_session_gets_the_generic_focus_panel(session: Session) -> None:
    pytest.importorskip("PySide6")
    from magscope_gui._panels import session_has

    assert session_has(session.hub.registry, ("MoveFocus", "GetFocus"))


def test_a_dead_server_is_reported_and_reconnected(session: Session) -> None:
    hub, server, lines = session.hub, session.server, session.lines
    assert wait_for(lambda: _frames(hub) > 10, timeout=20)
    server.kill()
    assert wait_for(lambda: lines.matching("camera", "lost") and lines.matching(
        "focus stage", "lost"), timeout=10), lines.lines
    with pytest.raises(CommandError, match=r"focus stage at PYRO:.* is not connected"):
        hub.call(GetFocus())
    frames = _frames(hub)
    assert not wait_for(lambda: _frames(hub) > frames, timeout=1.0)  # nothing while it is down
    server.start()
    assert wait_for(lambda: lines.matching("camera", "reconnected")
                    and lines.matching("focus stage", "reconnected"), timeout=15), lines.lines
    assert wait_for(lambda: _frames(hub) > frames + 10, timeout=10)
    assert hub.call(MoveFocus(z_nm=5_000.0)) == 5_000.0
    assert wait_for(lambda: hub.call(GetFocus())["z_nm"] == pytest.approx(5_000.0), timeout=20)
    # one line when lost and one when back, per device (not one per failed attempt)
    for kind in ("camera", "focus stage"):
        assert len(lines.matching(kind, "lost")) == 1, lines.lines
        assert len(lines.matching(kind, "reconnected")) == 1, lines.lines
    # handled inside the camera and the stage manager: neither process died
    assert hub.state("camera") is ManagerState.RUNNING and hub.restarts("camera") == 0
    assert hub.restarts("microscope-focus") == 0
