"""The ``magscope`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from magscope_core._version import __version__

if TYPE_CHECKING:
    from magscope_core.cli._plugin_commands import PluginCommand

__all__ = ["build_parser", "main", "plugin_commands"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``magscope`` with every subcommand.

    A plugin subcommand that cannot be added is skipped with one line on stderr.
    """
    parser, records = _build()
    for record in records:
        if record.error:
            print(f"warning: {record.error}", file=sys.stderr)
    return parser


def plugin_commands() -> list[PluginCommand]:
    """What each ``magscope.cli`` entry point adds to the command line.

    Built as ``magscope`` builds it (after the core's commands, so a name already taken
    is reported); see :func:`~magscope_core.cli._plugin_commands.add_plugin_commands`.
    """
    return _build()[1]


def _build() -> tuple[argparse.ArgumentParser, list[PluginCommand]]:
    from magscope_core.cli import (
        _cleanup_cmd,
        _commands_cmd,
        _doctor_cmd,
        _new_plugin_cmd,
        _plugins_cmd,
        _run_cmd,
        _script_cmd,
        _settings_cmd,
        _zlut_cmd,
    )
    from magscope_core.cli._plugin_commands import add_plugin_commands

    parser = argparse.ArgumentParser(
        prog="magscope",
        description="Magnetic-tweezers acquisition and tracking (plugin framework).",
    )
    parser.add_argument("--version", action="version", version=f"magscope-core {__version__}")
    parser.add_argument(
        "--strict-plugins",
        action="store_true",
        default=None,
        help="make any plugin failure fatal (also MAGSCOPE_STRICT_PLUGINS=1)",
    )
    parser.add_argument(
        "--config", default=None, help="settings file (default: the user's config folder)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (
        _run_cmd, _plugins_cmd, _commands_cmd, _settings_cmd, _cleanup_cmd, _doctor_cmd,
        _script_cmd, _zlut_cmd, _new_plugin_cmd,
    ):
        module.add_parser(sub)
    records = add_plugin_commands(sub)
    parser.set_defaults(plugin_commands=records)  # `magscope plugins` lists these
    return parser, records


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``magscope``; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    code: int = args.func(args)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
