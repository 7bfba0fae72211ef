"""Manager processes of the simulated microscope: camera, focus motor, magnet motor.

The motors run in their own processes and tell the camera's process where the focal
plane is and what force the magnet applies, through commands: exactly as real
hardware plugins would talk to each other.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from magscope_core import (
    CameraManager,
    CommandError,
    ConfigurationError,
    GetFocus,
    GetMagnet,
    HardwareManager,
    HoldRamp,
    MotionModel,
    MoveFocus,
    MoveMagnet,
    RampForce,
    RampMagnet,
    RotateMagnet,
    SetForce,
    handles,
)
from magscope_sim._commands import (
    SIM_COMMANDS,
    GetSimTruth,
    SimFocusChanged,
    SimForceChanged,
    SimTwistChanged,
)
from magscope_sim._magnet import MagnetCalibration
from magscope_sim._motor import MotorAxis
from magscope_sim._ramp import MagnetRamp, force_profile, position_profile

__all__ = [
    "SIM_COMMANDS",
    "GetSimTruth",
    "SimCameraManager",
    "SimFocusChanged",
    "SimFocusMotor",
    "SimForceChanged",
    "SimMagnetMotor",
    "SimTwistChanged",
]


class SimCameraManager(CameraManager):
    """Runs :class:`~magscope_sim.SimulatedCamera` and applies focus and force changes.

    With the camera option ``truth_file`` (a ``.npz`` path) it records the ground truth
    of every frame stored in the ring (ring frame number, timestamp, focal plane, and x, y,
    z and defocus ``dz_nm`` per bead).
    With ``truth_images_every=N`` as well, it also stores the exact pixels of every N-th
    ring frame (``image_frame``, ``image``), so tests can compare written video with what
    the camera produced.
    """

    def setup(self) -> None:
        """Connect the camera, then catch up with motors that are already running."""
        self._truth_file = self._camera_options.pop("truth_file", None)
        self._truth_rows: list[tuple[Any, ...]] = []
        self._images_every = int(self._camera_options.pop("truth_images_every", 0) or 0)
        self._truth_images: list[tuple[int, np.ndarray]] = []
        super().setup()
        for cmd, apply in ((GetFocus(), "z_nm"), (GetMagnet(), "force_pn")):
            try:
                state = self.call(cmd, timeout=1.0)
            except Exception:
                continue  # that motor is not running (yet): it will tell us when it moves
            if apply == "z_nm":
                self.camera.set_focus(float(state["z_nm"]))  # type: ignore[union-attr]
            else:
                self.camera.set_force(float(state["force_pn"]))  # type: ignore[union-attr]
                if "turns" in state:
                    self.camera.set_turns(float(state["turns"]))  # type: ignore[union-attr]

    def on_frame(self, frame_number: int, timestamp: float) -> None:
        """Record the frame's ground truth when asked to."""
        if self._truth_file:
            truth = self.camera.truth()  # type: ignore[union-attr]
            self._truth_rows.append((frame_number, timestamp, truth.x_px.copy(),
                                     truth.y_px.copy(), truth.z_nm.copy(),
                                     truth.dz_nm.copy(), truth.focus_nm))
            if self._images_every and frame_number % self._images_every == 0:
                latest = self.ring.peek_latest()  # the frame just committed (we write alone)
                if latest is not None and latest.frame_number == frame_number:
                    self._truth_images.append((frame_number, latest.frame))

    def teardown(self) -> None:
        """Write the truth file, then disconnect."""
        if self._truth_file and self._truth_rows:
            path = Path(self._truth_file)
            path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(
                path,
                frame=np.array([r[0] for r in self._truth_rows], np.int64),
                timestamp=np.array([r[1] for r in self._truth_rows]),
                x_px=np.stack([r[2] for r in self._truth_rows]),
                y_px=np.stack([r[3] for r in self._truth_rows]),
                z_nm=np.stack([r[4] for r in self._truth_rows]),
                dz_nm=np.stack([r[5] for r in self._truth_rows]),
                focus_nm=np.array([r[6] for r in self._truth_rows]),
                image_frame=np.array([f for f, _ in self._truth_images], np.int64),
                image=(np.stack([im for _, im in self._truth_images]) if self._truth_images
                       else np.zeros((0, 0, 0), np.uint8)),
            )
        super().teardown()

    @handles(SimFocusChanged)
    def focus_changed(self, cmd: SimFocusChanged) -> None:
        """Move the simulated focal plane."""
        self.camera.set_focus(cmd.z_nm)  # type: ignore[union-attr]

    @handles(SimForceChanged)
    def force_changed(self, cmd: SimForceChanged) -> None:
        """Apply a new magnet force to the tethered beads."""
        self.camera.set_force(cmd.force_pn)  # type: ignore[union-attr]

    @handles(SimTwistChanged)
    def twist_changed(self, cmd: SimTwistChanged) -> None:
        """Twist the tethers (the magnet rotated)."""
        self.camera.set_turns(cmd.turns)  # type: ignore[union-attr]

    @handles(GetSimTruth)
    def get_truth(self, cmd: GetSimTruth) -> dict[str, Any]:
        """Ground truth of the newest frame."""
        t = self.camera.truth()  # type: ignore[union-attr]
        return {"frame": t.frame, "timestamp": t.timestamp, "focus_nm": t.focus_nm,
                "force_pn": t.force_pn, "turns": self.camera.turns,  # type: ignore[union-attr]
                "tethered": t.tethered.tolist(),
                "x_px": t.x_px.tolist(), "y_px": t.y_px.tolist(), "z_nm": t.z_nm.tolist()}


