"""The Makefile's package list: both README orders (demo then test) and repeated runs lint."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _make_variable(name: str) -> list[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8").replace("\\\n", " ")
    match = re.search(rf"^{name}\s*:=(.*)$", text, re.MULTILINE)
    assert match, f"Makefile has no {name} := ..."
    return match.group(1).split()


def test_mypy_package_list_is_explicit_and_complete() -> None:
    """Every plugin package is type-checked, and nothing else (no egg-info folder).

    An editable install leaves ``plugins/*/magscope_*.egg-info``; a wildcard in the
    Makefile used to pick those up and mypy then stopped on them.
    """
    listed = _make_variable("PLUGIN_PKGS")
    assert all("$(" not in item and "*" not in item for item in listed), listed
    for item in listed:
        assert (ROOT / item / "__init__.py").is_file(), f"{item} is not a package"
    packages = sorted(
        str(p.parent.relative_to(ROOT))
        for p in ROOT.glob("plugins/*/magscope_*/__init__.py")
    )
    assert sorted(listed) == packages
