"""Subcommands plugins add to ``magscope`` (entry-point group ``magscope.cli``).

Each entry point names a module with ``add_parser(subparsers)``, like the core's own
commands (``magscope retrack`` of ``magscope-replay`` is one). The command line adds
them after the core's; ``magscope plugins`` lists them with their distribution. A module
that fails to import, or whose ``add_parser`` raises (a name the core or another plugin
already has, say), is skipped: the command line still works, and the listing names the
entry point, its distribution and the error. Like plugins, an entry point named in
``MAGSCOPE_DISABLE_PLUGINS`` (or all with ``*``) is listed as disabled and never
imported, and strict loading (``magscope plugins --strict-plugins`` or
``MAGSCOPE_STRICT_PLUGINS=1``) makes a failed one an error.
"""

from __future__ import annotations

import argparse
import traceback
from typing import Any, Literal

import attrs

from magscope_core._plugins._discovery import discover_entry_points, distribution_of
from magscope_core._plugins._failures import entry_point_disabled, env_disabled

__all__ = ["CLI_GROUP", "PluginCommand", "add_plugin_commands"]

CLI_GROUP = "magscope.cli"
"""Entry-point group of plugin subcommands."""


@attrs.frozen
class PluginCommand:
    """One ``magscope.cli`` entry point and what it added to the command line.

    Attributes
    ----------
    name
        The entry point's name.
    module
        What it points to (``package.module``).
    distribution, version
        The distribution declaring it.
    commands
        The subcommands it added (empty when it failed).
    status
        ``"loaded"``, ``"failed"`` or ``"disabled"`` (``MAGSCOPE_DISABLE_PLUGINS``).
    error, traceback
        Why it failed (one line; the traceback), if it did.
    """

    name: str
    module: str
    distribution: str
    version: str | None
    commands: tuple[str, ...] = ()
    status: Literal["loaded", "failed", "disabled"] = "loaded"
    error: str | None = None
    traceback: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A row of ``magscope plugins --json``: the keys of a plugin's row, kind ``command``."""
        return {
            "name": self.name,
            "kind": ["command"] if self.commands else [],
            "distribution": self.distribution,
            "version": self.version,
            "status": self.status,
            "provides": {"command": list(self.commands)},
            "hooks": [],
            "error": self.error,
            "traceback": self.traceback,
            "notes": [],
            "group": CLI_GROUP,
            "module": self.module,
        }


def add_plugin_commands(sub: argparse._SubParsersAction) -> list[PluginCommand]:  # type: ignore[type-arg]
    """Let every ``magscope.cli`` entry point add its subcommands to ``sub``.

    Returns
    -------
    list of PluginCommand
        One per entry point, in discovery order (distribution, then name), failed ones
        included.
    """
    records = []
    disabled = env_disabled()
    for ep in discover_entry_points(CLI_GROUP):
        dist, version = distribution_of(ep)
        if entry_point_disabled(ep.name, disabled):
            records.append(PluginCommand(ep.name, ep.value, dist, version, status="disabled"))
            continue
        before = set(sub.choices)
        try:
            ep.load().add_parser(sub)
        except Exception as exc:  # a broken plugin must not break the command line
            records.append(PluginCommand(
                ep.name, ep.value, dist, version, status="failed",
                error=f"command {ep.name!r} of {ep.value} ({dist}) not loaded: "
                f"{type(exc).__name__}: {exc}",
                traceback="".join(traceback.format_exception(type(exc), exc,
                                                             exc.__traceback__))))
            continue
        added = tuple(name for name in sub.choices if name not in before)
        records.append(PluginCommand(ep.name, ep.value, dist, version, added))
    return records
