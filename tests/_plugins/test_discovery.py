"""Entry-point discovery and the plugin-API version check, on real distributions.

Plugins are written to ``tmp_path`` as real distributions (``*.dist-info`` with METADATA and
entry_points.txt) read through ``importlib.metadata``.
"""

from __future__ import annotations

import importlib.metadata
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from magscope_core._plugins import (
    PluginError,
    PluginManager,
    check_api_version,
    load_plugins,
)

# -- helpers ------------------------------------------------------------------------------


@pytest.fixture
def dists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Any]]:
    """Write a real distribution (package + dist-info) under tmp_path; return it."""
    monkeypatch.syspath_prepend(str(tmp_path))
    written: list[str] = []

    def write(
        dist: str,
        code: str,
        *,
        version: str = "1.0",
        requires: tuple[str, ...] = ("magscope-core>=0.1",),
        entry_point: str | None = None,
    ) -> importlib.metadata.PathDistribution:
        module = f"{dist}_{tmp_path.name}".replace("-", "_").lower()
        (tmp_path / module).mkdir()
        (tmp_path / module / "__init__.py").write_text(textwrap.dedent(code))
        info = tmp_path / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        lines = ["Metadata-Version: 2.1", f"Name: {dist}", f"Version: {version}"]
        lines += [f"Requires-Dist: {r}" for r in requires]
        (info / "METADATA").write_text("\n".join(lines) + "\n")
        (info / "entry_points.txt").write_text(f"[magscope]\n{entry_point or dist} = {module}\n")
        written.append(module)
        return importlib.metadata.PathDistribution(info)

    yield write
    for module in written:
        sys.modules.pop(module, None)


GOOD = """
from magscope_core._hookspecs import hookimpl
from magscope_core._specs import CameraSpec

def make(**options):
    return None

@hookimpl
def magscope_cameras():
    return [CameraSpec(name="{camera}", factory=make)]
"""

MARKS_IMPORT = """
from pathlib import Path
Path(__file__).with_name("imported.marker").write_text("imported")
"""


def entry_point(dist: importlib.metadata.PathDistribution) -> Any:
    (ep,) = dist.entry_points
    return ep


# -- API version check --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requires", "core", "message"),
    [
        (("magscope-core>=0.1",), "0.1.0", None),
        (("magscope-core>=0.1,<0.2",), "0.1.5", None),
        (
            ("magscope-core>=0.3",),
            "0.1.0",
            "requires magscope-core>=0.3 but 0.1.0 is installed; install a version of "
            "acme made for magscope-core 0.1.0",
        ),
        (
            ("numpy", "Magscope_Core<0.1"),
            "0.1.0",
            "requires magscope-core<0.1 but 0.1.0 is installed; install a version of "
            "acme made for magscope-core 0.1.0",
        ),
        (("magscope-core>=99; extra == 'dev'",), "0.1.0", None),
        (("magscope-core>=99; python_version < '3'",), "0.1.0", None),
        (("magscope-core>=0.2",), "0.2.0.dev3", None),  # a dev build has its release's API
        (("magscope-core>=0.2",), "0.2.0rc1", None),
        (
            ("magscope-core<0.2",),
            "0.2.0.dev3",
            "requires magscope-core<0.2 but 0.2.0.dev3 is installed; install a version of "
            "acme made for magscope-core 0.2.0.dev3",
        ),
    ],
)
def test_api_version_check(
    tmp_path: Path, requires: tuple[str, ...], core: str, message: str | None
) -> None:
    info = tmp_path / "acme-1.0.dist-info"
    info.mkdir()
    lines = ["Metadata-Version: 2.1", "Name: acme", "Version: 1.0"]
    (info / "METADATA").write_text("\n".join(lines + [f"Requires-Dist: {r}" for r in requires]))
    check = check_api_version(importlib.metadata.PathDistribution(info), core)
    assert check.compatible is (message is None)
    assert check.message == message


def test_api_version_check_notes(tmp_path: Path) -> None:
    info = tmp_path / "acme-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme\nVersion: 1.0\n")
    dist = importlib.metadata.PathDistribution(info)
    check = check_api_version(dist, "0.1.0")
    assert check.compatible
    assert check.notes == (
        "declares no magscope-core requirement; plugin API version not checked "
        "(add e.g. 'magscope-core>=0.1' to its dependencies)",
    )
    unknown = check_api_version(dist, None)
    assert unknown.compatible
    assert "version unknown" in unknown.notes[0]


# -- entry points (real distributions under tmp_path) -------------------------------------


def test_entry_point_plugin_loads_with_its_distribution(dists: Callable[..., Any]) -> None:
    dist = dists("acme-cams", GOOD.format(camera="acme"), version="3.1")
    pm = PluginManager(core_version="0.1.0")
    pm.load_entry_points([entry_point(dist)])
    result = pm.collect()
    contribution = result.cameras["acme"]
    assert (contribution.plugin, contribution.distribution, contribution.version) == (
        "acme-cams",
        "acme-cams",
        "3.1",
    )
    assert result.plugin("acme-cams").hooks == ("magscope_cameras",)


