"""Signals are connected to bound methods only, never to lambdas or partials.

With PySide6 6.11 a lambda or ``functools.partial`` that holds a widget, connected to a
child's signal, can abort the process ("shared QObject was deleted directly") when the
widget is deleted. This scans the GUI package's source for such connections.
"""

from __future__ import annotations

import ast
from pathlib import Path

import magscope_gui

PACKAGE = Path(magscope_gui.__file__).resolve().parent
_CONNECTING = {"connect", "singleShot", "addAction"}


def unsafe_slots(path: Path) -> list[str]:
    """``file:line`` of every lambda or partial passed to connect/singleShot/addAction."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in _CONNECTING):
            continue
        for arg in [*node.args, *(k.value for k in node.keywords)]:
            is_partial = (isinstance(arg, ast.Call)
                          and (getattr(arg.func, "id", None) == "partial"
                               or getattr(arg.func, "attr", None) == "partial"))
            if isinstance(arg, ast.Lambda) or is_partial:
                found.append(f"{path.name}:{arg.lineno}")
    return found


def test_no_lambda_or_partial_slots_in_the_gui_package() -> None:
    files = sorted(PACKAGE.glob("*.py"))
    assert len(files) > 10
    assert [hit for f in files for hit in unsafe_slots(f)] == []


def test_the_scan_finds_them(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("b.clicked.connect(lambda: self.go())\n"
                   "m.addAction('x', functools.partial(self.go, 1))\n"
                   "b.clicked.connect(self.go)\n", encoding="utf-8")
    assert unsafe_slots(bad) == ["bad.py:1", "bad.py:2"]
