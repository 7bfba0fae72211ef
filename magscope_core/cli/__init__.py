"""The ``magscope`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from magscope_core._version import __version__

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``magscope`` with every subcommand."""
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
    _plugin_commands(sub)
    return parser


def _plugin_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Subcommands plugins declare in the entry-point group ``magscope.cli``.

    Each entry point names a module with ``add_parser(subparsers)`` (like the core's own
    commands). A module that fails to load is skipped with one line on stderr.
    """
    from importlib.metadata import entry_points

    for ep in entry_points(group="magscope.cli"):
        try:
            ep.load().add_parser(sub)
        except Exception as exc:  # a broken plugin must not break the command line
            print(f"warning: command {ep.name!r} of {ep.value} not loaded: "
                  f"{type(exc).__name__}: {exc}", file=sys.stderr)


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
