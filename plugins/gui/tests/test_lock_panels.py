"""The Locking tab's panels on the real simulated session (the locks run in their manager)."""

from __future__ import annotations

import pytest
from magscope_gui import PanelContext
from magscope_gui._xy_lock_panel import XYLockPanel
from magscope_gui._z_lock_panel import ZLockPanel
from PySide6.QtCore import Qt

from magscope_core import (
    GetBeads,
    GetLocks,
    GetZLutSweep,
    Hub,
    MoveBead,
    SetXYLock,
    SetZLock,
    StartZLutSweep,
)
from magscope_core.testing import show_widget, wait_ticking

pytestmark = pytest.mark.integration


@pytest.fixture
def locks_off(sim_hub: Hub):
    """Leave both locks off for the other tests of the shared session."""
    yield
    sim_hub.call(SetXYLock(on=False))
    sim_hub.call(SetZLock(on=False))


def _rois(hub: Hub) -> dict[int, tuple[int, int]]:
    return {int(b): (int(x0), int(y0)) for b, x0, y0, _ in hub.call(GetBeads())}


def test_xy_panel_centres_a_displaced_roi_once(qtbot, context: PanelContext, sim_hub: Hub,
                                               locks_off: None) -> None:
    panel = show_widget(qtbot, XYLockPanel(context), 420, 420)
    from magscope_sim._managers import GetSimTruth

    before = _rois(sim_hub)
    # a bead stuck to the surface (no Brownian motion); beads were added in the sim's order
    bead = sorted(before)[sim_hub.call(GetSimTruth())["tethered"].index(False)]
    x0, y0 = before[bead]
    sim_hub.call(MoveBead(bead_id=bead, x=x0 + 32 + 3, y=y0 + 32 - 2))  # 3 px right, 2 up
    assert _rois(sim_hub)[bead] == (x0 + 3, y0 - 2)
    panel.max_step.setValue(5)
    panel.window_s.setValue(0.5)
    qtbot.mouseClick(panel.once, Qt.MouseButton.LeftButton)
    wait_ticking(qtbot, context, lambda: panel.state.get("status", "").startswith(
        "centred 4 beads once"), timeout=15000)
    after = _rois(sim_hub)
    assert after[bead] == before[bead]  # back on the bead
    # (tethered beads wander at the session's low force: their ROIs may follow them too)
    assert not panel.enable.isChecked() and not sim_hub.call(GetLocks())["xy"]["on"]
    assert panel.recent.count() >= 1
    lines = [panel.recent.item(i).text() for i in range(panel.recent.count())]
    mine = [line for line in lines if f"bead {bead}: off by (-3." in line]
    assert len(mine) == 1 and "ROI moved (-3, +2) px" in mine[0], lines
    assert panel.count.text() == f"{panel.state['corrections']} ROI moves"


def test_xy_panel_turns_the_continuous_lock_on_and_off(qtbot, context: PanelContext,
                                                       sim_hub: Hub, locks_off: None) -> None:
    panel = show_widget(qtbot, XYLockPanel(context), 420, 420)
    panel.every.setValue(0.3)
    panel.enable.setChecked(True)
    state = sim_hub.call(GetLocks())["xy"]
    assert state["on"] and not state["once"] and state["interval_s"] == pytest.approx(0.3)
    wait_ticking(qtbot, context, lambda: "beads judged" in panel.status.text(), timeout=10000)
    panel.enable.setChecked(False)
    assert not sim_hub.call(GetLocks())["xy"]["on"] and panel.status.text() == "off"


