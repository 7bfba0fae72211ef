"""The contributor guide is short, the plugin guide has a page per kind, and links hold.

CONTRIBUTING.md covers set-up, style, tests and proposing changes; the plugin guide lives
in docs/plugins/ with one page per kind, each starting from ``magscope new-plugin``. Every
relative link (and its ``#anchor``) in these pages and the README must resolve.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "plugins"
KINDS = ("camera", "motor", "tracker", "writer", "panel")
OTHER_PAGES = ("managers", "commands", "settings", "frontends", "health-checks", "scripts",
               "debugging", "testing", "hooks", "versions")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes."""
    found = set()
    in_code = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        if in_code or not line.startswith("#"):
            continue
        title = line.lstrip("#").strip().lower()
        found.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return found


def _links(path: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    return [t for t in LINK.findall(text) if not re.match(r"^[a-z]+:", t)]


def test_contributing_is_short_and_points_to_the_plugin_guide() -> None:
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) < 200
    for section in ("## Set-up", "## Code style", "## Tests", "## How to propose a change"):
        assert section in text
    assert "docs/plugins/README.md" in text


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_page_starts_from_the_generator(kind: str) -> None:
    text = (GUIDE / f"{kind}.md").read_text(encoding="utf-8")
    first_code = re.search(r"```\w*\n(.*?)```", text, re.S)
    assert first_code and f"magscope new-plugin acme --kind {kind}" in first_code.group(1)
    assert f"({kind}.md)" in (GUIDE / "README.md").read_text(encoding="utf-8")


def test_every_other_page_exists_and_is_linked_from_the_index() -> None:
    index = (GUIDE / "README.md").read_text(encoding="utf-8")
    for page in OTHER_PAGES:
        assert (GUIDE / f"{page}.md").is_file(), page
        assert f"({page}.md)" in index, f"docs/plugins/README.md does not link {page}.md"


PAGES = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted(GUIDE.glob("*.md"))]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_and_anchors_resolve(page: Path) -> None:
    broken = []
    for target in _links(page):
        file_part, _, anchor = target.partition("#")
        path = (page.parent / file_part).resolve() if file_part else page
        if not path.exists():
            broken.append(f"{target}: no such file")
        elif anchor and path.suffix == ".md" and anchor not in _anchors(
            path.read_text(encoding="utf-8")
        ):
            broken.append(f"{target}: no heading with anchor #{anchor}")
    assert not broken, f"{page.relative_to(ROOT)}: {broken}"


def test_the_link_check_catches_a_broken_anchor(tmp_path: Path) -> None:
    page = tmp_path / "a.md"
    page.write_text("# Title\n\n## Keep it light\n\nSee [x](#keep-it-light), [y](#nope).\n")
    assert _anchors(page.read_text()) == {"title", "keep-it-light"}
    assert _links(page) == ["#keep-it-light", "#nope"]
