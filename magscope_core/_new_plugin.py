"""``magscope new-plugin``: generate a plugin package from the templates shipped as data.

The templates live in ``magscope_core/_templates/new_plugin/`` (package data): ``common/``
for every kind, one folder per kind (``motor/`` is the focus motor, ``motor-magnet/`` the
magnet motor of ``--kind motor --axis magnet``), and ``licenses/``. In file contents and paths,
``{{key}}`` is replaced by the values of :class:`PluginNames`; a path part ``PACKAGE`` becomes
the Python package; ``.tmpl`` is dropped from file names (so the templates are never
linted, imported or collected as tests in this repository).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import attrs

from magscope_core._config_errors import ConfigurationError, did_you_mean
from magscope_core._version import __version__

__all__ = [
    "AXES", "KINDS", "LICENSES", "PluginNames", "core_requirement", "generate", "plugin_names",
]

KINDS: tuple[str, ...] = ("camera", "motor", "tracker", "writer", "panel")
"""What ``--kind`` accepts."""

AXES: tuple[str, ...] = ("focus", "magnet")
"""What ``--axis`` accepts (``--kind motor`` only; ``focus`` by default)."""

LICENSES: dict[str, tuple[str, str]] = {
    "bsd-3": ("BSD-3-Clause", "bsd-3.txt"),
    "mit": ("MIT", "mit.txt"),
    "gpl-3": ("GPL-3.0-or-later", "gpl-3.txt"),
    "proprietary": ("LicenseRef-Proprietary", "proprietary.txt"),
}
"""``--license`` choice -> (SPDX expression for ``pyproject.toml``, template file)."""

_DESCRIPTIONS = {
    "camera": "camera",
    "motor": "motor",
    "tracker": "bead tracker",
    "writer": "file writer",
    "panel": "GUI panel",
}
_GUI_REQUIREMENT = "magscope-gui>=0.1,<0.2"

_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


@attrs.frozen
class PluginNames:
    """Every name a generated plugin uses, derived from NAME (e.g. ``acme-cam``).

    Attributes
    ----------
    name
        The plugin (entry-point) name and the name of its camera/tracker/... record.
    dist
        Distribution name, ``magscope-<name>``.
    package
        Python package, ``magscope_<name with _>``.
    prefix
        Class-name prefix, ``AcmeCam``.
    kind, axis, license_id, license_spdx, author, year, core_requirement
        The choices and what follows from them (``axis`` is ``""`` unless ``kind`` is
        ``motor``).
    template
        The template folder: the kind, or ``motor-magnet`` for a magnet motor.
    generator_args
        The ``magscope new-plugin`` options that generate it (for the README).
    description, dependencies, test_dependencies
        ``pyproject.toml`` text for the kind (dependencies as quoted, comma-separated
        TOML strings).
    """

    name: str
    dist: str
    package: str
    prefix: str
    kind: str
    axis: str
    template: str
    generator_args: str
    license_id: str
    license_spdx: str
    author: str
    year: str
    core_requirement: str
    description: str
    dependencies: str
    test_dependencies: str

    def values(self) -> dict[str, str]:
        """The template placeholders and their values."""
        return attrs.asdict(self)


def core_requirement(version: str = __version__) -> str:
    """The ``magscope-core`` range a new plugin supports: this minor release series.

    ``0.1.3`` gives ``magscope-core>=0.1,<0.2``; ``1.4.0`` gives ``magscope-core>=1.4,<2``.
    """
    major, minor = (int(p) for p in version.split(".")[:2])
    upper = f"{major}.{minor + 1}" if major == 0 else f"{major + 1}"
    return f"magscope-core>={major}.{minor},<{upper}"


def plugin_names(name: str, kind: str, license_id: str = "bsd-3",
                 author: str = "", axis: str | None = None) -> PluginNames:
    """Check NAME, kind, axis and licence; derive every name.

    ``axis`` chooses the motor of ``kind="motor"``: ``"focus"`` (the default) or
    ``"magnet"``; other kinds take none.

    Raises
    ------
    ConfigurationError
        One line naming the bad value and what is allowed.
    """
    if not _NAME.match(name) or len(name) > 40:
        raise ConfigurationError(
            f"new-plugin NAME {name!r} rejected: expected lower-case letters and digits, "
            "words joined by '-', starting with a letter, at most 40 characters "
            "(e.g. 'acme-cam')")
    if name == "magscope" or name.startswith("magscope-"):
        raise ConfigurationError(
            f"new-plugin NAME {name!r} rejected: leave out the 'magscope-' prefix "
            f"(the distribution is named magscope-NAME), e.g. {name.removeprefix('magscope-')!r}")
    if kind not in KINDS:
        near = did_you_mean(kind, KINDS)
        hint = f"did you mean {near!r}? " if near else ""
        raise ConfigurationError(f"new-plugin --kind {kind!r} rejected: {hint}"
                                 f"expected one of {', '.join(KINDS)}")
    if axis is not None and kind != "motor":
        raise ConfigurationError(f"new-plugin --axis {axis!r} rejected: --axis applies to "
                                 f"--kind motor only, not --kind {kind}")
    if kind == "motor" and axis is None:
        axis = "focus"
    if axis is not None and axis not in AXES:
        near = did_you_mean(axis, AXES)
        hint = f"did you mean {near!r}? " if near else ""
        raise ConfigurationError(f"new-plugin --axis {axis!r} rejected: {hint}"
                                 f"expected one of {', '.join(AXES)}")
    if license_id not in LICENSES:
        raise ConfigurationError(f"new-plugin --license {license_id!r} rejected: expected "
                                 f"one of {', '.join(LICENSES)}")
    words = name.split("-")
    deps = [core_requirement(), "numpy>=1.24"]
    test_deps = ["pytest>=8", "pytest-timeout>=2.2"]
    if kind == "panel":
        deps.append(_GUI_REQUIREMENT)
        test_deps.append("pytest-qt>=4.4")
    template = "motor-magnet" if axis == "magnet" else kind
    args = f"--kind {kind}" + (" --axis magnet" if axis == "magnet" else "")
    what = f"{axis} motor" if axis else _DESCRIPTIONS[kind]
    return PluginNames(
        name=name, dist=f"magscope-{name}", package="magscope_" + "_".join(words),
        prefix="".join(w.capitalize() for w in words), kind=kind, axis=axis or "",
        template=template, generator_args=args, license_id=license_id,
        license_spdx=LICENSES[license_id][0], author=author or f"The magscope-{name} authors",
        year=str(datetime.date.today().year), core_requirement=core_requirement(),
        description=f"MagScope {what} plugin {name}",
        dependencies=", ".join(f'"{d}"' for d in deps),
        test_dependencies=", ".join(f'"{d}"' for d in test_deps))


def _installed_plugin_names() -> set[str]:
    return {ep.name for ep in metadata.entry_points(group="magscope")}


def _walk(node: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        if child.is_dir():
            if child.name != "__pycache__":
                yield from _walk(child, (*prefix, child.name))
        else:
            yield (*prefix, child.name), child


def render(text: str, values: dict[str, str], where: str) -> str:
    """Replace ``{{key}}`` placeholders.

    Raises
    ------
    KeyError
        Naming the template and the placeholder that has no value.
    """

    def sub(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise KeyError(f"template {where}: unknown placeholder {{{{{key}}}}}")
        return values[key]

    return _PLACEHOLDER.sub(sub, text)


def _target(parts: tuple[str, ...], names: PluginNames) -> Path:
    mapped = [names.package if p == "PACKAGE" else render(p, names.values(), "/".join(parts))
              for p in parts]
    mapped[-1] = mapped[-1].removesuffix(".tmpl")
    return Path(*mapped)


def generate(names: PluginNames, out: Path) -> Path:
    """Write the plugin package into ``out / names.dist``; return that folder.

    Raises
    ------
    ConfigurationError
        If the folder exists already or a plugin of that name is installed.
    """
    dest = Path(out) / names.dist
    if dest.exists():
        raise ConfigurationError(f"new-plugin: {dest} already exists; choose another NAME "
                                 "or --out folder (nothing was written)")
    if names.name in _installed_plugin_names():
        raise ConfigurationError(f"new-plugin NAME {names.name!r} rejected: a plugin of that "
                                 "name is installed already (see 'magscope plugins')")
    root = resources.files("magscope_core") / "_templates" / "new_plugin"
    files: dict[Path, str] = {}
    for folder in ("common", names.template):
        for parts, node in _walk(root / folder):
            where = "/".join((folder, *parts))
            files[_target(parts, names)] = render(node.read_text(encoding="utf-8"),
                                                  names.values(), where)
    licence = root / "licenses" / LICENSES[names.license_id][1]
    files[Path("LICENSE")] = render(licence.read_text(encoding="utf-8"), names.values(),
                                    f"licenses/{LICENSES[names.license_id][1]}")
    dest.mkdir(parents=True)
    for rel, text in sorted(files.items()):
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return dest
