"""The hook set: one no-argument hook per plugin kind, each documented for plugin authors."""

from __future__ import annotations

import collections.abc
import inspect
import re
import typing

import attrs
import pluggy
import pytest

from magscope_core import _hookspecs
from magscope_core._commands import CommandSpec
from magscope_core._hookspecs import HOOK_KINDS, PROJECT_NAME, HookKind, hookimpl, hookspec
from magscope_core._specs import (
    CameraSpec,
    FrontendSpec,
    HealthCheckSpec,
    ManagerSpec,
    PanelSpec,
    SettingsSpec,
    TrackerSpec,
    WriterSpec,
)

EXPECTED = {
    "magscope_cameras": CameraSpec,
    "magscope_managers": ManagerSpec,
    "magscope_trackers": TrackerSpec,
    "magscope_writers": WriterSpec,
    "magscope_panels": PanelSpec,
    "magscope_commands": CommandSpec,
    "magscope_settings": SettingsSpec,
    "magscope_health_checks": HealthCheckSpec,
    "magscope_frontends": FrontendSpec,
}


def _hookspec_functions() -> dict[str, object]:
    marker = f"{PROJECT_NAME}_spec"
    return {
        name: obj
        for name, obj in vars(_hookspecs).items()
        if inspect.isfunction(obj) and hasattr(obj, marker)
    }


def test_markers_use_the_magscope_project() -> None:
    assert PROJECT_NAME == "magscope"
    assert hookspec.project_name == "magscope"
    assert hookimpl.project_name == "magscope"


def test_the_hook_set_is_exactly_one_hook_per_kind() -> None:
    assert set(_hookspec_functions()) == set(EXPECTED)
    assert {k.hook: k.spec_type for k in HOOK_KINDS} == EXPECTED
    assert len({k.kind for k in HOOK_KINDS}) == len({k.attribute for k in HOOK_KINDS}) == 9


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_hook_takes_nothing_and_returns_a_sequence_of_records(name: str) -> None:
    function = _hookspec_functions()[name]
    assert inspect.signature(function).parameters == {}  # type: ignore[arg-type]
    hints = typing.get_type_hints(function, vars(_hookspecs))
    returned = hints["return"]
    assert typing.get_origin(returned) is collections.abc.Sequence
    assert typing.get_args(returned) == (EXPECTED[name],)
    opts = getattr(function, f"{PROJECT_NAME}_spec")
    assert not opts["firstresult"]
    assert not opts["historic"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_hook_is_documented_for_plugin_authors(name: str) -> None:
    doc = inspect.getdoc(_hookspec_functions()[name])
    assert doc is not None
    record = EXPECTED[name].__name__
    assert "Returns\n-------\n" in doc
    assert f"Sequence[{record}]" in doc
    assert "Examples\n--------\n" in doc
    assert f"def {name}():" in doc


@pytest.mark.parametrize("kind", HOOK_KINDS, ids=[k.hook for k in HOOK_KINDS])
def test_the_key_is_a_record_attribute(kind: HookKind) -> None:
    names = {f.name for f in attrs.fields(kind.spec_type)}
    assert kind.key in names or isinstance(getattr(kind.spec_type, kind.key), property)
    assert kind.signature == f"def {kind.hook}() -> Sequence[{kind.spec_type.__name__}]"


def test_pluggy_accepts_the_specs_and_calls_implementations() -> None:
    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(_hookspecs)

    class Plugin:
        @hookimpl
        def magscope_cameras(self) -> list[CameraSpec]:
            return [CameraSpec(name="sim", factory=dict)]

    pm.register(Plugin())
    pm.check_pending()
    (result,) = pm.hook.magscope_cameras()
    assert [spec.name for spec in result] == ["sim"]


def test_hook_kind_rejects_a_non_record_type() -> None:
    with pytest.raises(
        TypeError, match=re.escape("HookKind.spec_type must be an attrs class, got <class 'dict'>")
    ):
        HookKind("magscope_x", "x", "xs", dict, "name")


def test_panel_spec_requires_names_commands() -> None:
    spec = PanelSpec(id="acme.focus", title="Focus", factory="a.b:C",
                     requires=["MoveFocus", "GetFocus"])
    assert spec.requires == ("MoveFocus", "GetFocus")
    assert PanelSpec(id="x", title="X", factory="a:b").requires == ()
    with pytest.raises(TypeError, match="not the string 'MoveFocus'"):
        PanelSpec(id="x", title="X", factory="a:b", requires="MoveFocus")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        PanelSpec(id="x", title="X", factory="a:b", requires=(1,))  # type: ignore[arg-type]
