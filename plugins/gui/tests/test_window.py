"""The main window on a real session: panels, a broken panel plugin, menus, notifications."""

from __future__ import annotations

import logging
import sys
import threading
import types
from pathlib import Path

import pytest
from magscope_gui import MainWindow, PanelContext
from magscope_gui._panels import parse_panel_list, select_panels
from PySide6.QtWidgets import QApplication, QDockWidget, QWidget

from magscope_core import (
    CorePlugin,
    Hub,
    PanelSpec,
    PluginSet,
    SetCameraSetting,
    SettingsStore,
    hookimpl,
    load_plugins,
)

pytestmark = pytest.mark.integration

RUN_PANELS = ["status", "recording", "camera"]


def make_window(qtbot, context: PanelContext, plugins: PluginSet, ids: list[str] | None,
                layout_path: Path | None = None) -> MainWindow:
    chosen, unknown = select_panels(plugins, ids)
    assert not unknown
    window = MainWindow(context, chosen, layout_path)
    qtbot.addWidget(window)
    window.resize(1300, 850)
    window.show()
    qtbot.waitExposed(window)
    return window


class _Broken(QWidget):
    def __init__(self, context: PanelContext) -> None:
        raise RuntimeError("sensor on fire")


@pytest.fixture
def broken_plugins(monkeypatch: pytest.MonkeyPatch) -> PluginSet:
    """The installed plugins plus one whose panels fail: one raises, one cannot be imported."""
    module = types.ModuleType("magscope_gui_test_broken")
    module.Broken = _Broken  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "magscope_gui_test_broken", module)
    plugin = types.SimpleNamespace(magscope_panels=hookimpl(lambda: [
        PanelSpec(id="broken", title="Broken Panel", factory="magscope_gui_test_broken:Broken",
                  area="Run", order=5),
        PanelSpec(id="missing", title="Missing Panel", factory="no_such_module_xyz:Panel",
                  area="Locking", order=1),
    ]))
    return load_plugins(builtins=[(CorePlugin(), "core", "magscope-core"),
                                  (plugin, "broken-panels", "broken-dist")])


def test_parse_and_select_panels(sim_plugins: PluginSet) -> None:
    assert parse_panel_list(None) is None and parse_panel_list(" , ") is None
    assert parse_panel_list("video, plots,,status") == ["video", "plots", "status"]
    chosen, unknown = select_panels(sim_plugins, ["status", "nope", "recording"])
    assert [c.spec.id for c in chosen] == ["status", "recording"] and unknown == ["nope"]
    everything, _ = select_panels(sim_plugins, None)
    assert {"status", "recording", "camera"} <= {c.spec.id for c in everything}


def test_broken_panel_is_reported_and_the_rest_works(qtbot, sim_hub: Hub, tmp_path: Path,
                                                     broken_plugins: PluginSet) -> None:
    store = SettingsStore({ns: c.spec.schema for ns, c in broken_plugins.settings.items()})
    context = PanelContext(sim_hub, store, broken_plugins)
    window = make_window(qtbot, context, broken_plugins, [*RUN_PANELS, "broken", "missing"])
    failed = window.failed_panels
    assert set(failed) == {"broken", "missing"}
    assert "sensor on fire" in failed["broken"] and "broken-panels" in failed["broken"]
    assert "no_such_module_xyz" in failed["missing"]
    errors = [e for e in window.log_panel.entries if e.level == "error"]
    assert any("sensor on fire" in e.message and "Traceback" in e.details for e in errors)
    assert any("no_such_module_xyz" in e.message for e in errors)
    # the working panels are there and live
    assert window.side.order("Run") == RUN_PANELS
    status = window.panel("status")
    qtbot.waitUntil(lambda: status.figures.get("frames", 0) > 0, timeout=20000)
    # the View menu lists the failed panels, disabled
    view = window.menus.menus["view"]
    not_loaded = next(a.menu() for a in view.actions() if a.text() == "Not loaded")
    titles = {a.text(): a.isEnabled() for a in not_loaded.actions()}
    assert titles == {"Broken Panel (broken)": False, "Missing Panel (missing)": False}
    window.close()


