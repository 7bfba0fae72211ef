"""The plugin manager: collection, conflicts, strict mode, the disable list, the result."""

from __future__ import annotations

import pickle
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import pytest

from magscope_core._commands import Command, CommandSpec, Route
from magscope_core._plugins import (
    BUILTIN,
    Contribution,
    PluginError,
    PluginManager,
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
from magscope_core.testing import make_plugin, noop_factory
from magscope_core.testing import stub_camera_spec as cam

# -- helpers ------------------------------------------------------------------------------


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


# -- collection ---------------------------------------------------------------------------


def test_collects_every_kind_with_its_origin() -> None:
    pm = PluginManager(core_version="0.1.0")
    everything = make_plugin(
        magscope_cameras=lambda: [cam("sim")],
        magscope_managers=lambda: (ManagerSpec(name="focus", factory=noop_factory),),
        magscope_trackers=lambda: [TrackerSpec(name="com", factory=noop_factory)],
        magscope_writers=lambda: [WriterSpec(name="h5", factory=noop_factory)],
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


# -- conflicts ----------------------------------------------------------------------------


_CONFLICTS: list[tuple[str, str, str, Callable[[], object]]] = [
    ("magscope_cameras", "cameras", "camera 'sim'", lambda: cam("sim")),
    (
        "magscope_managers",
        "managers",
        "manager 'focus'",
        lambda: ManagerSpec(name="focus", factory=noop_factory),
    ),
    (
        "magscope_trackers",
        "trackers",
        "tracker 'com'",
        lambda: TrackerSpec(name="com", factory=noop_factory),
    ),
    (
        "magscope_writers",
        "writers",
        "writer 'h5'",
        lambda: WriterSpec(name="h5", factory=noop_factory),
    ),
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
    extra = (
        WriterSpec(name="extra", factory=noop_factory) if extra_attr == "writers" else cam("extra")
    )
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
