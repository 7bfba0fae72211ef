"""Fuzzing what comes from outside: commands, settings files and Z-LUT files.

Every input must be either accepted (and then be valid) or refused with the project's own
documented error type and a message naming what was wrong (the command's field, the
settings key or file line, the Z-LUT file): never another exception type, never a crash.
Example counts are kept moderate so the file runs in seconds.
"""

from __future__ import annotations

import math
import pickle
import typing
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from magscope_core import Command, CommandValidationError
from magscope_core._commands import MAX_COMMAND_BYTES, validate_command
from magscope_core._core_plugin import CORE_COMMANDS

COMMAND_FUZZ = settings(max_examples=15, deadline=None, database=None,
                        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FUZZ = settings(max_examples=60, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])

# ---------------------------------------------------------------------------------------
# commands


def _all_command_classes() -> list[type[Command]]:
    specs = list(CORE_COMMANDS)
    try:
        from magscope_sim._managers import SIM_COMMANDS
        specs += SIM_COMMANDS
    except ImportError:
        pass
    return sorted({s.command for s in specs}, key=lambda c: c.__name__)


ANYTHING = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
    | st.text(max_size=40) | st.binary(max_size=40)
    | st.integers(MAX_COMMAND_BYTES + 1, MAX_COMMAND_BYTES + 9).map(lambda n: "x" * n),
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
    | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8,
)


def _field_values(cls: type[Command]) -> st.SearchStrategy[dict[str, Any]]:
    """Keyword arguments for every field: often of the annotated type, often not."""
    import attrs

    hints = typing.get_type_hints(cls)
    fields = {}
    for f in attrs.fields(cls):
        tp = hints.get(f.name, Any)
        # records such as CameraInfo validate themselves: only fuzz what wraps them
        typed = ANYTHING if tp is Any or attrs.has(tp) else st.from_type(tp)
        fields[f.name] = st.one_of(typed, ANYTHING)
    return st.fixed_dictionaries(fields)


@pytest.mark.parametrize("cls", _all_command_classes(), ids=lambda c: c.__name__)
@COMMAND_FUZZ
@given(data=st.data())
def test_fuzzed_command_fields_are_accepted_or_refused_naming_the_field(cls, data) -> None:
    kwargs = data.draw(_field_values(cls))
    try:
        cmd = cls(**kwargs)
    except CommandValidationError as exc:
        event("command refused")
        message = str(exc)
        named = [name for name in kwargs if message.startswith(f"{cls.__name__}.{name}:")]
        assert named, f"message names no field: {message[:300]}"
        assert len(message) < 2000, "the message must stay one readable line"
        return
    event("command accepted")
    validate_command(cmd)  # what a receiver does
    copy = pickle.loads(pickle.dumps(cmd))  # what the pipe does
    validate_command(copy)


# ---------------------------------------------------------------------------------------
# settings files


@pytest.fixture(scope="module")
def schemas() -> dict[str, type]:
    from magscope_core.cli._common import load_plugin_set

    plugins = load_plugin_set(None)
    return {ns: c.spec.schema for ns, c in plugins.settings.items()}


def _toml_value() -> st.SearchStrategy[Any]:
    scalar = (st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
              | st.floats(allow_nan=True) | st.text(max_size=20)
              | st.sampled_from(["INFO", "debug", "track", "off", "auto", "1e3", "-0", ""]))
    return st.recursive(scalar, lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(st.text(min_size=1, max_size=6), inner, max_size=3),
                        max_leaves=5)


@st.composite
def _settings_document(draw, schemas: dict[str, type]) -> bytes:
    import tomli_w

    from magscope_core._settings._schema import setting_infos

    kind = draw(st.sampled_from(["structured", "structured", "text", "bytes"]))
    if kind == "text":
        return draw(st.text(max_size=200)).encode("utf-8", "surrogatepass")
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    doc: dict[str, Any] = {}
    names = sorted(schemas)
    for ns in draw(st.lists(st.sampled_from(names) | st.text(min_size=1, max_size=8),
                            max_size=4)):
        keys = list(setting_infos(schemas[ns])) if ns in schemas else []
        key = st.sampled_from(keys) | st.text(min_size=1, max_size=8) if keys else \
            st.text(min_size=1, max_size=8)
        doc[ns] = draw(st.dictionaries(key, _toml_value(), max_size=5))
    if draw(st.booleans()):
        doc[draw(st.text(min_size=1, max_size=6))] = draw(_toml_value())  # a stray key
    try:
        text = tomli_w.dumps(doc)
    except (TypeError, ValueError):
        text = repr(doc)
    if draw(st.booleans()):  # damage a line
        lines = text.splitlines() or [""]
        i = draw(st.integers(0, len(lines) - 1))
        lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))] + draw(st.text(max_size=5))
        text = "\n".join(lines)
    return text.encode("utf-8", "surrogatepass")


