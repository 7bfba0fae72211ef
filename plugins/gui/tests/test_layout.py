"""Saving and restoring the window layout; invalid saved layouts are reset, never fatal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from magscope_gui import MainWindow, PanelContext
from magscope_gui._layout import Layout, LayoutError, PanelLayout, read_layout, write_layout
from magscope_gui._panels import select_panels

from magscope_core import PluginSet

RUN_PANELS = ["status", "recording", "camera"]


def test_layout_file_round_trip(tmp_path: Path) -> None:
    layout = Layout(b"\x01\x02geometry", b"\x00dock\xff", "Run", {"Run": ["b", "a"]},
                    {"a": PanelLayout(False, True, {"k": [1, 2]}), "b": PanelLayout()})
    path = tmp_path / "sub" / "gui-layout.json"
    write_layout(path, layout)
    assert read_layout(path) == layout
    assert read_layout(tmp_path / "none.json") is None
    assert not list(path.parent.glob(".gui-layout-*"))  # no temporary file left


@pytest.mark.parametrize(("text", "expected"), [
    ("{not json", "not valid JSON (line 1"),
    ("[1, 2]", "expected a JSON object"),
    ('{"version": 99}', "version 99 is not 1"),
    ('{"version": 1, "tabs": {"Run": "status"}}', "'tabs' must map"),
    ('{"version": 1, "panels": {"status": {"expanded": "yes"}}}', "panels.status.expanded"),
    ('{"version": 1, "dock_state": "@@@"}', "'dock_state' is not valid base64"),
])
def test_invalid_layout_files_are_named(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "gui-layout.json"
    path.write_text(text)
    with pytest.raises(LayoutError) as info:
        read_layout(path)
    assert expected in str(info.value) and str(path) in str(info.value)


def _window(qtbot, context: PanelContext, plugins: PluginSet, path: Path) -> MainWindow:
    chosen, _ = select_panels(plugins, RUN_PANELS)
    window = MainWindow(context, chosen, path)
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    qtbot.waitExposed(window)
    return window


@pytest.mark.integration
def test_layout_is_saved_on_close_and_restored(qtbot, context: PanelContext,
                                               sim_plugins: PluginSet, tmp_path: Path) -> None:
    path = tmp_path / "gui-layout.json"
    first = _window(qtbot, context, sim_plugins, path)
    first.side.set_expanded("camera", False)
    first.side.set_panel_visible("status", False)
    first.side.move_panel("camera", -2)  # to the top
    first.log_panel.set_min_level("warning")
    first.log_dock.hide()
    assert first.side.order("Run") == ["camera", "status", "recording"]
    first.close()
    saved = json.loads(path.read_text())
    assert saved["tabs"]["Run"] == ["camera", "status", "recording"]
    assert saved["panels"]["camera"]["expanded"] is False
    assert saved["panels"]["status"]["visible"] is False
    assert saved["dock_state"] and saved["geometry"]

    context.start()
    second = _window(qtbot, context, sim_plugins, path)
    assert second.side.order("Run") == ["camera", "status", "recording"]
    assert not second.side.expanded("camera") and second.side.expanded("recording")
    assert not second.side.panel_visible("status")
    assert not second.menus.panel_actions["status"].isChecked()
    assert second.log_panel.level.currentIndex() == 2
    assert second.log_dock.isHidden()
    assert not [e for e in second.log_panel.entries if "layout" in e.message]
    second.close()


@pytest.mark.integration
@pytest.mark.parametrize("content", ["{broken", "bad-dock-state"])
def test_invalid_saved_layout_is_reset_with_a_notice(qtbot, context: PanelContext,
                                                     sim_plugins: PluginSet, tmp_path: Path,
                                                     content: str) -> None:
    path = tmp_path / "gui-layout.json"
    if content == "bad-dock-state":  # well-formed JSON, but Qt refuses the dock state
        write_layout(path, Layout(b"", b"this is not a QMainWindow state", "Run"))
    else:
        path.write_text(content)
    window = _window(qtbot, context, sim_plugins, path)
    notices = [e for e in window.log_panel.entries if "layout" in e.message]
    assert len(notices) == 1 and notices[0].level == "warning"
    assert "reset" in notices[0].message and str(path) in notices[0].message
    # the default layout is in place and everything works
    assert window.side.order("Run") == RUN_PANELS
    assert all(window.panel_visible(p) for p in RUN_PANELS)
    assert not window.controls_dock.isHidden() and not window.log_dock.isHidden()
    if content == "{broken":
        assert (tmp_path / "gui-layout.bad.json").read_text() == "{broken"
    window.close()
    assert read_layout(path) is not None  # a good layout replaced it
