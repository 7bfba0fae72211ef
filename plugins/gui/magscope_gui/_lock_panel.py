"""What the XY-Lock and Z-Lock panels share: reading ``GetLocks`` and showing it.

The locks run in the ``locks`` manager; a panel only sends its lock's command and shows
that lock's part of ``GetLocks`` (status, corrections, the last ones) about twice a
second while visible.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QLabel, QListWidget, QWidget

from magscope_core import GetLocks
from magscope_gui._context import PanelContext

__all__ = ["LockPanel", "spin_box"]


def spin_box(lo: float, hi: float, value: float, suffix: str, tip: str,
             decimals: int = 2) -> QDoubleSpinBox:
    """A number field with its range, unit suffix and tooltip."""
    box = QDoubleSpinBox()
    box.setRange(lo, hi)
    box.setDecimals(decimals)
    box.setValue(value)
    box.setSuffix(suffix)
    box.setToolTip(tip)
    return box


class LockPanel(QWidget):
    """Base of a lock panel: its on/off box, status, recent corrections and refresh.

    Subclasses set :attr:`key` (their part of ``GetLocks``), give one text line per
    correction (:meth:`correction_text`), build their fields, and show their own figures
    in :meth:`show_state`.
    """

    key: ClassVar[str] = ""
    interval_s = 0.5
    """Seconds between two reads of the lock's state."""

    def __init__(self, context: PanelContext, enable_tip: str) -> None:
        super().__init__()
        self.context = context
        self.state: dict[str, Any] = {}
        self._last = 0.0
        self.enable = QCheckBox("Lock on")
        self.enable.setToolTip(enable_tip)
        self.enable.toggled.connect(self.set_locked)
        self.status = QLabel("off")
        self.status.setWordWrap(True)
        self.recent = QListWidget()
        self.recent.setMaximumHeight(110)

    def set_locked(self, on: bool) -> None:
        """Turn the lock on or off (subclasses send their command)."""
        raise NotImplementedError

    @staticmethod
    def correction_text(entry: dict[str, Any]) -> str:
        """One line for one of the lock's corrections."""
        raise NotImplementedError

    def enabled_for(self, state: dict[str, Any]) -> bool:
        """Whether the on/off box shows the lock as on."""
        return bool(state["on"])

    def show_state(self, state: dict[str, Any]) -> None:
        """Show the subclass's own figures of ``state``."""

    def _on_refresh(self) -> None:
        if time.monotonic() - self._last >= self.interval_s and self.isVisible():
            self.refresh()

    def refresh(self) -> dict[str, Any]:
        """Read the lock's state and show it; return it."""
        self._last = time.monotonic()
        try:
            state = self.context.hub.call(GetLocks(), timeout=1.0)
        except Exception as exc:
            self.status.setText(f"lock manager not answering: {exc}")
            return self.state
        self.state = s = dict(state[self.key])
        with QSignalBlocker(self.enable):
            self.enable.setChecked(self.enabled_for(s))
        self.status.setText(str(s["status"]))
        self.show_state(s)
        lines = [self.correction_text(e) for e in reversed(s["recent"])]
        if [self.recent.item(i).text() for i in range(self.recent.count())] != lines:
            self.recent.clear()
            self.recent.addItems(lines)
        return s
