"""Default locations of the settings file and recordings."""

from __future__ import annotations

import platformdirs

from magscope_core._settings import (
    CONFIG_DIR_ENV,
    SettingsStore,
    default_config_dir,
    default_data_dir,
    default_output_dir,
    default_settings_path,
)


def test_env_var_overrides_the_config_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(CONFIG_DIR_ENV, str(tmp_path / "cfg"))
    assert CONFIG_DIR_ENV == "MAGSCOPE_CONFIG_DIR"
    assert default_config_dir() == tmp_path / "cfg"
    assert default_settings_path() == tmp_path / "cfg" / "settings.toml"


def test_a_relative_or_home_override_becomes_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(CONFIG_DIR_ENV, "rel")
    assert default_config_dir() == tmp_path / "rel"
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv(CONFIG_DIR_ENV, "~/magcfg")
    assert default_config_dir() == tmp_path / "magcfg"


def test_without_override_the_platform_user_config_dir_is_used(monkeypatch):
    monkeypatch.delenv(CONFIG_DIR_ENV, raising=False)
    expected = platformdirs.user_config_path("magscope", appauthor=False)
    assert default_config_dir() == expected
    monkeypatch.setenv(CONFIG_DIR_ENV, "  ")
    assert default_config_dir() == expected


def test_default_output_dir_is_recordings_in_user_data_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("MAGSCOPE_DATA_DIR", raising=False)
    expected = platformdirs.user_data_path("magscope", appauthor=False) / "recordings"
    assert default_output_dir() == expected
    monkeypatch.setenv("MAGSCOPE_DATA_DIR", str(tmp_path / "data"))  # the override
    assert default_data_dir() == tmp_path / "data"
    assert default_output_dir() == tmp_path / "data" / "recordings"


def test_a_store_on_the_default_path_uses_the_override(tmp_path, monkeypatch):
    monkeypatch.setenv(CONFIG_DIR_ENV, str(tmp_path))
    store = SettingsStore({}, default_settings_path())
    assert store.load() == []
    assert store.save().path == tmp_path / "settings.toml"
    assert (tmp_path / "settings.toml").exists()
