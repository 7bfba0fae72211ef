"""XY-Lock panel (tab "Locking"): keep every bead centred in its ROI.

The lock runs in the ``locks`` manager, not here: the panel sends ``SetXYLock`` and
shows ``GetLocks`` (status, number of ROI moves and the last ones) about twice a second
while visible, so a lock turned on by a script or ``magscope run --xy-lock`` shows too.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
)

from magscope_core import SetXYLock
from magscope_gui._context import PanelContext
from magscope_gui._lock_panel import LockPanel, spin_box

__all__ = ["XYLockPanel", "xy_correction_text"]


def xy_correction_text(entry: dict[str, Any]) -> str:
    """One line for an ROI move of the XY-lock."""
    stamp = time.strftime("%H:%M:%S", time.localtime(float(entry["t"])))
    return (f"{stamp}  bead {entry['bead']}: off by ({entry['dx_px']:+.2f}, "
            f"{entry['dy_px']:+.2f}) px, ROI moved ({entry['step_x']:+d}, "
            f"{entry['step_y']:+d}) px")


class XYLockPanel(LockPanel):
    """Lock on/off, centre once, the lock's parameters, its status and its last moves."""

    key = "xy"

    @staticmethod
    def correction_text(entry: dict[str, Any]) -> str:
        """One line per correction."""
        return xy_correction_text(entry)

    def __init__(self, context: PanelContext) -> None:
        super().__init__(context, "Keep every bead centred: its ROI follows it")
        self.once = QPushButton("Centre once")
        self.once.setToolTip("Centre every bead in its ROI one time, then stop")
        self.once.clicked.connect(self.centre_once)
        self.window_s = spin_box(0.1, 30.0, 1.0, " s", "Rows of the last seconds averaged")
        self.dead_band = spin_box(0.0, 10.0, 0.5, " px", "No move closer than this")
        self.max_step = QSpinBox()
        self.max_step.setRange(1, 64)
        self.max_step.setValue(3)
        self.max_step.setSuffix(" px")
        self.max_step.setToolTip("Largest ROI move per correction")
        self.every = spin_box(0.1, 60.0, 1.0, " s", "Seconds between corrections")
        self.count = QLabel("0 ROI moves")
        self.count.setProperty("role", "muted")
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

    def enabled_for(self, state: dict[str, Any]) -> bool:
        """On means continuously on ("centre once" leaves the box unticked)."""
        return bool(state["on"]) and not state["once"]

    def show_state(self, state: dict[str, Any]) -> None:
        """The number of ROI moves."""
        self.count.setText(f"{state['corrections']} ROI moves")
