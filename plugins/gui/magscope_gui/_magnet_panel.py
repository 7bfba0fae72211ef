"""The generic magnet motor panel: any manager that handles ``MoveMagnet`` and ``GetMagnet``.

Standard telemetry columns (when the motor records them): ``position_mm``, ``target_mm``,
``force_pn`` and, for a magnet that rotates, ``turns``. The force row appears when the
manager handles ``SetForce``, the rotation row when it handles ``RotateMagnet``.
"""

from __future__ import annotations

from PySide6 import QtWidgets

from magscope_core import Command, GetMagnet, MoveMagnet, RotateMagnet, SetForce
from magscope_gui._motor_panel import MotorPanel, add_spin_row, spin_box

__all__ = ["MagnetPanel"]


class MagnetPanel(MotorPanel):
    """The magnet: position (mm), force (pN), turns; move to a position, a force, jog, rotate."""

    move_type = MoveMagnet
    get_command = GetMagnet
    unit = "mm"
    columns = ("position_mm", "target_mm")
    limit_keys = ("min_mm", "max_mm")
    decimals = 3
    default_step = 0.5
    tolerance = 0.001

    def _rows(self) -> list[tuple[str, str]]:
        return [*super()._rows()[:2], ("force", "Force (pN)"), ("turns", "Turns"),
                *super()._rows()[2:]]

    def _extra_rows(self, form: QtWidgets.QFormLayout) -> None:
        self.force: QtWidgets.QDoubleSpinBox | None = None
        self.turns: QtWidgets.QDoubleSpinBox | None = None
        if self.handles(SetForce):
            self.force = spin_box(0.0, 1000.0, 1.0, 2, "pN")
            add_spin_row(form, "Set force", self.force, "Set", self._set_force_clicked)
        if self.handles(RotateMagnet):
            self.turns = spin_box(-1000.0, 1000.0, 0.0, 2, "turns")
            add_spin_row(form, "Rotate to", self.turns, "Rotate", self._rotate_clicked)

    def _set_force_clicked(self) -> None:
        if self.force is not None:
            self.set_force(self.force.value())

    def _rotate_clicked(self) -> None:
        if self.turns is not None:
            self.rotate(self.turns.value())

    def rotate(self, turns: float) -> float | None:
        """Rotate the magnet to ``turns`` (absolute); return the target or None."""
        self._last_update = 0.0
        result = self.context.call(RotateMagnet(turns=turns))
        return None if result is None else float(result)

    def move_command(self, value: float) -> Command:
        """``MoveMagnet(position_mm=value)``."""
        return MoveMagnet(position_mm=value)

    def set_force(self, force_pn: float) -> float | None:
        """Move the magnet to the calibrated position of ``force_pn``; return it or None."""
        return self._moved(self.context.call(SetForce(force_pn=force_pn)))

    def _show_extra(self, values: dict[str, float]) -> None:
        if "force_pn" in values:
            self.labels["force"].setText(f"{values['force_pn']:.2f}")
        if "turns" in values:
            self.labels["turns"].setText(f"{values['turns']:.2f}")
