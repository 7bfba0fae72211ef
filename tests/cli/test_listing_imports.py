"""Listing plugins and settings imports no heavy module (numba, h5py, scipy, Qt).

Hook modules name their implementations by import path (``docs/plugins/README.md``, "Keep
the hook module light"), so ``magscope plugins`` and ``magscope settings`` read every
plugin without importing what the plugins run. Checked in a fresh interpreter, because this
test process has imported everything already. The time it takes is printed by
``benchmarks/bench_listing.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("numba", "llvmlite", "h5py", "scipy", "tifffile", "PySide6", "pyqtgraph", "superqt")

_PROBE = """
import contextlib, io, json, sys
from magscope_core.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "output": out.getvalue(),
                  "heavy": sorted(m for m in HEAVY if m in sys.modules)}))
"""


def _listing(*argv: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", f"HEAVY = {HEAVY!r}\n{_PROBE}", *argv],
        capture_output=True, text=True, timeout=60, check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_magscope_plugins_lists_every_first_party_plugin_without_heavy_imports() -> None:
    result = _listing("plugins", "--json")
    assert result["code"] == 0
    listed = {p["name"]: p for p in json.loads(str(result["output"]))}
    for name, kind in (("sim", "camera"), ("tracker", "tracker"), ("writers", "writer"),
                       ("gui", "panel")):
        if name not in listed:
            pytest.skip(f"plugin {name} is not installed")
        assert listed[name]["status"] == "loaded", listed[name]
        assert kind in listed[name]["provides"], listed[name]
    assert result["heavy"] == []


def test_magscope_settings_shows_every_namespace_without_heavy_imports(tmp_path: Path) -> None:
    result = _listing("--config", str(tmp_path / "settings.toml"), "settings", "show", "--json")
    assert result["code"] == 0
    shown = json.loads(str(result["output"]))
    keys = {row["key"] for row in shown["settings"]}
    namespaces = {k.rsplit(".", 1)[0] for k in keys}
    assert {"core", "tracker.cpu", "writer.hdf5", "magnet"} <= namespaces, namespaces
    assert result["heavy"] == []


def test_a_probe_that_imports_a_heavy_module_is_caught() -> None:
    """The check itself can fail: importing the tracker's implementation shows numba."""
    done = subprocess.run(
        [sys.executable, "-c", "import sys, magscope_tracker; magscope_tracker.CpuTracker; "
         f"print([m for m in {HEAVY!r} if m in sys.modules])"],
        capture_output=True, text=True, timeout=60, check=True,
    )
    assert "numba" in done.stdout
