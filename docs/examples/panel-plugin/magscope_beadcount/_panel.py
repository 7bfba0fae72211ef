"""The panel: a QWidget built as ``BeadCountPanel(context)``."""

from __future__ import annotations

import math
from typing import Any

from magscope_gui import PanelContext
from PySide6.QtWidgets import QFormLayout, QLabel, QWidget

__all__ = ["BeadCountPanel"]


class BeadCountPanel(QWidget):
    """Number of bead ROIs and the newest X, Y, Z of the selected bead.

    It reads shared memory directly (no command round trip) and repaints only on the
    window's shared display tick, only while visible.
    """

    def __init__(self, context: PanelContext) -> None:
        super().__init__()
        self.context = context
        self.count = QLabel("0")
        self.position = QLabel("no bead selected")
        self.decimals = 1
        form = QFormLayout(self)
        form.addRow("Beads", self.count)
        form.addRow("Selected", self.position)
        context.events.refresh.connect(self.refresh)
        context.events.beads_changed.connect(self.refresh)
        context.events.bead_selected.connect(lambda _bead: self.refresh())

    def refresh(self) -> None:
        """Read the ROI table and the newest track row of the selected bead."""
        if not self.isVisible():
            return
        snapshot = self.context.resources.rois().snapshot()
        self.count.setText(str(len(snapshot.ids)) if snapshot is not None else "?")
        bead = self.context.selected_bead
        if bead < 0:
            self.position.setText("no bead selected")
            return
        tracks = self.context.resources.tracks()
        newest = tracks.latest(500)  # cheap: only the newest rows
        rows = newest[newest[:, tracks.column("bead")] == bead]
        if len(rows) == 0:
            self.position.setText(f"bead {bead}: no data yet")
            return
        _t, x, y, z = (float(v) for v in rows[-1][:4])
        z_text = "n/a" if math.isnan(z) else f"{z:.{self.decimals}f}"
        self.position.setText(f"bead {bead}: x {x:.{self.decimals}f}, "
                              f"y {y:.{self.decimals}f}, z {z_text} nm")

    def save_state(self) -> dict[str, Any]:
        """Saved with the window layout."""
        return {"decimals": self.decimals}

    def restore_state(self, state: dict[str, Any]) -> None:
        """Restore :meth:`save_state`."""
        self.decimals = int(state.get("decimals", 1))

    def close_panel(self) -> None:
        """Stop listening to the display tick."""
        self.context.events.refresh.disconnect(self.refresh)
