"""``magscope plugins``: list installed plugins, what they provide, and their status."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from magscope_core._plugins import PluginError, PluginRecord, PluginSet
from magscope_core._plugins._failures import strict_mode
from magscope_core._plugins._records import describe_origin
from magscope_core.cli._common import load_plugin_set

if TYPE_CHECKING:
    from magscope_core.cli._plugin_commands import PluginCommand

__all__ = ["add_parser", "render_json", "render_table", "run"]

_STYLES = {
    "loaded": "green",
    "failed": "bold red",
    "disabled": "dim",
    "needs update": "yellow",
}


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``plugins`` subcommand to ``subparsers`` (from ``add_subparsers``)."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "plugins",
        help="list installed plugins with versions and status",
        description=(
            "List every plugin found (built-in and installed through the 'magscope' "
            "entry-point group): what it provides, its distribution and version, and whether "
            "it loaded; then the subcommands plugins add to magscope (entry-point group "
            "'magscope.cli'). Plugins are skipped with MAGSCOPE_DISABLE_PLUGINS=name1,name2."
        ),
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print a JSON list (name, kind, distribution, version, status, error, traceback, "
        "group); plugin subcommands are rows of kind 'command'",
    )
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Print the plugin listing.

    Returns
    -------
    int
        0, also when plugins failed (they are listed as failed); 2 when loading is strict
        (``--strict-plugins`` or ``MAGSCOPE_STRICT_PLUGINS=1``) and a plugin, or a plugin
        subcommand (``magscope.cli``), failed.
    """
    from magscope_core.cli import plugin_commands

    try:
        plugins = load_plugin_set(args)
    except PluginError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    # the records of the parser ``magscope`` was started with (none when called directly)
    commands = getattr(args, "plugin_commands", None)
    if commands is None:
        commands = plugin_commands()
    failed = [c for c in commands if c.status == "failed"]
    # each failed one was named by a warning when the parser was built
    if strict_mode(getattr(args, "strict_plugins", None)) and failed:
        print(f"error: strict plugin loading: {len(failed)} plugin command(s) not loaded: "
              f"{', '.join(c.name for c in failed)}. Allowed: fix them, or skip them with "
              f"MAGSCOPE_DISABLE_PLUGINS", file=sys.stderr)
        return 2
    if getattr(args, "json", False):
        print(render_json(plugins, commands))
    else:
        render_table(plugins, commands)
    return 0


def render_json(plugins: PluginSet, commands: Sequence[PluginCommand] = ()) -> str:
    """The listing as a JSON array, one object per plugin, then per plugin subcommand.

    Plugins: ``PluginRecord.to_dict`` with ``group`` ``"magscope"``; subcommand entry
    points: ``PluginCommand.to_dict`` (kind ``command``, ``group`` ``"magscope.cli"``).
    """
    rows = [{**record.to_dict(), "group": "magscope"} for record in plugins.plugins]
    rows += [command.to_dict() for command in commands]
    return json.dumps(rows, indent=2)


def _provides(record: PluginRecord, limit: int = 3) -> str:
    """One line per kind: ``camera: sim, acme`` (long lists are shortened)."""
    lines = []
    for kind, names in record.provides.items():
        shown = ", ".join(names[:limit])
        if len(names) > limit:
            shown += f", +{len(names) - limit} more"
        lines.append(f"{kind}: {shown}")
    return "\n".join(lines)


def _short_error(record: PluginRecord) -> str:
    """First line of the error, without the "plugin 'x' (dist 1.0): " the row already shows."""
    if not record.error:
        return ""
    first = record.error.splitlines()[0]
    prefix = describe_origin(record.name, record.distribution, record.version) + ": "
    return first.removeprefix(prefix)


def render_table(plugins: PluginSet, commands: Sequence[PluginCommand] = (), *,
                 wide_from: int = 110) -> None:
    """Print the listing as a table on stdout, with a one-line summary.

    On a terminal narrower than ``wide_from`` columns the errors are printed under the
    table instead of in an ``error`` column. Plugin subcommands, if any, follow in a
    table of their own.
    """
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console()
    wide = console.width >= wide_from
    table = Table(title="MagScope plugins", title_justify="left")
    table.add_column("name", overflow="fold")
    table.add_column("kind", overflow="fold")
    table.add_column("distribution", overflow="fold")
    table.add_column("version", overflow="fold")
    table.add_column("status")
    if wide:
        table.add_column("error", overflow="fold", style="red", ratio=3)
    for record in plugins.plugins:
        row = [
            Text(record.name),
            Text(_provides(record)),
            Text(record.distribution),
            Text(record.version or ""),
            Text(record.status, style=_STYLES[record.status]),
        ]
        if wide:
            row.append(Text(_short_error(record)))
        table.add_row(*row)
    console.print(table)
    if not wide:
        for record in plugins.plugins:
            if record.error:
                line = Text(f"{record.name}: ", style="bold")
                line.append(_short_error(record), style="red")
                console.print(line)
    counts = Counter(r.status for r in plugins.plugins)
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    total = len(plugins.plugins)
    noun = "plugin" if total == 1 else "plugins"
    console.print(f"{total} {noun}: {summary or 'none'}", highlight=False)
    if commands:
        _commands_table(console, commands)
    if plugins.errors or any(c.error for c in commands):
        console.print(
            "Tracebacks: magscope plugins --json. Skip a plugin: "
            "MAGSCOPE_DISABLE_PLUGINS=name. Make failures fatal: --strict-plugins.",
            highlight=False,
        )


def _commands_table(console: Any, commands: Sequence[PluginCommand]) -> None:
    """The subcommands plugins add (entry-point group ``magscope.cli``), errors below."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title="Commands from plugins (magscope.cli)", title_justify="left")
    for column in ("command", "distribution", "version", "module", "status"):
        table.add_column(column, overflow="fold")
    for c in commands:
        names = ", ".join(f"magscope {n}" for n in c.commands) or c.name
        table.add_row(Text(names), Text(c.distribution), Text(c.version or ""),
                      Text(c.module), Text(c.status, style=_STYLES[c.status]))
    console.print(table)
    for c in commands:
        if c.error:
            console.print(Text(c.error, style="red"))
