"""XY-Lock panel (tab "Locking"): keep every bead centred in its ROI.

The lock runs in the ``locks`` manager, not here: the panel sends ``SetXYLock`` and
shows ``GetLocks`` (status, number of ROI moves and the last ones) about twice a second
while visible, so a lock turned on by a script or ``magscope run --xy-lock`` shows too.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from magscope_core import GetLocks, SetXYLock
from magscope_gui._context import PanelContext

__all__ = ["XYLockPanel", "xy_correction_text"]


def xy_correction_text(entry: dict[str, Any]) -> str:
    """One line for an ROI move of the XY-lock."""
    stamp = time.strftime("%H:%M:%S", time.localtime(float(entry["t"])))
    return (f"{stamp}  bead {entry['bead']}: off by ({entry['dx_px']:+.2f}, "
            f"{entry['dy_px']:+.2f}) px, ROI moved ({entry['step_x']:+d}, "
            f"{entry['step_y']:+d}) px")


class XYLockPanel(QWidget):
    """Lock on/off, centre once, the lock's parameters, its status and its last moves."""

    interval_s = 0.5
    """Seconds between two reads of the lock's state."""

    def __init__(self, context: PanelContext) -> None:
        super().__init__()
        self.context = context
        self.state: dict[str, Any] = {}
        self._last = 0.0
        self.enable = QCheckBox("Lock on")
        self.enable.setToolTip("Keep every bead centred: its ROI follows it")
        self.enable.toggled.connect(self.set_locked)
        self.once = QPushButton("Centre once")
        self.once.setToolTip("Centre every bead in its ROI one time, then stop")
        self.once.clicked.connect(self.centre_once)
        self.window_s = self._double(0.1, 30.0, 1.0, " s", "Rows of the last seconds averaged")
        self.dead_band = self._double(0.0, 10.0, 0.5, " px", "No move closer than this")
        self.max_step = QSpinBox()
        self.max_step.setRange(1, 64)
        self.max_step.setValue(3)
        self.max_step.setSuffix(" px")
        self.max_step.setToolTip("Largest ROI move per correction")
        self.every = self._double(0.1, 60.0, 1.0, " s", "Seconds between corrections")
        self.status = QLabel("off")
        self.status.setWordWrap(True)
        self.count = QLabel("0 ROI moves")
        self.count.setProperty("role", "muted")
        self.recent = QListWidget()
        self.recent.setMaximumHeight(110)
        row = QHBoxLayout()
        row.addWidget(self.enable, 1)
        row.addWidget(self.once)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Window", self.window_s)
        form.addRow("Dead band", self.dead_band)
        form.addRow("Max step", self.max_step)
        form.addRow("Every", self.every)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.count)
        layout.addWidget(self.recent)
        context.events.refresh.connect(self._on_refresh)
        self.refresh()

    @staticmethod
    def _double(lo: float, hi: float, value: float, suffix: str, tip: str) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(lo, hi)
        box.setDecimals(2)
        box.setValue(value)
        box.setSuffix(suffix)
        box.setToolTip(tip)
        return box

    def command(self, *, on: bool, once: bool = False) -> SetXYLock:
        """The ``SetXYLock`` the panel's fields describe."""
        return SetXYLock(on=on, once=once, window_s=self.window_s.value(),
                         dead_band_px=self.dead_band.value(),
                         max_step_px=self.max_step.value(), interval_s=self.every.value())

    def set_locked(self, on: bool) -> None:
        """Turn the continuous lock on or off."""
        state = self.context.call(self.command(on=bool(on)))
        if state is not None:
            self.context.notify("info", f"XY-lock {'on' if on else 'off'}")
        self.refresh()

    def centre_once(self) -> None:
        """Centre every bead once (the lock turns itself off afterwards)."""
        if self.context.call(self.command(on=True, once=True)) is not None:
            self.context.notify("info", "XY-lock: centring every bead once")
        self.refresh()

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
        self.state = dict(state["xy"])
        s = self.state
        with QSignalBlocker(self.enable):
            self.enable.setChecked(bool(s["on"]) and not s["once"])
        self.status.setText(str(s["status"]))
        self.count.setText(f"{s['corrections']} ROI moves")
        lines = [xy_correction_text(e) for e in reversed(s["recent"])]
        if [self.recent.item(i).text() for i in range(self.recent.count())] != lines:
            self.recent.clear()
            self.recent.addItems(lines)
        return s
