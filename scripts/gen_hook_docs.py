"""Write ``docs/plugins/hooks.md``, the hook reference, from ``magscope_core/_hookspecs.py``.

The page is generated from the hook specifications' docstrings and the spec records'
fields, so it cannot drift from the code: ``tests/test_hook_docs.py`` fails when a hook has
no documentation or when the page on disk differs from what this script writes.

    python scripts/gen_hook_docs.py           # rewrite the page
    python scripts/gen_hook_docs.py --check   # exit 1 if the page is out of date
"""

from __future__ import annotations

import argparse
import inspect
import re
import sys
import textwrap
from pathlib import Path
from typing import Any

import attrs

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "plugins" / "hooks.md"
REQUIRED_SECTIONS = ("Returns", "Examples")
"""Numpy docstring sections every hook specification must have."""


def hook_specs() -> dict[str, Any]:
    """Hook name -> its specification function, in the order of ``HOOK_KINDS``."""
    from magscope_core import _hookspecs

    marked = {
        name: fn for name, fn in vars(_hookspecs).items()
        if callable(fn) and hasattr(fn, f"{_hookspecs.PROJECT_NAME}_spec")
    }
    ordered = {k.hook: marked[k.hook] for k in _hookspecs.HOOK_KINDS if k.hook in marked}
    ordered.update({n: f for n, f in marked.items() if n not in ordered})
    return ordered


def problems() -> list[str]:
    """What keeps a hook from being documented: one sentence each (empty: all documented)."""
    from magscope_core._hookspecs import HOOK_KINDS

    found = []
    specs = hook_specs()
    kinds = {k.hook for k in HOOK_KINDS}
    for name in sorted(set(specs) - kinds):
        found.append(f"hook {name} is specified but has no row in HOOK_KINDS")
    for name in sorted(kinds - set(specs)):
        found.append(f"HOOK_KINDS names {name}, which has no hook specification")
    for name, fn in specs.items():
        doc = inspect.getdoc(fn) or ""
        if not doc.strip():
            found.append(f"hook {name} has no docstring")
            continue
        for section in REQUIRED_SECTIONS:
            if not re.search(rf"^{section}\n-+$", doc, re.M):
                found.append(f"hook {name}: its docstring has no '{section}' section")
    return found


def _inline(text: str) -> str:
    """RST inline markup -> Markdown."""
    text = re.sub(r":\w+:`~?(?:[\w.]+\.)?([\w]+)`", r"`\1`", text)
    return text.replace("``", "`")


def _blocks(doc: str) -> str:
    """A numpy docstring as Markdown: sections in bold, ``::`` blocks fenced as Python."""
    out: list[str] = []
    lines = doc.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if i + 1 < len(lines) and lines[i + 1].strip() and set(lines[i + 1].strip()) == {"-"}:
            out.append(f"**{line.strip()}**")
            i += 2
            continue
        if line.rstrip().endswith("::"):
            intro = line.rstrip()[:-1].rstrip()  # "Example::" -> "Example:"
            if intro.strip() and intro.strip() != ":":
                out.append(_inline(intro))
            i += 1
            code: list[str] = []
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith("    ")):
                code.append(lines[i])
                i += 1
            body = textwrap.dedent("\n".join(code)).strip("\n")
            language = "toml" if re.search(r"^\[[\w.-]+\]$", body, re.M) else "python"
            out += ["", f"```{language}", body, "```", ""]
            continue
        if line and not line.startswith(" ") and i + 1 < len(lines) \
                and lines[i + 1].startswith("    "):  # a numpy entry: name, then its text
            i += 1
            words: list[str] = []
            while i < len(lines) and lines[i].startswith("    "):
                words.append(lines[i].strip())
                i += 1
            out.append(f"- `{line.strip()}`: {_inline(' '.join(words))}")
            continue
        out.append(_inline(line))
        i += 1
    text = "\n".join(out)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _field_rows(spec_type: type) -> list[str]:
    rows = ["| field | type | default |", "|---|---|---|"]
    for field in attrs.fields(spec_type):
        if field.default is attrs.NOTHING:
            default = "required"
        elif isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
            default = f"`{field.default.factory.__name__}()`"
        else:
            default = f"`{field.default!r}`"
        kind = str(field.type)
        if field.converter is not None:  # what the record accepts: the converter's input
            parameter = next(iter(inspect.signature(field.converter).parameters.values()))
            kind = str(parameter.annotation)
        kind = kind.replace("|", "\\|")
        rows.append(f"| `{field.name}` | `{kind}` | {default} |")
    return rows


def render() -> str:
    """The whole page."""
    from magscope_core import _hookspecs

    kinds = {k.hook: k for k in _hookspecs.HOOK_KINDS}
    parts = [
        "# Hook reference",
        "",
        "<!-- Generated by scripts/gen_hook_docs.py from magscope_core/_hookspecs.py: "
        "do not edit; run `python scripts/gen_hook_docs.py`. -->",
        "",
        "Every hook a plugin can implement, with the record it returns. How to write each "
        "kind of plugin: [the plugin guide](README.md).",
        "",
        "| hook | returns | unique key | `PluginSet` attribute |",
        "|---|---|---|---|",
    ]
    specs = hook_specs()
    for name in specs:
        k = kinds[name]
        parts.append(f"| [`{name}`](#{name}) | `{k.spec_type.__name__}` | `{k.key}` | "
                     f"`{k.attribute}` |")
    parts += ["", "## How hooks work", "", _blocks(inspect.getdoc(_hookspecs) or "")]
    for name, fn in specs.items():
        k = kinds[name]
        parts += [
            "",
            f"## {name}",
            "",
            "```python",
            f"@hookimpl\n{k.signature}: ...",
            "```",
            "",
            f"Kind `{k.kind}`; records are `{k.spec_type.__name__}`, unique by `{k.key}` "
            f"across all plugins; collected in `PluginSet.{k.attribute}`.",
            "",
            _blocks(inspect.getdoc(fn) or ""),
            "",
            f"Fields of `{k.spec_type.__name__}`:",
            "",
            *_field_rows(k.spec_type),
        ]
    return "\n".join(parts).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the page (or, with ``--check``, compare it); 1 on a problem."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check the page is current")
    args = parser.parse_args(argv)
    found = problems()
    for problem in found:
        print(f"error: {problem}", file=sys.stderr)
    if found:
        return 1
    text = render()
    if args.check:
        current = PAGE.read_text(encoding="utf-8") if PAGE.exists() else ""
        if current != text:
            print(f"error: {PAGE.relative_to(ROOT)} is out of date; run "
                  "python scripts/gen_hook_docs.py", file=sys.stderr)
            return 1
        return 0
    PAGE.parent.mkdir(parents=True, exist_ok=True)
    PAGE.write_text(text, encoding="utf-8")
    print(f"wrote {PAGE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
