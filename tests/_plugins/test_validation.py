"""Hook validation: at registration (names, signatures, wrappers) and of what hooks return."""

from __future__ import annotations

import types
from collections.abc import Iterator

import attrs
import pytest

from magscope_core._hookspecs import hookimpl
from magscope_core._plugins import PluginManager
from magscope_core._specs import CameraSpec, ManagerSpec
from magscope_core.testing import make_plugin, noop_factory
from magscope_core.testing import stub_camera_spec as cam

# -- what hooks return --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("returned", "expected"),
    [
        (None, "returned None; expected a list of CameraSpec (return [] to contribute nothing)"),
        (cam("solo"), "returned a single CameraSpec; expected a list of them (return [spec])"),
        ({"sim": "x"}, "returned dict; expected a list or tuple of CameraSpec"),
        ("sim", "returned str; expected a list or tuple of CameraSpec"),
        ((n for n in range(0)), "returned generator; expected a list or tuple of CameraSpec"),
        (
            [cam("ok"), ManagerSpec(name="m", factory=noop_factory)],
            "returned item 1 of type ManagerSpec: ManagerSpec(name='m'",
        ),
        (
            [CameraSpec],
            "returned item 0, the class magscope_core._specs.CameraSpec; expected a "
            "CameraSpec record (hooks return records, not classes)",
        ),
    ],
    ids=["none", "single", "dict", "str", "generator", "wrong-item", "class-not-record"],
)
def test_wrong_return_types_fail_the_plugin(returned: object, expected: str) -> None:
    pm = PluginManager()
    pm.register(make_plugin(magscope_cameras=lambda: returned), "shady", "shady-dist", "1.2")
    result = pm.collect()
    record = result.plugin("shady")
    assert record.status == "failed"
    assert record.error is not None
    assert record.error.startswith("plugin 'shady' (shady-dist 1.2): hook magscope_cameras ")
    assert expected in record.error
    assert record.error.endswith("(hook signature: def magscope_cameras() -> Sequence[CameraSpec])")
    assert result.cameras == {}


def test_a_lookalike_record_class_is_named() -> None:
    @attrs.frozen
    class CameraSpec:  # a vendored copy, not magscope_core's
        name: str

    pm = PluginManager()
    pm.register(make_plugin(magscope_cameras=lambda: [CameraSpec("sim")]), "copycat")
    error = pm.collect().plugin("copycat").error
    assert error is not None
    assert f"(a CameraSpec from {__name__}; import it from magscope_core)" in error


def test_tuples_are_accepted() -> None:
    pm = PluginManager()
    pm.register(make_plugin(magscope_cameras=lambda: (cam("a"), cam("b"))), "tup")
    assert list(pm.collect().cameras) == ["a", "b"]


# -- hook validation at registration ------------------------------------------------------


def test_unknown_hook_is_rejected_with_a_suggestion() -> None:
    pm = PluginManager()
    assert not pm.register(make_plugin(magscope_camera=lambda: []), "typo", "typo-dist", "1")
    record = pm.collect().plugin("typo")
    assert record.status == "failed"
    assert record.error is not None
    assert record.error.startswith(
        "plugin 'typo' (typo-dist 1): unknown hook 'magscope_camera' "
        "(did you mean 'magscope_cameras'?); expected one of magscope_cameras, "
    )


def test_hook_with_arguments_is_rejected() -> None:
    pm = PluginManager()
    plugin = make_plugin(magscope_cameras=lambda config: [])
    assert not pm.register(plugin, "args", "args-dist", "1")
    assert pm.collect().plugin("args").error == (
        "plugin 'args' (args-dist 1): hook magscope_cameras takes argument(s) config; "
        "magscope hooks take none, expected def magscope_cameras() -> Sequence[CameraSpec]"
    )


def test_optional_unknown_hook_is_ignored_with_a_note() -> None:
    class FromTheFuture:
        @hookimpl(optionalhook=True)
        def magscope_teleporters(self) -> list[object]:
            return []

        @hookimpl
        def magscope_cameras(self) -> list[CameraSpec]:
            return [cam("sim")]

    pm = PluginManager()
    assert pm.register(FromTheFuture(), "future")
    result = pm.collect()
    assert list(result.cameras) == ["sim"]
    assert result.plugin("future").notes == (
        "implements the optional hook magscope_teleporters, which this magscope-core does "
        "not have; it is ignored",
    )


def test_a_class_instead_of_an_instance_is_explained() -> None:
    class Acme:
        @hookimpl
        def magscope_cameras(self) -> list[CameraSpec]:
            return []

    pm = PluginManager()
    assert not pm.register(Acme, "acme", "acme-dist", "1")
    assert (pm.collect().plugin("acme").error or "").endswith(
        "magscope hooks take none, expected def magscope_cameras() -> Sequence[CameraSpec] "
        "(the plugin is a class; register an instance, or a module)"
    )


def test_wrapper_hook_is_rejected() -> None:
    class Wrapper:
        @hookimpl(wrapper=True)
        def magscope_cameras(self) -> Iterator[None]:
            yield

    pm = PluginManager()
    assert not pm.register(Wrapper(), "wrap")
    assert "is declared as a wrapper" in (pm.collect().plugin("wrap").error or "")


def test_undecorated_hook_function_gets_a_note() -> None:
    plugin = types.SimpleNamespace(magscope_cameras=lambda: [cam("sim")])
    pm = PluginManager()
    assert pm.register(plugin, "plain")
    record = pm.collect().plugin("plain")
    assert record.status == "loaded"
    assert record.notes == (
        "magscope_cameras() is not decorated with @hookimpl "
        "(from magscope_core import hookimpl), so it is ignored",
        "implements no magscope hook (does the entry point name the module holding "
        "the @hookimpl functions?)",
    )


def test_class_based_plugin_with_methods() -> None:
    class Acme:
        def __init__(self) -> None:
            self.name = "acme-cam"

        @hookimpl
        def magscope_cameras(self) -> list[CameraSpec]:
            return [cam(self.name)]

    pm = PluginManager()
    pm.register(Acme(), "acme")
    assert list(pm.collect().cameras) == ["acme-cam"]
