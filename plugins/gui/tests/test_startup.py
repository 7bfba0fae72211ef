"""The start-up window: shown before the session is up, steps as they happen, failures.

Real sessions (the simulated camera, the pipeline, the motors) plus a gate manager whose
``setup()`` waits for a file the test creates, so "the hub is still starting" is a
state the test holds, not a race it hopes to win. Every wait is on a condition.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from magscope_gui._frontend import build_window, run
from magscope_gui._launch import SessionLauncher
from magscope_gui._startup_view import StartupWindow
from magscope_gui._window import MainWindow
from magscope_gui_startup_support import WAITING, gate_entry, shm_segments
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from magscope_core import Hub, HubConfig, PluginSet, SessionPlan, StartupStep, plan_session
from magscope_core.testing import installed_plugins, make_store

CAMERA = {"width": 128, "height": 128, "fps": 50.0, "n_fixed": 1, "n_tethered": 1,
          "min_separation_px": 40,
          "seed": 3}


@attrs.define
class Session:
    """A session not started yet: its hub, plan, plugins and the gate file."""

    hub: Hub
    plan: SessionPlan
    plugins: PluginSet
    gate: Path
    sessions: list[str] = attrs.field(factory=list)

    def open_gate(self) -> None:
        self.gate.write_text("open")


def _session(tmp_path: Path, fail: str = "") -> Session:
    plugins = installed_plugins()
    store = make_store(plugins, None)
    plan = plan_session(plugins, store, camera="sim", out_dir=tmp_path / "out", n_workers=1,
                        saving=False, with_managers=False, camera_options=dict(CAMERA))
    gate = tmp_path / "gate"
    plan = attrs.evolve(plan, managers=(*plan.managers, gate_entry(gate, fail)))
    return Session(Hub(plan.managers, plan.commands, plan.config), plan, plugins, gate)


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    """A session with a closed gate; stopped at the end, its shared memory checked."""
    s = _session(tmp_path)
    yield s
    _stop(s)


@pytest.fixture
def failing_session(tmp_path: Path) -> Iterator[Session]:
    """A session whose gate manager fails its setup once the gate opens."""
    s = _session(tmp_path, fail="no motor controller on /dev/ttyUSB7")
    s.open_gate()
    yield s
    _stop(s)


def _stop(s: Session) -> None:
    s.open_gate()  # a test that failed half-way must not leave a setup waiting
    name = s.hub.session.session_id if s.hub.session is not None else ""
    s.hub.stop()
    if name:
        assert shm_segments(name) == [], "shared memory left behind"


def _launch(qtbot: Any, s: Session) -> tuple[StartupWindow, SessionLauncher]:
    window = StartupWindow("camera sim", [e.spec.name for e in s.plan.managers])
    qtbot.addWidget(window)
    launcher = SessionLauncher(s.hub, window)
    window.show()
    launcher.begin()
    return window, launcher


def _has(rows: list[tuple[str, str, str]], part: str, state: str, text: str = "") -> bool:
    return any(p == part and st == state and text in msg for p, st, msg in rows)


@pytest.mark.integration
def test_run_shows_the_steps_before_the_session_is_up_then_the_panels(
        qtbot: Any, session: Session, tmp_path: Path) -> None:
    """Through the frontend's ``run``: what the user sees while ``magscope run`` starts."""
    seen: dict[str, Any] = {}

    def look() -> None:  # runs inside run()'s event loop
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, StartupWindow) and widget.isVisible() and "rows" not in seen:
                rows = widget.rows()
                if _has(rows, "gate", "working", WAITING):
                    seen["rows"] = rows
                    seen["steps_then"] = [s.state for s in session.hub.startup_steps]
                    seen["camera_up_then"] = any("camera connected" in m for _, _, m in rows)
                    session.open_gate()
            if isinstance(widget, MainWindow) and widget.isVisible() and "panels" not in seen:
                seen["panels"] = sorted(p for p, r in widget.records.items() if r.widget)
                seen["startup_visible_then"] = any(
                    isinstance(w, StartupWindow) and w.isVisible()
                    for w in QApplication.topLevelWidgets())

    poll = QTimer()
    poll.setInterval(20)
    poll.timeout.connect(look)
    poll.start()
    args = argparse.Namespace(duration=1.0, panels="status,video", plugins=session.plugins,
                              settings_store=make_store(session.plugins, None))
    try:
        assert run(session.hub, session.plan, args) == 0
    finally:
        poll.stop()
    # while the gate held the session, the window was up and listed the steps
    assert "rows" in seen, "the start-up window never showed the gate's progress"
    assert "session-ready" not in seen["steps_then"]
    assert _has(seen["rows"], "hub", "working", "shared memory ready")
    assert seen["camera_up_then"], seen["rows"]  # the camera connected before the gate
    assert _has(seen["rows"], "camera", "ready")
    # then the panels replaced it
    assert seen["panels"] == ["status", "video"]
    assert seen["startup_visible_then"] is False
    assert session.hub.startup_steps[-1].state == "session-ready"
    assert not session.hub.stop_requested  # the CLI ends the session, not the window


