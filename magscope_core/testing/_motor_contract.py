"""The focus-motor and magnet-motor contracts: the standard motor commands, as tests.

A focus motor plugin is a :class:`~magscope_core.HardwareManager` that handles
:class:`~magscope_core.MoveFocus` and :class:`~magscope_core.GetFocus`; a magnet motor
handles :class:`~magscope_core.MoveMagnet`, :class:`~magscope_core.SetForce` and
:class:`~magscope_core.GetMagnet` (and, if it can, ``RotateMagnet``, ``RampForce``,
``RampMagnet``, ``HoldRamp``). Because the commands are the core's, a Z-LUT sweep, the GUI's
motor panels and scripts drive any such plugin. Subclass the contract and give it one
fixture returning your :class:`~magscope_core.ManagerSpec`::

    class TestAcmeFocus(FocusMotorContract):
        @pytest.fixture
        def focus_manager(self):
            return ManagerSpec(name="focus", factory=AcmeFocus, options={"port": "SIM"})

The manager runs in-process on a :class:`~magscope_core.testing.ManagerHarness` (its own
loop, real shared memory, a real pipe); ``test_runs_in_a_session`` starts it in a spawned
process under a real hub.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar

import numpy as np
import pytest

from magscope_core._commands import Command, CommandSpec
from magscope_core._hardware import (
    GetFocus,
    GetMagnet,
    HardwareManager,
    MoveFocus,
    MoveMagnet,
    RampForce,
    RotateMagnet,
    SetForce,
)
from magscope_core._hub_child import ManagerEntry
from magscope_core._import_path import resolve_factory
from magscope_core._messages import CommandError
from magscope_core._specs import ManagerSpec
from magscope_core.testing._harness import ManagerHarness
from magscope_core.testing._hubs import HubFactory
from magscope_core.testing._optional import drop_inapplicable_tests

__all__ = ["FocusMotorContract", "MagnetMotorContract", "settle"]

FOCUS_KEYS = ("z_nm", "target_nm", "moving", "at_target", "min_nm", "max_nm")
MAGNET_KEYS = ("position_mm", "target_mm", "force_pn", "moving")


def _handlers(spec: ManagerSpec) -> list[tuple[type[Command], str]]:
    factory = resolve_factory(spec.factory)
    handlers = getattr(factory, "handlers", None)
    assert callable(handlers), f"{spec.factory!r} is not a ManagerProcess subclass"
    return list(handlers())


def settle(call: Callable[[Command], Any], get: Command, timeout: float = 10.0
           ) -> dict[str, Any]:
    """Ask ``get`` until the motor reports ``moving`` false; return that state.

    Raises
    ------
    AssertionError
        If it still moves after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        state: dict[str, Any] = call(get)
        if not state["moving"]:
            return state
        assert time.monotonic() < deadline, f"still moving after {timeout:g} s: {state}"
        time.sleep(0.02)


class _MotorContract:
    commands: ClassVar[Sequence[CommandSpec]] = ()
    """The plugin's own command specs (what its ``magscope_commands`` returns)."""
    settle_timeout_s: ClassVar[float] = 10.0
    run_session_test: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        drop_inapplicable_tests(cls, {"run_session_test": ("test_runs_in_a_session",)})

    def _harness(self, spec: ManagerSpec) -> Iterator[ManagerHarness]:
        harness = ManagerHarness(spec, commands=self.commands)
        harness.start()
        try:
            yield harness
        finally:
            harness.stop()
        assert harness.teardowns == 1, f"teardown ran {harness.teardowns} times"
        harness.raise_errors()

    @staticmethod
    def _check_telemetry(harness: ManagerHarness, since: float) -> np.ndarray:
        assert isinstance(harness.manager, HardwareManager), (
            f"{type(harness.manager).__name__} is not a HardwareManager (no telemetry)")
        rows = harness.telemetry()
        assert rows.shape[1] == len(harness.telemetry_columns)
        rows = rows[rows[:, 0] >= since]
        assert len(rows) >= 1, "no telemetry row recorded during a move"
        assert np.all(np.diff(rows[:, 0]) >= 0), "telemetry times go back"
        return rows


