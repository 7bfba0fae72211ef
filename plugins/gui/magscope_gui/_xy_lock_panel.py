"""XY-Lock panel (tab "Locking"): keep beads centred in their ROIs.

Which beads: every bead (the field says ``all``, the default) or a list of bead ids
(``0, 2``; "Selected" puts the bead selected in the video there).

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
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
)

from magscope_core import SetXYLock
from magscope_gui._context import PanelContext
from magscope_gui._lock_panel import LockPanel, spin_box

__all__ = ["XYLockPanel", "parse_bead_ids", "xy_correction_text"]


def parse_bead_ids(text: str) -> tuple[int, ...] | None:
    """``all`` or nothing -> None (every bead); ``0, 2`` -> (0, 2).

    Raises
    ------
    ValueError
        Naming the text and what is allowed.
    """
    if text.strip().lower() in ("", "all"):
        return None
    try:
        ids = tuple(int(part) for part in text.replace(" ", ",").split(",") if part.strip())
    except ValueError:
        ids = ()
    if not ids or any(i < 0 for i in ids):
        raise ValueError(f"XY-lock beads {text!r} rejected; allowed: bead ids separated by "
                         "commas (e.g. 0, 2), or 'all'")
    return ids


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
        super().__init__(context, "Keep the beads centred: their ROIs follow them")
        self.once = QPushButton("Centre once")
        self.once.setToolTip("Centre the beads in their ROIs one time, then stop")
        self.once.clicked.connect(self.centre_once)
        self.window_s = spin_box(0.1, 30.0, 1.0, " s", "Rows of the last seconds averaged")
        self.dead_band = spin_box(0.0, 10.0, 0.5, " px", "No move closer than this")
        self.max_step = QSpinBox()
        self.max_step.setRange(1, 64)
        self.max_step.setValue(3)
        self.max_step.setSuffix(" px")
        self.max_step.setToolTip("Largest ROI move per correction")
        self.every = spin_box(0.1, 60.0, 1.0, " s", "Seconds between corrections")
        self.beads = QLineEdit("all")
        self.beads.setToolTip("Beads whose ROIs the lock moves: 'all', or ids such as 0, 2")
        self.use_selected = QPushButton("Selected")
        self.use_selected.setToolTip("Lock only the bead selected in the video")
        self.use_selected.clicked.connect(self.choose_selected)
        beads_row = QHBoxLayout()
        beads_row.addWidget(self.beads, 1)
        beads_row.addWidget(self.use_selected)
        self.count = QLabel("0 ROI moves")
        self.count.setProperty("role", "muted")
        row = QHBoxLayout()
        row.addWidget(self.enable, 1)
        row.addWidget(self.once)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Beads", beads_row)
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
        """The ``SetXYLock`` the panel's fields describe.

        Raises
        ------
        ValueError
            If the beads field holds no bead ids.
        """
        return SetXYLock(on=on, once=once, window_s=self.window_s.value(),
                         dead_band_px=self.dead_band.value(),
                         max_step_px=self.max_step.value(), interval_s=self.every.value(),
                         beads=parse_bead_ids(self.beads.text()))

    def choose_selected(self) -> None:
        """Put the bead selected in the video in the beads field."""
        bead = self.context.selected_bead
        if bead < 0:
            self.context.notify("warning", "XY-lock: no bead is selected (click one in the "
                                "video)")
            return
        self.beads.setText(str(bead))

    def _send(self, on: bool, once: bool = False) -> Any:
        try:
            command = self.command(on=on, once=once)
        except ValueError as exc:
            self.context.notify("error", str(exc))
            return None
        return self.context.call(command)

    def set_locked(self, on: bool) -> None:
        """Turn the continuous lock on or off."""
        state = self._send(bool(on))
        if state is not None:
            self.context.notify("info", f"XY-lock {'on' if on else 'off'}")
        self.refresh()

    def centre_once(self) -> None:
        """Centre the beads once (the lock turns itself off afterwards)."""
        if self._send(True, once=True) is not None:
            self.context.notify("info", "XY-lock: centring the beads once")
        self.refresh()

    def enabled_for(self, state: dict[str, Any]) -> bool:
        """On means continuously on ("centre once" leaves the box unticked)."""
        return bool(state["on"]) and not state["once"]

    def show_state(self, state: dict[str, Any]) -> None:
        """The number of ROI moves; the lock's beads while it is on (and not being edited)."""
        self.count.setText(f"{state['corrections']} ROI moves")
        if state["on"] and not self.beads.hasFocus():
            beads = state.get("beads")
            self.beads.setText("all" if beads is None else ", ".join(map(str, beads)))
