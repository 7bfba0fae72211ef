"""The base of the generic motor panels: position, target, speed, status, limits, move, jog.

A motor panel knows no motor plugin. It finds the manager that handles its standard
command (``MoveFocus``, ``MoveMagnet``) in the session's command registry, reads the
motor's state from that manager's shared telemetry ring when the ring has the standard
columns (no command per display tick), and otherwise asks the standard ``Get...``
command a few times per second. Moves go out as the standard commands, so any focus or
magnet plugin gets these panels for free.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
from PySide6 import QtWidgets

from magscope_core import Command
from magscope_gui._context import PanelContext

__all__ = ["MotorPanel", "motor_manager", "spin_box"]

_UPDATE_S = 0.1  # labels at most 10 times per second
_POLL_S = 0.5  # without telemetry: the Get command at most twice per second
_LIMITS_RETRY_S = 2.0


def spin_box(low: float, high: float, value: float, decimals: int, unit: str
             ) -> QtWidgets.QDoubleSpinBox:
    """A spin box as narrow as a usual value (the panels fit the side dock)."""
    spin = QtWidgets.QDoubleSpinBox()
    spin.setRange(low, high)
    spin.setDecimals(decimals)
    spin.setValue(value)
    spin.setSuffix(f" {unit}")
    spin.setKeyboardTracking(False)
    spin.setMinimumWidth(90)
    spin.setSizePolicy(QtWidgets.QSizePolicy.Policy.Preferred,
                       QtWidgets.QSizePolicy.Policy.Fixed)
    return spin


def add_spin_row(form: QtWidgets.QFormLayout, label: str, spin: QtWidgets.QDoubleSpinBox,
                 button_text: str, clicked: Callable[[], None]) -> QtWidgets.QPushButton:
    """Add a form row of ``spin`` and a button that calls ``clicked``; return the button."""
    button = QtWidgets.QPushButton(button_text)
    button.clicked.connect(clicked)
    row = QtWidgets.QHBoxLayout()
    row.addWidget(spin, 1)
    row.addWidget(button)
    form.addRow(label, row)
    return button


def motor_manager(context: PanelContext, command: type[Command]) -> str | None:
    """Name of the session's manager that handles ``command`` (None: no such manager)."""
    try:
        owners = context.hub.registry.targets(command)
    except Exception:
        return None
    return next((o for o in owners if o != "hub"), None)


