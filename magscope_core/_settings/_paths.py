"""Where settings and recordings live by default."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "magscope"
CONFIG_DIR_ENV = "MAGSCOPE_CONFIG_DIR"
"""Environment variable that overrides :func:`default_config_dir`."""
DATA_DIR_ENV = "MAGSCOPE_DATA_DIR"
"""Environment variable that overrides :func:`default_data_dir`."""
SETTINGS_FILE_NAME = "settings.toml"


def default_config_dir() -> Path:
    r"""Return the folder holding MagScope's settings.

    ``$MAGSCOPE_CONFIG_DIR`` if set and not empty, otherwise the platform's user
    configuration folder (``~/.config/magscope`` on Linux,
    ``%LOCALAPPDATA%\magscope`` on Windows, ``~/Library/Application Support/magscope``
    on macOS). The folder is not created.

    Returns
    -------
    pathlib.Path
        An absolute path.
    """
    override = os.environ.get(CONFIG_DIR_ENV, "").strip()
    if override:
        return Path(override).expanduser().absolute()
    return platformdirs.user_config_path(APP_NAME, appauthor=False)


def default_settings_path() -> Path:
    """Return the default settings file, ``default_config_dir() / "settings.toml"``."""
    return default_config_dir() / SETTINGS_FILE_NAME


def default_data_dir() -> Path:
    """Return MagScope's user data folder (Z-LUTs, recordings); not created.

    ``$MAGSCOPE_DATA_DIR`` if set and not empty, otherwise the platform's user data
    folder (``~/.local/share/magscope`` on Linux).
    """
    override = os.environ.get(DATA_DIR_ENV, "").strip()
    if override:
        return Path(override).expanduser().absolute()
    return platformdirs.user_data_path(APP_NAME, appauthor=False)


def default_output_dir() -> Path:
    """Return the default recordings folder (user data folder / ``recordings``); not created."""
    return default_data_dir() / "recordings"
