"""``magscope plugins``: the listing, in-process and through real entry-point discovery."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from magscope_core._hookspecs import hookimpl
from magscope_core._plugins import PluginManager
from magscope_core._specs import CameraSpec
from magscope_core.cli import _plugins_cmd

REPO = Path(__file__).resolve().parents[2]


def _factory(**options: Any) -> None:
    return None


class Good:
    @hookimpl
    def magscope_cameras(self) -> list[CameraSpec]:
        return [CameraSpec(name="sim", factory=_factory)]


class Broken:
    @hookimpl
    def magscope_cameras(self) -> list[CameraSpec]:
        raise RuntimeError("no [bold]driver[/bold]\nsecond line")


def _plugin_set() -> Any:
    pm = PluginManager(core_version="0.1.0")
    pm.register(Good(), "good", "good-dist", "1.0")
    pm.register(Broken(), "broken", "broken-dist", "2.0")
    return pm.collect()


# -- in-process ---------------------------------------------------------------------------


def test_add_parser_registers_the_subcommand() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    _plugins_cmd.add_parser(sub)
    args = parser.parse_args(["plugins", "--json"])
    assert args.json is True
    assert args.func is _plugins_cmd.run


def test_render_json_lists_every_plugin() -> None:
    rows = json.loads(_plugins_cmd.render_json(_plugin_set()))
    assert [(r["name"], r["status"], r["kind"]) for r in rows] == [
        ("good", "loaded", ["camera"]),
        ("broken", "failed", []),
    ]
    assert set(rows[0]) >= {"name", "kind", "distribution", "version", "status", "error"}
    assert "traceback" in rows[0]
    assert rows[1]["error"].startswith("plugin 'broken' (broken-dist 2.0): hook magscope_cameras")
    assert "RuntimeError: no [bold]driver[/bold]" in rows[1]["traceback"]


def test_render_table_shows_status_and_first_error_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    _plugins_cmd.render_table(_plugin_set())
    out = capsys.readouterr().out
    assert "good-dist" in out
    assert "camera: sim" in out
    assert "failed" in out
    assert "no [bold]driver[/bold]" in out  # printed as text, not as rich markup
    assert "second line" not in out
    assert "2 plugins: 1 failed, 1 loaded" in out


def test_narrow_table_prints_errors_below(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    _plugins_cmd.render_table(_plugin_set())
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "broken: hook magscope_cameras raised RuntimeError: no [bold]driver[/bold]" in out
    assert "(broken-dist 2.0)" not in out  # the row already names the distribution


def test_run_prints_json_and_exits_zero(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MAGSCOPE_STRICT_PLUGINS", raising=False)
    code = _plugins_cmd.run(argparse.Namespace(json=True, strict_plugins=None))
    assert code == 0
    rows = json.loads(capsys.readouterr().out)
    assert all(r["status"] in {"loaded", "failed", "disabled", "needs update"} for r in rows)


# -- real discovery in a subprocess -------------------------------------------------------


def _write_dist(
    root: Path, name: str, code: str, requires: str | None = "magscope-core>=0.1"
) -> None:
    (root / name).mkdir()
    (root / name / "__init__.py").write_text(textwrap.dedent(code))
    info = root / f"{name}-1.0.dist-info"
    info.mkdir()
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n"
    if requires:
        metadata += f"Requires-Dist: {requires}\n"
    (info / "METADATA").write_text(metadata)
    (info / "entry_points.txt").write_text(f"[magscope]\n{name} = {name}\n")


GOODPLUG = """
from magscope_core._hookspecs import hookimpl
from magscope_core._specs import CameraSpec

def make_camera(**options):
    raise NotImplementedError

@hookimpl
def magscope_cameras():
    return [CameraSpec(name="good-cam", factory=make_camera)]
"""

BADPLUG = """
raise ImportError("libbadcam.so: cannot open shared object file")
"""

OLDPLUG = """
from pathlib import Path
Path(__file__).with_name("imported.marker").write_text("imported")
"""


@pytest.fixture
def site(tmp_path: Path) -> Path:
    _write_dist(tmp_path, "goodplug", GOODPLUG)
    _write_dist(tmp_path, "badplug", BADPLUG)
    _write_dist(tmp_path, "oldplug", OLDPLUG, requires="magscope-core>=99")
    return tmp_path


def _magscope(site: Path, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MAGSCOPE_")}
    environ["PYTHONPATH"] = os.pathsep.join([str(site), str(REPO)])
    environ["COLUMNS"] = "250"
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-m", "magscope_core.cli", *argv],
        cwd=site,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _rows(proc: subprocess.CompletedProcess[str]) -> dict[str, dict[str, Any]]:
    assert proc.returncode == 0, proc.stderr
    return {row["name"]: row for row in json.loads(proc.stdout)}


@pytest.mark.integration
def test_listing_isolates_failures_and_never_imports_outdated_plugins(site: Path) -> None:
    rows = _rows(_magscope(site, "plugins", "--json"))

    good = rows["goodplug"]
    assert (good["status"], good["distribution"], good["version"]) == ("loaded", "goodplug", "1.0")
    assert good["kind"] == ["camera"]
    assert good["provides"] == {"camera": ["good-cam"]}

    bad = rows["badplug"]
    assert bad["status"] == "failed"
    assert bad["error"].startswith("plugin 'badplug' (badplug 1.0): importing entry point")
    assert "ImportError: libbadcam.so: cannot open shared object file" in bad["traceback"]
    assert str(site / "badplug" / "__init__.py") in bad["traceback"]

    old = rows["oldplug"]
    assert old["status"] == "needs update"
    assert "requires magscope-core>=99 but 0.1.0 is installed" in old["error"]
    assert old["traceback"] is None
    assert not (site / "oldplug" / "imported.marker").exists()


@pytest.mark.integration
def test_table_output(site: Path) -> None:
    proc = _magscope(site, "plugins")
    assert proc.returncode == 0, proc.stderr
    for text in ("goodplug", "camera: good-cam", "badplug", "failed", "oldplug", "needs update"):
        assert text in proc.stdout


@pytest.mark.integration
@pytest.mark.parametrize(
    ("argv", "env"),
    [
        (["--strict-plugins", "plugins"], {}),
        (["plugins", "--json"], {"MAGSCOPE_STRICT_PLUGINS": "1"}),
    ],
    ids=["flag", "env"],
)
def test_strict_mode_exits_non_zero_naming_the_plugin(
    site: Path, argv: list[str], env: dict[str, str]
) -> None:
    proc = _magscope(site, *argv, **env)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "plugin 'badplug' (badplug 1.0): importing entry point" in proc.stderr
    assert "ImportError: libbadcam.so" in proc.stderr
    assert "plugin 'oldplug' (oldplug 1.0): requires magscope-core>=99" in proc.stderr


@pytest.mark.integration
def test_disabled_plugin_is_listed_and_not_imported(site: Path) -> None:
    rows = _rows(_magscope(site, "plugins", "--json", MAGSCOPE_DISABLE_PLUGINS="badplug,oldplug"))
    assert rows["badplug"]["status"] == "disabled"
    assert rows["badplug"]["error"] is None
    assert rows["oldplug"]["status"] == "disabled"
    assert rows["goodplug"]["status"] == "loaded"