class FocusMotorContract(_MotorContract):
    """Contract tests of a focus motor; subclass it and provide ``focus_manager``.

    Attributes
    ----------
    commands
        The plugin's own command specs.
    settle_timeout_s
        How long a move may take.
    tolerance_nm
        How close to the target "arrived" must be.
    """

    tolerance_nm: ClassVar[float] = 20.0

    @pytest.fixture
    def focus_manager(self) -> ManagerSpec:
        """Override: your focus manager's spec."""
        raise NotImplementedError("define a focus_manager fixture returning a ManagerSpec")

    @pytest.fixture
    def focus(self, focus_manager: ManagerSpec) -> Iterator[ManagerHarness]:
        """The focus manager running in-process."""
        yield from self._harness(focus_manager)

    def test_handles_the_standard_focus_commands(self, focus_manager: ManagerSpec) -> None:
        """MoveFocus and GetFocus have handlers."""
        handled = {cmd for cmd, _ in _handlers(focus_manager)}
        assert {MoveFocus, GetFocus} <= handled, sorted(c.__name__ for c in handled)

    def test_get_focus_reports_position_and_limits(self, focus: ManagerHarness) -> None:
        """GetFocus gives every standard key; the position lies within the limits."""
        state = focus.call(GetFocus())
        missing = [k for k in FOCUS_KEYS if k not in state]
        assert not missing, f"GetFocus lacks {missing}"
        assert state["min_nm"] < state["max_nm"]
        assert state["min_nm"] <= state["z_nm"] <= state["max_nm"]

    def test_move_reaches_the_target_and_records_telemetry(self, focus: ManagerHarness) -> None:
        """MoveFocus returns the target; the motor gets there; telemetry rows follow it."""
        start = focus.call(GetFocus())
        span = start["max_nm"] - start["min_nm"]
        goal = start["z_nm"] + (0.05 * span if start["z_nm"] < start["max_nm"] - 0.1 * span
                                else -0.05 * span)
        t0 = time.time()
        target = focus.call(MoveFocus(z_nm=goal))
        assert math.isclose(float(target), goal, abs_tol=self.tolerance_nm), (target, goal)
        end = settle(focus.call, GetFocus(), self.settle_timeout_s)
        assert abs(end["z_nm"] - goal) <= self.tolerance_nm, end
        assert end["at_target"], end
        self._check_telemetry(focus, t0)

    def test_a_move_beyond_the_limits_is_clipped_or_refused(self, focus: ManagerHarness) -> None:
        """MoveFocus past max_nm is clipped to the limit or refused with an error."""
        state = focus.call(GetFocus())
        try:
            target = focus.call(MoveFocus(z_nm=state["max_nm"] + 1e6))
        except CommandError as exc:
            assert str(exc), "refused without a message"
            return
        assert state["min_nm"] <= float(target) <= state["max_nm"], target
        focus.call(MoveFocus(z_nm=state["z_nm"]))

    def test_runs_in_a_session(self, focus_manager: ManagerSpec,
                               magscope_hub: HubFactory) -> None:
        """In a spawned process under a real hub, GetFocus and MoveFocus answer."""
        hub = magscope_hub.start([ManagerEntry(focus_manager, "under-test", "under-test")],
                                 [(c, "under-test", "under-test") for c in self.commands])
        state = hub.call(GetFocus())
        hub.call(MoveFocus(z_nm=state["z_nm"]))
        assert not hub.errors, [str(e.error) for e in hub.errors]


