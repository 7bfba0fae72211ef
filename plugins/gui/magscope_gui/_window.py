"""The main window: docks for the video, plots, controls and notifications; menus."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, Qt, Signal
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel, QMainWindow, QWidget

from magscope_core import Contribution, PanelSpec
from magscope_gui._context import PanelContext
from magscope_gui._layout import (
    Layout,
    LayoutError,
    PanelLayout,
    read_layout,
    set_aside,
    write_layout,
)
from magscope_gui._log_panel import LogEntry, LogPanel
from magscope_gui._menus import build_menus
from magscope_gui._panels import DOCK_AREAS, PanelRecord, create_panel
from magscope_gui._sections import SidePanels
from magscope_gui._theme import apply_theme, theme_for

__all__ = ["MainWindow"]

_DOCK_SIZES = {"controls": 380, "log": 150}
"""Default widths of the side dock and height of the notification dock (px)."""
_VIDEO_SHARE = 0.52
"""Default share of the video dock in the width left by the side dock (plots: the rest)."""


class MainWindow(QMainWindow):
    """MagScope's window, built from panel specs.

    Parameters
    ----------
    context : PanelContext
        Shared by every panel.
    panels : sequence of Contribution[PanelSpec]
        The panels to create (see :func:`magscope_gui._panels.select_panels`).
    layout_path : pathlib.Path or None
        Saved layout to restore now and to write when the window closes (None: none).
    apply_style : bool
        Apply the ``gui`` theme to the application (default True).

    Notes
    -----
    Panels of the areas ``"video"`` and ``"plots"`` get docks of their own; panels of
    other areas become collapsible sections in the tabs of the "Controls" dock. A
    panel that cannot be imported or built is reported in the notification dock and
    listed, disabled, in the View menu; the others work normally.
    """

    closed = Signal()
    """Emitted once the window has closed (layout saved, panels closed)."""

    def __init__(self, context: PanelContext, panels: Sequence[Contribution[PanelSpec]],
                 layout_path: Path | None = None, *, apply_style: bool = True) -> None:
        super().__init__()
        self.context = context
        self.layout_path = layout_path
        self.records: dict[str, PanelRecord] = {}
        self.docks: dict[str, QDockWidget] = {}
        self._first_show = True
        self._restored_docks = False
        self._last_poll = 0.0
        self.setWindowTitle("MagScope")
        self.setObjectName("magscope-main-window")
        self.setDockNestingEnabled(True)
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.TopLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        placeholder = QWidget()
        self.setCentralWidget(placeholder)
        placeholder.hide()
        if apply_style:
            self.apply_theme()
        # notifications first, so that panel failures have somewhere to go
        self.log_panel = LogPanel(context)
        self.log_handler = self.log_panel.handler
        logging.getLogger().addHandler(self.log_handler)
        self.log_dock = self._dock("log", "Notifications", self.log_panel)
        self.side = SidePanels()
        self.controls_dock = self._dock("controls", "Controls", self.side)
        for contribution in panels:
            self._add_panel(create_panel(contribution, context))
        self.side.add_standard_tabs()
        self._default_order = {a: self.side.order(a) for a in self.side.areas}
        self._arrange_default()
        self.status_label = QLabel()
        self.statusBar().addPermanentWidget(self.status_label)
        context.events.notify.connect(self._on_notify)
        context.events.refresh.connect(self._on_refresh)
        context.events.settings_changed.connect(self._on_settings_changed)
        self.menus = build_menus(self)
        if layout_path is not None:
            self.restore_layout(layout_path)

    # ------------------------------------------------------------------ building
    def _dock(self, key: str, title: str, widget: QWidget) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{key}")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.docks[key] = dock
        return dock

    def _add_panel(self, record: PanelRecord) -> None:
        self.records[record.id] = record
        if record.widget is None:
            self.log_panel.add_entry(LogEntry(time.time(), "error", "gui", record.error,
                                              record.details))
            logging.getLogger("magscope.gui").debug("%s\n%s", record.error, record.details)
            return
        spec = record.spec
        if spec.area in DOCK_AREAS:
            self._dock(spec.id, spec.title, record.widget)
        else:
            self.side.add_panel(spec.id, spec.title, record.widget, spec.area)

    def _arrange_default(self) -> None:
        """Controls left (full height), video and plots side by side, notifications below."""
        area = Qt.DockWidgetArea
        self.addDockWidget(area.LeftDockWidgetArea, self.controls_dock)
        main = [d for k, d in self.docks.items() if k not in ("controls", "log")]
        videos = [self.docks[r.id] for r in self.records.values()
                  if r.widget is not None and r.spec.area == "video"]
        plots = [self.docks[r.id] for r in self.records.values()
                 if r.widget is not None and r.spec.area == "plots"]
        first: QDockWidget | None = None
        for group in (videos, plots):
            if not group:
                continue
            if first is None:
                self.addDockWidget(area.RightDockWidgetArea, group[0])
            else:
                self.splitDockWidget(first, group[0], Qt.Orientation.Horizontal)
            first = group[0]
            for extra in group[1:]:
                self.tabifyDockWidget(group[0], extra)
        for dock in main:
            if dock.isFloating():
                dock.setFloating(False)
            dock.show()
        self.addDockWidget(area.BottomDockWidgetArea, self.log_dock)
        for dock in (self.controls_dock, self.log_dock):
            dock.setFloating(False)
            dock.show()
        first_tab = self.side.areas[0] if self.side.areas else ""
        self.side.show_area(first_tab)

    def _default_sizes(self) -> None:
        """Side dock 380 px (less in a narrow window), video and plots share the rest."""
        width = self.width()
        controls = max(min(_DOCK_SIZES["controls"], int(0.3 * width)),
                       self.controls_dock.minimumSizeHint().width())
        rest = max(0, width - controls)
        shares = {"video": _VIDEO_SHARE, "plots": 1.0 - _VIDEO_SHARE}
        horizontal = [self.controls_dock]
        sizes = [controls]
        shown = [k for k in shares if k in self.docks and not self.docks[k].isHidden()]
        total = sum(shares[k] for k in shown) or 1.0
        for key in shown:
            horizontal.append(self.docks[key])
            sizes.append(round(rest * shares[key] / total))
        self.resizeDocks(horizontal, sizes, Qt.Orientation.Horizontal)
        top = self.docks.get("video") or self.docks.get("plots")
        if top is not None:
            self.resizeDocks([top, self.log_dock],
                             [max(200, self.height() - _DOCK_SIZES["log"]), _DOCK_SIZES["log"]],
                             Qt.Orientation.Vertical)

    def reset_layout(self, *, quiet: bool = False) -> None:
        """Back to the default arrangement: panels in their order, shown and unfolded."""
        for area, ids in self._default_order.items():
            self.side.set_order(area, ids)
        for pid in self.side.sections:
            self.side.set_panel_visible(pid, True)
            self.side.set_expanded(pid, True)
        self._arrange_default()
        if self.isVisible():
            self._default_sizes()
        if not quiet:
            self.context.notify("info", "window layout reset to the default")

    # ------------------------------------------------------------------ panels
    def panel(self, panel_id: str) -> QWidget | None:
        """The widget of a panel (None if it is not loaded)."""
        record = self.records.get(panel_id)
        return record.widget if record is not None else None

    @property
    def failed_panels(self) -> dict[str, str]:
        """Panels that could not be created, with the reason."""
        return {pid: r.error for pid, r in self.records.items() if r.widget is None}

    def set_panel_visible(self, panel_id: str, visible: bool) -> None:
        """Show or hide a panel (its dock or its section)."""
        if panel_id in self.side.sections:
            self.side.set_panel_visible(panel_id, visible)
            if visible:
                self.side.show_area(self.side.area_of[panel_id])
        elif panel_id in self.docks:
            self.docks[panel_id].setVisible(visible)

    def panel_visible(self, panel_id: str) -> bool:
        """Whether a panel is shown (its dock or section is not hidden)."""
        if panel_id in self.side.sections:
            return self.side.panel_visible(panel_id) and not self.controls_dock.isHidden()
        dock = self.docks.get(panel_id)
        return dock is not None and not dock.isHidden()

    # ------------------------------------------------------------------ layout
    def current_layout(self) -> Layout:
        """The window's layout now (docks, tabs, sections, panel states)."""
        panels: dict[str, PanelLayout] = {}
        for pid, record in self.records.items():
            if record.widget is None:
                continue
            state: dict[str, Any] = {}
            saver = getattr(record.widget, "save_state", None)
            if callable(saver):
                try:
                    state = dict(saver())
                except Exception as exc:
                    self.context.notify("warning", f"panel {pid!r} could not save its state: "
                                        f"{exc}")
            in_side = pid in self.side.sections
            panels[pid] = PanelLayout(self.side.expanded(pid) if in_side else True,
                                      self.side.panel_visible(pid) if in_side else True, state)
        log_state = self.log_panel.save_state()
        panels["log"] = PanelLayout(True, True, log_state)
        return Layout(bytes(self.saveGeometry().data()), bytes(self.saveState().data()),
                      self.side.current_area(),
                      {a: self.side.order(a) for a in self.side.areas}, panels)

    def save_layout(self, path: Path | None = None) -> Path | None:
        """Write the layout (default: ``layout_path``); return the file, None on failure."""
        target = path or self.layout_path
        if target is None:
            return None
        try:
            write_layout(target, self.current_layout())
        except (OSError, TypeError, ValueError) as exc:
            self.context.notify("warning", f"the window layout could not be saved to "
                                f"{target}: {exc}")
            return None
        return target

    def restore_layout(self, path: Path) -> bool:
        """Apply a saved layout; an invalid one is set aside with a notice (never raises)."""
        try:
            layout = read_layout(path)
        except LayoutError as exc:
            kept = set_aside(path)
            where = f"; the file was kept as {kept}" if kept else ""
            self.context.notify("warning", f"the saved window layout was reset: {exc}{where}")
            return False
        if layout is None:
            return False
        try:
            self.apply_layout(layout)
        except Exception as exc:
            self.context.notify("warning", f"the saved window layout {path} was reset: "
                                f"{type(exc).__name__}: {exc}")
            self.reset_layout(quiet=True)
            return False
        return True

    def apply_layout(self, layout: Layout) -> None:
        """Apply a :class:`Layout` (unknown panels and tabs are ignored)."""
        for area, ids in layout.tabs.items():
            self.side.set_order(area, ids)
        for pid, saved in layout.panels.items():
            if pid == "log":
                self.log_panel.restore_state(saved.state)
                continue
            record = self.records.get(pid)
            if record is None or record.widget is None:
                continue
            if pid in self.side.sections:
                self.side.set_expanded(pid, saved.expanded)
                self.side.set_panel_visible(pid, saved.visible)
            restorer = getattr(record.widget, "restore_state", None)
            if callable(restorer) and saved.state:
                try:
                    restorer(dict(saved.state))
                except Exception as exc:
                    self.context.notify("warning", f"panel {pid!r} could not restore its "
                                        f"saved state: {exc}")
        if layout.geometry and not self.restoreGeometry(QByteArray(layout.geometry)):
            raise LayoutError("the saved window geometry is not valid")
        if layout.dock_state:
            if not self.restoreState(QByteArray(layout.dock_state)):
                raise LayoutError("the saved dock arrangement is not valid")
            self._restored_docks = True
        if layout.current_tab:
            self.side.show_area(layout.current_tab)

    # ------------------------------------------------------------------ events
    def apply_theme(self) -> None:
        """Apply the ``gui`` theme (dark or light, accent colour) to the application."""
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, theme_for(bool(self.context.gui_setting("dark_theme", True)),
                                       str(self.context.gui_setting("accent_color", ""))))

    def _on_settings_changed(self, namespace: str) -> None:
        if namespace == "gui":
            self.apply_theme()

    def _on_notify(self, level: str, message: str) -> None:
        self.statusBar().showMessage(message, 8000 if level == "info" else 20000)

    def _on_refresh(self) -> None:
        now = time.monotonic()
        if now - self._last_poll < 0.5:
            return
        self._last_poll = now
        if self.log_panel.poll_hub_errors():
            self.statusBar().showMessage("a manager reported an error: see Notifications", 20000)
        acquiring = "acquiring" if self.context.hub.acquiring else "acquisition off"
        bead = self.context.selected_bead
        self.status_label.setText(f"{acquiring} · selected bead {bead if bead >= 0 else 'none'}")

    def showEvent(self, event: QShowEvent) -> None:
        """Size the docks the first time the window appears (unless a layout was restored)."""
        super().showEvent(event)
        if self._first_show:
            self._first_show = False
            if not self._restored_docks:
                self._default_sizes()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Save the layout, close the panels and detach from logging."""
        self.save_layout()
        for record in self.records.values():
            closer = getattr(record.widget, "close_panel", None)
            if callable(closer):
                try:
                    closer()
                except Exception as exc:
                    logging.getLogger("magscope.gui").warning(
                        "panel %r did not close cleanly: %s", record.id, exc)
        logging.getLogger().removeHandler(self.log_handler)
        self.context.close()
        super().closeEvent(event)
        self.closed.emit()