@FUZZ
@given(data=st.data())
def test_fuzzed_settings_files_load_with_problems_that_name_the_key(
        data, schemas, tmp_path_factory) -> None:
    from magscope_core import SettingsProblem, SettingsStore
    from magscope_core._settings._schema import check_value, setting_infos

    path = tmp_path_factory.mktemp("settings") / "settings.toml"
    path.write_bytes(data.draw(_settings_document(schemas)))
    store = SettingsStore(schemas, path)
    problems = store.load()  # never raises: every problem falls back to defaults
    event(f"{len(problems) > 0} problems")
    for p in problems:
        assert isinstance(p, SettingsProblem) and p.message
        if p.key:
            assert p.key in p.message or repr(p.key) in p.message, str(p)
        elif p.namespace:
            assert p.namespace in p.message, str(p)
        elif p.line is not None:
            assert f"line {p.line}" in p.message or f":{p.line}:" in str(p), str(p)
    for ns, schema in schemas.items():  # whatever was read, the values in use are valid
        current = store.get(ns)
        for key, info in setting_infos(schema).items():
            value = getattr(current, key)
            assert check_value(info, value, where=f"{ns}.{key}", coerce=False) == value or (
                isinstance(value, float) and math.isnan(value))


# ---------------------------------------------------------------------------------------
# Z-LUT files


@st.composite
def _zlut_text(draw) -> bytes:
    planes = draw(st.integers(0, 7))
    bins = draw(st.integers(0, 4))
    step = draw(st.sampled_from([100.0, -50.0, 0.0, 1e-300, 1e300]))
    rows = [[step * i for i in range(planes)]]
    rows += [[1.0 + b + 0.25 * i for i in range(planes)] for b in range(bins)]
    cells = [[repr(v) for v in row] for row in rows]
    junk = st.sampled_from(["nan", "inf", "-inf", "abc", "1e999", "0x10", "", ",", "#", "1,5",
                            "\x00", "é"])
    for _ in range(draw(st.integers(0, 3))):  # damage some cells
        if any(cells):
            r = draw(st.integers(0, len(cells) - 1))
            if cells[r]:
                c = draw(st.integers(0, len(cells[r]) - 1))
                cells[r][c] = draw(junk | st.floats(allow_nan=True).map(repr))
    if draw(st.booleans()) and any(cells):  # a ragged row
        r = draw(st.integers(0, len(cells) - 1))
        cells[r] = cells[r][:-1] if draw(st.booleans()) else [*cells[r], "1.0"]
    lines = [" ".join(row) for row in cells]
    header = draw(st.lists(st.sampled_from([
        "# magscope-tracker Z-LUT, format 1.", "# metadata: {}", "# metadata: {not json",
        '# metadata: {"roi_shape": [64, 64], "n_bins": 3}', "# metadata: []",
        '# metadata: {"nm_per_px": "x"}', "# just a comment", "", "   "]), max_size=3))
    text = "\n".join([*header, *lines]) + draw(st.sampled_from(["\n", "", "\n\n", "\r\n"]))
    data = text.encode("utf-8")
    if draw(st.integers(0, 9)) == 0:
        data = draw(st.binary(max_size=100))
    return data


@FUZZ
@given(data=st.data())
def test_fuzzed_zlut_files_load_or_raise_zluterror_naming_the_file(
        data, tmp_path_factory) -> None:
    tracker_pkg = pytest.importorskip("magscope_tracker")
    from magscope_tracker.plugin import create

    path = tmp_path_factory.mktemp("zlut") / "lut.txt"
    path.write_bytes(data.draw(_zlut_text()))
    for load in (lambda: tracker_pkg.ZLut.load(path),
                 lambda: create().load_zlut(str(path), (64, 64))):
        try:
            lut = load()
        except tracker_pkg.ZLutError as exc:
            event("Z-LUT refused")
            assert str(exc).startswith(f"Z-LUT file {str(path)!r}"), str(exc)
            assert len(str(exc).splitlines()) == 1, str(exc)
            continue
        event("Z-LUT accepted")
        assert lut.n_planes >= 3 and math.isfinite(float(lut.z_nm.sum()))


def test_command_size_limit_counts_nested_and_cyclic_data() -> None:
    import attrs

    @attrs.frozen
    class Carry(Command):
        payload: Any

    nested: list[Any] = []
    deep = nested
    for _ in range(10_000):  # deeper than the recursion limit
        deep.append([])
        deep = deep[0]
    Carry(payload=nested)
    cyclic: list[Any] = ["a"]
    cyclic.append(cyclic)
    Carry(payload=cyclic)
    with pytest.raises(CommandValidationError, match=r"Carry\.payload: more than"):
        Carry(payload=[b"x" * 1024] * (MAX_COMMAND_BYTES // 1024 + 1))
    with pytest.raises(CommandValidationError, match=r"Carry\.payload: more than"):
        Carry(payload={"k": ("x" * MAX_COMMAND_BYTES,)})
