"""The video panel on a real simulated session: frames, and bead editing by mouse and keys."""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np
import pytest
from magscope_gui import PanelContext
from magscope_gui._reassign_dialog import renumber_plan
from magscope_gui._video_panel import VideoPanel
from PySide6 import QtCore, QtGui, QtWidgets

from magscope_core import (
    AddBead,
    BeadRoiTable,
    CameraInfo,
    ClearBeads,
    GetBeads,
    Hub,
    RemoveBead,
    SessionMemory,
    SettingsStore,
    SharedResources,
    VideoRing,
)
from magscope_core.testing import wait_ticking

pytestmark = pytest.mark.integration


LEFT = QtCore.Qt.MouseButton.LeftButton
RIGHT = QtCore.Qt.MouseButton.RightButton


@pytest.fixture
def beads_restored(sim_hub: Hub) -> Iterator[list[tuple[int, int, int, int]]]:
    """The session's beads before the test; put back exactly (ids included) afterwards."""
    before = [tuple(b) for b in sim_hub.call(GetBeads())]
    yield before
    sim_hub.call(ClearBeads())
    for bead, x0, y0, size in before:
        sim_hub.call(AddBead(x=x0 + size / 2, y=y0 + size / 2, size=size, bead_id=bead))
    assert [tuple(b) for b in sim_hub.call(GetBeads())] == before


@pytest.fixture
def panel(qtbot, context: PanelContext, beads_restored) -> VideoPanel:
    p = VideoPanel(context)
    qtbot.addWidget(p)
    p.resize(700, 700)
    p.show()
    qtbot.waitExposed(p)
    wait_ticking(qtbot, context, lambda: p._last_frame >= 0, timeout=20000)
    p.fit()
    return p


def _beads(hub: Hub) -> dict[int, tuple[int, int, int]]:
    return {int(b): (int(x0), int(y0), int(s)) for b, x0, y0, s in hub.call(GetBeads())}


def _viewport_pos(panel: VideoPanel, x: float, y: float) -> QtCore.QPoint:
    scene = panel.view_box.mapViewToScene(QtCore.QPointF(x, y))
    return panel.view.mapFromScene(scene)


def _click(qtbot, panel: VideoPanel, x: float, y: float, button=LEFT) -> None:
    qtbot.mouseClick(panel.view.viewport(), button, pos=_viewport_pos(panel, x, y))


def _drag(qtbot, panel: VideoPanel, start: QtCore.QPoint, delta: QtCore.QPoint) -> None:
    """Press, move in steps, release: events sent synchronously to the viewport.

    pyqtgraph ignores mouse moves closer than 10 ms apart, hence the short sleeps.
    """
    vp = panel.view.viewport()

    def send(kind: QtCore.QEvent.Type, pos: QtCore.QPoint, buttons) -> None:
        local = QtCore.QPointF(pos)
        event = QtGui.QMouseEvent(kind, local, QtCore.QPointF(vp.mapToGlobal(pos)), LEFT,
                                  buttons, QtCore.Qt.KeyboardModifier.NoModifier)
        QtWidgets.QApplication.sendEvent(vp, event)

    send(QtCore.QEvent.Type.MouseButtonPress, start, LEFT)
    for k in range(1, 6):
        time.sleep(0.015)
        send(QtCore.QEvent.Type.MouseMove, start + delta * (k / 5), LEFT)
    time.sleep(0.015)
    send(QtCore.QEvent.Type.MouseButtonRelease, start + delta, QtCore.Qt.MouseButton.NoButton)


def _empty_spot(beads: dict[int, tuple[int, int, int]], size: int, shape=(256, 256)
                ) -> tuple[float, float]:
    """Centre of a ``size`` square inside the frame that overlaps no ROI."""
    for cy in range(size, shape[0] - size, 4):
        for cx in range(size, shape[1] - size, 4):
            if all(cx + size / 2 + 2 < x0 or cx - size / 2 - 2 > x0 + s
                   or cy + size / 2 + 2 < y0 or cy - size / 2 - 2 > y0 + s
                   for x0, y0, s in beads.values()):
                return cx + 0.5, cy + 0.5
    raise AssertionError("no empty spot")


def test_shows_frames_with_fixed_levels(qtbot, panel: VideoPanel,
                                        context: PanelContext) -> None:
    info = context.resources.camera_info
    assert panel.image.image is not None and panel.image.image.shape == (info.height, info.width)
    assert tuple(panel.image.levels) == (0.0, float(2**info.bits - 1))
    first, shown = panel.last_frame, panel.frames_shown
    frame_buffer = panel._frame
    wait_ticking(qtbot, context, lambda: panel.last_frame > first)  # a newer frame came
    assert panel.frames_shown > shown
    assert panel._frame is frame_buffer  # no new allocation per frame
    panel.auto_levels()
    lo, hi = panel.image.levels
    assert 0 <= lo < hi <= 2**info.bits - 1
    panel.full_range()
    assert tuple(panel.image.levels) == (0.0, float(2**info.bits - 1))
    assert len(panel.overlay.ids) == 4  # the session's beads are drawn


