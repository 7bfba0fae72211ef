"""The side dock's content: tab groups (Run, Analysis, ...) of collapsible panel sections."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import QLabel, QMenu, QScrollArea, QTabWidget, QVBoxLayout, QWidget
from superqt import QCollapsible

__all__ = ["TAB_ORDER", "PanelSection", "SidePanels"]

TAB_ORDER = ("Run", "Analysis", "Locking", "Hardware")
"""The standard tab groups, in this order; other areas get tabs after them."""


class PanelSection(QCollapsible):
    """One panel in a tab: a title bar that folds it, with a menu to move or hide it."""

    move_requested = Signal(str, int)
    hide_requested = Signal(str)

    def __init__(self, panel_id: str, title: str, widget: QWidget) -> None:
        super().__init__(title)
        self.panel_id = panel_id
        self.panel = widget
        self.setObjectName(f"section-{panel_id}")
        self.setDuration(120)
        self.addWidget(widget)
        button = self.toggleButton()
        button.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        button.customContextMenuRequested.connect(self._menu)
        button.setToolTip("Click to fold or unfold; right-click to move or hide")

    # Bound slots only: with PySide6 6.11 a lambda or partial holding ``self`` connected
    # to a child's signal can crash when the widget is deleted.
    def _menu(self, pos: QPoint) -> None:
        menu = QMenu(self)
        menu.addAction("Move up", self._move_up)
        menu.addAction("Move down", self._move_down)
        menu.addSeparator()
        menu.addAction("Hide (View menu shows it again)", self._hide)
        menu.aboutToHide.connect(menu.deleteLater)
        menu.popup(self.toggleButton().mapToGlobal(pos))

    def _move_up(self) -> None:
        self.move_requested.emit(self.panel_id, -1)

    def _move_down(self) -> None:
        self.move_requested.emit(self.panel_id, 1)

    def _hide(self) -> None:
        self.hide_requested.emit(self.panel_id)


class _Tab(QScrollArea):
    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        body = QWidget()
        self.column = QVBoxLayout(body)
        self.column.setContentsMargins(4, 4, 4, 4)
        self.column.setSpacing(6)
        self.column.addStretch(1)
        self.setWidget(body)
        self.order: list[str] = []
        self.placeholder: QLabel | None = None


class SidePanels(QTabWidget):
    """Tabs of panel sections, stacked in a saved order."""

    visibility_changed = Signal(str, bool)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("side-panels")
        self.setDocumentMode(True)
        self.setMinimumWidth(340)
        self.sections: dict[str, PanelSection] = {}
        self.area_of: dict[str, str] = {}
        self._tabs: dict[str, _Tab] = {}

    # ------------------------------------------------------------------ building
    def tab(self, area: str) -> _Tab:
        """The tab of ``area`` (created, in the standard order, when first needed)."""
        tab = self._tabs.get(area)
        if tab is None:
            tab = _Tab(area)
            self._tabs[area] = tab
            names = [n for n in TAB_ORDER if n in self._tabs]
            names += [n for n in self._tabs if n not in TAB_ORDER]
            self.insertTab(names.index(area), tab, area)
        return tab

    def add_panel(self, panel_id: str, title: str, widget: QWidget, area: str) -> PanelSection:
        """Add a panel at the end of its area's tab (expanded)."""
        section = PanelSection(panel_id, title, widget)
        section.move_requested.connect(self.move_panel)
        section.hide_requested.connect(self._hide_panel)
        tab = self.tab(area)
        if tab.placeholder is not None:
            tab.placeholder.hide()
        tab.column.insertWidget(tab.column.count() - 1, section)
        tab.order.append(panel_id)
        self.sections[panel_id] = section
        self.area_of[panel_id] = area
        section.expand(animate=False)
        return section

    def _hide_panel(self, panel_id: str) -> None:
        self.set_panel_visible(panel_id, False)

    def add_standard_tabs(self) -> None:
        """Create the standard tabs that no panel asked for, each with a short note."""
        for area in TAB_ORDER:
            if area in self._tabs:
                continue
            tab = self.tab(area)
            note = QLabel(f"No {area.lower()} panel is installed: panels come from plugins "
                          f"(area {area!r}); see docs/gui.md.")
            note.setWordWrap(True)
            note.setProperty("role", "muted")
            tab.column.insertWidget(0, note)
            tab.placeholder = note

    # ------------------------------------------------------------------ order
    @property
    def areas(self) -> list[str]:
        """The tab names, as shown."""
        return [self.tabText(i) for i in range(self.count())]

    def order(self, area: str) -> list[str]:
        """Panel ids of a tab, top to bottom."""
        return list(self._tabs[area].order) if area in self._tabs else []

    def set_order(self, area: str, ids: list[str]) -> None:
        """Re-stack a tab: ``ids`` first (unknown ids ignored), the others after."""
        tab = self._tabs.get(area)
        if tab is None:
            return
        new = [i for i in ids if i in tab.order]
        new += [i for i in tab.order if i not in new]
        for pid in tab.order:
            tab.column.removeWidget(self.sections[pid])
        for k, pid in enumerate(new):
            tab.column.insertWidget(k, self.sections[pid])
        tab.order = new

    def move_panel(self, panel_id: str, delta: int) -> None:
        """Move a panel up (-1) or down (+1) in its tab."""
        area = self.area_of[panel_id]
        ids = self.order(area)
        i = ids.index(panel_id)
        j = max(0, min(len(ids) - 1, i + delta))
        ids.insert(j, ids.pop(i))
        self.set_order(area, ids)

    # ------------------------------------------------------------------ state
    def set_panel_visible(self, panel_id: str, visible: bool) -> None:
        """Show or hide a panel's section."""
        section = self.sections[panel_id]
        if section.isHidden() == (not visible):
            return
        section.setVisible(visible)
        self.visibility_changed.emit(panel_id, visible)

    def panel_visible(self, panel_id: str) -> bool:
        """Whether a panel's section is shown (not hidden by the user)."""
        return not self.sections[panel_id].isHidden()

    def set_expanded(self, panel_id: str, expanded: bool) -> None:
        """Unfold or fold a panel (no animation)."""
        section = self.sections[panel_id]
        if expanded:
            section.expand(animate=False)
        else:
            section.collapse(animate=False)

    def expanded(self, panel_id: str) -> bool:
        """Whether a panel is unfolded."""
        return self.sections[panel_id].isExpanded()

    def show_area(self, area: str) -> None:
        """Bring a tab to the front."""
        tab = self._tabs.get(area)
        if tab is not None:
            self.setCurrentWidget(tab)

    def current_area(self) -> str:
        """The tab in front."""
        return self.tabText(self.currentIndex()) if self.count() else ""