def test_view_menu_shows_and_hides_panels(qtbot, context: PanelContext,
                                          sim_plugins: PluginSet) -> None:
    window = make_window(qtbot, context, sim_plugins, RUN_PANELS)
    action = window.menus.panel_actions["camera"]
    assert action.isChecked() and window.panel_visible("camera")
    action.trigger()
    assert not window.panel_visible("camera") and not window.panel("camera").isVisible()
    action.trigger()
    assert window.panel_visible("camera")
    # hiding from the section's own menu updates the View menu
    window.side.set_panel_visible("status", False)
    assert not window.menus.panel_actions["status"].isChecked()
    # docks: the notification dock's toggle action
    log_action = window.log_dock.toggleViewAction()
    log_action.trigger()
    assert window.log_dock.isHidden()
    log_action.trigger()
    assert not window.log_dock.isHidden()
    window.reset_layout()
    assert window.panel_visible("status")
    assert all(isinstance(d, QDockWidget) for d in window.docks.values())
    window.close()


def test_log_records_from_any_thread_and_hub_errors(qtbot, context: PanelContext,
                                                    sim_hub: Hub,
                                                    sim_plugins: PluginSet) -> None:
    window = make_window(qtbot, context, sim_plugins, ["status"])
    panel = window.log_panel
    logger = logging.getLogger("magscope.test-gui")
    thread = threading.Thread(target=logger.warning, args=("disk %s nearly full", "D:"))
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: any(e.message == "disk D: nearly full" for e in panel.entries),
                    timeout=20000)
    entry = next(e for e in panel.entries if e.message == "disk D: nearly full")
    assert entry.level == "warning" and entry.source == "magscope.test-gui"
    # a manager's failing command handler becomes a hub error report, shown once
    sim_hub.send(SetCameraSetting(name="no_such_setting", value=1))
    qtbot.waitUntil(lambda: any("no_such_setting" in e.message for e in panel.entries),
                    timeout=20000)
    reports = [e for e in panel.entries if "no_such_setting" in e.message]
    assert len(reports) == 1 and reports[0].source == "camera"
    assert "manager 'camera'" in reports[0].message and reports[0].details
    # notifications from panels land there too, and filters work
    context.notify("error", "the magnet is stuck")
    assert panel.entries[-1].message == "the magnet is stuck"
    panel.set_min_level("error")
    assert all(e.level == "error" for e in panel.visible_entries())
    panel.search.setText("magnet")
    assert [e.message for e in panel.visible_entries()] == ["the magnet is stuck"]
    window.close()
    assert panel.handler not in logging.getLogger().handlers


def test_the_whole_window_fits_a_1280_x_800_screen(qtbot, context: PanelContext,
                                                   sim_plugins: PluginSet) -> None:
    window = make_window(qtbot, context, sim_plugins, None)  # every installed panel
    assert {"video", "plots", "focus", "magnet", "histogram"} <= set(window.records)
    hint = window.minimumSizeHint()
    assert hint.width() <= 1280 and hint.height() <= 800, hint
    window.resize(1280, 800)
    window.reset_layout(quiet=True)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == (1280, 800), timeout=20000)
    for key in ("video", "plots"):  # each dock's widget gets at least its minimum
        widget = window.docks[key].widget()
        assert widget.width() >= widget.minimumSizeHint().width(), key
    assert window.controls_dock.width() <= 400
    for area in window.side.areas:  # the side dock's panels fit it: no sideways scrolling
        window.side.show_area(area)
        tab = window.side.currentWidget()
        QApplication.processEvents()  # posted layout requests: laid out at the dock width
        assert tab.horizontalScrollBar().maximum() == 0, area
        for pid in window.side.order(area):
            panel = window.side.sections[pid].panel
            assert panel.minimumSizeHint().width() <= min(330, panel.width()), pid
    window.close()
