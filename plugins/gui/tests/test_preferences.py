"""The preferences dialog: generated editors, validation, reset, import/export, save."""

from __future__ import annotations

from pathlib import Path

import pytest
from magscope_gui import MainWindow, PanelContext
from magscope_gui._panels import select_panels
from magscope_gui._preferences import PreferencesDialog
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QSpinBox

from magscope_core import PluginSet, describe

pytestmark = pytest.mark.integration


@pytest.fixture
def dialog(qtbot, context: PanelContext) -> PreferencesDialog:
    d = PreferencesDialog(context)
    qtbot.addWidget(d)
    d.show()
    return d


def test_every_namespace_and_setting_has_an_editor(dialog: PreferencesDialog,
                                                   context: PanelContext) -> None:
    store = context.settings
    assert set(dialog.editors) == set(store.namespaces) >= {"core", "gui"}
    for ns in store.namespaces:
        assert set(dialog.editors[ns]) == {i.key for i in describe(store.schema(ns))}
    fps = dialog.editor("gui", "display_fps").input
    assert isinstance(fps, QSpinBox) and (fps.minimum(), fps.maximum()) == (1, 120)
    assert fps.suffix() == " Hz"
    assert isinstance(dialog.editor("core", "log_level").input, QComboBox)
    assert isinstance(dialog.editor("core", "heartbeat_interval_s").input, QDoubleSpinBox)
    badge = dialog.editor("core", "n_stacks").findChildren(type(dialog.message))
    assert any(b.text() == "restart required" for b in badge)
    assert not any(b.text() == "restart required"
                   for b in dialog.editor("gui", "display_fps").findChildren(type(dialog.message)))


def test_change_a_setting_and_save(qtbot, dialog: PreferencesDialog,
                                   context: PanelContext) -> None:
    store = context.settings
    dialog.show_section("gui")
    assert dialog.current_namespace() == "gui"
    fps = dialog.editor("gui", "display_fps").input
    assert isinstance(fps, QSpinBox)
    fps.setValue(12)
    with qtbot.waitSignal(context.events.settings_changed) as changed:
        assert dialog.save()
    assert changed.args == ["gui"]
    assert store.value("gui", "display_fps") == 12 and context.display_fps == 12
    assert store.path is not None and "display_fps = 12" in store.path.read_text()
    assert "saved to" in dialog.message.text()
    # a start-up-only setting is stored, with a restart note
    dialog.editor("core", "log_level").input.setCurrentText("DEBUG")
    assert dialog.apply()
    assert store.value("core", "log_level") == "DEBUG"
    assert "restart" in dialog.message.text()
    assert "core.log_level" in store.pending_restart


def test_rejected_values_show_the_reason_and_keep_the_old_value(
        dialog: PreferencesDialog, context: PanelContext) -> None:
    store = context.settings
    colour = dialog.editor("gui", "accent_color")
    colour.set_text("not-a-colour")
    timeout = dialog.editor("core", "heartbeat_timeout_s")
    timeout.input.setValue(0.5)  # must be >= 2 x heartbeat_interval_s (0.5)
    assert not dialog.apply()
    assert "gui.accent_color = 'not-a-colour' rejected" in colour.error.text()
    assert not colour.error.isHidden()
    assert "heartbeat_timeout_s" in timeout.error.text() and not timeout.error.isHidden()
    assert store.value("gui", "accent_color") == "#3daee9"
    assert store.value("core", "heartbeat_timeout_s") == 10.0
    assert "rejected" in dialog.message.text()
    colour.set_text("#ff8800")
    timeout.input.setValue(4.0)
    assert dialog.apply()
    assert colour.error.isHidden() and timeout.error.isHidden()
    assert store.value("gui", "accent_color") == "#ff8800"


def test_reset_import_and_export(dialog: PreferencesDialog, context: PanelContext,
                                 tmp_path: Path) -> None:
    store = context.settings
    dialog.editor("gui", "display_fps").input.setValue(7)
    dialog.editor("gui", "dark_theme").input.setChecked(False)
    assert dialog.apply()
    exported = tmp_path / "shared.toml"
    assert dialog.export_file(exported)
    assert "display_fps = 7" in exported.read_text()
    dialog.show_section("gui")
    dialog.reset_section()
    assert store.value("gui", "display_fps") == 30 and store.value("gui", "dark_theme") is True
    assert dialog.editor("gui", "display_fps").input.value() == 30
    assert dialog.import_file(exported) == []
    assert store.value("gui", "display_fps") == 7
    assert dialog.editor("gui", "display_fps").input.value() == 7
    bad = tmp_path / "bad.toml"
    bad.write_text("[gui]\ndisplay_fps = 500\ndark_theme = true\n")
    problems = dialog.import_file(bad)
    assert len(problems) == 1 and "gui.display_fps = 500" in problems[0]
    assert "above the maximum" in dialog.message.text()
    assert store.value("gui", "display_fps") == 7  # kept
    dialog.reset_all()
    assert store.value("gui", "display_fps") == 30 and store.value("gui", "dark_theme")


def test_preferences_from_the_file_menu_retheme_the_window(
        qtbot, context: PanelContext, sim_plugins: PluginSet) -> None:
    chosen, _ = select_panels(sim_plugins, ["status"])
    window = MainWindow(context, chosen, None)
    qtbot.addWidget(window)
    window.show()
    prefs = window.menus.open_preferences()
    assert prefs.isVisible()
    prefs.editor("gui", "accent_color").set_text("#e91e63")
    prefs.editor("gui", "dark_theme").input.setChecked(False)
    assert prefs.apply()
    palette = window.palette()
    assert palette.highlight().color().name() == "#e91e63"
    assert palette.window().color().lightness() > 200  # light scheme now
    prefs.reset_all()
    assert window.palette().window().color().lightness() < 60
    window.close()


def test_live_settings_reach_the_session_and_the_others_say_restart(
        qtbot, dialog: PreferencesDialog, context: PanelContext) -> None:
    from magscope_core import GetPipelineStats

    hub, store = context.hub, context.settings
    rows = dialog.editor("writer.hdf5", "rotation_minutes").findChildren(type(dialog.message))
    assert any(b.text() == "restart required" for b in rows)  # read when files open
    for key in ("n_xy_iterations", "z_fit", "min_quality"):
        assert not any(b.text() == "restart required" for b in
                       dialog.editor("tracker.cpu", key).findChildren(type(dialog.message)))
    assert not any(b.text() == "restart required" for b in
                   dialog.editor("core", "roi_size").findChildren(type(dialog.message)))
    try:
        dialog.editor("tracker.cpu", "n_xy_iterations").input.setValue(5)
        dialog.editor("core", "roi_size").input.setValue(40)
        dialog.editor("writer.hdf5", "rotation_minutes").input.setValue(5.0)
        assert dialog.apply()
        text = dialog.message.text()
        assert "tracker.cpu: applied to the running session" in text
        assert "MagScope: applied to the running session" in text
        assert "writer.hdf5.rotation_minutes" in store.pending_restart

        def workers_rebuilt() -> bool:
            applied = hub.call(GetPipelineStats())["worker_tracker_options"]
            return bool(applied) and all(o.get("n_xy_iterations") == 5
                                         for o in applied.values())

        qtbot.waitUntil(workers_rebuilt, timeout=20_000)
        qtbot.waitUntil(lambda: hub.roi_size == 40, timeout=5_000)
    finally:  # the session is shared with the other tests
        dialog.reset_all()
        qtbot.waitUntil(lambda: hub.roi_size == 64, timeout=5_000)