class MagnetMotorContract(_MotorContract):
    """Contract tests of a magnet motor; subclass it and provide ``magnet_manager``.

    Attributes
    ----------
    position_mm
        A position inside the travel the test moves to.
    force_pn
        A force inside the calibration the test asks for.
    tolerance_mm, force_rtol
        How close "arrived" must be.
    rotates
        Whether the magnet turns (handles ``RotateMagnet``); ``False`` drops the rotation
        test.
    runs_ramps
        Whether the magnet runs force ramps (handles ``RampForce``); ``False`` drops the
        ramp test.
    """

    position_mm: ClassVar[float] = 5.0
    force_pn: ClassVar[float] = 5.0
    tolerance_mm: ClassVar[float] = 0.01
    force_rtol: ClassVar[float] = 0.05
    rotates: ClassVar[bool] = True
    runs_ramps: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        drop_inapplicable_tests(cls, {"rotates": ("test_rotation",),
                                      "runs_ramps": ("test_force_ramp",)})

    @pytest.fixture
    def magnet_manager(self) -> ManagerSpec:
        """Override: your magnet manager's spec."""
        raise NotImplementedError("define a magnet_manager fixture returning a ManagerSpec")

    @pytest.fixture
    def magnet(self, magnet_manager: ManagerSpec) -> Iterator[ManagerHarness]:
        """The magnet manager running in-process."""
        yield from self._harness(magnet_manager)

    def _handles(self, spec: ManagerSpec, cmd: type[Command]) -> bool:
        return cmd in {c for c, _ in _handlers(spec)}

    def test_handles_the_standard_magnet_commands(self, magnet_manager: ManagerSpec) -> None:
        """MoveMagnet, SetForce and GetMagnet have handlers."""
        missing = [c.__name__ for c in (MoveMagnet, SetForce, GetMagnet)
                   if not self._handles(magnet_manager, c)]
        assert not missing, f"no handler for {missing}"

    def test_get_magnet_reports_position_and_force(self, magnet: ManagerHarness) -> None:
        """GetMagnet gives every standard key, with finite numbers."""
        state = magnet.call(GetMagnet())
        missing = [k for k in MAGNET_KEYS if k not in state]
        assert not missing, f"GetMagnet lacks {missing}"
        assert all(math.isfinite(float(state[k])) for k in MAGNET_KEYS if k != "moving")

    def test_move_reaches_the_position(self, magnet: ManagerHarness) -> None:
        """MoveMagnet returns the target and the magnet gets there; telemetry follows."""
        t0 = time.time()
        target = magnet.call(MoveMagnet(position_mm=self.position_mm))
        assert math.isclose(float(target), self.position_mm, abs_tol=self.tolerance_mm)
        end = settle(magnet.call, GetMagnet(), self.settle_timeout_s)
        assert abs(end["position_mm"] - self.position_mm) <= self.tolerance_mm, end
        self._check_telemetry(magnet, t0)

    def test_set_force_reaches_the_force(self, magnet: ManagerHarness) -> None:
        """SetForce moves to the calibrated position: GetMagnet then reports that force."""
        magnet.call(SetForce(force_pn=self.force_pn))
        end = settle(magnet.call, GetMagnet(), self.settle_timeout_s)
        assert math.isclose(end["force_pn"], self.force_pn, rel_tol=self.force_rtol), end

    def _require(self, spec: ManagerSpec, cmd: type[Command], flag: str) -> None:
        assert self._handles(spec, cmd), (
            f"{flag} = True (the default) but the magnet manager does not handle "
            f"{cmd.__name__}: handle it, or set {flag} = False in the test class")

    def test_rotation(self, magnet_manager: ManagerSpec, magnet: ManagerHarness) -> None:
        """RotateMagnet reaches the turns and GetMagnet reports them (``rotates``)."""
        self._require(magnet_manager, RotateMagnet, "rotates")
        magnet.call(RotateMagnet(turns=2.0))
        end = settle(magnet.call, GetMagnet(), self.settle_timeout_s)
        assert math.isclose(end["turns"], 2.0, abs_tol=0.01), end

    def test_force_ramp(self, magnet_manager: ManagerSpec, magnet: ManagerHarness) -> None:
        """A force ramp is planned (duration = span / rate) and ends (``runs_ramps``)."""
        self._require(magnet_manager, RampForce, "runs_ramps")
        magnet.call(SetForce(force_pn=self.force_pn))
        start = settle(magnet.call, GetMagnet(), self.settle_timeout_s)["force_pn"]
        stop = start * 1.1
        plan = magnet.call(RampForce(stop_pn=stop, rate_pn_s=abs(stop - start) / 0.2))
        assert {"duration_s", "start_pn", "stop_pn"} <= set(plan), plan
        assert math.isclose(plan["duration_s"], 0.2, rel_tol=0.05), plan
        deadline = time.monotonic() + self.settle_timeout_s
        while (state := magnet.call(GetMagnet())).get("ramping") or state["moving"]:
            assert time.monotonic() < deadline, f"the ramp did not end: {state}"
            time.sleep(0.02)
        assert math.isclose(state["force_pn"], stop, rel_tol=self.force_rtol), state

    def test_runs_in_a_session(self, magnet_manager: ManagerSpec,
                               magscope_hub: HubFactory) -> None:
        """In a spawned process under a real hub, GetMagnet answers."""
        hub = magscope_hub.start([ManagerEntry(magnet_manager, "under-test", "under-test")],
                                 [(c, "under-test", "under-test") for c in self.commands])
        state = hub.call(GetMagnet())
        assert all(k in state for k in MAGNET_KEYS), state
        assert not hub.errors, [str(e.error) for e in hub.errors]