@pytest.mark.integration
def test_a_failed_manager_is_named_and_the_window_stays(
        qtbot: Any, failing_session: Session) -> None:
    s = failing_session
    window, launcher = _launch(qtbot, s)
    qtbot.waitUntil(lambda: not launcher.starting, timeout=45_000)
    assert launcher.error is None  # the hub started; the session runs without the gate
    assert s.hub.startup_steps[-1].state == "session-failed"
    assert window.failed_parts == {
        "gate": "gate failed to start: no motor controller on /dev/ttyUSB7"}
    assert "gate" in window.failure and "/dev/ttyUSB7" in window.failure
    assert window.failure_label.isVisible() and window.failure_label.text() == window.failure
    assert _has(window.rows(), "gate", "FAILED", "no motor controller")
    assert window.continue_button.isVisible() and window.close_button.isVisible()
    QApplication.processEvents()
    assert window.isVisible() and launcher.outcome == ""  # it waits for the user
    with qtbot.waitSignal(launcher.finished, timeout=20000):
        qtbot.mouseClick(window.continue_button, Qt.MouseButton.LeftButton)
    assert launcher.outcome == "ready"
    launcher.stop_listening()
    main = build_window(s.hub, s.plugins, make_store(s.plugins, None), "status")
    qtbot.addWidget(main)
    assert main.panel("status") is not None
    main.close()


@pytest.mark.integration
def test_close_after_a_failure_ends_without_the_main_window(
        qtbot: Any, failing_session: Session) -> None:
    window, launcher = _launch(qtbot, failing_session)
    qtbot.waitUntil(lambda: window.failure != "", timeout=45_000)
    with qtbot.waitSignal(launcher.finished, timeout=20000):
        qtbot.mouseClick(window.close_button, Qt.MouseButton.LeftButton)
    assert launcher.outcome == "closed" and not window.isVisible()


@pytest.mark.integration
@pytest.mark.parametrize("how", ["window closed", "ctrl-c"])
def test_stopping_during_start_up_ends_the_start_at_once(
        qtbot: Any, session: Session, how: str) -> None:
    window, launcher = _launch(qtbot, session)
    qtbot.waitUntil(lambda: _has(window.rows(), "gate", "working", WAITING), timeout=45_000)
    if how == "window closed":
        window.close()
    else:
        session.hub.request_stop("signal SIGINT")  # what the CLI's handler does
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=20000)
    assert session.hub.stop_requested
    # Hub.start() gives up waiting for the gated manager (its gate is never opened)
    qtbot.waitUntil(lambda: launcher.outcome == "closed", timeout=20_000)
    assert launcher.wait_started(timeout=5)
    assert any(s.state == "session-failed" and "cancelled" in s.message
               for s in session.hub.startup_steps)
    launcher.stop_listening()  # the fixture stops the hub and checks the shared memory


def test_a_start_that_raises_is_shown_and_only_close_is_offered(qtbot: Any) -> None:
    hub = Hub([], [], HubConfig())

    def start() -> None:
        hub.startup.emit("hub", "progress", "shared memory ready")
        raise OSError(28, "No space left on device: /dev/shm")

    window = StartupWindow("camera sim", [])
    qtbot.addWidget(window)
    launcher = SessionLauncher(hub, window, start)
    window.show()
    launcher.begin()
    qtbot.waitUntil(lambda: window.failure != "", timeout=20000)
    assert isinstance(launcher.error, OSError)
    assert window.failure == ("the session could not start: OSError: [Errno 28] No space "
                              "left on device: /dev/shm")
    assert not window.continue_button.isVisible() and window.isVisible()
    assert not window.running and not set("◐◓◑◒") & set(window.elapsed.text())  # stopped
    assert launcher.outcome == ""
    window.close()
    assert launcher.outcome == "closed"


def test_the_view_counts_parts_and_keeps_the_latest_failure(qtbot: Any) -> None:
    window = StartupWindow("camera sim", ["camera", "pipeline"])
    qtbot.addWidget(window)
    steps = [StartupStep("hub", "progress", "shared memory ready", 0.01),
             StartupStep("camera", "starting", "starting camera", 0.02),
             StartupStep("camera", "ready", "camera ready", 0.5),
             StartupStep("pipeline", "starting", "starting pipeline", 0.6),
             StartupStep("pipeline", "progress", "preparing the tracker (first run only)\n"
                         "details", 1.0),
             StartupStep("pipeline", "failed", "pipeline failed to start: boom\ntraceback",
                         2.0)]
    for step in steps:
        window.add_step(step)
    assert window.progress.value() == 1 and window.progress.maximum() == 2
    assert window.rows()[4] == ("pipeline", "working", "preparing the tracker (first run only)")
    assert window.failed_parts == {"pipeline": "pipeline failed to start: boom"}
    window.add_step(StartupStep("pipeline", "starting", "starting pipeline", 3.0))
    window.add_step(StartupStep("pipeline", "ready", "pipeline ready", 4.0))
    assert window.failed_parts == {} and window.progress.value() == 2
    window.add_step(StartupStep("motor", "starting", "starting motor", 4.1))
    assert window.progress.maximum() == 3  # a part the plan did not list
