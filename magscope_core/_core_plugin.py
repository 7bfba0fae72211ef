"""The core's own hook implementations (registered as the built-in plugin ``core``)."""

from __future__ import annotations

from collections.abc import Sequence

from magscope_core._builtin import BUILTIN_COMMANDS
from magscope_core._commands import CommandSpec
from magscope_core._hookspecs import hookimpl
from magscope_core._settings import CORE_NAMESPACE, CoreSettings
from magscope_core._specs import SettingsSpec

__all__ = ["CorePlugin"]


class CorePlugin:
    """Contributes the core's commands and the ``core`` settings namespace."""

    @hookimpl
    def magscope_commands(self) -> Sequence[CommandSpec]:
        """The core's built-in commands."""
        return list(BUILTIN_COMMANDS)

    @hookimpl
    def magscope_settings(self) -> Sequence[SettingsSpec]:
        """The ``core`` settings namespace."""
        return [SettingsSpec(namespace=CORE_NAMESPACE, schema=CoreSettings)]
