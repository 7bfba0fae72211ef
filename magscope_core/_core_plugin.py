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
from magscope_core._locks import LOCK_COMMANDS, LOCKS_MANAGER, LockManager
from magscope_core._protocol_record import PROTOCOL_RECORD_COMMANDS
from magscope_core._protocol_settings import PROTOCOL_NAMESPACE, ProtocolSettings
from magscope_core._settings import CORE_NAMESPACE, CoreSettings
from magscope_core._specs import ManagerSpec, RestartPolicy, SettingsSpec
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
    *PROTOCOL_RECORD_COMMANDS,
    *LOCK_COMMANDS,
)
"""Every command the core defines."""


class CorePlugin:
    """The core's commands, the lock manager, the ``core`` and ``protocol`` settings."""

    @hookimpl
    def magscope_commands(self) -> Sequence[CommandSpec]:
        """The core's built-in commands."""
        return list(CORE_COMMANDS)

    @hookimpl
    def magscope_managers(self) -> Sequence[ManagerSpec]:
        """The XY- and Z-lock manager (``locks``), started only when wanted.

        ``autostart`` is off: :func:`~magscope_core.plan_session` adds it with
        ``locks=True``.
        """
        return [ManagerSpec(name=LOCKS_MANAGER, factory=LockManager,
                            restart=RestartPolicy("restart"), autostart=False,
                            description="XY-lock (ROIs follow beads) and Z-lock (focus)")]

    @hookimpl
    def magscope_settings(self) -> Sequence[SettingsSpec]:
        """The ``core`` settings namespace."""
        return [SettingsSpec(namespace=CORE_NAMESPACE, schema=CoreSettings),
                SettingsSpec(namespace=PROTOCOL_NAMESPACE, schema=ProtocolSettings)]