def test_needs_update_is_never_imported(dists: Callable[..., Any], tmp_path: Path) -> None:
    dist = dists(
        "oldplug", MARKS_IMPORT + GOOD.format(camera="old"), requires=("magscope-core>=99",)
    )
    pm = PluginManager(core_version="0.1.0")
    pm.load_entry_points([entry_point(dist)])
    result = pm.collect()
    record = result.plugin("oldplug")
    assert record.status == "needs update"
    assert record.error == (
        "plugin 'oldplug' (oldplug 1.0): requires magscope-core>=99 but 0.1.0 is installed; "
        "install a version of oldplug made for magscope-core 0.1.0"
    )
    assert result.errors[0].stage == "version"
    assert not list(tmp_path.glob("*/imported.marker"))
    assert result.cameras == {}


def test_needs_update_raises_in_strict_mode(dists: Callable[..., Any]) -> None:
    dist = dists("oldplug", GOOD.format(camera="old"), requires=("magscope-core>=99",))
    pm = PluginManager(core_version="0.1.0", strict=True)
    with pytest.raises(PluginError, match=r"plugin 'oldplug' \(oldplug 1.0\): requires"):
        pm.load_entry_points([entry_point(dist)])


def test_import_failure_is_isolated(dists: Callable[..., Any]) -> None:
    bad = dists("badplug", "raise ImportError('libacme.so: cannot open shared object file')\n")
    good = dists("goodplug", GOOD.format(camera="good"))
    pm = PluginManager(core_version="0.1.0")
    pm.load_entry_points([entry_point(bad), entry_point(good)])
    result = pm.collect()
    record = result.plugin("badplug")
    assert record.status == "failed"
    assert record.error is not None
    assert record.error.startswith(
        "plugin 'badplug' (badplug 1.0): importing entry point badplug = badplug_"
    )
    assert record.error.endswith(
        "failed with ImportError: libacme.so: cannot open shared object file; expected a "
        "module or object with @hookimpl functions"
    )
    assert "ImportError: libacme.so" in (record.traceback or "")
    assert result.plugin("goodplug").status == "loaded"
    assert list(result.cameras) == ["good"]


def test_strict_import_failure_raises_after_trying_all(dists: Callable[..., Any]) -> None:
    bad = dists("badplug", "import sys; sys.exit(3)\n")
    good = dists("goodplug", GOOD.format(camera="good"))
    pm = PluginManager(core_version="0.1.0", strict=True)
    with pytest.raises(PluginError, match=r"^plugin 'badplug' \(badplug 1.0\): importing") as info:
        pm.load_entry_points([entry_point(bad), entry_point(good)])
    assert "SystemExit" in str(info.value)
    assert pm.pluggy_manager.has_plugin("goodplug")


def test_disabled_entry_point_is_never_imported(dists: Callable[..., Any], tmp_path: Path) -> None:
    dist = dists("noisy", MARKS_IMPORT + GOOD.format(camera="noisy"))
    for disabled in (["noisy"], ["*"]):
        pm = PluginManager(disabled=disabled)
        pm.load_entry_points([entry_point(dist)])
        assert pm.collect().plugin("noisy").status == "disabled"
    assert not list(tmp_path.glob("*/imported.marker"))


def test_same_entry_point_name_in_two_distributions(dists: Callable[..., Any]) -> None:
    first = dists("cams-a", GOOD.format(camera="a"), entry_point="cams")
    second = dists("cams-b", MARKS_IMPORT + GOOD.format(camera="b"), entry_point="cams")
    pm = PluginManager(core_version="0.1.0")
    pm.load_entry_points([entry_point(first), entry_point(second)])
    result = pm.collect()
    assert [(r.name, r.distribution, r.status) for r in result.plugins] == [
        ("cams", "cams-a", "loaded"),
        ("cams", "cams-b", "failed"),
    ]
    assert result.plugins[1].error == (
        "plugin 'cams' (cams-b 1.0): plugin name 'cams' is already used by plugin 'cams' "
        "(cams-a 1.0); expected unique plugin (entry-point) names, so this one is not loaded"
    )


def test_plugin_without_core_requirement_loads_with_a_note(dists: Callable[..., Any]) -> None:
    dist = dists("loose", GOOD.format(camera="loose"), requires=())
    pm = PluginManager(core_version="0.1.0")
    pm.load_entry_points([entry_point(dist)])
    record = pm.collect().plugin("loose")
    assert record.status == "loaded"
    assert record.notes[0].startswith("declares no magscope-core requirement")


def test_discovery_reads_the_entry_point_group(
    dists: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    dists("found-here", GOOD.format(camera="found"))
    result = load_plugins(disabled=["*"])  # discover only: import nothing
    record = result.plugin("found-here")
    assert (record.distribution, record.version, record.status) == ("found-here", "1.0", "disabled")
