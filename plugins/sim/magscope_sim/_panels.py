"""GUI panels of the simulated motors (imported by the GUI only: this module needs Qt).

Both panels show the motor state from the manager's shared telemetry ring (no command per
display tick) and move it with the standard hardware commands (``MoveFocus``,
``MoveMagnet``, ``SetForce``, ``RotateMagnet``), so they work with any plugin that records
the same telemetry columns and handles those commands.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import numpy as np
from PySide6 import QtWidgets

from magscope_core import (
    Command,
    GetFocus,
    GetMagnet,
    MoveFocus,
    MoveMagnet,
    RotateMagnet,
    SetForce,
)

__all__ = ["FocusPanel", "MagnetPanel"]

_UPDATE_S = 0.1  # labels at most 10 times per second


def _spin(low: float, high: float, value: float, decimals: int, unit: str
          ) -> QtWidgets.QDoubleSpinBox:
    spin = QtWidgets.QDoubleSpinBox()
    spin.setRange(low, high)
    spin.setDecimals(decimals)
    spin.setValue(value)
    spin.setSuffix(f" {unit}")
    spin.setKeyboardTracking(False)
    # as narrow as a usual value, not as the widest one of the range: the panel fits the
    # side dock
    spin.setMinimumWidth(90)
    spin.setSizePolicy(QtWidgets.QSizePolicy.Policy.Preferred,
                       QtWidgets.QSizePolicy.Policy.Fixed)
    return spin


class _MotorPanel(QtWidgets.QWidget):
    """Position, target, speed, status, limits; move to, jog -/+ by a step.

    Subclasses set the class attributes and :meth:`move_command`.

    Parameters
    ----------
    context
        The GUI's ``magscope_gui.PanelContext``.
    """

    manager: ClassVar[str]
    unit: ClassVar[str]
    columns: ClassVar[tuple[str, str]]  # telemetry columns: position, target
    limit_keys: ClassVar[tuple[str, str]]  # keys of the Get...() answer
    get_command: ClassVar[type[Command]]
    decimals: ClassVar[int]
    default_step: ClassVar[float]
    tolerance: ClassVar[float]

    def __init__(self, context: Any) -> None:
        super().__init__()
        self.context = context
        self.limits: tuple[float, float] | None = None
        self.position: float | None = None
        self.target: float | None = None
        self.speed = 0.0
        self._last_update = 0.0
        self._last_limits_try = 0.0

        self.labels: dict[str, QtWidgets.QLabel] = {}
        form = QtWidgets.QFormLayout(self)
        for key, text in self._rows():
            self.labels[key] = QtWidgets.QLabel("-")
            form.addRow(text, self.labels[key])
        self.move_to = _spin(-1e9, 1e9, 0.0, self.decimals, self.unit)
        go = QtWidgets.QPushButton("Move")
        go.clicked.connect(self._go_clicked)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.move_to, 1)
        row.addWidget(go)
        form.addRow("Move to", row)
        self.step = _spin(0.0, 1e9, self.default_step, self.decimals, self.unit)
        self.jog_minus = QtWidgets.QPushButton("-")
        self.jog_plus = QtWidgets.QPushButton("+")
        for button in (self.jog_minus, self.jog_plus):
            button.setFixedWidth(32)
        self.jog_minus.setToolTip("Move back by the step")
        self.jog_plus.setToolTip("Move on by the step")
        self.jog_minus.clicked.connect(self._jog_minus_clicked)
        self.jog_plus.clicked.connect(self._jog_plus_clicked)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.jog_minus)
        row.addWidget(self.step, 1)
        row.addWidget(self.jog_plus)
        form.addRow("Jog", row)
        self._extra_rows(form)
        context.events.refresh.connect(self.refresh)

    # Signals connect to bound methods only: with PySide6 6.11 a lambda or partial that
    # holds ``self`` (connected to a child's signal) can crash when the panel is deleted.
    def _go_clicked(self) -> None:
        self.move_motor(self.move_to.value())

    def _jog_minus_clicked(self) -> None:
        self.jog(-1)

    def _jog_plus_clicked(self) -> None:
        self.jog(+1)

    def _rows(self) -> list[tuple[str, str]]:
        u = self.unit
        return [("position", f"Position ({u})"), ("target", f"Target ({u})"),
                ("speed", f"Speed ({u}/s)"), ("status", "Status"), ("limits", f"Limits ({u})")]

    def _extra_rows(self, form: QtWidgets.QFormLayout) -> None:
        """Subclass hook for more controls."""

    # -- commands ------------------------------------------------------------------
    def move_command(self, value: float) -> Command:
        """The command that moves the motor to ``value``."""
        raise NotImplementedError

    def move_motor(self, value: float) -> float | None:
        """Move to ``value`` (clamped to the limits); return the target or None on failure."""
        if self.limits is not None:
            value = min(max(value, self.limits[0]), self.limits[1])
        return self._moved(self.context.call(self.move_command(value)))

    def _moved(self, result: Any) -> float | None:
        """After a move command: the answer is the new target (None: failed)."""
        self._last_update = 0.0  # show it on the next tick
        if result is None:
            return None
        self.target = float(result)
        return self.target

    def jog(self, direction: int) -> float | None:
        """Move by ``direction * step`` from the current target."""
        base = self.target if self.target is not None else self.position
        if base is None:
            state = self.context.call(self.get_command())
            if state is None:
                return None
            base = float(state[self._target_key()])
        return self.move_motor(base + direction * self.step.value())

    def _target_key(self) -> str:
        """Key of the target in both the telemetry and the Get...() answer."""
        return self.columns[1]

    def fetch_limits(self) -> None:
        """Ask the manager for its travel limits (quietly retried until it answers)."""
        self._last_limits_try = time.monotonic()
        try:
            state = self.context.hub.call(self.get_command(), timeout=0.5)
        except Exception:
            return
        lo, hi = (float(state[k]) for k in self.limit_keys)
        self.limits = (lo, hi)
        self.move_to.setRange(lo, hi)
        self.labels["limits"].setText(f"{lo:.{self.decimals}f} .. {hi:.{self.decimals}f}")
        if self.target is None:
            self.target = float(state[self._target_key()])
            self.move_to.setValue(self.target)

    # -- display -------------------------------------------------------------------
    def refresh(self) -> None:
        """Update the labels from the telemetry ring (at most 10 times per second)."""
        now = time.monotonic()
        if not self.isVisible() or now - self._last_update < _UPDATE_S:
            return
        self._last_update = now
        if self.limits is None and now - self._last_limits_try > 2.0:
            self.fetch_limits()
        try:
            ring = self.context.resources.telemetry(self.manager)
        except KeyError:
            self.labels["status"].setText(f"no telemetry from {self.manager!r}")
            return
        rows = ring.latest(2)
        if not rows.shape[0]:
            return
        cp, ct = (ring.column(c) for c in self.columns)
        self.position, self.target = float(rows[-1, cp]), float(rows[-1, ct])
        moving = abs(self.position - self.target) > self.tolerance
        self.speed = 0.0
        if moving and rows.shape[0] == 2 and rows[1, 0] > rows[0, 0]:
            self.speed = abs(float(np.diff(rows[:, cp])[0] / np.diff(rows[:, 0])[0]))
        d = self.decimals
        self.labels["position"].setText(f"{self.position:.{d}f}")
        self.labels["target"].setText(f"{self.target:.{d}f}")
        self.labels["speed"].setText(f"{self.speed:.{d}f}")
        self.labels["status"].setText("moving" if moving else "at target")
        self._show_extra(rows[-1], ring)

    def _show_extra(self, row: np.ndarray, ring: Any) -> None:
        """Subclass hook: more labels from the newest telemetry row."""

    def save_state(self) -> dict[str, Any]:
        """The jog step."""
        return {"step": self.step.value()}

    def restore_state(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`save_state` returned."""
        self.step.setValue(float(state.get("step", self.default_step)))

    def close_panel(self) -> None:
        """Stop reacting to display ticks."""
        try:
            self.context.events.refresh.disconnect(self.refresh)
        except (RuntimeError, TypeError):
            pass


