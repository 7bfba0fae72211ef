"""``magscope settings``: show, change and reset settings of the core and every plugin."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rich.table import Table

from magscope_core._settings import SettingsError, describe
from magscope_core.cli._common import console, load_everything

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    """Register ``settings``."""
    p = sub.add_parser("settings", help="show or change settings (core and plugins)")
    p.add_argument("action", nargs="?", default="show", choices=("show", "set", "reset", "path"))
    p.add_argument("key", nargs="?", help="NAMESPACE.KEY (set), NAMESPACE[.KEY] (reset)")
    p.add_argument("value", nargs="?", help="new value (set)")
    p.add_argument("--json", action="store_true", help="print JSON (show)")
    p.set_defaults(func=run)


def _split(key: str | None) -> tuple[str, str | None]:
    if not key:
        raise SettingsError("give NAMESPACE.KEY, e.g. core.n_stacks")
    namespace, _, name = key.rpartition(".")
    if not namespace:
        return name, None
    return namespace, name


def run(args: argparse.Namespace) -> int:
    """Show, set or reset settings."""
    _plugins, store = load_everything(args)
    try:
        if args.action == "path":
            print(store.path)
            return 0
        if args.action == "set":
            namespace, key = _split(args.key)
            if key is None or args.value is None:
                raise SettingsError("usage: magscope settings set NAMESPACE.KEY VALUE")
            result = store.set(namespace, key, args.value)
            saved = store.save()
            note = " (takes effect at the next start)" if result.restart_required else ""
            print(f"{namespace}.{key} = {store.value(namespace, key)!r}{note}; saved to "
                  f"{getattr(saved, 'path', store.path)}")
            return 0
        if args.action == "reset":
            namespace, key = _split(args.key)
            store.reset(namespace, key)
            store.save()
            print(f"reset {namespace}{'.' + key if key else ''} to defaults")
            return 0
    except (SettingsError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rows = []
    for namespace in store.namespaces:
        for info in describe(store.schema(namespace)):
            rows.append({
                "key": f"{namespace}.{info.key}",
                "value": store.value(namespace, info.key),
                "default": info.default,
                "range": _range(info),
                "unit": info.unit,
                "startup_only": info.startup_only,
                "doc": info.doc,
            })
    if args.json:
        print(json.dumps({"path": str(store.path), "settings": rows}, indent=2, default=str))
        return 0
    table = Table(title=f"settings ({store.path})")
    for col in ("key", "value", "default", "range", "restart", "doc"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["key"], repr(r["value"]), repr(r["default"]),
                      f"{r['range']} {r['unit']}".strip(), "yes" if r["startup_only"] else "",
                      r["doc"])
    console().print(table)
    return 0


def _range(info: Any) -> str:
    if info.choices:
        return " | ".join(map(str, info.choices))
    if info.minimum is None and info.maximum is None:
        return ""
    lo = "" if info.minimum is None else f"{info.minimum:g}"
    hi = "" if info.maximum is None else f"{info.maximum:g}"
    return f"{lo}..{hi}"
