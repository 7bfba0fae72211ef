"""Z-Lock panel (tab "Locking"): hold a reference bead's Z with the focus motor.

The lock runs in the ``locks`` manager: the panel sends ``SetZLock`` and shows
``GetLocks`` (status, the bead's Z against its target, the focus corrections) about twice
a second while visible. Without a focus motor the lock cannot be turned on and the panel
says why.
"""

from __future__ import annotations

import math
import time
from typing import Any

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from magscope_core import GetLocks, SetZLock
from magscope_gui._context import PanelContext

__all__ = ["ZLockPanel", "z_correction_text"]


def z_correction_text(entry: dict[str, Any]) -> str:
    """One line for a focus correction of the Z-lock."""
    stamp = time.strftime("%H:%M:%S", time.localtime(float(entry["t"])))
    return (f"{stamp}  bead {entry['bead']} at {entry['z_nm']:.1f} nm (target "
            f"{entry['target_nm']:.1f}): focus {entry['correction_nm']:+.1f} nm -> "
            f"{entry['focus_nm']:.1f} nm")


class ZLockPanel(QWidget):
    """Lock on/off, reference bead, target, parameters, status and the last corrections."""

    interval_s = 0.5
    """Seconds between two reads of the lock's state."""

    def __init__(self, context: PanelContext) -> None:
        super().__init__()
        self.context = context
        self.state: dict[str, Any] = {}
        self._last = 0.0
        self.enable = QCheckBox("Lock on")
        self.enable.setToolTip("Hold the reference bead's Z: the focus follows it")
        self.enable.toggled.connect(self.set_locked)
        self.bead = QSpinBox()
        self.bead.setRange(0, 1_000_000)
        self.bead.setToolTip("Reference bead (a bead stuck to the surface is best)")
        if context.reference_bead >= 0:
            self.bead.setValue(context.reference_bead)
        context.events.reference_bead_changed.connect(self._reference_changed)
        self.target = QLineEdit()
        self.target.setPlaceholderText("current Z")
        self.target.setToolTip("Target Z in nm; empty: hold the Z the bead has now")
        self.window_s = self._double(0.1, 30.0, 1.0, " s", 2, "Z averaged over this window")
        self.max_corr = self._double(1.0, 10_000.0, 200.0, " nm", 0,
                                     "Largest focus move per correction")
        self.gain = self._double(0.05, 1.0, 1.0, "", 2, "Fraction of the error corrected")
        self.every = self._double(0.1, 60.0, 1.0, " s", 2, "Seconds between corrections")
        self.status = QLabel("off")
        self.status.setWordWrap(True)
        self.reading = QLabel("")
        self.reading.setProperty("role", "muted")
        self.recent = QListWidget()
        self.recent.setMaximumHeight(110)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Bead", self.bead)
        form.addRow("Target", self.target)
        form.addRow("Window", self.window_s)
        form.addRow("Max step", self.max_corr)
        form.addRow("Gain", self.gain)
        form.addRow("Every", self.every)
        layout = QVBoxLayout(self)
        layout.addWidget(self.enable)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.reading)
        layout.addWidget(self.recent)
        context.events.refresh.connect(self._on_refresh)
        self.refresh()

    @staticmethod
    def _double(lo: float, hi: float, value: float, suffix: str, decimals: int,
                tip: str) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(lo, hi)
        box.setDecimals(decimals)
        box.setValue(value)
        box.setSuffix(suffix)
        box.setToolTip(tip)
        return box

    def _reference_changed(self, bead_id: int) -> None:
        if bead_id >= 0 and not self.enable.isChecked():
            self.bead.setValue(bead_id)

    def command(self, *, on: bool) -> SetZLock:
        """The ``SetZLock`` the panel's fields describe.

        Raises
        ------
        ValueError
            The target is neither empty nor a number.
        """
        text = self.target.text().strip()
        target = float(text) if text else None
        if target is not None and not math.isfinite(target):
            raise ValueError(f"Z-lock target {text!r}: not a finite number of nm")
        return SetZLock(on=on, bead_id=self.bead.value(), target_nm=target,
                        window_s=self.window_s.value(), max_correction_nm=self.max_corr.value(),
                        gain=self.gain.value(), interval_s=self.every.value())

    def set_locked(self, on: bool) -> None:
        """Turn the lock on (with the panel's fields) or off."""
        try:
            cmd = self.command(on=bool(on))
        except ValueError as exc:
            self.context.notify("error", str(exc))
            cmd = None
        if cmd is not None and self.context.call(cmd) is not None:
            self.context.notify("info", f"Z-lock {'on' if on else 'off'}")
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
        self.state = dict(state["z"])
        s = self.state
        with QSignalBlocker(self.enable):
            self.enable.setChecked(bool(s["on"]))
        self.enable.setEnabled(bool(s["focus_installed"]))
        self.status.setText(str(s["status"]))
        if s["on"] and s["target_nm"] is not None:
            z = "?" if s["z_nm"] is None else f"{s['z_nm']:.1f} nm"
            self.reading.setText(f"bead {s['bead_id']}: Z {z}, target {s['target_nm']:.1f} nm; "
                                 f"{s['corrections']} focus corrections")
        else:
            self.reading.setText(f"{s['corrections']} focus corrections")
        lines = [z_correction_text(e) for e in reversed(s["recent"])]
        if [self.recent.item(i).text() for i in range(self.recent.count())] != lines:
            self.recent.clear()
            self.recent.addItems(lines)
        return s