class FocusPanel(_MotorPanel):
    """The focus (objective) motor: position, target, speed, limits, move and jog (nm)."""

    manager = "focus"
    unit = "nm"
    columns = ("z_nm", "target_nm")
    limit_keys = ("min_nm", "max_nm")
    get_command = GetFocus
    decimals = 1
    default_step = 100.0
    tolerance = 10.0

    def move_command(self, value: float) -> Command:
        """``MoveFocus(z_nm=value)``."""
        return MoveFocus(z_nm=value)


class MagnetPanel(_MotorPanel):
    """The magnet: position (mm), force (pN), turns; move to a position, a force, jog, rotate."""

    manager = "magnet"
    unit = "mm"
    columns = ("position_mm", "target_mm")
    limit_keys = ("min_mm", "max_mm")
    get_command = GetMagnet
    decimals = 3
    default_step = 0.5
    tolerance = 0.001

    def _rows(self) -> list[tuple[str, str]]:
        return [*super()._rows()[:2], ("force", "Force (pN)"), ("turns", "Turns"),
                *super()._rows()[2:]]

    def _extra_rows(self, form: QtWidgets.QFormLayout) -> None:
        self.force = _spin(0.0, 1000.0, 1.0, 2, "pN")
        button = QtWidgets.QPushButton("Set")
        button.clicked.connect(self._set_force_clicked)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.force, 1)
        row.addWidget(button)
        form.addRow("Set force", row)
        self.turns = _spin(-1000.0, 1000.0, 0.0, 2, "turns")
        rotate = QtWidgets.QPushButton("Rotate")
        rotate.clicked.connect(self._rotate_clicked)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.turns, 1)
        row.addWidget(rotate)
        form.addRow("Rotate to", row)

    def _set_force_clicked(self) -> None:
        self.set_force(self.force.value())

    def _rotate_clicked(self) -> None:
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

    def _show_extra(self, row: np.ndarray, ring: Any) -> None:
        self.labels["force"].setText(f"{float(row[ring.column('force_pn')]):.2f}")
        if "turns" in ring.columns:
            self.labels["turns"].setText(f"{float(row[ring.column('turns')]):.2f}")
