"""``magscope doctor``: run every plugin's health checks and look for leftovers."""

from __future__ import annotations

import argparse
import json
from typing import Any

from magscope_core._buffers import cleanup_stale_segments
from magscope_core.cli._common import load_plugin_set

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    """Register ``doctor``."""
    p = sub.add_parser("doctor", help="run health checks of the core and every plugin")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the checks; exit code 1 if any failed."""
    plugins = load_plugin_set(args)
    results: list[dict[str, Any]] = []
    for record in plugins.plugins:
        if record.status != "loaded":
            results.append({"check": f"plugin {record.name}", "ok": False,
                            "message": f"{record.status}: {record.error or ''}".strip(),
                            "plugin": record.name})
    removed = cleanup_stale_segments()
    results.append({"check": "shared memory", "ok": True, "plugin": "core",
                    "message": f"{len(removed)} stale segment(s) of dead sessions removed"})
    for name, contrib in sorted(plugins.health_checks.items()):
        try:
            result = contrib.spec.check()
            ok, message = bool(result.ok), str(result.message)
        except Exception as exc:
            ok, message = False, f"the check raised {type(exc).__name__}: {exc}"
        results.append({"check": name, "ok": ok, "message": message, "plugin": contrib.plugin})
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for r in results:
            print(f"[{'ok' if r['ok'] else 'FAIL'}] {r['check']} ({r['plugin']}): {r['message']}")
    return 0 if all(r["ok"] for r in results) else 1
