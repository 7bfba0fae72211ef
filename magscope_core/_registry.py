"""The command registry: which commands exist, who defined them, and who handles them.

Built in the hub from the plugins' ``magscope_commands`` hooks and the handler tables of
the manager classes, then shipped (pickled, it is plain data) to every manager process so
a sender can check a route locally before anything is sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import attrs

from magscope_core._commands import Command, CommandSpec, Route

__all__ = [
    "CommandConflictError",
    "CommandRegistry",
    "RegisteredCommand",
    "UnknownCommandError",
]

HUB = "hub"
"""The routing name of the hub."""


class CommandConflictError(ValueError):
    """Two plugins define the same command, or two managers own one direct command."""


class UnknownCommandError(LookupError):
    """A command type that no plugin registered."""


@attrs.frozen
class RegisteredCommand:
    """One row of ``magscope commands``.

    Parameters
    ----------
    spec
        The :class:`CommandSpec` as the plugin declared it.
    plugin, distribution
        Who defined the command.
    handlers
        ``(manager name, method name)`` pairs that handle it (the hub is ``"hub"``).
    """

    spec: CommandSpec
    plugin: str
    distribution: str
    handlers: tuple[tuple[str, str], ...] = ()

    @property
    def name(self) -> str:
        """Command name."""
        return self.spec.name

    @property
    def route(self) -> Route:
        """The command's route."""
        return self.spec.route

    @property
    def owners(self) -> tuple[str, ...]:
        """Names of the managers (or ``"hub"``) that handle it."""
        return tuple(m for m, _ in self.handlers)


@attrs.define
class CommandRegistry:
    """Commands by name, with their definers and handlers."""

    _commands: dict[str, RegisteredCommand] = attrs.field(factory=dict)
    _manager_plugins: dict[str, tuple[str, str]] = attrs.field(factory=dict)

    # -- building ---------------------------------------------------------------------
    def add_command(self, spec: CommandSpec, plugin: str, distribution: str) -> None:
        """Register a command definition.

        Raises
        ------
        CommandConflictError
            If another plugin already defined a command with the same name.
        """
        existing = self._commands.get(spec.name)
        if existing is not None:
            if existing.spec.command is spec.command and existing.spec == spec:
                return
            raise CommandConflictError(
                f"command {spec.name!r} is defined twice: by plugin {existing.plugin!r} "
                f"({existing.distribution}) and by plugin {plugin!r} ({distribution})"
            )
        self._commands[spec.name] = RegisteredCommand(spec, plugin, distribution)

    def add_handlers(
        self,
        manager: str,
        handlers: Iterable[tuple[type[Command], str]],
        plugin: str,
        distribution: str,
    ) -> None:
        """Record that ``manager`` handles the given command types with the given methods.

        Raises
        ------
        UnknownCommandError
            If a handled command was never registered with :meth:`add_command`.
        CommandConflictError
            If a direct (or hub) command would get a second owner.
        """
        self._manager_plugins[manager] = (plugin, distribution)
        for cmd_type, method in handlers:
            entry = self._commands.get(cmd_type.__name__)
            if entry is None or entry.spec.command is not cmd_type:
                raise UnknownCommandError(
                    f"manager {manager!r} (plugin {plugin!r}, {distribution}) handles "
                    f"{cmd_type.__module__}.{cmd_type.__qualname__} with {method}(), but no "
                    "plugin registered that command: return a CommandSpec for it from a "
                    "magscope_commands hook"
                )
            if entry.route is not Route.BROADCAST and entry.handlers:
                other, _ = entry.handlers[0]
                if other != manager:
                    oplugin, odist = self._manager_plugins.get(other, ("?", "?"))
                    raise CommandConflictError(
                        f"{entry.route.value} command {entry.name!r} has two owners: manager "
                        f"{other!r} (plugin {oplugin!r}, {odist}) and manager {manager!r} "
                        f"(plugin {plugin!r}, {distribution})"
                    )
            if (manager, method) not in entry.handlers:
                self._commands[entry.name] = attrs.evolve(
                    entry, handlers=(*entry.handlers, (manager, method))
                )

    def remove_manager(self, manager: str) -> None:
        """Forget every handler of ``manager`` (used when a manager is not started)."""
        for name, entry in list(self._commands.items()):
            kept = tuple(h for h in entry.handlers if h[0] != manager)
            if kept != entry.handlers:
                self._commands[name] = attrs.evolve(entry, handlers=kept)

    # -- lookups ----------------------------------------------------------------------
    def get(self, command: type[Command] | Command | str) -> RegisteredCommand:
        """Return the entry of a command (by class, instance or name).

        Raises
        ------
        UnknownCommandError
            Naming the command and suggesting ``magscope commands``.
        """
        if isinstance(command, str):
            name = command
        elif isinstance(command, type):
            name = command.__name__
        else:
            name = type(command).__name__
        entry = self._commands.get(name)
        if entry is None:
            raise UnknownCommandError(
                f"unknown command {name!r}: no installed plugin defines it "
                "(run 'magscope commands' to list the commands)"
            )
        if not isinstance(command, str):
            cls = command if isinstance(command, type) else type(command)
            if entry.spec.command is not cls and (
                entry.spec.command.__module__ != cls.__module__
                or entry.spec.command.__qualname__ != cls.__qualname__
            ):
                raise UnknownCommandError(
                    f"command {name!r} from {cls.__module__} is not the registered one "
                    f"(defined in {entry.spec.command.__module__} by plugin {entry.plugin!r})"
                )
        return entry

    def targets(self, command: type[Command] | Command | str) -> tuple[str, ...]:
        """Names of the managers (or ``"hub"``) a command is delivered to."""
        return self.get(command).owners

    def handler_for(self, manager: str, command: type[Command] | Command | str) -> str | None:
        """The method name with which ``manager`` handles ``command``, if any."""
        for m, method in self.get(command).handlers:
            if m == manager:
                return method
        return None

    def __iter__(self) -> Iterator[RegisteredCommand]:
        return iter(sorted(self._commands.values(), key=lambda e: e.name))

    def __len__(self) -> int:
        return len(self._commands)

    def __contains__(self, name: object) -> bool:
        return name in self._commands

    def commands(self) -> list[RegisteredCommand]:
        """All entries, sorted by name."""
        return sorted(self._commands.values(), key=lambda e: e.name)
