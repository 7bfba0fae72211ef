"""The plugin manager: collection, validation, conflicts, error policy, versions, discovery.

Plugins are registered as objects, or written to ``tmp_path`` as real distributions
(``*.dist-info`` with METADATA and entry_points.txt) read through ``importlib.metadata``.
"""

from __future__ import annotations

import importlib.metadata
import pickle
import sys
import textwrap
import types
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import pytest

from magscope_core._commands import Command, CommandSpec, Route
from magscope_core._hookspecs import hookimpl
from magscope_core._plugins import (
    BUILTIN,
    Contribution,
    PluginError,
    PluginManager,
    check_api_version,
    core_version,
    load_plugins,
)
from magscope_core._specs import (
    CameraSpec,
    HealthCheckSpec,
    HealthResult,
    ManagerSpec,
    PanelSpec,
    SettingsSpec,
    TrackerSpec,
    WriterSpec,
)

# -- helpers ------------------------------------------------------------------------------


def _factory(**options: Any) -> None:
    return None


def _ok() -> HealthResult:
    return HealthResult(ok=True)


@attrs.frozen
class Ping(Command):
    n: int = 0


@attrs.frozen
class Options:
    gain: float = 1.0


def _other_ping() -> type[Command]:
    @attrs.frozen
    class Ping(Command):  # same command name, different class
        n: int = 0

    return Ping


def cam(name: str) -> CameraSpec:
    return CameraSpec(name=name, factory=_factory)


def make_plugin(**hooks: Callable[..., object]) -> object:
    """A plugin object whose attributes are the given hook implementations."""
    return types.SimpleNamespace(**{name: hookimpl(fn) for name, fn in hooks.items()})


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAGSCOPE_STRICT_PLUGINS", raising=False)
    monkeypatch.delenv("MAGSCOPE_DISABLE_PLUGINS", raising=False)


@pytest.fixture
def dists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Any]]:
    """Write a real distribution (package + dist-info) under tmp_path; return it."""
    monkeypatch.syspath_prepend(str(tmp_path))
    written: list[str] = []

    def write(
        dist: str,
        code: str,
        *,
        version: str = "1.0",
        requires: tuple[str, ...] = ("magscope-core>=0.1",),
        entry_point: str | None = None,
    ) -> importlib.metadata.PathDistribution:
        module = f"{dist}_{tmp_path.name}".replace("-", "_").lower()
        (tmp_path / module).mkdir()
        (tmp_path / module / "__init__.py").write_text(textwrap.dedent(code))
        info = tmp_path / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        lines = ["Metadata-Version: 2.1", f"Name: {dist}", f"Version: {version}"]
        lines += [f"Requires-Dist: {r}" for r in requires]
        (info / "METADATA").write_text("\n".join(lines) + "\n")
        (info / "entry_points.txt").write_text(f"[magscope]\n{entry_point or dist} = {module}\n")
        written.append(module)
        return importlib.metadata.PathDistribution(info)

    yield write
    for module in written:
        sys.modules.pop(module, None)


GOOD = """
from magscope_core._hookspecs import hookimpl
from magscope_core._specs import CameraSpec

def make(**options):
    return None

@hookimpl
def magscope_cameras():
    return [CameraSpec(name="{camera}", factory=make)]
"""

MARKS_IMPORT = """
from pathlib import Path
Path(__file__).with_name("imported.marker").write_text("imported")
"""


def entry_point(dist: importlib.metadata.PathDistribution) -> Any:
    (ep,) = dist.entry_points
    return ep


# -- collection ---------------------------------------------------------------------------