def test_click_adds_selects_and_right_click_removes(qtbot, panel: VideoPanel,
                                                    context: PanelContext, sim_hub: Hub) -> None:
    sim_hub.call(ClearBeads())
    panel.roi_size.setValue(20)
    before = _beads(sim_hub)
    x, y = _empty_spot(before, 20)
    _click(qtbot, panel, x, y)
    after = _beads(sim_hub)
    new = set(after) - set(before)
    assert len(new) == 1
    bead = new.pop()
    x0, y0, size = after[bead]
    assert size == 20
    assert abs(x0 + size / 2 - x) <= 1 and abs(y0 + size / 2 - y) <= 1
    assert bead in panel.overlay.ids.tolist()  # drawn without waiting for a poll

    selected: list[int] = []
    context.events.bead_selected.connect(selected.append)
    _click(qtbot, panel, x + 3, y - 3)  # inside the new ROI: selects, adds nothing
    assert context.selected_bead == bead and selected == [bead]
    assert set(_beads(sim_hub)) == set(after)

    _click(qtbot, panel, x, y, RIGHT)
    assert bead not in _beads(sim_hub)
    assert context.selected_bead == -1  # the removed bead is no longer selected
    assert bead not in panel.overlay.ids.tolist()


def test_drag_moves_a_bead_and_drag_elsewhere_pans(qtbot, panel: VideoPanel,
                                                   context: PanelContext, sim_hub: Hub) -> None:
    for bead in list(_beads(sim_hub))[2:]:
        sim_hub.call(RemoveBead(bead_id=bead))
    x, y = _empty_spot(_beads(sim_hub), 64)
    bead = panel.add_bead(x, y)
    assert bead is not None
    x0, y0, _ = _beads(sim_hub)[bead]
    start = _viewport_pos(panel, x, y)
    end_view = panel.view_box.mapSceneToView(panel.view.mapToScene(start + QtCore.QPoint(30, 20)))
    _drag(qtbot, panel, start, QtCore.QPoint(30, 20))
    nx0, ny0, _ = _beads(sim_hub)[bead]
    dx, dy = end_view.x() - x, end_view.y() - y
    assert dx > 3 and dy > 2
    assert abs((nx0 - x0) - dx) <= 1.0 and abs((ny0 - y0) - dy) <= 1.0
    assert context.selected_bead == bead

    # a drag on empty image pans the view and changes no bead
    beads = _beads(sim_hub)
    ex, ey = _empty_spot(beads, 20)
    rng = panel.view_box.viewRange()
    _drag(qtbot, panel, _viewport_pos(panel, ex, ey), QtCore.QPoint(40, 0))
    assert _beads(sim_hub) == beads
    assert panel.view_box.viewRange()[0][0] < rng[0][0]


def test_roi_size_resizes_every_bead_keeping_ids_and_centres(
        panel: VideoPanel, sim_hub: Hub) -> None:
    """Tracking needs one ROI size, so the size box resizes all beads (ids, centres kept)."""
    before = _beads(sim_hub)
    assert panel.roi_size.value() == 64  # follows the table
    panel.roi_size.setValue(48)
    after = _beads(sim_hub)
    assert set(after) == set(before)
    for bead, (x0, y0, size) in after.items():
        bx0, by0, bsize = before[bead]
        assert size == 48
        assert abs(x0 + 24 - (bx0 + bsize / 2)) <= 1 and abs(y0 + 24 - (by0 + bsize / 2)) <= 1
    assert set(np.unique(panel.overlay.rois[:, 2]).tolist()) == {48}
    # restoring a saved layout never resizes the session's beads
    panel.restore_state({"roi_size": 30})
    assert _beads(sim_hub) == after
    panel.update_rois()
    assert panel.roi_size.value() == 48


def test_delete_key_removes_the_selected_bead(qtbot, panel: VideoPanel, context: PanelContext,
                                              sim_hub: Hub) -> None:
    victim = sorted(_beads(sim_hub))[0]
    context.selected_bead = victim
    panel.view.setFocus()
    qtbot.keyClick(panel.view, QtCore.Qt.Key.Key_Delete)
    assert victim not in _beads(sim_hub)
    assert context.selected_bead == -1
    n = len(_beads(sim_hub))
    qtbot.keyClick(panel.view, QtCore.Qt.Key.Key_Delete)  # nothing selected: nothing happens
    assert len(_beads(sim_hub)) == n


