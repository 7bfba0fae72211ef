from __future__ import annotations

import enum
import pickle
from typing import Literal

import attrs
import pytest

from magscope_core import Command, CommandSpec, CommandValidationError, Route
from magscope_core._commands import validate_command


class Mode(enum.Enum):
    A = "a"
    B = "b"


@attrs.frozen
class Move(Command):
    z_nm: float
    label: str | None = None
    beads: tuple[int, ...] = ()
    mode: Mode = Mode.A
    kind: Literal["abs", "rel"] = "abs"
    extra: dict[str, float] = attrs.field(factory=dict)


def test_valid_command_builds_and_pickles() -> None:
    cmd = Move(1, "x", (1, 2), Mode.B, "rel", {"a": 1.0})
    assert pickle.loads(pickle.dumps(cmd)) == cmd
    assert Move.command_name == "Move"


@pytest.mark.parametrize(
    ("kwargs", "field", "expected"),
    [
        ({"z_nm": "12"}, "z_nm", "expected float, got str '12'"),
        ({"z_nm": True}, "z_nm", "expected float, got bool"),
        ({"z_nm": 1.0, "label": 5}, "label", "expected str | None"),
        ({"z_nm": 1.0, "beads": (1, "2")}, "beads", "tuple[int, ...]"),
        ({"z_nm": 1.0, "beads": [1, 2]}, "beads", "got list"),
        ({"z_nm": 1.0, "mode": "a"}, "mode", "expected Mode"),
        ({"z_nm": 1.0, "kind": "up"}, "kind", "Literal"),
        ({"z_nm": 1.0, "extra": {"a": "b"}}, "extra", "dict[str, float]"),
    ],
)
def test_wrong_field_type_names_command_and_field(kwargs, field, expected) -> None:
    with pytest.raises(CommandValidationError) as info:
        Move(**kwargs)
    assert f"Move.{field}:" in str(info.value)
    assert expected in str(info.value)


def test_validate_rejects_non_commands() -> None:
    with pytest.raises(CommandValidationError, match=r"not a command"):
        validate_command({"z_nm": 1.0})


def test_validate_catches_tampered_instance() -> None:
    cmd = Move(1.0)
    object.__setattr__(cmd, "z_nm", "oops")  # as an unpickled, hand-made message could be
    with pytest.raises(CommandValidationError, match=r"Move\.z_nm"):
        validate_command(cmd)


def test_command_spec_checks_its_command() -> None:
    spec = CommandSpec(Move, Route.DIRECT, scriptable=True)
    assert spec.name == "Move"

    class NotAttrs(Command):
        pass

    with pytest.raises(TypeError, match=r"attrs subclass"):
        CommandSpec(NotAttrs, Route.DIRECT)
    with pytest.raises(TypeError):
        CommandSpec(Move, "direct")  # type: ignore[arg-type]
