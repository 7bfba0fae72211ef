"""Load a protocol file: run it in a small namespace and collect its steps.

A protocol is a Python file. It sees every *scriptable* command by name (the core's and
every plugin's; calling one makes a step), the wait helpers, unit helpers and ``np``
(numpy) and ``math``, and it defines either ``steps`` (a list, nested lists allowed) or a
function ``protocol()`` that returns one::

    \"\"\"Force-extension curve.\"\"\"
    steps = []
    for f in np.geomspace(0.1, 10, 7) * pN:
        steps += [SetForce(force_pn=f), wait_motor("magnet"), sleep(30 * s)]

Every problem (syntax, an unknown or non-scriptable command, a wrong field, a bad wait)
raises one :class:`ProtocolError` whose message names the file and the line.
"""

from __future__ import annotations

import ast
import builtins
import math
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import CodeType, FrameType, TracebackType
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from magscope_core._commands import Command, CommandSpec
from magscope_core._motion import MotionModel
from magscope_core._protocol_steps import (
    CommandStep,
    PlanState,
    Sleep,
    Step,
    WaitAcquisition,
    WaitMotor,
    WaitTracks,
    WaitZLutSweep,
)

if TYPE_CHECKING:
    from magscope_core._registry import CommandRegistry

__all__ = ["UNITS", "PlanRow", "Protocol", "ProtocolError", "load_protocol", "parse_protocol"]

UNITS: dict[str, float] = {
    "pN": 1.0, "fN": 1e-3,  # forces in pN (force_pn fields)
    "nm": 1.0, "um": 1000.0,  # lengths in nm (z_nm fields, track thresholds)
    "mm": 1.0,  # magnet positions in mm (position_mm fields)
    "s": 1.0, "ms": 1e-3, "minute": 60.0,  # times in s
    "turns": 1.0,
}
"""Unit helpers: multiply a number by one to get the unit the field names (``_pn``,
``_nm``, ``_mm``, ``_s``)."""

_SAFE_BUILTINS = (
    "abs", "all", "any", "bool", "dict", "enumerate", "float", "int", "len", "list", "max",
    "min", "print", "range", "reversed", "round", "sorted", "str", "sum", "tuple", "zip",
    "True", "False", "None", "ValueError", "Exception", "isinstance",
)
_IMPORTABLE = ("math", "numpy")


