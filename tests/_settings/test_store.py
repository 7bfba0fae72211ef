"""SettingsStore in memory: get/set/reset, start-up-only settings, namespaces."""

from __future__ import annotations

import attrs
import pytest

from magscope_core._settings import CoreSettings, SettingsError, SettingsStore, setting


@attrs.frozen
class FocusSettings:
    step_nm: float = setting(100.0, minimum=1.0, maximum=10_000.0, unit="nm")
    port: str = setting("", startup_only=True)


@pytest.fixture
def store() -> SettingsStore:
    return SettingsStore({"core": CoreSettings, "focus": FocusSettings})


def test_without_a_file_every_namespace_has_its_defaults(store):
    assert store.load() == []
    assert store.get("core") == CoreSettings()
    assert store.get("focus", FocusSettings) == FocusSettings()
    assert store.value("core", "n_stacks") == 10
    assert store.namespaces == ("core", "focus")


def test_set_validates_coerces_and_returns_what_changed(store):
    result = store.set("core", "n_stacks", "12")
    assert (result.old, result.new, result.changed) == (10, 12, True)
    assert result.restart_required is False
    assert store.get("core").n_stacks == 12
    assert store.set("core", "n_stacks", 12).changed is False


def test_a_rejected_value_names_namespace_key_value_and_range_and_changes_nothing(store):
    with pytest.raises(SettingsError) as err:
        store.set("core", "n_stacks", 5000)
    assert str(err.value) == (
        "core.n_stacks = 5000 rejected: above the maximum 1000. "
        "Allowed: an integer from 2 to 1000 (stacks)."
    )
    assert store.value("core", "n_stacks") == 10


def test_a_choice_is_matched_case_insensitively_and_stored_canonically(store):
    assert store.set("core", "log_level", "debug").new == "DEBUG"
    with pytest.raises(SettingsError, match=r"core.log_level = 'LOUD' rejected: not one of"):
        store.set("core", "log_level", "LOUD")


def test_an_unknown_key_suggests_the_closest_one(store):
    with pytest.raises(SettingsError) as err:
        store.set("core", "n_stack", 3)
    assert "core.n_stack is not a setting (did you mean 'n_stacks'?)" in str(err.value)


def test_an_unknown_namespace_lists_the_registered_ones(store):
    with pytest.raises(SettingsError) as err:
        store.get("focsu")
    assert "unknown settings namespace 'focsu' (did you mean 'focus'?)" in str(err.value)
    assert "registered: core, focus" in str(err.value)


def test_get_with_the_wrong_schema_is_refused(store):
    with pytest.raises(SettingsError, match=r"holds .*FocusSettings, not .*CoreSettings"):
        store.get("focus", CoreSettings)


def test_a_change_that_breaks_a_rule_across_keys_is_refused_whole(store):
    with pytest.raises(SettingsError) as err:
        store.set("core", "heartbeat_interval_s", 6)
    message = str(err.value)
    assert "setting core.heartbeat_interval_s = 6.0 conflicts with the other [core]" in message
    assert "at least twice heartbeat_interval_s" in message
    assert store.value("core", "heartbeat_interval_s") == 0.5


def test_startup_only_change_while_running_is_stored_and_flagged(store):
    result = store.set("core", "n_stacks", 20, running=True)
    assert result.restart_required
    assert "restart MagScope" in result.message
    assert store.value("core", "n_stacks") == 20
    assert store.pending_restart == ("core.n_stacks",)


def test_setting_a_startup_only_value_back_clears_the_restart_notice(store):
    store.set("core", "n_stacks", 20, running=True)
    back = store.set("core", "n_stacks", 10, running=True)
    assert back.changed and not back.restart_required
    assert store.pending_restart == ()


def test_live_settings_and_stopped_changes_never_need_a_restart(store):
    assert not store.set("core", "output_dir", "/data", running=True).restart_required
    assert not store.set("core", "n_stacks", 20).restart_required
    assert store.pending_restart == ()


def test_reset_one_key_or_a_namespace_returns_the_changes(store):
    store.set("core", "n_stacks", 20)
    store.set("core", "stack_size", 5)
    assert [(r.key, r.new) for r in store.reset("core", "n_stacks")] == [("n_stacks", 10)]
    assert [(r.key, r.new) for r in store.reset("core")] == [("stack_size", 10)]
    assert store.get("core") == CoreSettings()
    assert store.to_dict(include_defaults=False) == {}


def test_reset_while_running_flags_startup_only_settings(store):
    store.set("focus", "port", "COM3")
    (result,) = store.reset("focus", "port", running=True)
    assert result.restart_required
    assert store.pending_restart == ("focus.port",)


def test_to_dict_gives_current_values_or_only_explicit_ones(store):
    store.set("focus", "step_nm", 50)
    full = store.to_dict()
    assert full["focus"] == {"step_nm": 50.0, "port": ""}
    assert full["core"]["tracks_capacity"] == 1_000_000
    assert store.to_dict(include_defaults=False) == {"focus": {"step_nm": 50.0}}


def test_registering_a_taken_namespace_names_both_schemas_and_owners(store):
    @attrs.frozen
    class OtherFocus:
        speed: float = setting(1.0)

    store.register("stage", OtherFocus, owner="plugin 'stage' (magscope-stage 1.0)")
    with pytest.raises(SettingsError) as err:
        store.register("stage", FocusSettings, owner="plugin 'focus' (magscope-focus 2.0)")
    message = str(err.value)
    assert "settings namespace 'stage' is claimed twice" in message
    assert "OtherFocus (plugin 'stage' (magscope-stage 1.0))" in message
    assert "FocusSettings (plugin 'focus' (magscope-focus 2.0))" in message


def test_registering_the_same_schema_twice_is_harmless(store):
    assert store.register("focus", FocusSettings) == []


@pytest.mark.parametrize("bad", ["", "camera..sim", "camera sim", ".core", "a/b"])
def test_invalid_namespace_names_are_refused(store, bad):
    with pytest.raises(SettingsError, match=rf"settings namespace {bad!r} .*is not valid"):
        store.register(bad, FocusSettings, owner="plugin x")


def test_an_invalid_schema_is_refused_naming_namespace_and_owner(store):
    class NotAttrs:
        pass

    with pytest.raises(TypeError) as err:
        store.register("x", NotAttrs, owner="plugin 'x'")
    assert "settings schema for namespace 'x' (from plugin 'x')" in str(err.value)
    assert "not an attrs class" in str(err.value)


def test_save_without_any_path_says_how_to_fix_it(store):
    with pytest.raises(SettingsError, match=r"pass save\(path=...\)"):
        store.save()