def test_reassign_dialog_and_renumber(qtbot, panel: VideoPanel, context: PanelContext,
                                      sim_hub: Hub) -> None:
    ids = sorted(_beads(sim_hub))
    context.selected_bead = ids[1]
    dialog = panel.open_reassign()
    assert int(dialog.bead.currentData()) == ids[1]
    dialog.new_id.setValue(500)
    dialog.accept()
    beads = _beads(sim_hub)
    assert 500 in beads and ids[1] not in beads
    assert context.selected_bead == 500  # the selection follows the bead

    dialog = panel.open_reassign()
    dialog.renumber.setChecked(True)
    dialog.accept()
    assert sorted(_beads(sim_hub)) == list(range(len(ids)))
    assert sorted(panel.overlay.ids.tolist()) == list(range(len(ids)))


def test_renumber_plan_never_collides() -> None:
    plan = renumber_plan([7, 2, 0, 9, 3])
    assert plan == [(2, 1), (3, 2), (7, 3), (9, 4)]
    used = {7, 2, 0, 9, 3}
    for old, new in plan:
        assert new not in used
        used = (used - {old}) | {new}
    assert used == set(range(5))


def test_remove_all_reference_and_state(qtbot, panel: VideoPanel, context: PanelContext,
                                        sim_hub: Hub) -> None:
    ids = sorted(_beads(sim_hub))
    context.selected_bead = ids[0]
    panel.toggle_reference()
    assert context.reference_bead == ids[0]
    panel.toggle_reference()
    assert context.reference_bead == -1
    panel.toggle_reference()
    changed: list[bool] = []
    context.events.beads_changed.connect(lambda: changed.append(True))
    panel.clear_beads()
    assert _beads(sim_hub) == {}
    assert changed and len(panel.overlay.ids) == 0
    assert context.selected_bead == -1 and context.reference_bead == -1
    assert panel.bead_count.text() == "0 beads"

    panel.roi_size.setValue(40)
    panel.show_centres.setChecked(True)
    panel.set_levels(10, 900)
    state = panel.save_state()
    other = VideoPanel(context)
    qtbot.addWidget(other)
    other.restore_state(state)
    assert other.roi_size.value() == 40 and other.show_centres.isChecked()
    assert other.save_state()["levels"] == [10.0, 900.0]


def test_tracked_centres_are_marked(qtbot, panel: VideoPanel, context: PanelContext) -> None:
    panel.show_centres.setChecked(True)

    def marked() -> bool:
        panel.refresh()
        return panel.overlay._centres.shape[0] == len(panel.overlay.ids) > 0

    wait_ticking(qtbot, context, marked, timeout=10000)
    # every marker lies inside its bead's ROI
    for (cx, cy) in panel.overlay._centres:
        assert panel.overlay.roi_at(float(cx), float(cy)) >= 0
    panel.show_centres.setChecked(False)
    assert panel.overlay._centres.shape[0] == 0
    assert np.isfinite(panel.overlay.rois).all()


@pytest.mark.parametrize(("dtype", "bits"), [("uint8", 8), ("uint16", 10), ("uint16", 12)])
def test_levels_follow_the_bit_depth_and_many_rois(qtbot, dtype: str, bits: int) -> None:
    """A ring of ``bits``-bit frames (no hub): levels 0..2**bits-1, 100 ROIs drawn and hit."""
    with SessionMemory() as memory:
        ring = VideoRing.create(memory, n_stacks=2, stack_size=2, height=96, width=128,
                                dtype=dtype)
        rois = BeadRoiTable.create(memory, capacity=200)
        for k in range(100):
            rois.add((k % 10) * 12, (k // 10) * 9, 8)
        resources = SharedResources(memory.session_id, None, rois_handle=rois.handle,
                                    ring_handle=ring.handle, camera_info=CameraInfo(
                                        width=128, height=96, dtype=dtype, bits=bits,
                                        nm_per_px=100.0, fps=10.0))
        frame = (np.arange(96 * 128).reshape(96, 128) % 2**bits).astype(dtype)
        ring.write(frame, 1.0)
        ctx = PanelContext(None, SettingsStore({}, None), None, resources, start_timer=False)
        panel = VideoPanel(ctx)
        qtbot.addWidget(panel)
        panel.resize(500, 450)
        panel.show()
        qtbot.waitExposed(panel)
        ctx.events.refresh.emit()
        try:
            assert tuple(panel.image.levels) == (0.0, float(2**bits - 1))
            np.testing.assert_array_equal(panel.image.image, frame)
            assert len(panel.overlay.ids) == 100 and panel.bead_count.text() == "100 beads"
            assert panel.overlay.roi_at(12 * 3 + 4, 9 * 2 + 4) == 23
            assert panel.overlay.roi_at(127.5, 95.5) == -1
            panel.view.viewport().repaint()  # paints 100 boxes and their ids
            rois.move(23, 0, 90)
            ctx.events.refresh.emit()  # the version changed: redrawn
            assert panel.overlay.corner_of(23) == (0, 90, 8)
        finally:
            panel.close_panel()
            panel.close()
            resources.close()
            ring.close()
            rois.close()
