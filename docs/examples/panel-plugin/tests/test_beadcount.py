"""Test the panel with pytest-qt in a real session: a simulated camera, 2 beads, a tracker.

Run from this folder after ``pip install -e .[test]`` (with magscope-sim and
magscope-tracker installed): ``QT_QPA_PLATFORM=offscreen pytest``.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from pathlib import Path

import pytest
from magscope_core import (
    AddBead,
    FindBeads,
    Hub,
    SettingsStore,
    load_plugins,
    plan_session,
)
from magscope_gui import PanelContext

from magscope_beadcount import BeadCountPanel
from magscope_beadcount.plugin import magscope_panels

pytest.importorskip("magscope_sim")


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    plugins = load_plugins()
    plan = plan_session(plugins, camera="sim", out_dir=tmp_path_factory.mktemp("run"),
                        saving=False, n_workers=1, camera_options={
                            "width": 256, "height": 256, "n_fixed": 2, "n_tethered": 0})
    with Hub(plan.managers, plan.commands, plan.config) as h:
        for x, y in h.call(FindBeads(n=2, size=64), timeout=10.0):
            h.call(AddBead(x=x, y=y, size=64))
        yield h


def test_the_plugin_declares_the_panel() -> None:
    (spec,) = magscope_panels()
    assert spec.id == "beadcount" and spec.area == "Analysis"
    assert spec.factory == "magscope_beadcount._panel:BeadCountPanel"


def test_panel_shows_beads_and_the_selected_position(qtbot, hub: Hub, tmp_path: Path) -> None:
    plugins = load_plugins()
    context = PanelContext(hub, SettingsStore(), plugins)
    panel = BeadCountPanel(context)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitUntil(lambda: panel.count.text() == "2", timeout=5000)
    context.selected_bead = 0
    qtbot.waitUntil(lambda: panel.position.text().startswith("bead 0: x "), timeout=5000)
    assert "z n/a" in panel.position.text()  # no Z-LUT loaded
    panel.restore_state({"decimals": 3})
    assert panel.save_state() == {"decimals": 3}
    panel.close_panel()
    context.close()