class _MotorManager(HardwareManager):
    """A simulated motor axis updated on every tick; subclasses say what it drives."""

    tick_interval: float | None = 0.05  # telemetry every 50 ms, like the reference
    idle_telemetry_s: ClassVar[float] = 1.0

    axis: MotorAxis

    def setup(self) -> None:
        """Start the axis clock."""
        self._last = time.monotonic()
        self._last_row = 0.0
        self._published: float | None = None
        self._was_moving = False

    def tick(self) -> None:
        """Move the axis, record telemetry, tell the camera when the position changed."""
        now = time.monotonic()
        self.update_axes(now - self._last)
        self._last = now
        moving = self.is_moving()
        if moving or self._was_moving or now - self._last_row >= self.idle_telemetry_s:
            self._last_row = now
            self.record(*self.telemetry_values())  # incl. the tick on which it arrived
        self._was_moving = moving
        if self._published != self.axis.position:
            try:
                self.publish()
                self._published = self.axis.position
            except CommandError:
                pass  # the camera is (re)starting; it asks for our state when it is up

    def update_axes(self, dt_s: float) -> None:
        """Advance every axis by ``dt_s`` seconds."""
        self.axis.update(dt_s)

    def is_moving(self) -> bool:
        """Whether any axis is still moving."""
        return self.axis.is_moving

    def telemetry_values(self) -> tuple[float, ...]:
        """One telemetry row (without the time)."""
        raise NotImplementedError

    def publish(self) -> None:
        """Tell the camera about the new position."""
        raise NotImplementedError


class SimFocusMotor(_MotorManager):
    """Simulated focus (objective) motor: limits, speed, at-target tolerance.

    Parameters
    ----------
    position_nm, speed_nm_s
        Start position and speed.
    """

    telemetry_columns = ("z_nm", "target_nm", "at_target")

    def __init__(self, position_nm: float = 0.0, speed_nm_s: float = 1000.0) -> None:
        super().__init__()
        self.axis = MotorAxis.focus(position_nm)
        self.axis.set_speed(speed_nm_s)

    @classmethod
    def motion_models(cls, position_nm: float = 0.0, speed_nm_s: float = 1000.0,
                      **_: Any) -> list[MotionModel]:
        """The focus axis: its speed and start position (for protocol plans)."""
        return [MotionModel("focus", speed_nm_s, position_nm)]

    def telemetry_values(self) -> tuple[float, ...]:
        """``z_nm, target_nm, at_target``."""
        return (self.axis.position, self.axis.target, float(self.axis.at_target))

    def publish(self) -> None:
        """Move the simulated focal plane."""
        self.send(SimFocusChanged(z_nm=self.axis.position))

    @handles(MoveFocus)
    def move(self, cmd: MoveFocus) -> float:
        """Start a move (clipped to the limits, with a warning); return the target."""
        target = self.axis.move_to(cmd.z_nm, clip=True)
        if target != cmd.z_nm:
            self.log.warning("focus target %g nm clipped to %g nm", cmd.z_nm, target)
        return target

    @handles(GetFocus)
    def state(self, cmd: GetFocus) -> dict[str, Any]:
        """Position, target, motion and limits."""
        a = self.axis
        return {"z_nm": a.position, "target_nm": a.target, "moving": a.is_moving,
                "at_target": a.at_target, "min_nm": a.lower, "max_nm": a.upper}


