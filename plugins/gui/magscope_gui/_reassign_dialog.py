"""The dialog that changes bead ids (one bead, or all renumbered from 0)."""

from __future__ import annotations

from PySide6 import QtWidgets

__all__ = ["ReassignDialog", "renumber_plan"]


def renumber_plan(ids: list[int]) -> list[tuple[int, int]]:
    """``(old, new)`` reassignments that renumber ``ids`` to ``0..n-1`` in id order.

    Applied in order, no step ever reuses an id still in use (old ids are sorted and
    each new id is not larger than its old one).
    """
    return [(old, new) for new, old in enumerate(sorted(ids)) if old != new]


class ReassignDialog(QtWidgets.QDialog):
    """Give one bead a new id, or renumber all beads from 0.

    Parameters
    ----------
    ids
        The bead ids now in use.
    selected
        The bead preselected (-1: the first).
    parent
        Parent widget.
    """

    def __init__(self, ids: list[int], selected: int,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Reassign bead ids")
        self.bead = QtWidgets.QComboBox()
        for i in sorted(ids):
            self.bead.addItem(str(i), i)
        if selected in ids:
            self.bead.setCurrentIndex(sorted(ids).index(selected))
        self.new_id = QtWidgets.QSpinBox()
        self.new_id.setRange(0, 10_000_000)
        self.new_id.setValue(max(ids, default=-1) + 1)
        self.renumber = QtWidgets.QCheckBox("Renumber all beads from 0")
        self.renumber.toggled.connect(self._renumber_toggled)
        form = QtWidgets.QFormLayout(self)
        form.addRow("Bead", self.bead)
        form.addRow("New id", self.new_id)
        form.addRow(self.renumber)
        buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok
            | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _renumber_toggled(self, on: bool) -> None:
        self.bead.setEnabled(not on)
        self.new_id.setEnabled(not on)

    def plan(self) -> list[tuple[int, int]]:
        """The ``(old, new)`` reassignments the user asked for."""
        ids = [int(self.bead.itemData(i)) for i in range(self.bead.count())]
        if self.renumber.isChecked():
            return renumber_plan(ids)
        if self.bead.currentIndex() < 0:
            return []
        old = int(self.bead.currentData())
        return [] if old == self.new_id.value() else [(old, self.new_id.value())]
