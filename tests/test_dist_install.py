"""A lab's path: install the core and three plugins from built wheels, then run.

``scripts/build_dist.py`` (``make dist``) builds the wheels; a fresh virtual environment
gets ``magscope-core``, ``magscope-sim``, ``magscope-tracker`` and ``magscope-writers`` with
``pip install --no-index --find-links <wheels>``, so every MagScope package comes from a
wheel and none from this checkout. Third-party dependencies (numpy, numba, h5py, ...) cannot
be downloaded here: the new environment sees them through a folder of links to the test
environment's third-party packages, with every ``magscope*`` package, editable-install hook
and ``.pth`` file left out. The test proves where each package is imported from.

The first-session Z-LUT sweep is switched off (``MAGSCOPE_AUTO_ZLUT=0``); the tracker's
numba kernels compile cold, as in a lab's first run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import h5py
import numpy as np
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[1]
WANTED = ("magscope-core", "magscope-sim", "magscope-tracker", "magscope-writers")
BUILT = (*WANTED, "magscope-analysis")  # magscope-writers depends on it


def _third_party_view(site_packages: Path, into: Path) -> Path:
    """Links to every third-party entry of ``site_packages``: no MagScope package, no hook."""
    into.mkdir()
    for entry in site_packages.iterdir():
        name = entry.name
        if name.lower().startswith(("magscope", "__editable__", "_magscope")) or name in (
            "__pycache__",
        ) or name.endswith((".pth", ".egg-link")):
            continue
        (into / name).symlink_to(entry)
    return into


def _run(argv: list[str], env: dict[str, str], cwd: Path, timeout: float = 120) -> str:
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"{argv} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done.stdout


_WHERE = """
import importlib, importlib.metadata as md, json
out = {}
for dist in md.distributions():
    name = dist.metadata["Name"]
    if name.startswith("magscope"):
        url = dist.read_text("direct_url.json")
        out[name] = {"location": str(dist.locate_file("")), "direct_url": url,
                     "file": importlib.import_module(name.replace("-", "_")).__file__}
print(json.dumps(out))
"""


def test_wheels_install_into_a_fresh_venv_list_and_record(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    built = _run([sys.executable, str(ROOT / "scripts" / "build_dist.py"), "--wheel-only",
                  "--out", str(wheels), *BUILT], dict(os.environ), tmp_path)
    assert all(name in built for name in BUILT), built
    assert not list(wheels.glob("magscope_gui*")), "only the distributions asked for"

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(MAGSCOPE_CONFIG_DIR=str(tmp_path / "config"),
               MAGSCOPE_DATA_DIR=str(tmp_path / "data"), MAGSCOPE_AUTO_ZLUT="0",
               PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], env, tmp_path)
    python = venv / "bin" / "python"
    purelib = "import sysconfig; print(sysconfig.get_path('purelib'))"
    site = Path(_run([str(python), "-c", purelib], env, tmp_path).strip())
    third = _third_party_view(Path(sysconfig.get_path("purelib")), tmp_path / "third-party")
    (site / "_third_party.pth").write_text(f"{third}\n")
    _run([str(python), "-m", "pip", "install", "--quiet", "--no-index", "--find-links",
          str(wheels), *WANTED], env, tmp_path)

    # every MagScope package comes from a wheel installed into the new venv
    where = json.loads(_run([str(python), "-c", _WHERE], env, tmp_path))
    assert set(where) == {*WANTED, "magscope-analysis"}, where  # no gui: the dev venv has it
    for name, info in where.items():
        assert Path(info["file"]).is_relative_to(site), (name, info)
        assert Path(info["location"]).resolve() == site.resolve(), (name, info)
        assert info["direct_url"] is None or '"editable": true' not in info["direct_url"]
        assert not Path(info["file"]).is_relative_to(ROOT), (name, info)

    magscope = str(venv / "bin" / "magscope")
    listed = {p["name"]: p for p in json.loads(_run([magscope, "plugins", "--json"], env,
                                                    tmp_path))}
    for plugin, dist in (("sim", "magscope-sim"), ("tracker", "magscope-tracker"),
                         ("writers", "magscope-writers")):
        assert listed[plugin]["status"] == "loaded", listed[plugin]
        assert listed[plugin]["distribution"] == dist
        assert listed[plugin]["version"] == "0.1.0"
    assert "gui" not in listed

    out = tmp_path / "out"
    summary = json.loads(_run([magscope, "run", "--headless", "--duration", "3", "--out",
                               str(out), "--workers", "1", "--beads", "4", "--json-summary"],
                              env, tmp_path, timeout=150))
    assert summary["exit_code"] == 0 and summary["problems"] == [], summary
    assert summary["beads"] == 4 and summary["frames_processed"] > 0
    log = (out / "magscope.log").read_text(encoding="utf-8")
    assert "numba kernels compiled:" in log  # a fresh install: nothing cached yet
    (h5,) = summary["files_by_writer"]["hdf5"]
    assert Path(h5).is_relative_to(out)
    with h5py.File(h5, "r") as f:
        assert f["magscope"].attrs["writer"] == "magscope-writers 0.1.0"
    from magscope_writers import read_tracking

    data = read_tracking(h5)
    assert data.n_records > 0 and len(np.unique(data.bead_ids)) == 4
    assert np.isfinite(data.positions_nm[:, :2]).all()  # XY tracked; Z NaN (no Z-LUT)
