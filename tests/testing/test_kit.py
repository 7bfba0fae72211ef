"""The kit itself: no Qt on import, the harness and recorder, and contracts that can fail."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import attrs
import numpy as np
import pytest

from magscope_core import (
    CameraInfo,
    Command,
    CommandError,
    GetFocus,
    GetMagnet,
    HardwareManager,
    ManagerSpec,
    MoveFocus,
    MoveMagnet,
    SetForce,
    handles,
)
from magscope_core.testing import (
    CameraContract,
    CommandRecorder,
    MagnetMotorContract,
    ManagerHarness,
    PatternCamera,
)


def test_importing_the_kit_imports_no_qt() -> None:
    code = ("import sys, magscope_core.testing; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('PySide6', 'PyQt5', 'PyQt6', 'pyqtgraph', 'magscope_gui')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.strip() == "[]"


@attrs.frozen
class Moved(Command):
    z_nm: float


@attrs.frozen
class AskPeer(Command):
    pass


class TinyFocus(HardwareManager):
    """Moves at once; tells a peer 'camera' about every move; asks it on request."""

    telemetry_columns = ("z_nm",)

    def setup(self) -> None:
        self.z = 0.0

    @handles(MoveFocus)
    def move(self, cmd: MoveFocus) -> float:
        if cmd.z_nm > 1000:
            raise ValueError(f"z_nm={cmd.z_nm} beyond 1000")
        self.z = cmd.z_nm
        self.record(self.z)
        self.send(Moved(z_nm=self.z))
        return self.z

    @handles(GetFocus)
    def get(self, cmd: GetFocus) -> dict[str, Any]:
        return {"z_nm": self.z, "asked": self.call(AskPeer(), timeout=10.0)}


def test_harness_routes_records_answers_and_tears_down_once() -> None:
    from magscope_core import CommandSpec, Route

    recorder = CommandRecorder()
    recorder.respond(AskPeer, lambda cmd: "peer says hi")
    commands = [CommandSpec(Moved, Route.DIRECT), CommandSpec(AskPeer, Route.DIRECT)]
    harness = ManagerHarness(ManagerSpec("focus", TinyFocus), commands=commands,
                             recorder=recorder, peers={"camera": [Moved, AskPeer]})
    with harness:
        assert harness.call(MoveFocus(z_nm=12.5)) == 12.5
        assert recorder.wait_for(Moved, lambda c: c.z_nm == 12.5).z_nm == 12.5
        assert harness.call(GetFocus()) == {"z_nm": 12.5, "asked": "peer says hi"}
        with pytest.raises(CommandError, match="beyond 1000"):
            harness.call(MoveFocus(z_nm=5000.0))
        rows = harness.telemetry()
        assert harness.telemetry_columns == ("t", "z_nm") and rows[-1, 1] == 12.5
    assert harness.teardowns == 1 and harness.errors == []
    assert [type(c).__name__ for c in recorder.commands] == ["Moved", "AskPeer"]


def test_recorder_wait_for_times_out_naming_what_it_saw() -> None:
    recorder = CommandRecorder()
    recorder.record(AskPeer())
    with pytest.raises(TimeoutError,
                       match=r"no Moved recorded within 0.05 s \(recorded: AskPeer\)"):
        recorder.wait_for(Moved, timeout=0.05)
    with pytest.raises(LookupError, match=r"recorder.respond\(AskPeer"):
        recorder.answer(AskPeer())


class _FallingClock(PatternCamera):
    """A camera whose timestamps go backwards and that ignores unknown settings."""

    def grab_into(self, out: np.ndarray, timeout: float) -> float | None:
        t = super().grab_into(out, timeout)
        self.t0 = getattr(self, "t0", t)
        return None if t is None else 2 * self.t0 - t  # mirrored around the first frame

    def set_setting(self, name: str, value: Any) -> None:
        pass


def test_the_camera_contract_fails_a_bad_camera() -> None:
    camera = _FallingClock(width=64, height=64, fps=200.0, n_beads=0)
    info = camera.connect()
    assert isinstance(info, CameraInfo)
    contract = CameraContract()
    with pytest.raises(AssertionError, match="not rising"):
        contract.test_timestamps_are_epoch_seconds_and_rise((camera, info))
    with pytest.raises(pytest.fail.Exception):
        contract.test_unknown_setting_is_a_clear_error((camera, info))


class _PlainMagnet(HardwareManager):
    """A magnet that neither turns nor ramps (its handlers are all the contract reads)."""

    @handles(MoveMagnet)
    def move(self, cmd: MoveMagnet) -> float:
        return cmd.position_mm

    @handles(SetForce)
    def set_force(self, cmd: SetForce) -> float:
        return cmd.force_pn

    @handles(GetMagnet)
    def state(self, cmd: GetMagnet) -> dict[str, Any]:
        return {}


def test_magnet_capabilities_choose_the_tests_and_a_wrong_claim_fails_clearly() -> None:
    class Everything(MagnetMotorContract):
        pass

    class NoRamps(MagnetMotorContract):
        runs_ramps = False

    class Neither(MagnetMotorContract):
        rotates = False
        runs_ramps = False

    assert callable(Everything.test_rotation) and callable(Everything.test_force_ramp)
    assert callable(NoRamps.test_rotation) and NoRamps.test_force_ramp is None
    assert Neither.test_rotation is None and Neither.test_force_ramp is None
    spec = ManagerSpec("magnet", _PlainMagnet)
    with pytest.raises(AssertionError, match=r"runs_ramps = True .* does not handle RampForce"):
        Everything().test_force_ramp(spec, None)  # type: ignore[arg-type]
    with pytest.raises(AssertionError, match=r"rotates = True .* does not handle RotateMagnet"):
        Everything().test_rotation(spec, None)  # type: ignore[arg-type]