def test_collects_every_kind_with_its_origin() -> None:
    pm = PluginManager(core_version="0.1.0")
    everything = make_plugin(
        magscope_cameras=lambda: [cam("sim")],
        magscope_managers=lambda: (ManagerSpec(name="focus", factory=_factory),),
        magscope_trackers=lambda: [TrackerSpec(name="com", factory=_factory)],
        magscope_writers=lambda: [WriterSpec(name="h5", factory=_factory)],
        magscope_panels=lambda: [PanelSpec(id="p.focus", title="Focus", factory="a.b:C")],
        magscope_commands=lambda: [CommandSpec(command=Ping, route=Route.HUB)],
        magscope_settings=lambda: [SettingsSpec(namespace="acme", schema=Options)],
        magscope_health_checks=lambda: [HealthCheckSpec(name="drv", check=_ok)],
    )
    assert pm.register(everything, "acme", distribution="acme-dist", version="2.3")
    result = pm.collect()

    lookups: list[tuple[Mapping[str, Contribution[Any]], str]] = [
        (result.cameras, "sim"),
        (result.managers, "focus"),
        (result.trackers, "com"),
        (result.writers, "h5"),
        (result.panels, "p.focus"),
        (result.commands, "Ping"),
        (result.settings, "acme"),
        (result.health_checks, "drv"),
    ]
    for lookup, key in lookups:
        contribution = lookup[key]
        assert (contribution.plugin, contribution.distribution, contribution.version) == (
            "acme",
            "acme-dist",
            "2.3",
        )
    assert result.commands["Ping"].spec.command is Ping
    record = result.plugin("acme")
    assert record.status == "loaded"
    assert record.error is None
    assert record.kinds == (
        "camera",
        "manager",
        "tracker",
        "writer",
        "panel",
        "command",
        "settings",
        "health_check",
    )
    assert record.provides["camera"] == ("sim",)
    assert result.errors == ()
    assert result.loaded == (record,)


def test_builtin_plugins_get_the_core_version() -> None:
    result = load_plugins(
        builtins=[(make_plugin(magscope_cameras=lambda: [cam("sim")]), "core")], entry_points=[]
    )
    record = result.plugin("core")
    assert record.distribution == BUILTIN
    assert record.version == core_version() == "0.1.0"


def test_each_implementation_is_called_on_its_own() -> None:
    calls: list[str] = []

    def good(name: str) -> Callable[[], list[CameraSpec]]:
        def hook() -> list[CameraSpec]:
            calls.append(name)
            return [cam(name)]

        return hook

    def boom() -> list[CameraSpec]:
        raise RuntimeError("driver DLL missing")

    pm = PluginManager()
    pm.register(make_plugin(magscope_cameras=good("first")), "first")
    pm.register(
        make_plugin(
            magscope_cameras=boom,
            magscope_panels=lambda: [PanelSpec(id="x", title="X", factory="a:b")],
        ),
        "broken",
        distribution="broken-dist",
        version="0.9",
    )
    pm.register(make_plugin(magscope_cameras=good("last")), "last")
    result = pm.collect()

    assert sorted(calls) == ["first", "last"]
    assert list(result.cameras) == ["first", "last"]
    assert result.panels == {}  # a failed plugin contributes nothing at all
    broken = result.plugin("broken")
    assert broken.status == "failed"
    assert broken.provides == {}
    assert broken.error == (
        "plugin 'broken' (broken-dist 0.9): hook magscope_cameras raised RuntimeError: "
        "driver DLL missing"
    )
    assert broken.traceback is not None
    assert "RuntimeError: driver DLL missing" in broken.traceback
    assert "in boom" in broken.traceback
    (failure,) = result.errors
    assert (failure.plugin, failure.distribution, failure.stage, failure.hook) == (
        "broken",
        "broken-dist",
        "hook",
        "magscope_cameras",
    )
    # the failed plugin is no longer registered with pluggy
    assert not pm.pluggy_manager.has_plugin("broken")


