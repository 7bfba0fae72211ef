"""Declaring settings: field helper, describe, validation of values and schemas."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

from magscope_core._settings import CoreSettings, SettingInfo, SettingsError, describe, setting
from magscope_core._settings._schema import check_value


@attrs.frozen
class CameraSim:
    framerate: float = setting(30.0, minimum=1.0, maximum=1000.0, unit="Hz", doc="Frame rate.")
    seed: int = setting(1, minimum=0, doc="Random seed.")
    mode: str = setting("beads", choices=("beads", "blank"), startup_only=True)
    noise: bool = setting(True)
    folder: Path = setting(Path("frames"))


def _info(key: str) -> SettingInfo:
    return {info.key: info for info in describe(CameraSim)}[key]


def test_describe_lists_every_field_with_its_limits_in_order():
    infos = describe(CameraSim)
    assert [i.key for i in infos] == ["framerate", "seed", "mode", "noise", "folder"]
    framerate = infos[0]
    assert framerate == SettingInfo(
        "framerate", "float", 30.0, 1.0, 1000.0, None, "Hz", False, "Frame rate."
    )
    assert framerate.allowed == "a number from 1.0 to 1000.0 (Hz)"
    assert infos[1].allowed == "an integer >= 0"
    assert infos[2].allowed == "one of 'beads', 'blank'"
    assert infos[2].startup_only is True
    assert [i.type_name for i in infos[3:]] == ["bool", "path"]


def test_schema_defaults_build_without_arguments():
    assert CameraSim() == CameraSim(30.0, 1, "beads", True, Path("frames"))


def test_direct_construction_names_class_key_value_and_range():
    with pytest.raises(SettingsError) as err:
        CameraSim(framerate=0.5)
    message = str(err.value)
    assert "CameraSim.framerate = 0.5" in message
    assert "below the minimum 1.0" in message
    assert "a number from 1.0 to 1000.0 (Hz)" in message


def test_direct_construction_does_not_coerce_text():
    with pytest.raises(SettingsError, match=r"CameraSim.seed = '3' rejected: not an integer"):
        CameraSim(seed="3")  # type: ignore[arg-type]


def test_settings_error_is_a_value_error():
    assert issubclass(SettingsError, ValueError)


@pytest.mark.parametrize(
    ("key", "given", "expected"),
    [
        ("seed", "12", 12),
        ("seed", " 12 ", 12),
        ("seed", "1_000", 1000),
        ("seed", 7.0, 7),
        ("seed", "1e3", 1000),
        ("framerate", "12.5", 12.5),
        ("framerate", 12, 12.0),
        ("framerate", "inf", None),  # coerced, then rejected by maximum (below)
        ("noise", "off", False),
        ("noise", "Yes", True),
        ("noise", "1", True),
        ("mode", "BLANK", "blank"),
        ("folder", "out/x", Path("out/x")),
    ],
)
def test_unambiguous_text_and_numbers_are_coerced(key, given, expected):
    if expected is None:
        with pytest.raises(SettingsError, match="above the maximum"):
            check_value(_info(key), given, where=key, coerce=True)
        return
    value = check_value(_info(key), given, where=key, coerce=True)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("key", "given", "reason"),
    [
        ("seed", "twelve", "not an integer"),
        ("seed", 2.5, "not an integer"),
        ("seed", "2.5", "not an integer"),
        ("seed", True, "not an integer"),
        ("seed", -1, "below the minimum 0"),
        ("framerate", "fast", "not a number"),
        ("framerate", float("nan"), "not a number"),
        ("framerate", False, "not a number"),
        ("noise", 1, "not true or false"),
        ("noise", "maybe", "not true or false"),
        ("mode", "video", "not one of the choices"),
        ("mode", 3, "not a string"),
        ("folder", "", "not a file-system path"),
    ],
)
def test_ambiguous_or_invalid_values_are_rejected_with_the_reason(key, given, reason):
    with pytest.raises(SettingsError) as err:
        check_value(_info(key), given, where=f"camera.sim.{key}", coerce=True)
    message = str(err.value)
    assert f"camera.sim.{key} = {given!r} rejected: {reason}." in message
    assert f"Allowed: {_info(key).allowed}." in message


def test_a_schema_must_be_an_attrs_class():
    class Plain:
        x: int = 1

    with pytest.raises(TypeError, match=r"Plain is not an attrs class; use @attrs.frozen"):
        describe(Plain)


def test_an_unsupported_type_names_the_field_and_the_supported_types():
    @attrs.frozen
    class Bad:
        rates: tuple[int, ...] = setting((1, 2))

    with pytest.raises(TypeError) as err:
        describe(Bad)
    assert "Bad.rates: unsupported type" in str(err.value)
    assert "bool, int, float, str or pathlib.Path" in str(err.value)


def test_a_setting_without_default_is_rejected():
    @attrs.frozen
    class NoDefault:
        gain: int

    with pytest.raises(TypeError, match=r"NoDefault.gain: every setting needs a plain default"):
        describe(NoDefault)


def test_a_default_outside_its_own_limits_is_a_schema_error():
    @attrs.frozen
    class BadDefault:
        gain: int = setting(0, minimum=1)

    with pytest.raises(TypeError, match=r"BadDefault.gain default = 0 rejected: below the min"):
        describe(BadDefault)


def test_contradictory_limits_fail_at_class_definition():
    with pytest.raises(SettingsError, match=r"minimum=5.*larger than maximum=1"):
        setting(3, minimum=5, maximum=1)
    with pytest.raises(SettingsError, match="at least one value"):
        setting("a", choices=())


def test_limits_on_text_settings_are_a_schema_error():
    @attrs.frozen
    class TextLimits:
        name: str = setting("a", minimum=1)

    with pytest.raises(TypeError, match="only apply to int and float"):
        describe(TextLimits)


def test_core_settings_describe_documents_every_key():
    infos = describe(CoreSettings)
    assert all(info.doc for info in infos)
    startup = {info.key for info in infos if info.startup_only}
    assert {"n_stacks", "stack_size", "tracks_capacity", "max_beads", "profile_length"} <= startup
    assert "output_dir" not in startup
    defaults = {info.key: info.default for info in infos}
    assert defaults["n_stacks"] == 10
    assert defaults["stack_size"] == 10
    assert defaults["tracks_capacity"] == 1_000_000
    assert defaults["max_beads"] == 10_000
    assert defaults["profile_length"] == 2560
    assert defaults["log_level"] == "INFO"


def test_core_heartbeat_timeout_must_cover_two_intervals():
    with pytest.raises(SettingsError) as err:
        CoreSettings(heartbeat_interval_s=2.0, heartbeat_timeout_s=3.0)
    assert "heartbeat_timeout_s = 3.0" in str(err.value)
    assert "at least twice heartbeat_interval_s = 2.0" in str(err.value)


def test_core_output_dir_empty_means_platform_data_dir(tmp_path):
    assert CoreSettings().resolved_output_dir().name == "recordings"
    assert CoreSettings(output_dir=str(tmp_path)).resolved_output_dir() == tmp_path
