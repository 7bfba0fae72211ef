"""Every distribution here (the core and each plugin) carries the metadata a package needs.

A licence file that matches its SPDX expression, project URLs, valid classifiers, the
supported platforms in its README, one version source, and a plugin API range on
``magscope-core`` that follows the version policy (``docs/plugins/versions.md``).
"""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PROJECTS = [ROOT, *sorted(p.parent for p in ROOT.glob("plugins/*/pyproject.toml"))]

LICENCE_WORDS = {
    "BSD-3-Clause": "BSD 3-Clause License",
    "GPL-3.0-only": "GNU GENERAL PUBLIC LICENSE",
    "GPL-3.0-or-later": "GNU GENERAL PUBLIC LICENSE",
}
"""SPDX expression -> words its licence text must contain (the licences we use)."""


def _pyproject(folder: Path) -> dict[str, Any]:
    with (folder / "pyproject.toml").open("rb") as f:
        data: dict[str, Any] = tomllib.load(f)
    return data


def _package(folder: Path) -> Path:
    name = _pyproject(folder)["project"]["name"].replace("-", "_")
    return folder / name


def _id(folder: Path) -> str:
    return "core" if folder == ROOT else folder.name


@pytest.mark.parametrize("folder", PROJECTS, ids=_id)
def test_licence_file_matches_the_licence_expression(folder: Path) -> None:
    project = _pyproject(folder)["project"]
    expression = project.get("license")
    assert isinstance(expression, str), f"{folder}: license must be an SPDX expression string"
    assert expression in LICENCE_WORDS, f"{folder}: unexpected licence {expression!r}"
    files = project.get("license-files")
    assert files == ["LICENSE"], f"{folder}: license-files must be ['LICENSE'], got {files}"
    text = (folder / "LICENSE").read_text(encoding="utf-8")
    assert LICENCE_WORDS[expression] in text, f"{folder}/LICENSE is not {expression}"
    licence_classifiers = [c for c in project["classifiers"] if c.startswith("License ::")]
    assert not licence_classifiers, "the SPDX expression replaces License :: classifiers"


@pytest.mark.parametrize("folder", PROJECTS, ids=_id)
def test_urls_classifiers_and_platforms(folder: Path) -> None:
    from trove_classifiers import classifiers as known

    project = _pyproject(folder)["project"]
    urls = project.get("urls", {})
    assert {"Homepage", "Documentation", "Source", "Issues"} <= set(urls), urls
    for url in urls.values():
        assert url.startswith("https://"), url
        blob = re.search(r"/(?:blob|tree)/main/(.+)$", url)
        if blob:  # a page of this repository: it must exist
            assert (ROOT / blob.group(1)).exists(), f"{folder}: {url} names a missing path"
    classifiers = project.get("classifiers", [])
    unknown = [c for c in classifiers if c not in known]
    assert not unknown, f"{folder}: not trove classifiers: {unknown}"
    assert any(c.startswith("Operating System ::") for c in classifiers)
    assert "Programming Language :: Python :: 3" in classifiers
    readme = (folder / project["readme"]).read_text(encoding="utf-8")
    platforms = re.search(r"^## Platforms\n\n(.+?)(?:\n\n|\Z)", readme, re.M | re.S)
    assert platforms, f"{folder}/README.md has no '## Platforms' section"
    assert "Linux" in platforms.group(1)


def _version_copies(path: Path) -> list[str]:
    """``file:line`` of every ``__version__ = "<literal>"`` in a module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        names = {t.id for t in targets if isinstance(t, ast.Name)}
        literal = isinstance(value, ast.Constant) and isinstance(value.value, str)
        if "__version__" in names and literal and value.value != "0+unknown":  # type: ignore[attr-defined]
            found.append(f"{path}:{node.lineno}")
    return found


@pytest.mark.parametrize("folder", PROJECTS, ids=_id)
def test_one_version_source(folder: Path) -> None:
    """The version is written once, in pyproject.toml; the package reads it back."""
    project = _pyproject(folder)["project"]
    assert "version" not in project.get("dynamic", []), "static version in pyproject.toml"
    assert re.fullmatch(r"\d+\.\d+\.\d+", project["version"])
    copies = [c for path in sorted(_package(folder).rglob("*.py")) for c in _version_copies(path)]
    assert not copies, f"a second copy of the version (use importlib.metadata): {copies}"
    module = importlib.import_module(_package(folder).name)
    assert module.__version__ == importlib.metadata.version(project["name"])


def _uses_the_core(folder: Path) -> bool:
    deps = _pyproject(folder)["project"].get("dependencies", [])
    return any(Requirement(r).name == "magscope-core" for r in deps)


def test_only_the_analysis_library_stands_alone() -> None:
    """Every plugin depends on the core; the numpy-only analysis library does not."""
    assert [_id(p) for p in PROJECTS[1:] if not _uses_the_core(p)] == ["analysis"]


@pytest.mark.parametrize("folder", [p for p in PROJECTS[1:] if _uses_the_core(p)], ids=_id)
def test_plugins_pin_the_plugin_api_range(folder: Path) -> None:
    """``magscope-core>=X.Y,<X.(Y+1)`` while the core is 0.x (docs/plugins/versions.md)."""
    core = _pyproject(ROOT)["project"]["version"]
    major, minor = (int(part) for part in core.split(".")[:2])
    project = _pyproject(folder)["project"]
    pins = [Requirement(r) for r in project["dependencies"]]
    (pin,) = [r for r in pins if r.name == "magscope-core"]
    upper = f"<{major}.{minor + 1}" if major == 0 else f"<{major + 1}"
    expected = {f">={major}.{minor}", upper}
    assert {str(s) for s in pin.specifier} == expected, (
        f"{project['name']}: magscope-core{pin.specifier}, expected "
        f"magscope-core{','.join(sorted(expected))}"
    )


def test_the_version_check_finds_a_literal_copy(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text('"""x"""\n\n__version__: str = "0.1.0"\n')
    good = tmp_path / "good.py"
    good.write_text('from importlib.metadata import version\n__version__ = version("x")\n')
    assert _version_copies(bad) == [f"{bad}:3"]
    assert _version_copies(good) == []
