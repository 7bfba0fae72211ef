"""The hook reference (docs/plugins/hooks.md) is generated from the hook specifications.

A hook without a docstring (or without its Returns and Examples sections) fails here, and
so does a page that was not regenerated after a docstring or a spec record changed.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from magscope_core import _hookspecs

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def gen() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_hook_docs",
                                                  ROOT / "scripts" / "gen_hook_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_hook_is_documented(gen: ModuleType) -> None:
    assert gen.problems() == []
    assert list(gen.hook_specs()) == [k.hook for k in _hookspecs.HOOK_KINDS]


def test_the_page_on_disk_is_current(gen: ModuleType) -> None:
    page = ROOT / "docs" / "plugins" / "hooks.md"
    assert page.read_text(encoding="utf-8") == gen.render(), (
        "docs/plugins/hooks.md is out of date: run python scripts/gen_hook_docs.py"
    )
    for kind in _hookspecs.HOOK_KINDS:  # each hook has its section and its record's fields
        assert f"\n## {kind.hook}\n" in gen.render()
        assert f"Fields of `{kind.spec_type.__name__}`" in gen.render()


def test_an_undocumented_hook_is_named(gen: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    @_hookspecs.hookspec
    def magscope_gadgets() -> list[object]:  # a new hook someone forgot to document
        ...

    def magscope_widgets() -> list[object]:
        """Widgets.

        Returns
        -------
        list
            Widgets.
        """

    monkeypatch.setattr(_hookspecs, "magscope_gadgets", magscope_gadgets, raising=False)
    monkeypatch.setattr(_hookspecs, "magscope_widgets", _hookspecs.hookspec(magscope_widgets),
                        raising=False)
    found = gen.problems()
    assert "hook magscope_gadgets has no docstring" in found
    assert "hook magscope_gadgets is specified but has no row in HOOK_KINDS" in found
    assert "hook magscope_widgets: its docstring has no 'Examples' section" in found
    assert gen.main(["--check"]) == 1
