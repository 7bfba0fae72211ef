"""``magscope new-plugin NAME --kind KIND``: generate a plugin package that passes its tests."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from magscope_core._config_errors import ConfigurationError

__all__ = ["add_parser", "run"]

_KINDS = "camera, motor, tracker, writer, panel"


def add_parser(sub: Any) -> None:
    """Register ``new-plugin``."""
    p = sub.add_parser(
        "new-plugin", help="generate a plugin package (code, tests, licence) to start from",
        description="Generate magscope-NAME/: a pyproject with the 'magscope' entry point, a "
        "LICENSE, a README, the plugin module and contract tests that pass as generated. "
        "Install it with: pip install -e 'magscope-NAME[test]'")
    p.add_argument("name", metavar="NAME", help="plugin name, e.g. acme-cam")
    p.add_argument("--kind", required=True, metavar="KIND", help=f"one of: {_KINDS}")
    p.add_argument("--axis", default=None, metavar="AXIS",
                   help="--kind motor only: focus (default) or magnet")
    p.add_argument("--license", default="bsd-3", metavar="LICENSE",
                   help="bsd-3 (default), mit, gpl-3 or proprietary")
    p.add_argument("--author", default="", help="copyright holder (default: the authors)")
    p.add_argument("--out", default=".", type=Path, help="folder to create it in (default: .)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Generate the package; one line and exit code 2 on a bad NAME, kind or folder."""
    from magscope_core._new_plugin import generate, plugin_names

    try:
        names = plugin_names(args.name, args.kind, args.license, args.author, args.axis)
        dest = generate(names, args.out)
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    what = f"{names.axis} motor" if names.axis else names.kind
    print(f"created {dest} ({what} plugin {names.name!r}, package {names.package}, "
          f"licence {names.license_spdx})")
    print(f"next: pip install -e '{dest}[test]' && pytest {dest / 'tests'}")
    return 0
