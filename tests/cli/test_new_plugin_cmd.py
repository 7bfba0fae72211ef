"""``magscope new-plugin``: one-line errors, and generated packages that install and pass.

The integration test generates one plugin of every kind and the magnet motor, installs all
of them with one offline ``pip install --no-deps --no-build-isolation --target`` into a
folder of its own (never into this environment: tests running beside it in other workers
would load the generated plugins), checks that ``magscope plugins`` lists them when that
folder is on ``PYTHONPATH``, and runs their generated test suites in one pytest subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from magscope_core._new_plugin import KINDS
from magscope_core.cli import main


@pytest.mark.parametrize(("argv", "fragment"), [
    (["new-plugin", "Bad Name", "--kind", "camera"], "NAME 'Bad Name' rejected"),
    (["new-plugin", "acme", "--kind", "scope"], "--kind 'scope' rejected"),
    (["new-plugin", "acme", "--kind", "motor", "--license", "wtfpl"], "--license 'wtfpl'"),
    (["new-plugin", "acme", "--kind", "motor", "--axis", "z"], "--axis 'z' rejected"),
    (["new-plugin", "acme", "--kind", "writer", "--axis", "magnet"], "--kind motor only"),
])
def test_bad_input_is_one_line_and_exit_2(argv: list[str], fragment: str, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*argv, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and fragment in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_an_existing_folder_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                       ) -> None:
    assert main(["new-plugin", "acme", "--kind", "camera", "--out", str(tmp_path)]) == 0
    assert "created" in capsys.readouterr().out
    assert main(["new-plugin", "acme", "--kind", "tracker", "--out", str(tmp_path)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert (tmp_path / "magscope-acme" / "magscope_acme" / "_camera.py").is_file()


def _run(*args: str, timeout: float = 300.0, path: Path | None = None
         ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONDONTWRITEBYTECODE": "1"}
    if path is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(path),
                                                          env.get("PYTHONPATH", "")]))
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env,
                          check=False)


@pytest.mark.integration
@pytest.mark.slow
def test_every_kind_installs_is_listed_and_passes_its_tests(tmp_path: Path) -> None:
    names = {kind: f"gen-{kind}" for kind in KINDS}
    for kind, name in names.items():
        assert main(["new-plugin", name, "--kind", kind, "--out", str(tmp_path)]) == 0
    assert main(["new-plugin", "gen-magnet", "--kind", "motor", "--axis", "magnet",
                 "--out", str(tmp_path)]) == 0
    names["magnet"] = "gen-magnet"
    dists = [f"magscope-{n}" for n in names.values()]
    site = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    install = _run(*pip, "install", "-q", "--no-deps", "--no-build-isolation", "--no-index",
                   "--target", str(site), *(str(tmp_path / d) for d in dists))
    assert install.returncode == 0, install.stderr[-3000:]
    listed = _run(sys.executable, "-m", "magscope_core.cli", "plugins", path=site)
    assert listed.returncode == 0, listed.stderr
    for d in dists:
        assert d in listed.stdout, f"{d} not listed:\n{listed.stdout}"
    tests = _run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                 "--import-mode=importlib", "-W", "error", "--rootdir", str(tmp_path),
                 *(str(tmp_path / d / "tests") for d in dists), path=site)
    assert tests.returncode == 0, tests.stdout[-6000:] + tests.stderr[-2000:]
    assert " passed" in tests.stdout and " failed" not in tests.stdout
    # this environment never saw them
    here = _run(sys.executable, "-m", "magscope_core.cli", "plugins")
    assert here.returncode == 0 and not any(d in here.stdout for d in dists)