class ProtocolError(ValueError):
    """A protocol cannot be loaded; ``str()`` is one line naming the file and the line."""

    def __init__(self, path: str | Path, line: int, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


@attrs.frozen
class PlanRow:
    """One step of a plan: number (1-based), line, text, duration and start (s)."""

    number: int
    line: int
    text: str
    duration_s: float | None
    start_s: float


@attrs.frozen
class Protocol:
    """A loaded protocol: its file, text, title and steps."""

    path: Path
    text: str
    title: str
    steps: tuple[Step, ...]

    @property
    def name(self) -> str:
        """The file's name."""
        return self.path.name

    def plan(self, motion: Mapping[str, MotionModel] | None = None) -> list[PlanRow]:
        """Every step with its expected duration and start (unknown durations count 0).

        ``motion``: the motors' models (:func:`~magscope_core.motion_models`); with them
        motor moves and waits for them are timed, without them those waits are unknown.
        """
        state = PlanState(motion=dict(motion or {}))
        rows: list[PlanRow] = []
        t = 0.0
        for i, step in enumerate(self.steps, 1):
            state.t = t
            d = step.estimate_s(state)
            rows.append(PlanRow(i, step.line, step.describe(), d, t))
            t += d or 0.0
        return rows

    def uses(self, *types: type[Command]) -> bool:
        """Whether a step sends a command of one of ``types`` (e.g. a lock command)."""
        return any(isinstance(step, CommandStep) and isinstance(step.command, types)
                   for step in self.steps)

    def duration_s(self, motion: Mapping[str, MotionModel] | None = None
                   ) -> tuple[float, bool]:
        """``(seconds, exact)``: the planned duration; not exact when a step's is unknown."""
        rows = self.plan(motion)
        return (sum(r.duration_s or 0.0 for r in rows),
                all(r.duration_s is not None for r in rows))


def _caller_line(filename: str) -> int:
    frame: FrameType | None = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename == filename:
            return frame.f_lineno
        frame = frame.f_back
    return 0


def _plain(value: Any) -> Any:
    """Convert numpy scalars to Python numbers (command fields are plain data)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    return value


def _namespace(filename: str, commands: Iterable[CommandSpec]) -> dict[str, Any]:
    def where() -> int:
        return _caller_line(filename)

    def command_factory(spec: CommandSpec) -> Callable[..., Step]:
        def make(*args: Any, **kwargs: Any) -> Step:
            line = where()
            if not spec.scriptable:
                raise ProtocolError(filename, line, f"{spec.name} is not scriptable (its "
                                    "plugin does not allow scripts to send it)")
            try:
                cmd = spec.command(*_plain(args), **{k: _plain(v) for k, v in kwargs.items()})
            except Exception as exc:  # a wrong field: one line with the line number
                raise ProtocolError(filename, line, f"{spec.name}: {exc}") from exc
            return CommandStep(cmd, line=line)

        make.__name__ = spec.name
        return make

    def helper(cls: type[Step], label: str) -> Callable[..., Step]:
        def make(*args: Any, **kwargs: Any) -> Step:
            line = where()
            if "timeout" in kwargs:
                kwargs["timeout_s"] = kwargs.pop("timeout")
            try:
                return cls(*_plain(args), line=line, **{k: _plain(v) for k, v in kwargs.items()})
            except Exception as exc:
                raise ProtocolError(filename, line, f"{label}: {exc}") from exc

        make.__name__ = label
        return make

    def guarded_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.split(".")[0] not in _IMPORTABLE:
            raise ProtocolError(filename, where(), f"import {name}: a protocol may import only "
                                f"{', '.join(_IMPORTABLE)}")
        return builtins.__import__(name, *args, **kwargs)

    safe = {k: getattr(builtins, k) for k in _SAFE_BUILTINS}
    safe["__import__"] = guarded_import
    ns: dict[str, Any] = {"__builtins__": safe, "__name__": "magscope_protocol",
                          "np": np, "numpy": np, "math": math, **UNITS}
    for spec in commands:
        ns[spec.name] = command_factory(spec)
    ns.update(
        sleep=helper(Sleep, "sleep"),
        wait_motor=helper(WaitMotor, "wait_motor"),
        wait_acquisition=helper(WaitAcquisition, "wait_acquisition"),
        wait_zlut_sweep=helper(WaitZLutSweep, "wait_zlut_sweep"),
        wait_tracks=helper(WaitTracks, "wait_tracks"),
    )
    return ns


def _error_line(tb: TracebackType | None, filename: str) -> int:
    line = 0
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _flatten(items: Any, filename: str, out: list[Step]) -> None:
    if isinstance(items, Step):
        out.append(items)
    elif isinstance(items, (list, tuple)):
        for item in items:
            _flatten(item, filename, out)
    elif isinstance(items, Command):
        out.append(CommandStep(items))
    else:
        raise ProtocolError(filename, 0, f"steps hold a {type(items).__name__} ({items!r:.60}); "
                            "expected commands, waits and sleeps (lists of them allowed)")


def parse_protocol(text: str, path: str | Path,
                   commands: Iterable[CommandSpec] | CommandRegistry) -> Protocol:
    """Build a :class:`Protocol` from its text, named ``path`` (see :func:`load_protocol`)."""
    filename = str(path)
    try:
        tree = ast.parse(text, filename)
        code: CodeType = compile(tree, filename, "exec")
    except SyntaxError as exc:
        raise ProtocolError(filename, exc.lineno or 0, f"syntax error: {exc.msg}") from exc
    ns = _namespace(filename, _specs(commands))
    try:
        exec(code, ns)  # the user's own protocol, in a namespace of helpers
        fn = ns.get("protocol")
        raw = fn() if callable(fn) else ns.get("steps")
    except ProtocolError:
        raise
    except NameError as exc:
        raise ProtocolError(filename, _error_line(exc.__traceback__, filename),
                            f"{exc} (commands: only scriptable ones; helpers: sleep, "
                            "wait_motor, wait_acquisition, wait_zlut_sweep, wait_tracks; "
                            f"units: {', '.join(UNITS)})") from exc
    except Exception as exc:
        raise ProtocolError(filename, _error_line(exc.__traceback__, filename),
                            f"{type(exc).__name__}: {exc}") from exc
    if raw is None:
        raise ProtocolError(filename, 0, "defines no steps: set `steps = [...]` or define "
                            "`def protocol(): return [...]`")
    steps: list[Step] = []
    _flatten(raw, filename, steps)
    if not steps:
        raise ProtocolError(filename, 0, "has no steps")
    doc = ast.get_docstring(tree) or ""
    title = doc.strip().splitlines()[0] if doc.strip() else Path(filename).stem
    return Protocol(Path(filename), text, title, tuple(steps))


def load_protocol(path: str | Path, commands: Iterable[CommandSpec] | CommandRegistry
                  ) -> Protocol:
    """Read and check a protocol file.

    Parameters
    ----------
    path
        The ``.py`` file.
    commands
        The session's command specs (scriptable ones become step factories), or a
        :class:`~magscope_core.CommandRegistry`.

    Raises
    ------
    ProtocolError
        One line naming the file, the line and the problem.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProtocolError(p, 0, f"cannot read it: {exc}") from exc
    return parse_protocol(text, p, commands)


def _specs(commands: Iterable[CommandSpec] | CommandRegistry) -> list[CommandSpec]:
    from magscope_core._registry import CommandRegistry

    if isinstance(commands, CommandRegistry):
        return [entry.spec for entry in commands.commands()]
    return list(commands)
