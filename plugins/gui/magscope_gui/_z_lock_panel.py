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

from PySide6.QtWidgets import (
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
)

from magscope_core import SetZLock
from magscope_gui._context import PanelContext
from magscope_gui._lock_panel import LockPanel, spin_box

__all__ = ["ZLockPanel", "z_correction_text"]


def z_correction_text(entry: dict[str, Any]) -> str:
    """One line for a focus correction of the Z-lock."""
    stamp = time.strftime("%H:%M:%S", time.localtime(float(entry["t"])))
    return (f"{stamp}  bead {entry['bead']} at {entry['z_nm']:.1f} nm (target "
            f"{entry['target_nm']:.1f}): focus {entry['correction_nm']:+.1f} nm -> "
            f"{entry['focus_nm']:.1f} nm")


class ZLockPanel(LockPanel):
    """Lock on/off, reference bead, target, parameters, status and the last corrections."""

    key = "z"

    @staticmethod
    def correction_text(entry: dict[str, Any]) -> str:
        """One line per correction."""
        return z_correction_text(entry)

    def __init__(self, context: PanelContext) -> None:
        super().__init__(context, "Hold the reference bead's Z: the focus follows it")
        self.bead = QSpinBox()
        self.bead.setRange(0, 1_000_000)
        self.bead.setToolTip("Reference bead (a bead stuck to the surface is best)")
        if context.reference_bead >= 0:
            self.bead.setValue(context.reference_bead)
        context.events.reference_bead_changed.connect(self._reference_changed)
        self.target = QLineEdit()
        self.target.setPlaceholderText("current Z")
        self.target.setToolTip("Target Z in nm; empty: hold the Z the bead has now")
        self.window_s = spin_box(0.1, 30.0, 1.0, " s", "Z averaged over this window")
        self.max_corr = spin_box(1.0, 10_000.0, 200.0, " nm",
                                 "Largest focus move per correction", decimals=0)
        self.gain = spin_box(0.05, 1.0, 1.0, "", "Fraction of the error corrected")
        self.every = spin_box(0.1, 60.0, 1.0, " s", "Seconds between corrections")
        self.reading = QLabel("")
        self.reading.setProperty("role", "muted")
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

    def show_state(self, state: dict[str, Any]) -> None:
        """The bead's Z against the target, the corrections; off without a focus motor."""
        s = state
        self.enable.setEnabled(bool(s["focus_installed"]))
        if s["on"] and s["target_nm"] is not None:
            z = "?" if s["z_nm"] is None else f"{s['z_nm']:.1f} nm"
            self.reading.setText(f"bead {s['bead_id']}: Z {z}, target {s['target_nm']:.1f} nm; "
                                 f"{s['corrections']} focus corrections")
        else:
            self.reading.setText(f"{s['corrections']} focus corrections")
