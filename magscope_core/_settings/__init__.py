"""Settings: typed schemas per namespace, validated values and one TOML file.

A plugin declares its settings as an ``@attrs.frozen`` class whose fields are made
with `setting`; the core's own schema is `CoreSettings` (namespace ``"core"``). A
`SettingsStore` holds every namespace, reads and writes the settings file and turns
every bad input into a message naming the key, the value and what is allowed.
"""

from __future__ import annotations

__all__ = [
    "CONFIG_DIR_ENV",
    "CORE_NAMESPACE",
    "DATA_DIR_ENV",
    "CoreSettings",
    "SaveResult",
    "SetResult",
    "SettingInfo",
    "SettingsError",
    "SettingsProblem",
    "SettingsStore",
    "default_config_dir",
    "default_data_dir",
    "default_output_dir",
    "default_settings_path",
    "describe",
    "setting",
]

from ._core import CORE_NAMESPACE, CoreSettings
from ._paths import (
    CONFIG_DIR_ENV,
    DATA_DIR_ENV,
    default_config_dir,
    default_data_dir,
    default_output_dir,
    default_settings_path,
)
from ._records import SaveResult, SetResult, SettingsError, SettingsProblem
from ._schema import SettingInfo, describe, setting
from ._store import SettingsStore
