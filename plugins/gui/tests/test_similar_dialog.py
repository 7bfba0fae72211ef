"""Finding similar beads and adding random beads from the video panel (real session)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from magscope_gui import PanelContext
from magscope_gui._video_panel import VideoPanel

from magscope_core import AddBead, ClearBeads, FindBeads, GetBeads, Hub
from magscope_core.testing import wait_ticking

pytestmark = pytest.mark.integration


@pytest.fixture
def panel(qtbot, context: PanelContext, sim_hub: Hub) -> Iterator[VideoPanel]:
    before = [tuple(b) for b in sim_hub.call(GetBeads())]
    p = VideoPanel(context)
    qtbot.addWidget(p)
    p.resize(600, 600)
    p.show()
    qtbot.waitExposed(p)
    wait_ticking(qtbot, context, lambda: p._last_frame >= 0, timeout=20000)
    yield p
    sim_hub.call(ClearBeads())
    for bead, x0, y0, size in before:
        sim_hub.call(AddBead(x=x0 + size / 2, y=y0 + size / 2, size=size, bead_id=bead))


def _centres(hub: Hub) -> np.ndarray:
    return np.array([(x0 + s / 2, y0 + s / 2) for _, x0, y0, s in hub.call(GetBeads())])


def test_find_similar_beads_previews_and_adds(qtbot, panel: VideoPanel, context: PanelContext,
                                              sim_hub: Hub) -> None:
    truth = np.array(sim_hub.call(FindBeads(n=10, size=64)), float)
    assert len(truth) == 4
    sim_hub.call(ClearBeads())
    assert panel.find_similar() is None  # no seed selected: says so, opens nothing
    seed = sim_hub.call(AddBead(x=truth[0, 0], y=truth[0, 1], size=64))
    panel.update_rois()
    context.selected_bead = seed
    dialog = panel.find_similar()
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.search is not None, timeout=20_000)
    assert dialog.progress.value() == 100
    assert dialog.threshold == pytest.approx(dialog.search["proposed_threshold"], abs=1e-3)
    proposed = dialog.candidates()
    assert len(proposed) >= 2 and len(dialog.preview.data) == len(proposed)
    for x, y in proposed:  # every proposed candidate is a bead
        assert np.min(np.hypot(truth[:, 0] - x, truth[:, 1] - y)) <= 16
    # the preview follows the threshold: just above the second best, only the seed
    scores = sorted(dialog.search["score"], reverse=True)
    dialog.set_threshold(scores[1] + 0.002)
    assert len(dialog.candidates()) == 1 and len(dialog.preview.data) == 1
    dialog.set_threshold(0.25)  # low: every bead
    assert len(dialog.candidates()) == 4 and len(dialog.preview.data) == 4
    if os.environ.get("MAGSCOPE_UPDATE_SCREENSHOT") == "1":  # docs/images/similar-beads.png
        _screenshot(qtbot, panel, dialog)
    added = dialog.add_selected()
    assert len(added) == 3  # the seed's ROI was there already
    centres = _centres(sim_hub)
    for x, y in truth:
        assert np.sum(np.hypot(centres[:, 0] - x, centres[:, 1] - y) <= 16) == 1
    dialog.close()
    qtbot.waitUntil(lambda: panel.similar_dialog is None, timeout=20000)


def test_add_random_beads_from_the_panel(panel: VideoPanel, sim_hub: Hub) -> None:
    sim_hub.call(ClearBeads())
    ids = panel.add_random_beads(3, seed=2)
    assert len(ids) == 3 and panel.bead_count.text().startswith("3")
    rows = sim_hub.call(GetBeads())
    assert {r[3] for r in rows} == {panel.roi_size.value()}
    dialog = panel.open_random_beads()
    dialog.setIntValue(2)
    dialog.accept()
    assert len(sim_hub.call(GetBeads())) == 5


def _screenshot(qtbot, panel: VideoPanel, dialog) -> None:
    """The video (with the preview squares) and the dialog side by side, for the docs."""
    from PySide6 import QtGui

    panel.fit()
    qtbot.wait(300)
    left, right = panel.grab(), dialog.grab()
    out = QtGui.QPixmap(left.width() + right.width() + 8, max(left.height(), right.height()))
    out.fill(QtGui.QColor("#202124"))
    painter = QtGui.QPainter(out)
    painter.drawPixmap(0, 0, left)
    painter.drawPixmap(left.width() + 8, 0, right)
    painter.end()
    path = Path(__file__).resolve().parents[3] / "docs" / "images" / "similar-beads.png"
    path.parent.mkdir(exist_ok=True)
    assert out.save(str(path))
