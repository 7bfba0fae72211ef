"""Compact control rows for panels: tool bars that overflow, narrow spin boxes.

A panel's control row is a few fixed widgets (spin boxes, a label) followed by a
:func:`panel_toolbar`: when the panel is narrower than the row, the tool bar's last
actions move into its extension menu (the ``»`` button) instead of widening the window.
Only actions (plain, checkable, or with a menu) go into such a tool bar; widgets would
show as blank entries in the extension menu.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSizePolicy,
    QToolBar,
    QToolButton,
    QWidget,
)

__all__ = ["ElidedLabel", "compact_spin", "control_row", "menu_action", "panel_toolbar",
           "shrinkable_label"]


def panel_toolbar(name: str) -> QToolBar:
    """A text-only tool bar for a panel's control row (overflows into a ``»`` menu)."""
    bar = QToolBar(name)
    bar.setObjectName(f"toolbar-{name.lower().replace(' ', '-')}")
    bar.setMovable(False)
    bar.setFloatable(False)
    bar.setIconSize(QSize(16, 16))
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    return bar


def menu_action(bar: QToolBar, text: str, menu: QMenu, tip: str = "") -> QAction:
    """Add an action that opens ``menu`` at once (in the bar or in its overflow menu)."""
    action = menu.menuAction()
    action.setText(f"{text} \N{BLACK DOWN-POINTING SMALL TRIANGLE}")
    if tip:
        action.setToolTip(tip)
    bar.addAction(action)
    button = bar.widgetForAction(action)
    if isinstance(button, QToolButton):
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    return action


def compact_spin(spin: QAbstractSpinBox, width: int = 84, *, grow: bool = False
                 ) -> QAbstractSpinBox:
    """Make a spin box ``width`` px wide, not as wide as its widest possible value.

    With ``grow`` it may be wider when its row has room (``width`` is then a minimum).
    """
    if grow:
        spin.setMinimumWidth(width)
        spin.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
    else:
        spin.setFixedWidth(width)
    return spin


class ElidedLabel(QLabel):
    """A one-line label that may be narrower than its text (shown cut with ``…``)."""

    def minimumSizeHint(self) -> QSize:
        """No minimum width: the label never widens its row."""
        return QSize(0, super().minimumSizeHint().height())

    def paintEvent(self, event: QPaintEvent) -> None:
        """Draw the text, elided to the width there is."""
        painter = QPainter(self)
        rect = self.contentsRect()
        text = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight,
                                             rect.width())
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(rect, int(self.alignment()), text)


def shrinkable_label(text: str = "", tip: str = "") -> ElidedLabel:
    """A muted one-line label that may be cut short (never widens its row)."""
    label = ElidedLabel(text)
    label.setProperty("role", "muted")
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    if tip:
        label.setToolTip(tip)
    return label


def control_row(*widgets: QWidget | str, bar: QToolBar | None = None,
                tail: QWidget | None = None) -> QHBoxLayout:
    """A row: fixed ``widgets`` (a ``str`` becomes a label), ``bar``, then ``tail``.

    ``tail`` (or empty space without one) takes what room is left.
    """
    row = QHBoxLayout()
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(4)
    for w in widgets:
        row.addWidget(QLabel(w) if isinstance(w, str) else w)
    if bar is not None:
        row.addWidget(bar)
    if tail is not None:
        row.addWidget(tail, 1)
    else:
        row.addStretch(1)
    return row
