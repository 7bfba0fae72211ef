"""The main window's menus: File, View, Z-LUT and Help."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from magscope_core import NewRecording, SetOutputFolder, __version__
from magscope_gui._preferences import PreferencesDialog
from magscope_gui._zlut_dialog import ZLutSweepDialog
from magscope_gui._zlut_info import ZLutInfoDialog, load_zlut, unload_zlut

if TYPE_CHECKING:
    from magscope_gui._window import MainWindow

__all__ = ["MenuActions", "build_menus"]


class MenuActions(QObject):
    """What the menus do, callable from tests and scripts; dialogs are kept here.

    A child of the window. Its slots are bound methods: a lambda or partial holding the
    window, connected to a child's signal, can crash PySide6 6.11 when the window is
    deleted.
    """

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.context = window.context
        self.preferences: PreferencesDialog | None = None
        self.zlut_sweep: ZLutSweepDialog | None = None
        self.zlut_info: ZLutInfoDialog | None = None
        self.menus: dict[str, QMenu] = {}
        self.panel_actions: dict[str, QAction] = {}

    # ------------------------------------------------------------------ View
    def _panel_action_toggled(self, on: bool) -> None:
        action = self.sender()
        if isinstance(action, QAction):
            self.window.set_panel_visible(str(action.data()), on)

    def _panel_visibility_changed(self, panel_id: str, visible: bool) -> None:
        action = self.panel_actions.get(panel_id)
        if action is not None:
            action.setChecked(visible)

    # ------------------------------------------------------------------ File
    def choose_output_folder(self) -> None:
        """Ask for the folder new files go to."""
        path = QFileDialog.getExistingDirectory(self.window, "Output folder")
        if path:
            self.set_output_folder(path)

    def set_output_folder(self, path: str) -> None:
        """Write new files into ``path``."""
        if self.context.send(SetOutputFolder(path=path)):
            self.context.notify("info", f"output folder: {path}")

    def new_recording(self) -> None:
        """Close the current files and start new ones."""
        closed = self.context.call(NewRecording(), timeout=10.0)
        if closed is not None:
            self.context.notify("info", f"new recording; {len(closed)} file(s) closed")

    def open_preferences(self) -> PreferencesDialog:
        """Show the preferences dialog (non-modal)."""
        if self.preferences is None:
            self.preferences = PreferencesDialog(self.context, self.window)
        self.preferences.show()
        self.preferences.raise_()
        return self.preferences

    # ------------------------------------------------------------------ Z-LUT
    def new_zlut(self) -> ZLutSweepDialog:
        """Show the sweep dialog."""
        if self.zlut_sweep is None or not self.zlut_sweep.isVisible():
            self.zlut_sweep = ZLutSweepDialog(self.context, self.window)
        self.zlut_sweep.show()
        self.zlut_sweep.raise_()
        return self.zlut_sweep

    def load_zlut(self) -> None:
        """Ask for a Z-LUT file and load it."""
        start = str(self.context.gui_setting("zlut_dir", "") or "")
        path, _ = QFileDialog.getOpenFileName(self.window, "Load a Z-LUT", start,
                                              "Z-LUT text (*.txt);;All files (*)")
        if path:
            load_zlut(self.context, path)

    def unload_zlut(self) -> None:
        """Track without a Z-LUT."""
        unload_zlut(self.context)

    def show_zlut(self) -> ZLutInfoDialog:
        """Show the current Z-LUT."""
        if self.zlut_info is None:
            self.zlut_info = ZLutInfoDialog(self.context, self.window)
        else:
            self.zlut_info.refresh()
        self.zlut_info.show()
        self.zlut_info.raise_()
        return self.zlut_info

    # ------------------------------------------------------------------ Help
    def about(self) -> None:
        """Versions and plugins."""
        plugins = ", ".join(f"{p.name} {p.version or ''}".strip()
                            for p in self.context.plugins.loaded)
        QMessageBox.about(self.window, "About MagScope",
                          f"<b>MagScope</b> core {__version__}<br>Plugins: {plugins}")


def _action(menu: QMenu, text: str, slot: Callable[[], object], shortcut: str | None = None,
            tip: str = "") -> QAction:
    action = menu.addAction(text)
    action.triggered.connect(slot)  # a bound method taking no argument
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
    if tip:
        action.setStatusTip(tip)
    return action


def build_menus(window: MainWindow) -> MenuActions:
    """Create the window's menus; return their :class:`MenuActions`."""
    acts = MenuActions(window)
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    _action(file_menu, "Output folder…", acts.choose_output_folder, tip="Where new files go")
    _action(file_menu, "New recording", acts.new_recording, "Ctrl+N",
            "Close the current files and start new ones")
    file_menu.addSeparator()
    _action(file_menu, "Preferences…", acts.open_preferences, "Ctrl+,")
    file_menu.addSeparator()
    _action(file_menu, "Quit", window.close, "Ctrl+Q")

    view = bar.addMenu("&View")
    for key in ("video", "plots"):
        dock = window.docks.get(key)
        if dock is not None:
            view.addAction(dock.toggleViewAction())
    for key, dock in window.docks.items():
        if key not in ("video", "plots", "controls", "log"):
            view.addAction(dock.toggleViewAction())
    view.addAction(window.controls_dock.toggleViewAction())
    view.addAction(window.log_dock.toggleViewAction())
    view.addSeparator()
    for area in window.side.areas:
        if not window.side.order(area):
            continue
        sub = view.addMenu(area)
        for pid in window.side.order(area):
            section = window.side.sections[pid]
            action = sub.addAction(section.text())
            action.setCheckable(True)
            action.setChecked(window.side.panel_visible(pid))
            action.setData(pid)
            action.toggled.connect(acts._panel_action_toggled)
            acts.panel_actions[pid] = action
    failed = window.failed_panels
    if failed:
        sub = view.addMenu("Not loaded")
        for pid, reason in failed.items():
            action = sub.addAction(f"{window.records[pid].spec.title} ({pid})")
            action.setEnabled(False)
            action.setToolTip(reason)
    window.side.visibility_changed.connect(acts._panel_visibility_changed)
    view.addSeparator()
    _action(view, "Reset layout", window.reset_layout)

    zlut = bar.addMenu("&Z-LUT")
    _action(zlut, "New…", acts.new_zlut, tip="Build a Z-LUT by a focus sweep")
    _action(zlut, "Load…", acts.load_zlut)
    _action(zlut, "Unload", acts.unload_zlut)
    _action(zlut, "Show current…", acts.show_zlut)

    help_menu = bar.addMenu("&Help")
    _action(help_menu, "About MagScope", acts.about)
    acts.menus = {"file": file_menu, "view": view, "zlut": zlut, "help": help_menu}
    return acts
