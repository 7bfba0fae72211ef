"""The plugin system: discovery, validation and collection of hook contributions.

See :mod:`magscope_core._hookspecs` for the hook set and ``docs/decisions/0003-hook-set.md``
for the error and version policies.
"""

from __future__ import annotations

from magscope_core._plugins._discovery import (
    ApiCheck,
    check_api_version,
    core_version,
    discover_entry_points,
)
from magscope_core._plugins._manager import ENV_DISABLE, ENV_STRICT, PluginManager, load_plugins
from magscope_core._plugins._records import (
    BUILTIN,
    Contribution,
    PluginError,
    PluginFailure,
    PluginRecord,
    PluginSet,
    PluginStatus,
)

__all__ = [
    "BUILTIN",
    "ENV_DISABLE",
    "ENV_STRICT",
    "ApiCheck",
    "Contribution",
    "PluginError",
    "PluginFailure",
    "PluginManager",
    "PluginRecord",
    "PluginSet",
    "PluginStatus",
    "check_api_version",
    "core_version",
    "discover_entry_points",
    "load_plugins",
]
