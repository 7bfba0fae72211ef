"""``magscope doctor``: a report to paste into a bug report, with every check.

Plain text by default, ``--markdown`` for an issue tracker, ``--json`` for tools. The exit
code is 1 when a check failed (see :mod:`magscope_core.cli._doctor_report`).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from magscope_core.cli._common import load_plugin_set
from magscope_core.cli._doctor_report import Report, collect

__all__ = ["add_parser", "render_markdown", "render_text", "run"]

TITLE = "MagScope doctor report"


def add_parser(sub: Any) -> None:
    """Register ``doctor``."""
    p = sub.add_parser(
        "doctor",
        help="report versions, plugins, resources and run every health check",
        description="Print a report to paste into a bug report: Python, the core, every "
        "plugin (distribution, version, licence) and key libraries, the platform, shared "
        "memory and disk space, the display, and every check (plugins that did not load, "
        "import paths, plugins' health checks). Exit code 1 if a check failed.",
    )
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--markdown", action="store_true", help="print Markdown (for an issue)")
    fmt.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def _settings_file(args: argparse.Namespace) -> Path:
    from magscope_core._settings import default_settings_path

    return Path(args.config) if getattr(args, "config", None) else default_settings_path()


def _output_dir(args: argparse.Namespace, plugins: Any) -> Path | None:
    from magscope_core.cli._common import load_settings

    try:
        core = load_settings(args, plugins).get("core")
    except Exception:
        return None
    return Path(core.output_dir) if getattr(core, "output_dir", "") else None


def run(args: argparse.Namespace) -> int:
    """Print the report; 1 if any check failed."""
    plugins = load_plugin_set(args)
    report = collect(plugins, _settings_file(args), _output_dir(args, plugins))
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    elif args.markdown:
        print(render_markdown(report))
    else:
        print(render_text(report))
    return 0 if report.ok else 1


def _summary(report: Report) -> str:
    failed = sum(1 for c in report.checks if not c.ok)
    return f"{len(report.checks)} checks, {failed} failed"


def render_text(report: Report) -> str:
    """Plain text: a titled block per section, aligned ``label  value`` rows."""
    lines = [TITLE, ""]

    def block(title: str, rows: tuple[tuple[str, str], ...]) -> None:
        width = max((len(k) for k, _ in rows), default=0)
        lines.append(title)
        lines.extend(f"  {k.ljust(width)}  {v}" for k, v in rows)
        lines.append("")

    block("System", report.system)
    block("Key libraries", report.libraries)
    columns = ("name", "distribution", "version", "licence", "status", "provides")
    widths = {c: max([len(c)] + [len(p[c]) for p in report.plugins]) for c in columns}
    lines.append("Plugins")
    lines.append("  " + "  ".join(c.ljust(widths[c]) for c in columns).rstrip())
    lines.extend("  " + "  ".join(p[c].ljust(widths[c]) for c in columns).rstrip()
                 for p in report.plugins)
    lines.append("")
    block("Resources", report.resources)
    block("Display", report.display)
    lines.append("Checks")
    lines.extend(f"  [{'ok' if c.ok else 'FAIL'}] {c.name} ({c.plugin}): {c.message}"
                 for c in report.checks)
    lines.append(_summary(report))
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report) -> str:
    """Markdown: a heading and a table per section, ready for an issue tracker."""
    lines = [f"## {TITLE}", ""]

    def table(title: str, rows: tuple[tuple[str, str], ...]) -> None:
        lines.extend([f"### {title}", "", "| | |", "|---|---|"])
        lines.extend(f"| {_cell(k)} | {_cell(v)} |" for k, v in rows)
        lines.append("")

    table("System", report.system)
    table("Key libraries", report.libraries)
    columns = ("name", "distribution", "version", "licence", "status", "provides")
    lines.extend(["### Plugins", "", "| " + " | ".join(columns) + " |",
                  "|" + "---|" * len(columns)])
    lines.extend("| " + " | ".join(_cell(p[c]) for c in columns) + " |"
                 for p in report.plugins)
    lines.append("")
    table("Resources", report.resources)
    table("Display", report.display)
    lines.extend(["### Checks", "", "| result | check | plugin | message |", "|---|---|---|---|"])
    lines.extend(f"| {'ok' if c.ok else '**FAIL**'} | {_cell(c.name)} | {_cell(c.plugin)} | "
                 f"{_cell(c.message)} |" for c in report.checks)
    lines.extend(["", _summary(report)])
    return "\n".join(lines)