def test_z_panel_says_why_it_cannot_hold_without_a_zlut(qtbot, context: PanelContext,
                                                       sim_hub: Hub, locks_off: None,
                                                       tmp_path) -> None:
    panel = show_widget(qtbot, ZLockPanel(context), 420, 480)
    assert panel.enable.isEnabled()  # the simulator has a focus motor
    bead = min(_rois(sim_hub))
    panel.bead.setValue(bead)
    panel.target.setText("abc")
    panel.enable.setChecked(True)  # refused: the target is no number
    assert not sim_hub.call(GetLocks())["z"]["on"] and not panel.enable.isChecked()
    panel.target.setText("")
    panel.enable.setChecked(True)
    z = sim_hub.call(GetLocks())["z"]
    assert z["on"] and z["bead_id"] == bead and z["target_nm"] is None
    # the shared session has no Z-LUT: tracked Z is NaN, the lock waits and says so
    wait_ticking(qtbot, context,
                 lambda: panel.status.text() == "no Z for the bead: is a Z-LUT loaded?",
                 timeout=15000)
    assert sim_hub.call(GetLocks())["z"]["corrections"] == 0
    # a Z-LUT sweep pauses the lock (it never moves the focus under the sweep's feet)
    sim_hub.call(StartZLutSweep(start_nm=-200, stop_nm=200, step_nm=200, images_per_step=2,
                                bead_id=bead, path=str(tmp_path / "zlut.txt"), load=False))
    wait_ticking(qtbot, context,
                 lambda: panel.status.text() == "paused: a Z-LUT sweep is running",
                 timeout=10000)
    wait_ticking(qtbot, context, lambda: sim_hub.call(GetZLutSweep())["state"] == "done",
                 timeout=30000)
    wait_ticking(qtbot, context,
                 lambda: panel.status.text() == "no Z for the bead: is a Z-LUT loaded?",
                 timeout=15000)
    assert sim_hub.call(GetLocks())["z"]["corrections"] == 0
    panel.enable.setChecked(False)
    assert not sim_hub.call(GetLocks())["z"]["on"] and panel.status.text() == "off"


def test_locking_tab_picture(qtbot, context: PanelContext, sim_hub: Hub, locks_off: None,
                             tmp_path) -> None:
    """Both panels at work, drawn offscreen; ``MAGSCOPE_UPDATE_SCREENSHOT=1`` saves the
    picture as ``docs/locks.png``."""
    import os
    from pathlib import Path

    import numpy as np
    from magscope_gui._theme import apply_theme, theme_for
    from PySide6.QtWidgets import QApplication, QHBoxLayout, QWidget

    host = QWidget()
    row = QHBoxLayout(host)
    xy, zp = XYLockPanel(context), ZLockPanel(context)
    row.addWidget(xy)
    row.addWidget(zp)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    palette, sheet = app.palette(), app.styleSheet()
    apply_theme(app, theme_for(True))
    show_widget(qtbot, host, 760, 500)
    xy.every.setValue(0.3)
    chosen = sorted(_rois(sim_hub))[:3]  # the XY-lock on three of the four beads
    xy.beads.setText(", ".join(map(str, chosen)))
    xy.enable.setChecked(True)
    assert sim_hub.call(GetLocks())["xy"]["beads"] == chosen
    zp.bead.setValue(min(_rois(sim_hub)))
    zp.enable.setChecked(True)
    wait_ticking(qtbot, context, lambda: "3 beads judged" in xy.status.text()
                 and "Z-LUT" in zp.status.text(), timeout=15000)
    image = host.grab().toImage()
    app.setPalette(palette)  # the other tests get the application as it was
    app.setStyleSheet(sheet)
    path = tmp_path / "locks.png"
    assert image.save(str(path))
    gray = np.array([[image.pixelColor(x, y).value() for x in range(0, image.width(), 8)]
                     for y in range(0, image.height(), 8)])
    assert gray.std() > 5  # text and widgets, not a blank picture
    if os.environ.get("MAGSCOPE_UPDATE_SCREENSHOT") == "1":
        docs = Path(__file__).resolve().parents[3] / "docs" / "locks.png"
        docs.write_bytes(path.read_bytes())


def test_xy_panel_locks_only_the_beads_named(qtbot, context: PanelContext, sim_hub: Hub,
                                             locks_off: None) -> None:
    panel = show_widget(qtbot, XYLockPanel(context), 420, 420)
    beads = sorted(_rois(sim_hub))
    context.selected_bead = beads[1]
    qtbot.mouseClick(panel.use_selected, Qt.MouseButton.LeftButton)
    assert panel.beads.text() == str(beads[1])
    panel.enable.setChecked(True)
    assert sim_hub.call(GetLocks())["xy"]["beads"] == [beads[1]]
    panel.enable.setChecked(False)
    panel.beads.setText(f"{beads[0]}, {beads[2]}")
    assert panel.command(on=True).beads == (beads[0], beads[2])
    panel.beads.setText("all")
    assert panel.command(on=True).beads is None
    panel.beads.setText("0, x")  # refused in the panel, one line in the log; nothing sent
    panel.enable.setChecked(True)
    assert not sim_hub.call(GetLocks())["xy"]["on"]
    # a lock turned on elsewhere (a script) shows its beads
    sim_hub.call(SetXYLock(beads=[beads[3]]))
    panel.refresh()
    assert panel.beads.text() == str(beads[3]) and panel.enable.isChecked()
