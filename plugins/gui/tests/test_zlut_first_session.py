"""The GUI's start-up window follows the first simulated session's Z-LUT sweep.

A real session (spawned managers, the simulated camera and focus motor, the CPU tracker)
started the way ``magscope run`` starts it for the GUI: the hub, the bead ROIs, then the
automatic sweep, in the launcher's thread while the start-up window shows every step.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from magscope_gui._launch import SessionLauncher
from magscope_gui._startup_view import StartupWindow

from magscope_core import AddBead, FindBeads, GetZLut, Hub, plan_session
from magscope_core._zlut_run import sweep_at_start
from magscope_core.testing import installed_plugins, make_store

pytestmark = pytest.mark.integration
CAMERA = {"width": 256, "height": 256, "fps": 50.0, "n_fixed": 2, "n_tethered": 0,
          "min_separation_px": 91, "seed": 4}


def test_the_start_up_window_shows_the_first_session_sweep_until_the_zlut_is_loaded(
        qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "user-data"
    monkeypatch.setenv("MAGSCOPE_DATA_DIR", str(data))
    monkeypatch.setenv("MAGSCOPE_AUTO_ZLUT", "-1500:1500:500:2")  # 7 planes
    plugins = installed_plugins()
    plan = plan_session(plugins, make_store(plugins, None), camera="sim",
                        out_dir=tmp_path / "out", n_workers=1, saving=False,
                        camera_options=dict(CAMERA))
    assert plan.auto_zlut and plan.zlut is None
    hub = Hub(plan.managers, plan.commands, plan.config)
    sweeps: list[Any] = []

    def start() -> None:  # what the CLI's start_session does for the GUI
        hub.start()
        for x, y in hub.call(FindBeads(n=10, size=64), timeout=10.0):
            hub.call(AddBead(x=float(x), y=float(y), size=64))
        sweeps.append(sweep_at_start(hub, plan))

    window = StartupWindow("camera sim", [e.spec.name for e in plan.managers])
    qtbot.addWidget(window)
    launcher = SessionLauncher(hub, window, start=start)
    window.show()
    try:
        launcher.begin()
        qtbot.waitUntil(lambda: not launcher.starting, timeout=120_000)
        assert launcher.error is None and sweeps and sweeps[0]["state"] == "done", sweeps
        rows = window.rows()
        lut = data / "zluts" / "sim-auto.zlut.txt"
        zlut_rows = [(state, msg) for part, state, msg in rows if part == "zlut"]
        assert any(s == "working" and "making one by a focus sweep" in m for s, m in zlut_rows)
        assert any(s == "working" and "Z-LUT sweep: plane " in m for s, m in zlut_rows)
        assert zlut_rows[-1][0] == "ready" and f"Z-LUT saved to {lut}" in zlut_rows[-1][1]
        assert launcher.outcome == "ready" and not window.failed_parts
        assert hub.call(GetZLut())["path"] == str(lut)
        remembered = json.loads((data / "zluts" / "remembered.json").read_text())
        assert remembered["sim"]["path"] == str(lut)
    finally:
        launcher.stop_listening()
        launcher.wait_started(30.0)
        hub.stop()
