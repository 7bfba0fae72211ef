"""``magscope commands``: every command with its route, owner and defining plugin."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, cast

from rich.table import Table

from magscope_core._app import CAMERA_MANAGER, PIPELINE_MANAGER, SetupError, choose_camera
from magscope_core._camera_manager import CameraManager
from magscope_core._hub import Hub
from magscope_core._hub_child import ManagerEntry
from magscope_core._pipeline import PipelineManager
from magscope_core._registry import CommandConflictError, CommandRegistry, UnknownCommandError
from magscope_core._specs import ManagerSpec
from magscope_core.cli._common import console, load_plugin_set

__all__ = ["add_parser", "command_rows", "run"]


def add_parser(sub: Any) -> None:
    """Register ``commands``."""
    p = sub.add_parser("commands", help="list every command: route, owner, plugin, scriptable")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run)


def _registry(args: argparse.Namespace) -> CommandRegistry:
    plugins = load_plugin_set(args)
    try:
        camera_manager = choose_camera(plugins, None).spec.manager or CameraManager
    except SetupError:
        camera_manager = CameraManager  # no camera installed: list the standard one
    entries = [
        ManagerEntry(ManagerSpec(CAMERA_MANAGER, camera_manager), kind="camera"),
        ManagerEntry(ManagerSpec(PIPELINE_MANAGER, PipelineManager)),
    ]
    # the managers a default session starts: one started only by name (--manager) may
    # handle the same commands as a default one, which it then replaces
    entries += [
        ManagerEntry(c.spec, c.plugin, c.distribution)
        for name, c in sorted(plugins.managers.items())
        if name not in (CAMERA_MANAGER, PIPELINE_MANAGER) and c.spec.autostart
    ]
    commands = [
        (c.spec, c.plugin, c.distribution)
        for c in plugins.commands.values()
        if c.distribution != "magscope-core"
    ]
    return Hub.build_registry(entries, commands)


def command_rows(registry: CommandRegistry) -> list[dict[str, Any]]:
    """One dict per command: name, route, owners, plugin, distribution, scriptable, fields."""
    import attrs

    rows = []
    for entry in registry.commands():
        rows.append({
            "name": entry.name,
            "route": entry.route.value,
            "owners": list(entry.owners),
            "plugin": entry.plugin,
            "distribution": entry.distribution,
            "scriptable": entry.spec.scriptable,
            "fields": [f.name for f in attrs.fields(cast(Any, entry.spec.command))],
            "description": entry.spec.description,
        })
    return rows


def run(args: argparse.Namespace) -> int:
    """Print the command table."""
    try:
        rows = command_rows(_registry(args))
    except (CommandConflictError, UnknownCommandError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    table = Table(title=f"{len(rows)} commands")
    for col in ("name", "route", "owner", "plugin", "scriptable", "fields", "description"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["name"], r["route"], ", ".join(r["owners"]) or "-",
            f"{r['plugin']} ({r['distribution']})", "yes" if r["scriptable"] else "no",
            ", ".join(r["fields"]), r["description"],
        )
    console().print(table)
    return 0
