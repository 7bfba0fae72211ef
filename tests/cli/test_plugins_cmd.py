"""``magscope plugins``: the listing, in-process and through real entry-point discovery."""

from __future__ import annotations

import argparse
import importlib.util
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


# -- subcommands plugins add (entry-point group magscope.cli) ------------------------------


def _commands() -> list[Any]:
    from magscope_core.cli._plugin_commands import PluginCommand

    return [
        PluginCommand("retrack", "acme_replay._cli", "acme-replay", "2.1", ("retrack",)),
        PluginCommand("clash", "acme_replay._clash", "acme-replay", "2.1", status="failed",
                      error="command 'clash' of acme_replay._clash (acme-replay) not loaded: "
                      "ArgumentError: conflicting subparser: run", traceback="Traceback..."),
    ]


def test_render_json_lists_plugin_commands_after_the_plugins() -> None:
    rows = json.loads(_plugins_cmd.render_json(_plugin_set(), _commands()))
    assert [(r["name"], r["group"]) for r in rows] == [
        ("good", "magscope"), ("broken", "magscope"),
        ("retrack", "magscope.cli"), ("clash", "magscope.cli"),
    ]
    retrack, clash = rows[2], rows[3]
    assert retrack["kind"] == ["command"] and retrack["provides"] == {"command": ["retrack"]}
    assert (retrack["distribution"], retrack["version"], retrack["status"]) == (
        "acme-replay", "2.1", "loaded")
    assert retrack["module"] == "acme_replay._cli"
    assert set(retrack) >= set(rows[0])  # a command row has every key of a plugin row
    assert (clash["status"], clash["kind"]) == ("failed", [])
    assert "conflicting subparser: run" in clash["error"]


def test_render_table_lists_plugin_commands_in_a_table_of_their_own(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    _plugins_cmd.render_table(_plugin_set(), _commands())
    out = capsys.readouterr().out
    table = out[out.index("Commands from plugins (magscope.cli)"):]
    assert "magscope retrack" in table and "acme-replay" in table and "2.1" in table
    assert "acme_replay._cli" in table
    assert "conflicting subparser: run" in table
    _plugins_cmd.render_table(_plugin_set())
    assert "Commands from plugins" not in capsys.readouterr().out


HELLO_CMD = """
def add_parser(sub):
    p = sub.add_parser("hello", help="say hello")
    p.set_defaults(func=lambda args: print("hello from a plugin") or 0)
"""

CLASH_CMD = """
def add_parser(sub):
    sub.add_parser("run")  # the core's own command
"""


@pytest.fixture
def cli_site(tmp_path: Path) -> Path:
    pkg = tmp_path / "cmdplug"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "hello.py").write_text(textwrap.dedent(HELLO_CMD))
    (pkg / "clash.py").write_text(textwrap.dedent(CLASH_CMD))
    (pkg / "broken.py").write_text('raise ImportError("no module named acme_sdk")\n')
    info = tmp_path / "cmdplug-3.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: cmdplug\nVersion: 3.0\n")
    (info / "entry_points.txt").write_text(
        "[magscope.cli]\nbroken = cmdplug.broken\nclash = cmdplug.clash\n"
        "hello = cmdplug.hello\n")
    return tmp_path


@pytest.mark.integration
def test_plugin_commands_are_listed_with_their_distribution(cli_site: Path) -> None:
    proc = _magscope(cli_site, "plugins", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = {(r["group"], r["name"]): r for r in json.loads(proc.stdout)}
    hello = rows[("magscope.cli", "hello")]
    assert (hello["status"], hello["distribution"], hello["version"]) == ("loaded", "cmdplug",
                                                                          "3.0")
    assert hello["provides"] == {"command": ["hello"]} and hello["module"] == "cmdplug.hello"
    clash = rows[("magscope.cli", "clash")]
    assert clash["status"] == "failed" and "conflicting subparser: run" in clash["error"]
    broken = rows[("magscope.cli", "broken")]
    assert broken["status"] == "failed"
    assert "ImportError: no module named acme_sdk" in broken["error"]
    assert str(cli_site / "cmdplug" / "broken.py") in broken["traceback"]
    if importlib.util.find_spec("magscope_replay") is not None:  # our own: retrack
        retrack = rows[("magscope.cli", "retrack")]
        assert (retrack["distribution"], retrack["provides"]) == (
            "magscope-replay", {"command": ["retrack"]})
    # the listed command is the one the command line runs; the broken ones are skipped
    table = _magscope(cli_site, "plugins")
    assert "magscope hello" in table.stdout and "cmdplug" in table.stdout
    done = _magscope(cli_site, "hello")
    assert (done.returncode, done.stdout.strip()) == (0, "hello from a plugin")
    assert "command 'broken' of cmdplug.broken (cmdplug) not loaded" in done.stderr


@pytest.mark.integration
def test_plugin_commands_follow_strict_and_disable_like_plugins(cli_site: Path) -> None:
    strict = _magscope(cli_site, "--strict-plugins", "plugins")
    assert strict.returncode == 2 and strict.stdout == ""
    lines = strict.stderr.splitlines()
    assert "Traceback" not in strict.stderr and len(lines) == 3, lines
    assert lines[0] == ("warning: command 'broken' of cmdplug.broken (cmdplug) not loaded: "
                        "ImportError: no module named acme_sdk")
    assert lines[1].startswith("warning: command 'clash' of cmdplug.clash (cmdplug)")
    assert lines[2] == ("error: strict plugin loading: 2 plugin command(s) not loaded: "
                        "broken, clash. Allowed: fix them, or skip them with "
                        "MAGSCOPE_DISABLE_PLUGINS")
    by_env = _magscope(cli_site, "plugins", MAGSCOPE_STRICT_PLUGINS="1")
    assert by_env.returncode == 2 and by_env.stderr == strict.stderr
    # the two bad ones disabled: never imported, listed as such, and strict is satisfied
    off = _magscope(cli_site, "--strict-plugins", "plugins", "--json",
                    MAGSCOPE_DISABLE_PLUGINS="broken,clash")
    assert off.returncode == 0, off.stderr
    rows = {r["name"]: r for r in json.loads(off.stdout) if r["group"] == "magscope.cli"}
    assert (rows["broken"]["status"], rows["clash"]["status"]) == ("disabled", "disabled")
    assert rows["broken"]["error"] is None and rows["hello"]["status"] == "loaded"
    assert "not loaded" not in off.stderr
