"""Helpers shared by the CLI subcommands."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rich.console import Console

from magscope_core._core_plugin import CorePlugin
from magscope_core._plugins import PluginError, PluginSet, load_plugins
from magscope_core._settings import SettingsStore, default_settings_path

__all__ = ["console", "load_everything", "load_plugin_set", "load_settings"]


def console(stderr: bool = False) -> Console:
    """A rich console; wide tables when the output is not a terminal (pipes, CI logs)."""
    stream = sys.stderr if stderr else sys.stdout
    return Console(stderr=stderr, width=None if stream.isatty() else 160)


def load_plugin_set(args: argparse.Namespace) -> PluginSet:
    """Load plugins honouring ``--strict-plugins`` / ``MAGSCOPE_STRICT_PLUGINS``."""
    strict = getattr(args, "strict_plugins", None)
    return load_plugins(strict=strict, builtins=[(CorePlugin(), "core", "magscope-core")])


def load_settings(args: argparse.Namespace, plugins: PluginSet) -> SettingsStore:
    """Load the settings file; problems are printed, and the bad keys use defaults."""
    path = Path(args.config) if getattr(args, "config", None) else default_settings_path()
    schemas = {ns: c.spec.schema for ns, c in plugins.settings.items()}
    store = SettingsStore(schemas, path)
    for problem in store.load():
        print(f"settings: {problem}", file=sys.stderr)
    return store


def load_everything(args: argparse.Namespace) -> tuple[PluginSet, SettingsStore]:
    """Plugins and settings, or exit code 2 with the plugin error in strict mode."""
    try:
        plugins = load_plugin_set(args)
    except PluginError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    if os.environ.get("MAGSCOPE_DEBUG_PLUGINS"):
        for failure in plugins.errors:
            print(failure, file=sys.stderr)
    return plugins, load_settings(args, plugins)