@pytest.mark.parametrize(
    ("returned", "expected"),
    [
        (None, "returned None; expected a list of CameraSpec (return [] to contribute nothing)"),
        (cam("solo"), "returned a single CameraSpec; expected a list of them (return [spec])"),
        ({"sim": "x"}, "returned dict; expected a list or tuple of CameraSpec"),
        ("sim", "returned str; expected a list or tuple of CameraSpec"),
        ((n for n in range(0)), "returned generator; expected a list or tuple of CameraSpec"),
        (
            [cam("ok"), ManagerSpec(name="m", factory=_factory)],
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


# -- conflicts ----------------------------------------------------------------------------


_CONFLICTS: list[tuple[str, str, str, Callable[[], object]]] = [
    ("magscope_cameras", "cameras", "camera 'sim'", lambda: cam("sim")),
    (
        "magscope_managers",
        "managers",
        "manager 'focus'",
        lambda: ManagerSpec(name="focus", factory=_factory),
    ),
    (
        "magscope_trackers",
        "trackers",
        "tracker 'com'",
        lambda: TrackerSpec(name="com", factory=_factory),
    ),
    ("magscope_writers", "writers", "writer 'h5'", lambda: WriterSpec(name="h5", factory=_factory)),
    (
        "magscope_panels",
        "panels",
        "panel 'p.focus'",
        lambda: PanelSpec(id="p.focus", title="Focus", factory="a.b:C"),
    ),
    (
        "magscope_commands",
        "commands",
        f"command 'Ping' (class {__name__}.Ping, declared twice)",
        lambda: CommandSpec(command=Ping, route=Route.HUB),
    ),
    (
        "magscope_settings",
        "settings",
        "settings 'acme'",
        lambda: SettingsSpec(namespace="acme", schema=Options),
    ),
    (
        "magscope_health_checks",
        "health_checks",
        "health_check 'drv'",
        lambda: HealthCheckSpec(name="drv", check=_ok),
    ),
]


@pytest.mark.parametrize(
    ("hook", "attribute", "what", "make"), _CONFLICTS, ids=[c[1] for c in _CONFLICTS]
)
def test_name_conflicts_keep_the_first_and_name_both(
    hook: str, attribute: str, what: str, make: Callable[[], object]
) -> None:
    pm = PluginManager()
    pm.register(make_plugin(**{hook: lambda: [make()]}), "alpha", "alpha-dist", "1.0")
    extra_hook, extra_attr = ("magscope_writers", "writers")
    if hook == extra_hook:
        extra_hook, extra_attr = ("magscope_cameras", "cameras")
    extra = WriterSpec(name="extra", factory=_factory) if extra_attr == "writers" else cam("extra")
    pm.register(
        make_plugin(**{hook: lambda: [make()], extra_hook: lambda: [extra]}),
        "beta",
        "beta-dist",
        "2.0",
    )
    result = pm.collect()
    lookup = result.contributions(attribute)
    assert len(lookup) == 1
    assert next(iter(lookup.values())).plugin == "alpha"
    beta = result.plugin("beta")
    assert beta.status == "loaded"  # keeps what does not conflict
    assert result.contributions(extra_attr)["extra"].plugin == "beta"
    key = {"magscope_panels": "id", "magscope_settings": "namespace"}.get(hook, "name")
    assert beta.error == (
        f"plugin 'beta' (beta-dist 2.0): {what} is ignored: already provided by "
        f"plugin 'alpha' (alpha-dist 1.0); expected unique {what.split()[0]} {key}s"
        " (rename one, or disable a plugin with MAGSCOPE_DISABLE_PLUGINS)"
    )
    (failure,) = result.errors
    assert (failure.stage, failure.hook, failure.plugin) == ("conflict", hook, "beta")


def test_command_conflict_between_different_classes_names_both_classes() -> None:
    other = _other_ping()
    pm = PluginManager()
    pm.register(make_plugin(magscope_commands=lambda: [CommandSpec(Ping, Route.HUB)]), "a")
    pm.register(make_plugin(magscope_commands=lambda: [CommandSpec(other, Route.DIRECT)]), "b")
    result = pm.collect()
    assert result.commands["Ping"].spec.command is Ping
    error = result.plugin("b").error
    assert error is not None
    assert f"(class {__name__}._other_ping.<locals>.Ping; the other is {__name__}.Ping)" in error


def test_conflict_inside_one_plugin() -> None:
    pm = PluginManager()
    pm.register(make_plugin(magscope_cameras=lambda: [cam("sim"), cam("sim")]), "twice")
    result = pm.collect()
    assert result.cameras["sim"].plugin == "twice"
    assert result.plugin("twice").provides == {"camera": ("sim",)}
    assert "already provided by plugin 'twice'" in (result.plugin("twice").error or "")


def test_strict_conflict_raises_naming_both() -> None:
    pm = PluginManager(strict=True)
    pm.register(make_plugin(magscope_cameras=lambda: [cam("sim")]), "alpha", "alpha-dist", "1")
    pm.register(make_plugin(magscope_cameras=lambda: [cam("sim")]), "beta", "beta-dist", "2")
    with pytest.raises(PluginError, match=r"plugin 'beta' \(beta-dist 2\): camera 'sim'.*'alpha'"):
        pm.collect()


def test_duplicate_plugin_names_and_objects() -> None:
    pm = PluginManager()
    obj = make_plugin(magscope_cameras=lambda: [cam("sim")])
    assert pm.register(obj, "one", "d1", "1")
    assert not pm.register(make_plugin(), "one", "d2", "2")
    assert not pm.register(obj, "two", "d1", "1")
    result = pm.collect()
    assert [r.status for r in result.plugins] == ["loaded", "failed", "failed"]
    assert result.plugins[1].error == (
        "plugin 'one' (d2 2): plugin name 'one' is already used by plugin 'one' (d1 1); "
        "expected unique plugin (entry-point) names, so this one is not loaded"
    )
    assert (result.plugins[2].error or "").startswith(
        "plugin 'two' (d1 1): the same plugin object is already registered as 'one'"
    )


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


def test_collect_again_after_a_new_registration_does_not_repeat_conflicts() -> None:
    pm = PluginManager()
    pm.register(make_plugin(magscope_cameras=lambda: [cam("sim")]), "a")
    pm.register(make_plugin(magscope_cameras=lambda: [cam("sim")]), "b")
    first = pm.collect()
    pm.register(make_plugin(magscope_cameras=lambda: [cam("other")]), "c")
    second = pm.collect()
    assert second is not first
    assert list(second.cameras) == ["sim", "other"]
    assert [f.plugin for f in second.errors] == ["b"]
    assert second.plugin("b").error == first.plugin("b").error


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


# -- strict mode and disable list ---------------------------------------------------------


def test_strict_register_raises_for_an_invalid_plugin() -> None:
    pm = PluginManager(strict=True)
    with pytest.raises(PluginError) as info:
        pm.register(make_plugin(magscope_cameras=lambda x: []), "args", "args-dist", "1")
    assert (info.value.plugin, info.value.distribution, info.value.hook) == (
        "args",
        "args-dist",
        "magscope_cameras",
    )
    assert "expected def magscope_cameras() -> Sequence[CameraSpec]" in str(info.value)


def test_strict_collect_lists_every_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAGSCOPE_STRICT_PLUGINS", "1")
    pm = PluginManager()
    assert pm.strict

    def boom() -> list[CameraSpec]:
        raise ValueError("no camera")

    pm.register(make_plugin(magscope_cameras=boom), "a", "a-dist", "1")
    pm.register(make_plugin(magscope_panels=lambda: None), "b", "b-dist", "1")
    with pytest.raises(PluginError) as info:
        pm.collect()
    assert [f.plugin for f in info.value.failures] == ["a", "b"]
    assert str(info.value).splitlines() == [
        "2 plugin failures:",
        "- plugin 'a' (a-dist 1): hook magscope_cameras raised ValueError: no camera",
        "- plugin 'b' (b-dist 1): hook magscope_panels returned None; expected a list of "
        "PanelSpec (return [] to contribute nothing) "
        "(hook signature: def magscope_panels() -> Sequence[PanelSpec])",
    ]
    assert isinstance(info.value.failures[0].traceback, str)


def test_strict_argument_wins_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAGSCOPE_STRICT_PLUGINS", "1")
    assert not PluginManager(strict=False).strict


def test_disabled_plugins_are_never_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAGSCOPE_DISABLE_PLUGINS", " envoff , ")
    pm = PluginManager(disabled=["argoff"])
    assert pm.disabled == {"envoff", "argoff"}
    assert not pm.register(make_plugin(magscope_cameras=lambda: [cam("a")]), "envoff")
    assert not pm.register(make_plugin(magscope_cameras=lambda: [cam("b")]), "argoff")
    assert pm.register(make_plugin(magscope_cameras=lambda: [cam("c")]), "on")
    result = pm.collect()
    assert [(r.name, r.status) for r in result.plugins] == [
        ("envoff", "disabled"),
        ("argoff", "disabled"),
        ("on", "loaded"),
    ]
    assert list(result.cameras) == ["c"]
    assert result.errors == ()


# -- API version check --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requires", "core", "message"),
    [
        (("magscope-core>=0.1",), "0.1.0", None),
        (("magscope-core>=0.1,<0.2",), "0.1.5", None),
        (
            ("magscope-core>=0.3",),
            "0.1.0",
            "requires magscope-core>=0.3 but 0.1.0 is installed; install a version of "
            "acme made for magscope-core 0.1.0",
        ),
        (
            ("numpy", "Magscope_Core<0.1"),
            "0.1.0",
            "requires magscope-core<0.1 but 0.1.0 is installed; install a version of "
            "acme made for magscope-core 0.1.0",
        ),
        (("magscope-core>=99; extra == 'dev'",), "0.1.0", None),
        (("magscope-core>=99; python_version < '3'",), "0.1.0", None),
        (("magscope-core>=0.2",), "0.2.0.dev3", None),  # a dev build has its release's API
        (("magscope-core>=0.2",), "0.2.0rc1", None),
        (
            ("magscope-core<0.2",),
            "0.2.0.dev3",
            "requires magscope-core<0.2 but 0.2.0.dev3 is installed; install a version of "
            "acme made for magscope-core 0.2.0.dev3",
        ),
    ],
)
def test_api_version_check(
    tmp_path: Path, requires: tuple[str, ...], core: str, message: str | None
) -> None:
    info = tmp_path / "acme-1.0.dist-info"
    info.mkdir()
    lines = ["Metadata-Version: 2.1", "Name: acme", "Version: 1.0"]
    (info / "METADATA").write_text("\n".join(lines + [f"Requires-Dist: {r}" for r in requires]))
    check = check_api_version(importlib.metadata.PathDistribution(info), core)
    assert check.compatible is (message is None)
    assert check.message == message


def test_api_version_check_notes(tmp_path: Path) -> None:
    info = tmp_path / "acme-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme\nVersion: 1.0\n")
    dist = importlib.metadata.PathDistribution(info)
    check = check_api_version(dist, "0.1.0")
    assert check.compatible
    assert check.notes == (
        "declares no magscope-core requirement; plugin API version not checked "
        "(add e.g. 'magscope-core>=0.1' to its dependencies)",
    )
    unknown = check_api_version(dist, None)
    assert unknown.compatible
    assert "version unknown" in unknown.notes[0]


# -- entry points (real distributions under tmp_path) -------------------------------------


def test_entry_point_plugin_loads_with_its_distribution(dists: Callable[..., Any]) -> None:
    dist = dists("acme-cams", GOOD.format(camera="acme"), version="3.1")
    pm = PluginManager(core_version="0.1.0")
    pm.load_entry_points([entry_point(dist)])
    result = pm.collect()
    contribution = result.cameras["acme"]
    assert (contribution.plugin, contribution.distribution, contribution.version) == (
        "acme-cams",
        "acme-cams",
        "3.1",
    )
    assert result.plugin("acme-cams").hooks == ("magscope_cameras",)


def test_needs_update_is_never_imported(dists: Callable[..., Any], tmp_path: Path) -> None:
    dist = dists(
        "oldplug", MARKS_IMPORT + GOOD.format(camera="old"), requires=("magscope-core>=99",)
    )
    pm = PluginManager(core_version="0.1.0")
    pm.load_entry_points([entry_point(dist)])
    result = pm.collect()
    record = result.plugin("oldplug")
    assert record.status == "needs update"
    assert record.error == (
        "plugin 'oldplug' (oldplug 1.0): requires magscope-core>=99 but 0.1.0 is installed; "
        "install a version of oldplug made for magscope-core 0.1.0"
    )
    assert result.errors[0].stage == "version"
    assert not list(tmp_path.glob("*/imported.marker"))
    assert result.cameras == {}


def test_needs_update_raises_in_strict_mode(dists: Callable[..., Any]) -> None:
    dist = dists("oldplug", GOOD.format(camera="old"), requires=("magscope-core>=99",))
    pm = PluginManager(core_version="0.1.0", strict=True)
    with pytest.raises(PluginError, match=r"plugin 'oldplug' \(oldplug 1.0\): requires"):
        pm.load_entry_points([entry_point(dist)])


def test_import_failure_is_isolated(dists: Callable[..., Any]) -> None:
    bad = dists("badplug", "raise ImportError('libacme.so: cannot open shared object file')\n")
    good = dists("goodplug", GOOD.format(camera="good"))
    pm = PluginManager(core_version="0.1.0")
    pm.load_entry_points([entry_point(bad), entry_point(good)])
    result = pm.collect()
    record = result.plugin("badplug")
    assert record.status == "failed"
    assert record.error is not None
    assert record.error.startswith(
        "plugin 'badplug' (badplug 1.0): importing entry point badplug = badplug_"
    )
    assert record.error.endswith(
        "failed with ImportError: libacme.so: cannot open shared object file; expected a "
        "module or object with @hookimpl functions"
    )
    assert "ImportError: libacme.so" in (record.traceback or "")
    assert result.plugin("goodplug").status == "loaded"
    assert list(result.cameras) == ["good"]


def test_strict_import_failure_raises_after_trying_all(dists: Callable[..., Any]) -> None:
    bad = dists("badplug", "import sys; sys.exit(3)\n")
    good = dists("goodplug", GOOD.format(camera="good"))
    pm = PluginManager(core_version="0.1.0", strict=True)
    with pytest.raises(PluginError, match=r"^plugin 'badplug' \(badplug 1.0\): importing") as info:
        pm.load_entry_points([entry_point(bad), entry_point(good)])
    assert "SystemExit" in str(info.value)
    assert pm.pluggy_manager.has_plugin("goodplug")


def test_disabled_entry_point_is_never_imported(dists: Callable[..., Any], tmp_path: Path) -> None:
    dist = dists("noisy", MARKS_IMPORT + GOOD.format(camera="noisy"))
    for disabled in (["noisy"], ["*"]):
        pm = PluginManager(disabled=disabled)
        pm.load_entry_points([entry_point(dist)])
        assert pm.collect().plugin("noisy").status == "disabled"
    assert not list(tmp_path.glob("*/imported.marker"))


def test_same_entry_point_name_in_two_distributions(dists: Callable[..., Any]) -> None:
    first = dists("cams-a", GOOD.format(camera="a"), entry_point="cams")
    second = dists("cams-b", MARKS_IMPORT + GOOD.format(camera="b"), entry_point="cams")
    pm = PluginManager(core_version="0.1.0")
    pm.load_entry_points([entry_point(first), entry_point(second)])
    result = pm.collect()
    assert [(r.name, r.distribution, r.status) for r in result.plugins] == [
        ("cams", "cams-a", "loaded"),
        ("cams", "cams-b", "failed"),
    ]
    assert result.plugins[1].error == (
        "plugin 'cams' (cams-b 1.0): plugin name 'cams' is already used by plugin 'cams' "
        "(cams-a 1.0); expected unique plugin (entry-point) names, so this one is not loaded"
    )


def test_plugin_without_core_requirement_loads_with_a_note(dists: Callable[..., Any]) -> None:
    dist = dists("loose", GOOD.format(camera="loose"), requires=())
    pm = PluginManager(core_version="0.1.0")
    pm.load_entry_points([entry_point(dist)])
    record = pm.collect().plugin("loose")
    assert record.status == "loaded"
    assert record.notes[0].startswith("declares no magscope-core requirement")


def test_discovery_reads_the_entry_point_group(
    dists: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    dists("found-here", GOOD.format(camera="found"))
    result = load_plugins(disabled=["*"])  # discover only: import nothing
    record = result.plugin("found-here")
    assert (record.distribution, record.version, record.status) == ("found-here", "1.0", "disabled")


# -- the result object --------------------------------------------------------------------


def test_plugin_set_is_read_only() -> None:
    pm = PluginManager()
    pm.register(make_plugin(magscope_cameras=lambda: [cam("sim")]), "a")
    result = pm.collect()
    assert pm.collect() is result  # cached until something new is registered
    with pytest.raises(TypeError):
        result.cameras["other"] = result.cameras["sim"]  # type: ignore[index]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        result.plugins = ()  # type: ignore[misc]
    with pytest.raises(KeyError, match=r"no plugin named 'nope' \(known plugins: a\)"):
        result.plugin("nope")
    with pytest.raises(KeyError, match="unknown contribution kind 'camera'"):
        result.contributions("camera")


def test_plugin_set_pickles() -> None:
    pm = PluginManager()
    pm.register(
        make_plugin(magscope_cameras=lambda: [CameraSpec(name="sim", factory=dict)]), "a", "d", "1"
    )
    result = pm.collect()
    copy = pickle.loads(pickle.dumps(result))
    assert copy == result
    assert copy.cameras["sim"].spec.factory is dict
    assert copy.plugin("a").provides == {"camera": ("sim",)}


def test_record_to_dict_is_json_ready() -> None:
    pm = PluginManager()
    pm.register(make_plugin(magscope_cameras=lambda: [cam("sim")]), "a", "a-dist", "1")
    assert pm.collect().plugin("a").to_dict() == {
        "name": "a",
        "kind": ["camera"],
        "distribution": "a-dist",
        "version": "1",
        "status": "loaded",
        "provides": {"camera": ["sim"]},
        "hooks": ["magscope_cameras"],
        "error": None,
        "traceback": None,
        "notes": [],
    }
