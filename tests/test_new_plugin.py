"""The plugin generator: names, kinds, licences, the files it writes."""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

import pytest

from magscope_core._config_errors import ConfigurationError
from magscope_core._new_plugin import KINDS, core_requirement, generate, plugin_names

VARIANTS = [(kind, None) for kind in KINDS] + [("motor", "magnet")]
"""Every template: each kind, and the magnet motor (``--kind motor --axis magnet``)."""

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def test_names_derive_from_name() -> None:
    n = plugin_names("acme-cam", "camera")
    assert (n.dist, n.package, n.prefix) == ("magscope-acme-cam", "magscope_acme_cam", "AcmeCam")
    assert n.license_spdx == "BSD-3-Clause"


@pytest.mark.parametrize(("version", "expected"), [
    ("0.1.0", "magscope-core>=0.1,<0.2"), ("0.3.7", "magscope-core>=0.3,<0.4"),
    ("1.4.0", "magscope-core>=1.4,<2")])
def test_core_range_is_the_minor_series(version: str, expected: str) -> None:
    assert core_requirement(version) == expected


@pytest.mark.parametrize(("name", "kind", "licence", "fragment"), [
    ("Acme", "camera", "mit", "new-plugin NAME 'Acme' rejected: expected lower-case"),
    ("acme_cam", "camera", "mit", "new-plugin NAME 'acme_cam' rejected"),
    ("9lives", "camera", "mit", "new-plugin NAME '9lives' rejected"),
    ("magscope-acme", "camera", "mit", "leave out the 'magscope-' prefix"),
    ("acme", "camra", "mit", "--kind 'camra' rejected: did you mean 'camera'? expected one of"),
    ("acme", "camera", "apache", "--license 'apache' rejected: expected one of bsd-3, mit"),
])
def test_bad_input_is_one_clear_line(name: str, kind: str, licence: str, fragment: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        plugin_names(name, kind, licence)
    assert fragment in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(("kind", "axis", "fragment"), [
    ("motor", "magnit", "--axis 'magnit' rejected: did you mean 'magnet'? expected one of "
                        "focus, magnet"),
    ("motor", "xy", "--axis 'xy' rejected: expected one of focus, magnet"),
    ("camera", "magnet", "--axis 'magnet' rejected: --axis applies to --kind motor only, "
                         "not --kind camera"),
])
def test_bad_axis_is_one_clear_line(kind: str, axis: str, fragment: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        plugin_names("acme", kind, axis=axis)
    assert fragment in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(("kind", "axis", "expected"), [
    ("motor", None, ("focus", "motor", "MagScope focus motor plugin acme", "--kind motor")),
    ("motor", "focus", ("focus", "motor", "MagScope focus motor plugin acme", "--kind motor")),
    ("motor", "magnet", ("magnet", "motor-magnet", "MagScope magnet motor plugin acme",
                         "--kind motor --axis magnet")),
    ("camera", None, ("", "camera", "MagScope camera plugin acme", "--kind camera")),
])
def test_the_axis_chooses_the_motor_template(kind: str, axis: str | None,
                                             expected: tuple[str, str, str, str]) -> None:
    n = plugin_names("acme", kind, axis=axis)
    assert (n.axis, n.template, n.description, n.generator_args) == expected


@pytest.mark.parametrize(("kind", "axis"), VARIANTS)
def test_every_kind_renders_a_complete_package(kind: str, axis: str | None,
                                               tmp_path: Path) -> None:
    names = plugin_names("acme", kind, "gpl-3", "Ada Lovelace", axis)
    dest = generate(names, tmp_path)
    files = {p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()}
    assert {"pyproject.toml", "LICENSE", "README.md", "magscope_acme/__init__.py",
            "magscope_acme/plugin.py", "magscope_acme/py.typed"} <= files
    assert any(f.startswith("tests/test_") for f in files)
    assert ("magscope_acme/_magnet.py" in files) == (axis == "magnet")
    assert ("magscope_acme/_focus.py" in files) == (kind == "motor" and axis != "magnet")
    assert not [f for f in files if f.endswith(".tmpl")]
    for path in dest.rglob("*"):
        if path.is_file():
            assert "{{" not in path.read_text(encoding="utf-8"), path
    project = tomllib.loads((dest / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["description"] == names.description
    assert project["name"] == "magscope-acme" and project["license"] == "GPL-3.0-or-later"
    assert core_requirement() in project["dependencies"]
    assert project["entry-points"]["magscope"] == {"acme": "magscope_acme.plugin"}
    assert ("magscope-gui>=0.1,<0.2" in project["dependencies"]) == (kind == "panel")
    assert "GNU GENERAL PUBLIC LICENSE" in (dest / "LICENSE").read_text(encoding="utf-8")
    readme = (dest / "README.md").read_text(encoding="utf-8")
    assert f"magscope new-plugin acme {names.generator_args}`" in readme
    assert "\n## Platforms\n\n" in readme
    for source in dest.rglob("*.py"):
        compile(source.read_text(encoding="utf-8"), str(source), "exec")


@pytest.mark.parametrize(("licence", "text"), [
    ("bsd-3", "Copyright (c) 20"), ("mit", "Permission is hereby granted"),
    ("proprietary", "All rights reserved")])
def test_licence_files(licence: str, text: str, tmp_path: Path) -> None:
    dest = generate(plugin_names("acme", "writer", licence, "ACME Corp"), tmp_path)
    body = (dest / "LICENSE").read_text(encoding="utf-8")
    assert text in body and ("ACME Corp" in body) == (licence != "gpl-3")


def test_an_existing_folder_or_installed_name_is_refused(tmp_path: Path) -> None:
    (tmp_path / "magscope-acme").mkdir()
    with pytest.raises(ConfigurationError, match="already exists; choose another NAME"):
        generate(plugin_names("acme", "camera"), tmp_path)
    installed = sorted(ep.name for ep in metadata.entry_points(group="magscope"))
    if not installed:
        pytest.skip("no plugin installed")
    with pytest.raises(ConfigurationError, match="a plugin of that name is installed"):
        generate(plugin_names(installed[0], "camera"), tmp_path)
    assert not (tmp_path / f"magscope-{installed[0]}").exists()
