"""One axis of a python-microscope stage as MagScope's focus motor.

The manager answers the core's standard focus commands (:class:`~magscope_core.MoveFocus`,
:class:`~magscope_core.GetFocus`) and records the standard focus telemetry (``z_nm``,
``target_nm``, ``at_target``), so Z-LUT sweeps, the Z-lock, protocols and the GUI's focus
panel drive it like any focus motor. Stage units (micrometres for most
python-microscope stages) are converted with ``nm_per_unit``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import Any, ClassVar

from magscope_core import ConfigurationError, GetFocus, HardwareManager, MoveFocus, handles
from magscope_microscope._link import COMMUNICATION_ERRORS, DeviceLink

__all__ = ["MicroscopeFocusMotor"]


class MicroscopeFocusMotor(HardwareManager):
    """A python-microscope stage axis driven as the focus motor.

    Parameters
    ----------
    device, args
        In-process stage: its class (or a function returning it) and a JSON object of
        keyword arguments.
    uri
        Remote stage: the Pyro URI a ``device-server`` serves it at.
    axis
        The stage axis that moves the focus (``"z"``).
    nm_per_unit
        Nanometres per stage unit (1000 for a stage in micrometres).
    tolerance_nm
        ``at_target`` within this distance of the target.
    timeout_s, reconnect_s
        Longest remote call; period of reconnection attempts after the stage was lost.
    """

    telemetry_columns = ("z_nm", "target_nm", "at_target")
    tick_interval: float | None = 0.05  # position every 50 ms, like the simulated motor
    idle_telemetry_s: ClassVar[float] = 1.0

    def __init__(self, device: str = "", args: str | Mapping[str, Any] = "", uri: str = "",
                 axis: str = "z", nm_per_unit: float = 1000.0, tolerance_nm: float = 10.0,
                 timeout_s: float = 2.0, reconnect_s: float = 1.0) -> None:
        super().__init__()
        if not (math.isfinite(nm_per_unit) and nm_per_unit != 0):
            raise ConfigurationError(f"python-microscope focus stage: nm_per_unit = "
                                     f"{nm_per_unit!r} rejected. Allowed: a finite non-zero "
                                     "number (1000 for micrometres).")
        self.link = DeviceLink("focus stage", device=device, args=args, uri=uri,
                               timeout_s=timeout_s, reconnect_s=reconnect_s)
        self.axis = axis
        self.nm_per_unit = float(nm_per_unit)
        self.tolerance_nm = float(tolerance_nm)
        self.limits_nm = (-math.inf, math.inf)
        self.position_nm = math.nan
        self.target_nm = math.nan
        self._last_row = 0.0
        self._last_position = math.nan

    # -- connection --------------------------------------------------------------------
    def setup(self) -> None:
        """Open the stage; a server that does not answer yet is retried, not fatal."""
        try:
            self.link.open()
            self._prepare(self.link.device)
        except COMMUNICATION_ERRORS as exc:
            self.link.lost(exc)

    def _prepare(self, stage: Any) -> None:
        """Enable the stage, check the axis, read limits and position."""
        stage.enable()
        limits = dict(stage.limits)
        if self.axis not in limits:
            raise ConfigurationError(
                f"python-microscope focus stage {self.link.where}: axis = {self.axis!r} "
                f"rejected: the stage has no such axis. Allowed: {', '.join(map(repr, limits))}.")
        lo, hi = (float(v) * self.nm_per_unit for v in limits[self.axis])
        self.limits_nm = (min(lo, hi), max(lo, hi))
        self.position_nm = self._read()
        if math.isnan(self.target_nm):
            self.target_nm = self.position_nm

    def _read(self) -> float:
        return float(self.link.device.position[self.axis]) * self.nm_per_unit

    def teardown(self) -> None:
        """Release the stage (a served stage stays with its server)."""
        self.link.close()

    # -- loop --------------------------------------------------------------------------
    def tick(self) -> None:
        """Read the position; record telemetry while moving and once a second otherwise."""
        if not self.link.connected and not self.link.reconnect(self._prepare):
            return
        try:
            self.position_nm = self._read()
        except COMMUNICATION_ERRORS as exc:
            self.link.lost(exc)
            return
        now = time.monotonic()
        moved = self.position_nm != self._last_position
        self._last_position = self.position_nm
        if moved or not self.at_target or now - self._last_row >= self.idle_telemetry_s:
            self._last_row = now
            self.record(self.position_nm, self.target_nm, float(self.at_target))

    @property
    def at_target(self) -> bool:
        """Whether the position is within the tolerance of the target."""
        return abs(self.position_nm - self.target_nm) <= self.tolerance_nm

    def _check_connected(self) -> None:
        if not self.link.connected:
            raise RuntimeError(f"python-microscope focus stage at {self.link.where} is not "
                               f"connected (retrying every {self.link.reconnect_s:g} s)")

    # -- commands ----------------------------------------------------------------------
    @handles(MoveFocus)
    def move(self, cmd: MoveFocus) -> float:
        """Move the axis (clipped to its limits, with a warning); return the target in nm."""
        self._check_connected()
        lo, hi = self.limits_nm
        target = min(max(float(cmd.z_nm), lo), hi)
        if target != cmd.z_nm:
            self.log.warning("focus target %g nm clipped to %g nm", cmd.z_nm, target)
        try:
            self.link.device.move_to({self.axis: target / self.nm_per_unit})
        except COMMUNICATION_ERRORS as exc:
            self.link.lost(exc)
            self._check_connected()
        self.target_nm = target
        self._last_row = 0.0  # a telemetry row on the next tick
        return target

    @handles(GetFocus)
    def state(self, cmd: GetFocus) -> dict[str, Any]:
        """Position, target, motion and limits (nm), and whether the stage answers."""
        self._check_connected()
        return {"z_nm": self.position_nm, "target_nm": self.target_nm,
                "moving": not self.at_target, "at_target": self.at_target,
                "min_nm": self.limits_nm[0], "max_nm": self.limits_nm[1],
                "connected": self.link.connected}
