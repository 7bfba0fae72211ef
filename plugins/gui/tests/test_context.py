"""PanelContext on a real simulated session: calls, notifications, beads, display timer."""

from __future__ import annotations

import pytest
from magscope_gui import PanelContext
from PySide6.QtCore import QTimer

from magscope_core import AddBead, GetBeads, GetZLutSweep, Hub, RemoveBead

pytestmark = pytest.mark.integration


def test_call_returns_the_answer(context: PanelContext, sim_hub: Hub) -> None:
    beads = context.call(GetBeads())
    assert len(beads) == 4
    assert context.resources.camera_info is not None
    assert context.resources.camera_info.width == 256


def test_failed_call_notifies_and_returns_none(context: PanelContext, qtbot) -> None:
    seen: list[tuple[str, str]] = []
    context.events.notify.connect(lambda level, msg: seen.append((level, msg)))
    assert context.call(RemoveBead(bead_id=987654)) is None
    assert seen and seen[0][0] == "error"
    assert "RemoveBead" in seen[0][1] and "987654" in seen[0][1]


def test_bead_selection_signals(context: PanelContext, qtbot) -> None:
    with qtbot.waitSignal(context.events.bead_selected) as sel:
        context.selected_bead = 2
    assert sel.args == [2] and context.selected_bead == 2
    with qtbot.assertNotEmitted(context.events.bead_selected):
        context.selected_bead = 2  # unchanged: no signal
    with qtbot.waitSignal(context.events.reference_bead_changed) as ref:
        context.reference_bead = 1
    assert ref.args == [1]


def test_refresh_follows_display_fps(context: PanelContext, qtbot) -> None:
    timer = context.events.findChild(QTimer, "magscope-display-timer")
    assert isinstance(timer, QTimer) and timer.interval() == round(1000 / 30)  # default
    context.settings.set("gui", "display_fps", 20)
    context.events.settings_changed.emit("gui")
    assert timer.interval() == 50 and context.display_fps == 20
    ticks: list[int] = []
    context.events.refresh.connect(lambda: ticks.append(1))
    qtbot.waitUntil(lambda: len(ticks) >= 8, timeout=20000)  # the timer drives the ticks
    context.close()
    assert not context.timer_active and not timer.isActive()


def test_beads_changed_when_the_table_changes(context: PanelContext, sim_hub: Hub,
                                              qtbot) -> None:
    version = context.resources.rois().version
    # the context has seen the current version (it compares every few ticks)
    qtbot.waitUntil(lambda: context.seen_roi_version == version, timeout=20000)
    with qtbot.waitSignal(context.events.beads_changed, timeout=20000):
        bead = sim_hub.call(AddBead(x=40.0, y=40.0, size=32))
    assert bead in [row[0] for row in context.call(GetBeads())]
    with qtbot.waitSignal(context.events.beads_changed, timeout=20000):
        sim_hub.call(RemoveBead(bead_id=bead))
    assert bead not in [row[0] for row in context.call(GetBeads())]


def test_a_request_the_pipeline_answers_notifies_nothing(context: PanelContext) -> None:
    notes: list[tuple[str, str]] = []
    context.events.notify.connect(lambda level, msg: notes.append((level, msg)))
    sweep = context.call(GetZLutSweep())
    assert notes == []  # a failed call would have said so (and returned None)
    if sweep is not None:  # a sweep ran earlier in this session
        assert sweep["state"] in {"moving", "capturing", "done", "cancelled"}
