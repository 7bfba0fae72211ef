"""Commands: frozen attrs records with typed, validated fields, and their routes.

A command is a small immutable message such as ``MoveFocus(z_nm=1500.0)``. Its *route*
(one owner, broadcast to every subscriber, or the hub) is declared once, in the
:class:`CommandSpec` a plugin returns from its ``magscope_commands`` hook; the class itself
stays plain data.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal, Union, cast

import attrs

__all__ = [
    "MAX_COMMAND_BYTES",
    "Command",
    "CommandSpec",
    "CommandValidationError",
    "Route",
    "validate_command",
]

MAX_COMMAND_BYTES = 1 << 20
"""Most data (bytes, about) one command field may carry: commands are small messages,
bulk data (frames, arrays) goes through shared memory. A larger field would stall the
pipe and the receiver's loop (its heartbeat), so it is refused when the command is built
and again when it is received."""


class Route(enum.Enum):
    """Where a command goes."""

    DIRECT = "direct"
    """To the single manager that handles it (its owner)."""
    BROADCAST = "broadcast"
    """To every running manager that subscribes to it (has a handler)."""
    HUB = "hub"
    """To the hub in the main process."""


class CommandValidationError(TypeError):
    """A command field has the wrong type or value.

    The message names the command, the field, the expected type and the value received.
    """


_TYPE_HINT_CACHE: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    hints = _TYPE_HINT_CACHE.get(cls)
    if hints is None:
        try:
            hints = typing.get_type_hints(cls)
        except Exception as exc:  # an annotation that cannot be resolved
            raise CommandValidationError(
                f"{cls.__name__}: cannot resolve field annotations ({exc})"
            ) from exc
        _TYPE_HINT_CACHE[cls] = hints
    return hints


def _type_name(tp: Any) -> str:
    if isinstance(tp, type):
        return tp.__name__
    return str(tp).replace("typing.", "")


def _matches(value: Any, tp: Any) -> bool:
    """Return whether ``value`` is an instance of the annotation ``tp``."""
    if tp is Any or tp is object:
        return True
    if tp is None or tp is type(None):
        return value is None
    if tp is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    origin = typing.get_origin(tp)
    if origin is None:
        return isinstance(value, tp) if isinstance(tp, type) else True
    args = typing.get_args(tp)
    if origin is Union or origin is types.UnionType:
        return any(_matches(value, a) for a in args)
    if origin is Literal:
        return value in args
    if origin is tuple:
        if not isinstance(value, tuple):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_matches(v, args[0]) for v in value)
        pairs = zip(value, args, strict=False)
        return len(args) == len(value) and all(_matches(v, a) for v, a in pairs)
    if origin in (list, Sequence):
        return isinstance(value, (list, tuple)) and all(
            _matches(v, args[0]) for v in value
        ) if args else isinstance(value, (list, tuple))
    if origin in (dict, Mapping):
        if not isinstance(value, Mapping):
            return False
        if not args:
            return True
        return all(_matches(k, args[0]) and _matches(v, args[1]) for k, v in value.items())
    return isinstance(value, origin) if isinstance(origin, type) else True


def _payload_bytes(value: Any, limit: int) -> int:
    """Approximate bytes ``value`` holds (strings, bytes, arrays, containers).

    Walks containers without recursion (any depth, cycles counted once) and stops as soon
    as the total passes ``limit``.
    """
    total = 0
    stack = [value]
    seen: set[int] = set()
    while stack and total <= limit:
        v = stack.pop()
        if isinstance(v, (str, bytes, bytearray)):
            total += len(v)
        elif isinstance(v, memoryview):
            total += v.nbytes
        elif isinstance(v, (list, tuple, set, frozenset, Mapping)):
            if id(v) in seen:
                continue
            seen.add(id(v))
            total += 8 * len(v)
            if isinstance(v, Mapping):
                stack.extend(v.keys())
                stack.extend(v.values())
            else:
                stack.extend(v)
        elif isinstance(getattr(v, "nbytes", None), int):
            total += int(v.nbytes)  # numpy arrays and the like
        else:
            total += 8
    return total


def validate_command(command: object) -> None:
    """Check every field of ``command`` against its annotation.

    Raises
    ------
    CommandValidationError
        If ``command`` is not a :class:`Command`, a field has the wrong type or carries
        more than :data:`MAX_COMMAND_BYTES`. The message names the command and the field.
    """
    if not isinstance(command, Command) or not attrs.has(type(command)):
        raise CommandValidationError(
            f"not a command: {command!r} (expected an attrs subclass of magscope_core.Command)"
        )
    cls = type(command)
    hints = _hints(cls)
    for field in attrs.fields(cast(Any, cls)):
        value = getattr(command, field.name)
        tp = hints.get(field.name, Any)
        if not _matches(value, tp):
            raise CommandValidationError(
                f"{cls.__name__}.{field.name}: expected {_type_name(tp)}, "
                f"got {type(value).__name__} {value!r:.200}"
            )
        size = _payload_bytes(value, MAX_COMMAND_BYTES)
        if size > MAX_COMMAND_BYTES:
            raise CommandValidationError(
                f"{cls.__name__}.{field.name}: more than {MAX_COMMAND_BYTES} bytes of data "
                f"({type(value).__name__}); a command carries at most {MAX_COMMAND_BYTES} "
                "bytes per field, bulk data goes through shared memory"
            )


class Command:
    """Base class of every command.

    Subclasses are ``@attrs.frozen`` records whose fields carry type annotations; the
    fields are validated when the command is built (and again when it is received)::

        @attrs.frozen
        class MoveFocus(Command):
            z_nm: float

    Keep fields to plain data (numbers, strings, tuples, enums): commands are pickled
    between processes. Never put frames in a command; frames travel through shared memory.
    """

    __slots__ = ()
    command_name: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.command_name = cls.__name__

    def __attrs_post_init__(self) -> None:
        validate_command(self)


def _check_command_type(instance: CommandSpec, attribute: Any, value: Any) -> None:
    if not (isinstance(value, type) and issubclass(value, Command) and attrs.has(value)):
        raise TypeError(
            f"CommandSpec.command must be an attrs subclass of magscope_core.Command, got {value!r}"
        )


@attrs.frozen
class CommandSpec:
    """How a plugin declares a command (returned from the ``magscope_commands`` hook).

    Parameters
    ----------
    command
        The command class (a frozen attrs subclass of :class:`Command`).
    route
        :class:`Route`: one owner, broadcast, or the hub.
    scriptable
        Whether scripts and the CLI may send it.
    description
        One line shown by ``magscope commands``.
    enable_hint
        For a command whose manager a session starts only when asked: how to get it
        (added to the error a session without that manager answers).
    """

    command: type[Command] = attrs.field(validator=_check_command_type)
    route: Route = attrs.field(validator=attrs.validators.instance_of(Route))
    scriptable: bool = False
    description: str = ""
    enable_hint: str = ""

    @property
    def name(self) -> str:
        """The command's name (its class name)."""
        return self.command.__name__
