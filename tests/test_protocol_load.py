"""Loading protocols: steps, lines, plans, and one-line errors naming the file and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import attrs
import pytest

from magscope_core import (
    CORE_COMMANDS,
    Command,
    CommandSpec,
    CommandStep,
    MoveFocus,
    ProtocolError,
    RampForce,
    Route,
    SetForce,
    Sleep,
    WaitMotor,
    WaitTracks,
    load_protocol,
)


@attrs.frozen
class ShineLaser(Command):
    """A third-party plugin's scriptable command."""

    power_mw: float


@attrs.frozen
class SecretReset(Command):
    """A third-party command that scripts may not send."""


PLUGIN_COMMANDS = (
    CommandSpec(ShineLaser, Route.DIRECT, True, "laser power"),
    CommandSpec(SecretReset, Route.DIRECT, False, "not for scripts"),
)
COMMANDS = (*CORE_COMMANDS, *PLUGIN_COMMANDS)


def write(tmp_path: Path, text: str, name: str = "proto.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def error_of(path: Path) -> ProtocolError:
    with pytest.raises(ProtocolError) as info:
        load_protocol(path, COMMANDS)
    assert "\n" not in str(info.value)
    return info.value


def test_loops_units_and_numpy_make_steps_with_their_lines(tmp_path: Path) -> None:
    path = write(tmp_path, '''
        """Steps up."""
        steps = [MoveFocus(z_nm=1.5 * um)]
        for f in np.geomspace(0.1, 10, 3) * pN:
            steps += [SetForce(force_pn=f), wait_motor("magnet"), sleep(2 * s)]
        steps.append(ShineLaser(power_mw=np.float32(2.5)))
    ''')
    p = load_protocol(path, COMMANDS)
    assert p.title == "Steps up." and p.text == path.read_text() and p.name == "proto.py"
    assert len(p.steps) == 11
    first = p.steps[0]
    assert isinstance(first, CommandStep) and first.command == MoveFocus(z_nm=1500.0)
    assert first.line == 2
    forces = [s.command.force_pn for s in p.steps if isinstance(s, CommandStep)
              and isinstance(s.command, SetForce)]
    assert forces == pytest.approx([0.1, 1.0, 10.0])
    assert all(type(f) is float for f in forces)  # numpy scalars became plain floats
    assert [s.line for s in p.steps[1:10]] == [4] * 9
    assert isinstance(p.steps[2], WaitMotor) and p.steps[2].axis == "magnet"
    assert isinstance(p.steps[3], Sleep) and p.steps[3].seconds == 2.0
    last = p.steps[-1]
    assert isinstance(last, CommandStep) and last.command == ShineLaser(power_mw=2.5)
    assert last.line == 5


def test_a_protocol_function_and_nested_lists(tmp_path: Path) -> None:
    path = write(tmp_path, '''
        def protocol():
            return [[SetForce(force_pn=1.0), sleep(1)], [[sleep(2)]]]
    ''')
    p = load_protocol(path, COMMANDS)
    assert [type(s) for s in p.steps] == [CommandStep, Sleep, Sleep]


def test_plan_durations_follow_sleeps_and_ramps(tmp_path: Path) -> None:
    path = write(tmp_path, '''
        steps = [
            RampForce(stop_pn=5, rate_pn_s=2),         # start unknown: no estimate
            sleep(3),
            SetForce(force_pn=1),
            RampForce(stop_pn=9, rate_pn_s=2),         # 1 -> 9 pN at 2 pN/s: 4 s
            RampForce(stop_pn=1, rate_pn_s=4, scale="log"),  # 9 -> 1 at 4: 2 s
            RampMagnet(stop_mm=5, speed_mm_s=0.5, start_mm=2),  # 6 s
            wait_tracks(bead=3, above=500, timeout=10),
        ]
    ''')
    p = load_protocol(path, COMMANDS)
    plan = p.plan()
    assert [r.duration_s for r in plan] == [None, 3.0, 0.0, 4.0, 2.0, 6.0, None]
    assert [r.start_s for r in plan] == [0.0, 0.0, 3.0, 3.0, 7.0, 9.0, 15.0]
    assert p.duration_s() == (15.0, False)
    assert isinstance(p.steps[-1], WaitTracks) and p.steps[-1].timeout_s == 10.0
    assert isinstance(p.steps[0], CommandStep) and p.steps[0].command == RampForce(5.0, 2.0)


@pytest.mark.parametrize(("text", "line", "words"), [
    ("steps = [\n  SetForce(force_pn=1),\n  MoveFocus(z_nm='up'),\n]\n", 3,
     ["MoveFocus.z_nm", "expected float", "'up'"]),
    ("steps = [SecretReset()]\n", 1, ["SecretReset is not scriptable"]),
    ("steps = [StartCapture(bead_id=1, n_frames=2)]\n", 1, ["StartCapture is not scriptable"]),
    ("x = 1\nsteps = [SetFroce(force_pn=1)]\n", 2, ["SetFroce", "not defined"]),
    ("steps = [sleep(-1)]\n", 1, ["sleep", ">= 0"]),
    ("steps = [wait_motor('stage')]\n", 1, ["wait_motor", "'stage'"]),
    ("steps = [wait_tracks(bead=1)]\n", 1, ["wait_tracks", "above=", "below="]),
    ("steps = [RampForce(stop_pn=5, rate_pn_s=0)]\n", 1, ["RampForce.rate_pn_s", "> 0"]),
    ("steps = [RampForce(stop_pn=5, rate_pn_s=1, scale='cubic')]\n", 1, ["scale"]),
    ("import os\nsteps = []\n", 1, ["import os", "only math, numpy"]),
    ("steps = [\n  sleep(1)\n", 1, ["syntax error"]),
    ("a = 1\nb = 1 / 0\n", 2, ["ZeroDivisionError"]),
    ("x = open('f')\n", 1, ["open", "not defined"]),
    ("x = 1\n", 0, ["defines no steps"]),
    ("steps = []\n", 0, ["has no steps"]),
    ("steps = [sleep(1), 3.0]\n", 0, ["float", "expected commands"]),
])
def test_errors_name_the_file_and_the_line(tmp_path: Path, text: str, line: int,
                                           words: list[str]) -> None:
    path = tmp_path / "bad.py"
    path.write_text(text)
    exc = error_of(path)
    assert exc.line == line, str(exc)
    assert str(exc).startswith(f"{path}:{line}: " if line else f"{path}: ")
    for w in words:
        assert w in str(exc), (w, str(exc))


def test_an_unreadable_file_is_one_line(tmp_path: Path) -> None:
    exc = error_of(tmp_path / "missing.py")
    assert "cannot read it" in str(exc)


def test_only_the_given_commands_exist(tmp_path: Path) -> None:
    """A command of a plugin that is not installed is an unknown name."""
    path = write(tmp_path, "steps = [ShineLaser(power_mw=1.0)]\n")
    with pytest.raises(ProtocolError, match="ShineLaser"):
        load_protocol(path, CORE_COMMANDS)
    assert load_protocol(path, COMMANDS).steps[0].line == 1


def test_plan_times_motor_moves_with_the_motors_models(tmp_path: Path) -> None:
    """Moves last distance / speed from their command; a wait lasts what is left of it."""
    from magscope_core import MotionModel

    motion = {"magnet": MotionModel("magnet", 2.0, 10.0, position_for_force=lambda f: 20 - f),
              "focus": MotionModel("focus", 1000.0, 0.0),
              "rotation": MotionModel("rotation", 5.0, 0.0)}
    path = write(tmp_path, '''
        steps = [
            SetForce(force_pn=4),          # magnet 10 -> 16 mm at 2 mm/s: arrives at 3 s
            sleep(1),
            wait_motor("magnet"),          # 2 s left
            MoveFocus(z_nm=-500),          # 0.5 s
            wait_motor("focus"),
            RampForce(stop_pn=2, rate_pn_s=1, start_pn=6),  # 16 -> 14 mm: 1 s, ramp 4 s
            wait_motor("magnet"),          # the ramp ended there
            RotateMagnet(turns=10),        # 10 turns at 5 turns/s
            wait_motor("magnet"),
            RampMagnet(stop_mm=20, speed_mm_s=1),  # from 18 mm (2 pN): 2 s
        ]
    ''')
    p = load_protocol(path, COMMANDS)
    assert [r.duration_s for r in p.plan(motion)] == [0, 1, 2, 0, 0.5, 5, 0, 0, 2, 2]
    assert p.duration_s(motion) == (12.5, True)
    # without models the waits are unknown (the plan says "at least")
    assert [r.duration_s for r in p.plan()] == [0, 1, None, 0, None, 4, None, 0, None, None]