class SimMagnetMotor(_MotorManager):
    """Simulated magnet: a linear motor with a force calibration (mm <-> pN) and a rotation.

    Parameters
    ----------
    position_mm, speed_mm_s
        Start position (0 = closest to the sample, largest force) and speed.
    calibration_file
        A force calibration file (two columns: mm, pN; the ``magnet.calibration_file``
        setting); the built-in curve by default (``None`` or ``""``). A file that cannot be
        used is a configuration error (one line).
    rotation_speed_turns_s
        Speed of the rotation axis (turns per second).
    """

    telemetry_columns = ("position_mm", "target_mm", "force_pn", "turns")

    def __init__(self, position_mm: float = 10.0, speed_mm_s: float = 2.0,
                 calibration_file: str | None = None,
                 rotation_speed_turns_s: float = 5.0) -> None:
        super().__init__()
        self.axis = MotorAxis.magnet(position_mm)
        self.axis.set_speed(speed_mm_s)
        self.rotation = MotorAxis("rotation", "turns", -1000.0, 1000.0, 0.0,
                                  rotation_speed_turns_s, 50.0, 0.001)
        self._published_turns = 0.0
        try:
            self.calibration = (MagnetCalibration.from_file(calibration_file)
                                if calibration_file else MagnetCalibration.default())
        except ValueError as exc:
            raise ConfigurationError(
                f"magnet setting calibration_file = {calibration_file!r} rejected: "
                f"{str(exc).rstrip('.')}. Allowed: "
                "a text file of two columns (position_mm force_pn), or '' for the built-in "
                "curve.") from None
        self._check_calibration(calibration_file)
        self.ramp: MagnetRamp | None = None
        self._speed_before_ramp = self.axis.speed

    @classmethod
    def motion_models(cls, position_mm: float = 10.0, speed_mm_s: float = 2.0,
                      calibration_file: str | None = None,
                      rotation_speed_turns_s: float = 5.0, **_: Any) -> list[MotionModel]:
        """The magnet's axes and its force calibration (for protocol plans)."""
        calibration = (MagnetCalibration.from_file(calibration_file) if calibration_file
                       else MagnetCalibration.default())
        return [MotionModel("magnet", speed_mm_s, position_mm,
                            position_for_force=calibration.position_for),
                MotionModel("rotation", rotation_speed_turns_s, 0.0)]

    def _check_calibration(self, calibration_file: str | None) -> None:
        lo, hi = self.calibration.position_range
        if lo > self.axis.lower or hi < self.axis.upper:
            raise ConfigurationError(
                f"magnet setting calibration_file = {calibration_file!r} rejected: it covers "
                f"{lo:g}..{hi:g} mm. Allowed: a table covering the whole travel "
                f"{self.axis.lower:g}..{self.axis.upper:g} mm.")

    def tick(self) -> None:
        """Advance a running ramp (its target moves with time), then the axis."""
        if self.ramp is not None:
            now = time.monotonic()
            self.axis.move_to(self.ramp.target(now, self.axis.position, self.axis.tolerance),
                              clip=True)
            if self.ramp.finished(now):
                self.log.info("%s ramp done", self.ramp.kind)
                self._end_ramp("")
            self._was_moving = True  # a telemetry row every tick while ramping
        super().tick()

    def force(self) -> float:
        """Force at the current position."""
        return float(self.calibration.force_at(self.axis.position))

    def update_axes(self, dt_s: float) -> None:
        """Advance the linear and the rotation axes."""
        self.axis.update(dt_s)
        self.rotation.update(dt_s)
        if self._published_turns != self.rotation.position:
            try:
                self.send(SimTwistChanged(turns=self.rotation.position))
                self._published_turns = self.rotation.position
            except CommandError:
                pass  # the camera is (re)starting; it asks for our state when it is up

    def is_moving(self) -> bool:
        """Whether the magnet moves or turns."""
        return self.axis.is_moving or self.rotation.is_moving

    def telemetry_values(self) -> tuple[float, ...]:
        """``position_mm, target_mm, force_pn, turns``."""
        return (self.axis.position, self.axis.target, self.force(), self.rotation.position)

    def publish(self) -> None:
        """Apply the force to the simulated tethers."""
        self.send(SimForceChanged(force_pn=self.force()))

    @handles(MoveMagnet)
    def move(self, cmd: MoveMagnet) -> float:
        """Start a move (refused outside the travel; ends a ramp); return the target."""
        target = self.axis.move_to(cmd.position_mm)
        self._end_ramp("a magnet move")
        return target

    @handles(SetForce)
    def set_force(self, cmd: SetForce) -> float:
        """Move to the calibrated position for ``force_pn`` (ends a ramp); return it."""
        target = self.axis.move_to(float(self.calibration.position_for(cmd.force_pn)))
        self._end_ramp("a force change")
        return target

    def _end_ramp(self, why: str) -> None:
        if self.ramp is not None:
            if why:
                self.log.info("%s ramp ended by %s", self.ramp.kind, why)
            self.ramp = None
            self.axis.set_speed(self._speed_before_ramp)

    def _start_ramp(self, ramp: MagnetRamp) -> None:
        """Follow ``ramp``: the axis runs at full speed to keep up with its target."""
        if self.ramp is None:
            self._speed_before_ramp = self.axis.speed
        self.ramp = ramp
        self.axis.set_speed(self.axis.max_speed)

    @handles(RampForce)
    def ramp_force(self, cmd: RampForce) -> dict[str, float]:
        """Start a force ramp (refused outside the calibration); returns its plan."""
        start = self.force() if cmd.start_pn is None else float(cmd.start_pn)
        cal = self.calibration
        start_mm = float(cal.position_for(start))  # ValueError outside the calibration
        cal.position_for(cmd.stop_pn)
        duration, force_at = force_profile(start, cmd.stop_pn, cmd.rate_pn_s, cmd.scale)
        self._start_ramp(MagnetRamp("force", duration,
                                    lambda t: float(cal.position_for(force_at(t))), start_mm))
        self.log.info("force ramp %.4g -> %.4g pN at %g pN/s (%s): %.1f s", start,
                      cmd.stop_pn, cmd.rate_pn_s, cmd.scale, duration)
        return {"duration_s": duration, "start_pn": start, "stop_pn": float(cmd.stop_pn)}

    @handles(HoldRamp)
    def hold_ramp(self, cmd: HoldRamp) -> bool:
        """Hold or release the running ramp; returns whether a ramp is running."""
        if self.ramp is None:
            return False
        now = time.monotonic()
        if cmd.hold:
            self.ramp.hold(now)
            # the held target is set now, not at the next tick: a state read right after the
            # hold must not see an axis at rest on the previous tick's target
            self.axis.move_to(self.ramp.target(now, self.axis.position, self.axis.tolerance),
                              clip=True)
        else:
            self.ramp.release(now)
        self.log.info("%s ramp %s", self.ramp.kind, "held" if cmd.hold else "released")
        return True

    @handles(RampMagnet)
    def ramp_magnet(self, cmd: RampMagnet) -> dict[str, float]:
        """Start a position ramp (refused outside the travel); returns its plan."""
        start = self.axis.position if cmd.start_mm is None else float(cmd.start_mm)
        for what, value in (("start", start), ("stop", cmd.stop_mm)):
            if not self.axis.lower <= value <= self.axis.upper:
                raise ValueError(f"magnet ramp {what} {value:g} mm outside the travel "
                                 f"{self.axis.lower:g}..{self.axis.upper:g} mm")
        duration, position_at = position_profile(start, cmd.stop_mm, cmd.speed_mm_s)
        self._start_ramp(MagnetRamp("position", duration, position_at, start))
        self.log.info("magnet ramp %.4g -> %.4g mm at %g mm/s: %.1f s", start, cmd.stop_mm,
                      cmd.speed_mm_s, duration)
        return {"duration_s": duration, "start_mm": start, "stop_mm": float(cmd.stop_mm)}

    @handles(RotateMagnet)
    def rotate(self, cmd: RotateMagnet) -> float:
        """Start turning to ``turns`` (refused beyond +/-1000 turns); return the target."""
        return self.rotation.move_to(cmd.turns)

    @handles(GetMagnet)
    def state(self, cmd: GetMagnet) -> dict[str, Any]:
        """Position, target, force, turns and motion."""
        a, r = self.axis, self.rotation
        return {"position_mm": a.position, "target_mm": a.target, "force_pn": self.force(),
                "moving": a.is_moving or r.is_moving, "min_mm": a.lower, "max_mm": a.upper,
                "turns": r.position, "target_turns": r.target,
                "ramping": self.ramp is not None,
                "ramp_held": self.ramp is not None and self.ramp.held_at is not None}
