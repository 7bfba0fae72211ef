"""The core's own hook implementations (registered as the built-in plugin ``core``)."""

from __future__ import annotations

from collections.abc import Sequence

from magscope_core._acquisition import ACQUISITION_COMMANDS
from magscope_core._bead_search import BEAD_SEARCH_COMMANDS
from magscope_core._beads import BEAD_COMMANDS
from magscope_core._builtin import BUILTIN_COMMANDS
from magscope_core._commands import CommandSpec
from magscope_core._hardware import HARDWARE_COMMANDS
from magscope_core._hookspecs import hookimpl
from magscope_core._live_settings import LIVE_COMMANDS
from magscope_core._settings import CORE_NAMESPACE, CoreSettings
from magscope_core._specs import SettingsSpec
from magscope_core._zlut_sweep import SWEEP_COMMANDS

__all__ = ["CORE_COMMANDS", "CorePlugin"]

CORE_COMMANDS: tuple[CommandSpec, ...] = (
    *BUILTIN_COMMANDS,
    *BEAD_COMMANDS,
    *BEAD_SEARCH_COMMANDS,
    *LIVE_COMMANDS,
    *HARDWARE_COMMANDS,
    *ACQUISITION_COMMANDS,
    *SWEEP_COMMANDS,
)
"""Every command the core defines."""


class CorePlugin:
    """Contributes the core's commands and the ``core`` settings namespace."""

    @hookimpl
    def magscope_commands(self) -> Sequence[CommandSpec]:
        """The core's built-in commands."""
        return list(CORE_COMMANDS)

    @hookimpl
    def magscope_settings(self) -> Sequence[SettingsSpec]:
        """The ``core`` settings namespace."""
        return [SettingsSpec(namespace=CORE_NAMESPACE, schema=CoreSettings)]
