"""Script panel on the shared simulated session: check, run, pause, resume, stop."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from magscope_gui import PanelContext
from magscope_gui._script_panel import ScriptPanel
from PySide6.QtCore import Qt

from magscope_core import GetMagnet, Hub, SettingsStore
from magscope_core.testing import show_widget, wait_ticking

pytestmark = pytest.mark.integration


@pytest.fixture
def panel(qtbot, context: PanelContext) -> ScriptPanel:
    return show_widget(qtbot, ScriptPanel(context), 520, 480)


def click(qtbot, button) -> None:
    assert button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_a_bad_protocol_shows_its_line_and_cannot_run(panel: ScriptPanel, tmp_path: Path,
                                                      context: PanelContext) -> None:
    notes: list[tuple[str, str]] = []
    context.events.notify.connect(lambda level, text: notes.append((level, text)))
    bad = tmp_path / "bad.py"
    bad.write_text("steps = [\n    SetForce(force_pn=1.0),\n    sleep(-2),\n]\n")
    assert not panel.load(bad)
    assert f"{bad}:3: sleep" in panel.status.text()
    assert not panel.run_button.isEnabled() and panel.check_button.isEnabled()
    assert notes and notes[-1][0] == "error" and ":3:" in notes[-1][1]


def test_run_pause_resume_to_the_end(qtbot, panel: ScriptPanel, tmp_path: Path,
                                     context: PanelContext, sim_hub: Hub) -> None:
    path = tmp_path / "steps.py"
    path.write_text('"""Two forces."""\nsteps = [\n    SetForce(force_pn=1.0),\n'
                    "    sleep(1.0),\n    SetForce(force_pn=2.0),\n"
                    "    wait_motor('magnet'),\n]\n")
    assert panel.load(path)
    assert panel.plan.rowCount() == 4
    assert panel.plan.item(1, 1).text() == "sleep 1 s" and panel.plan.item(1, 0).text() == "4"
    # the simulated magnet's speed and calibration time the moves: the plan is exact
    assert re.search(r"Two forces\.: 4 steps, [0-9.]+ s$", panel.status.text())
    assert panel.plan.item(3, 2).text().endswith(" s")  # the wait for the magnet
    click(qtbot, panel.run_button)
    wait_ticking(qtbot, context, lambda: "step 2/4 (line 4): sleep 1 s" in panel.status.text())
    assert panel.bar.value() == 2 and panel.bar.maximum() == 4
    assert panel.left.text().startswith("time left: ") and "≥" not in panel.left.text()
    click(qtbot, panel.pause_button)
    assert panel.pause_button.text() == "Resume"
    assert panel.status.text().startswith("paused: step 2/4")
    assert panel.runner is not None and not panel.runner.wait(1.3)  # held while paused
    assert panel.runner.progress().step == 2
    click(qtbot, panel.pause_button)  # resume
    wait_ticking(qtbot, context, lambda: panel.status.text().startswith("done"), timeout=30000)
    assert panel.bar.value() == 4 and not panel.stop_button.isEnabled()
    assert panel.run_button.isEnabled()
    times = panel.runner.step_times
    assert times[2] - times[1] >= 1.0 + 1.3
    assert sim_hub.call(GetMagnet())["force_pn"] == pytest.approx(2.0, rel=1e-3)


def test_stop_aborts_and_leaves_the_configured_safe_force(
        qtbot, panel: ScriptPanel, tmp_path: Path, context: PanelContext, sim_hub: Hub,
        settings_store: SettingsStore) -> None:
    settings_store.set("protocol", "safe_force_pn", 0.4)
    path = tmp_path / "long.py"
    path.write_text("steps = [SetForce(force_pn=3.0), wait_motor('magnet'), sleep(60 * s)]\n")
    assert panel.load(path)
    click(qtbot, panel.run_button)
    wait_ticking(qtbot, context, lambda: "step 3/3" in panel.status.text(), timeout=30000)
    wait_ticking(qtbot, context, lambda: panel.left.text().startswith("time left: 5"))
    click(qtbot, panel.stop_button)
    wait_ticking(qtbot, context, lambda: panel.status.text().startswith("stopped"),
                 timeout=10000)
    assert "stopped by the user" in panel.status.text()
    qtbot.waitUntil(lambda: not sim_hub.call(GetMagnet())["moving"], timeout=30000)
    assert sim_hub.call(GetMagnet())["force_pn"] == pytest.approx(0.4, rel=1e-3)
    assert panel.safe.text() == "Stop leaves the magnet at 0.4 pN"  # read when the run began


def test_closing_the_panel_stops_a_run(qtbot, panel: ScriptPanel, tmp_path: Path,
                                       context: PanelContext) -> None:
    path = tmp_path / "wait.py"
    path.write_text("steps = [sleep(60)]\n")
    assert panel.load(path)
    click(qtbot, panel.run_button)
    wait_ticking(qtbot, context, lambda: panel.status.text().startswith("running"))
    panel.close_panel()
    assert panel.runner is not None and panel.runner.state == "stopped"
