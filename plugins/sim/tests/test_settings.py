"""The simulated camera's settings schema: one source for types, limits and units."""

from __future__ import annotations

import attrs
import pytest
from magscope_sim import SETTINGS, SimCameraOptions, SimCameraSettings, SimulatedCamera
from magscope_sim._settings import EFFECTS, coerce

from magscope_core import ConfigurationError, check_options, describe


def test_schema_matches_the_camera_settings() -> None:
    cam = SimulatedCamera()
    assert set(SETTINGS) == set(cam.get_settings()) == set(EFFECTS)
    defaults = attrs.asdict(SimCameraSettings())
    for name, value in cam.get_settings().items():
        if name != "gain":  # reported as the effective gain
            assert value == defaults[name], name
    assert {i.key for i in describe(SimCameraOptions)} == {
        *SETTINGS, "truth_file", "truth_images_every"}


def test_every_numeric_setting_has_a_range_and_a_doc() -> None:
    for info in SETTINGS.values():
        assert info.doc, info.key
        if info.type_name in ("int", "float"):
            assert info.minimum is not None and info.maximum is not None, info.key


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("width", "512", 512), ("fps", "50", 50.0), ("gain_auto", "off", False),
    ("exposure_ms", "2.5", 2.5), ("seed", "7", 7),
])
def test_text_values_are_converted(name: str, text: str, expected: object) -> None:
    value = coerce(name, text)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(("name", "text", "words"), [
    ("width", "8", ["width = '8'", "below the minimum 16", "from 16 to 16384 (px)"]),
    ("fps", "fast", ["fps = 'fast'", "not a number", "(Hz)"]),
    ("bits", "24", ["above the maximum 16"]),
    ("n_fixed", "2.5", ["not an integer"]),
])
def test_bad_values_name_the_setting_the_value_and_the_range(
        name: str, text: str, words: list[str]) -> None:
    with pytest.raises(ConfigurationError) as info:
        coerce(name, text)
    for word in words:
        assert word in str(info.value)


def test_options_checked_against_the_schema_with_did_you_mean() -> None:
    ok = check_options(SimCameraOptions, {"width": "256", "truth_file": "t.npz"}, "camera 'sim'")
    assert ok == {"width": 256, "truth_file": "t.npz"}
    with pytest.raises(ConfigurationError) as info:
        check_options(SimCameraOptions, {"fsp": "20"}, "camera 'sim'")
    text = str(info.value)
    assert "unknown camera 'sim' option 'fsp'" in text and "did you mean 'fps'?" in text
    assert "n_tethered" in text  # the known options are listed