class MotorPanel(QtWidgets.QWidget):
    """Position, target, speed, status, limits; move to, jog -/+ by a step.

    Subclasses set the class attributes and :meth:`move_command`.

    Parameters
    ----------
    context
        The GUI's :class:`~magscope_gui.PanelContext`.

    Attributes
    ----------
    manager
        The manager driving the motor (found from ``move_type``), or None.
    """

    move_type: ClassVar[type[Command]]  # the standard move command; its owner is the motor
    get_command: ClassVar[type[Command]]
    unit: ClassVar[str]
    columns: ClassVar[tuple[str, str]]  # standard telemetry / Get...() keys: position, target
    limit_keys: ClassVar[tuple[str, str]]  # keys of the Get...() answer
    decimals: ClassVar[int]
    default_step: ClassVar[float]
    tolerance: ClassVar[float]

    def __init__(self, context: PanelContext) -> None:
        super().__init__()
        self.context = context
        self.manager = motor_manager(context, self.move_type)
        self.limits: tuple[float, float] | None = None
        self.position: float | None = None
        self.target: float | None = None
        self.speed = 0.0
        self.source = "none"  # where the state comes from: "telemetry", "command" or "none"
        self._last_update = 0.0
        self._last_limits_try = 0.0
        self._last_poll: tuple[float, float] | None = None  # (time, position) of a Get answer

        self.labels: dict[str, QtWidgets.QLabel] = {}
        form = QtWidgets.QFormLayout(self)
        for key, text in self._rows():
            self.labels[key] = QtWidgets.QLabel("-")
            form.addRow(text, self.labels[key])
        self.move_to = spin_box(-1e9, 1e9, 0.0, self.decimals, self.unit)
        add_spin_row(form, "Move to", self.move_to, "Move", self._go_clicked)
        self.step = spin_box(0.0, 1e9, self.default_step, self.decimals, self.unit)
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
        if self.manager is None:
            self.labels["status"].setText(f"no manager handles {self.move_type.__name__}")
        else:
            self.setToolTip(f"motor manager {self.manager!r}")
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

    def handles(self, command: type[Command]) -> bool:
        """Whether this panel's motor manager handles ``command``."""
        if self.manager is None:
            return False
        try:
            return self.context.hub.registry.handler_for(self.manager, command) is not None
        except Exception:
            return False

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
            base = float(state[self.columns[1]])
        return self.move_motor(base + direction * self.step.value())

    def fetch_limits(self) -> None:
        """Ask the manager for its travel limits (quietly retried until it answers)."""
        self._last_limits_try = time.monotonic()
        try:
            state = self.context.hub.call(self.get_command(), timeout=0.5)
            lo, hi = (float(state[k]) for k in self.limit_keys)
        except Exception:
            return
        self.limits = (lo, hi)
        self.move_to.setRange(lo, hi)
        self.labels["limits"].setText(f"{lo:.{self.decimals}f} .. {hi:.{self.decimals}f}")
        if self.target is None:
            self.target = float(state[self.columns[1]])
            self.move_to.setValue(self.target)

    # -- display -------------------------------------------------------------------
    def refresh(self) -> None:
        """Update the labels (at most 10 times per second, only while visible)."""
        now = time.monotonic()
        if self.manager is None or not self.isVisible() or now - self._last_update < _UPDATE_S:
            return
        self._last_update = now
        if self.limits is None and now - self._last_limits_try > _LIMITS_RETRY_S:
            self.fetch_limits()
        state = self._from_telemetry()
        if state is None:
            state = self._from_command(now)
        if state is None:
            return
        self.position, self.target = state["position"], state["target"]
        moving = abs(self.position - self.target) > self.tolerance
        self.speed = state["speed"] if moving else 0.0
        d = self.decimals
        self.labels["position"].setText(f"{self.position:.{d}f}")
        self.labels["target"].setText(f"{self.target:.{d}f}")
        self.labels["speed"].setText(f"{self.speed:.{d}f}")
        self.labels["status"].setText("moving" if moving else "at target")
        self._show_extra(state["values"])

    def _from_telemetry(self) -> dict[str, Any] | None:
        """The state from the newest telemetry rows, when the ring has the standard columns."""
        assert self.manager is not None
        try:
            ring = self.context.resources.telemetry(self.manager)
            cp, ct = (ring.column(c) for c in self.columns)
        except (KeyError, ValueError):
            return None
        rows = ring.latest(2)
        if not rows.shape[0]:
            return None
        self.source = "telemetry"
        speed = 0.0
        if rows.shape[0] == 2 and rows[1, 0] > rows[0, 0]:
            speed = abs(float(np.diff(rows[:, cp])[0] / np.diff(rows[:, 0])[0]))
        values = {name: float(rows[-1, ring.column(name)]) for name in ring.columns
                  if name != "t"}
        return {"position": float(rows[-1, cp]), "target": float(rows[-1, ct]),
                "speed": speed, "values": values}

    def _from_command(self, now: float) -> dict[str, Any] | None:
        """The state from the ``Get...`` answer (a motor that records no telemetry)."""
        if self._last_poll is not None and now - self._last_poll[0] < _POLL_S:
            return None
        try:
            state = self.context.hub.call(self.get_command(), timeout=0.5)
            position, target = (float(state[k]) for k in self.columns)
        except Exception:
            self.labels["status"].setText(f"no answer from {self.manager!r}")
            return None
        self.source = "command"
        speed = 0.0
        if self._last_poll is not None:
            speed = abs(position - self._last_poll[1]) / (now - self._last_poll[0])
        self._last_poll = (now, position)
        values = {k: float(v) for k, v in state.items() if isinstance(v, int | float)}
        return {"position": position, "target": target, "speed": speed, "values": values}

    def _show_extra(self, values: dict[str, float]) -> None:
        """Subclass hook: more labels from the newest state (telemetry or Get answer)."""

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
