"""The generic focus motor panel: any manager that handles ``MoveFocus`` and ``GetFocus``.

Standard telemetry columns (when the motor records them): ``z_nm``, ``target_nm``.
"""

from __future__ import annotations

from magscope_core import Command, GetFocus, MoveFocus
from magscope_gui._motor_panel import MotorPanel

__all__ = ["FocusPanel"]


class FocusPanel(MotorPanel):
    """The focus (objective) motor: position, target, speed, limits, move and jog (nm)."""

    move_type = MoveFocus
    get_command = GetFocus
    unit = "nm"
    columns = ("z_nm", "target_nm")
    limit_keys = ("min_nm", "max_nm")
    decimals = 1
    default_step = 100.0
    tolerance = 10.0

    def move_command(self, value: float) -> Command:
        """``MoveFocus(z_nm=value)``."""
        return MoveFocus(z_nm=value)
