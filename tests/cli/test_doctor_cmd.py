"""``magscope doctor``: a report to paste into a bug report, and every check in it."""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import re
from pathlib import Path

import numpy as np
import pytest

from magscope_core import (
    CameraSpec,
    HealthCheckSpec,
    HealthResult,
    hookimpl,
    load_plugins,
)
from magscope_core.cli import main
from magscope_core.cli._doctor_cmd import render_markdown, render_text
from magscope_core.cli._doctor_report import collect

FIRST_PARTY = {"sim": "magscope-sim", "tracker": "magscope-tracker",
               "writers": "magscope-writers", "gui": "magscope-gui"}


@pytest.fixture
def doctor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """Run ``magscope doctor ARGS`` with its own settings (recordings go to tmp_path)."""
    settings = tmp_path / "settings.toml"
    settings.write_text(f'[core]\noutput_dir = "{tmp_path / "recordings"}"\n')
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")

    def run(*args: str) -> tuple[int, str]:
        code = main(["--config", str(settings), "doctor", *args])
        return code, capsys.readouterr().out

    return run


def _rows(text: str) -> dict[str, str]:
    """``label  value`` rows of the plain report (two spaces of indent)."""
    rows = {}
    for line in text.splitlines():
        m = re.match(r"^  (\S.*?)\s{2,}(\S.*)$", line)
        if m:
            rows.setdefault(m.group(1), m.group(2))
    return rows


def test_the_plain_report_shows_versions_plugins_resources_and_display(doctor, tmp_path):
    code, out = doctor()
    assert out.startswith("MagScope doctor report\n")
    for section in ("System", "Key libraries", "Plugins", "Resources", "Display", "Checks"):
        assert f"\n{section}\n" in out
    rows = _rows(out)
    assert rows["magscope-core"] == importlib.metadata.version("magscope-core")
    assert rows["Python"].startswith(f"{platform.python_version()} (")
    assert rows["numpy"] == np.__version__
    assert rows["magscope-analysis"] == importlib.metadata.version("magscope-analysis")
    for plugin, dist in FIRST_PARTY.items():
        line = next(ln for ln in out.splitlines() if ln.startswith(f"  {plugin} "))
        assert line.split()[1:5] == [dist, importlib.metadata.version(dist), "BSD-3-Clause",
                                     "loaded"], line
    st = os.statvfs("/dev/shm")
    free = float(re.search(r"/dev/shm: ([\d.]+) GiB free", rows["shared memory"]).group(1))
    assert abs(free - st.f_bavail * st.f_frsize / 2**30) < 0.2
    assert rows["output folder"].startswith(f"{tmp_path / 'recordings'}: ")
    assert rows["DISPLAY"] == ":99" and rows["WAYLAND_DISPLAY"] == "not set"
    assert rows["magscope run"] == "frontend 'gui' (gui)"
    for plugin in ("sim", "writers", "gui"):  # their implementations are named by path
        assert re.search(rf"\[ok\] imports of {plugin} \({plugin}\): \d+ import path", out)
    failed = out.count("[FAIL]")
    assert out.rstrip().endswith(f"checks, {failed} failed")
    assert code == (1 if failed else 0)


def test_markdown_tables_are_well_formed(doctor):
    code, out = doctor("--markdown")
    assert out.startswith("## MagScope doctor report\n")
    tables = [block for block in out.split("\n\n") if block.startswith("|")]
    assert len(tables) == 6  # system, libraries, plugins, resources, display, checks
    for table in tables:
        lines = table.splitlines()
        cells = {line.count("|") - line.count("\\|") for line in lines}
        assert len(cells) == 1, table  # every row has as many cells as the header
    assert "| sim | magscope-sim | 0.1.0 | BSD-3-Clause | loaded |" in out
    assert code == (1 if "| **FAIL** |" in out else 0)


def test_json_has_the_same_report(doctor):
    code, out = doctor("--json")
    report = json.loads(out)
    assert report["system"]["magscope-core"] == importlib.metadata.version("magscope-core")
    assert {p["name"] for p in report["plugins"]} >= set(FIRST_PARTY)
    assert report["ok"] == all(c["ok"] for c in report["checks"]) == (code == 0)


class _Broken:
    """A plugin whose camera cannot be imported and whose health checks fail."""

    @hookimpl
    def magscope_cameras(self) -> list[CameraSpec]:
        return [CameraSpec(name="broken-cam", factory="magscope_no_such_module:Camera")]

    @hookimpl
    def magscope_health_checks(self) -> list[HealthCheckSpec]:
        def driver() -> HealthResult:
            return HealthResult(False, "the Acme driver is missing: install acme-sdk")

        def explodes() -> HealthResult:
            raise RuntimeError("no such device /dev/acme0")

        return [HealthCheckSpec(name="acme-driver", check=driver),
                HealthCheckSpec(name="acme-device", check=explodes)]


class _Failing:
    @hookimpl
    def magscope_writers(self) -> list[object]:
        raise OSError("cannot read the calibration")


def test_failed_plugins_imports_and_health_checks_are_reported(tmp_path):
    plugins = load_plugins(strict=False, entry_points=[],
                           builtins=[(_Broken(), "broken", "magscope-broken"),
                                     (_Failing(), "failing", "magscope-failing")])
    report = collect(plugins, tmp_path / "settings.toml", tmp_path,
                     cleanup=lambda: ["magscope-dead-1", "magscope-dead-2"])
    assert not report.ok
    failed = {c.name: c for c in report.checks if not c.ok}
    assert set(failed) == {"plugin failing", "imports of broken", "acme-driver",
                           "acme-device"}
    assert "OSError: cannot read the calibration" in failed["plugin failing"].message
    assert failed["imports of broken"].message.startswith(
        "camera 'broken-cam' factory: import path 'magscope_no_such_module:Camera': module "
        "'magscope_no_such_module' cannot be imported")
    assert failed["acme-driver"].message == "the Acme driver is missing: install acme-sdk"
    assert failed["acme-device"].message == ("the check raised RuntimeError: no such device "
                                             "/dev/acme0")
    text = render_text(report)
    assert "2 stale segment(s) of dead sessions removed" in text
    assert "[FAIL] acme-driver (broken): the Acme driver is missing" in text
    assert text.rstrip().endswith(f"{len(report.checks)} checks, 4 failed")
    assert "| **FAIL** | acme-device | broken |" in render_markdown(report)
