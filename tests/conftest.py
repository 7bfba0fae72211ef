"""Test configuration shared by the core's tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TESTPLUGIN_DIR = Path(__file__).parent / "testplugin"


@pytest.fixture(scope="module", autouse=True)
def module_data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The same for sessions a module's tests share (a module-scoped hub is started
    before any test's own folder is set): one Z-LUT loaded there is never remembered
    by another module's session.
    """
    data = tmp_path_factory.mktemp("module-user-data")
    saved = {k: os.environ.get(k) for k in ("MAGSCOPE_DATA_DIR", "MAGSCOPE_AUTO_ZLUT")}
    os.environ["MAGSCOPE_DATA_DIR"], os.environ["MAGSCOPE_AUTO_ZLUT"] = str(data), "0"
    yield data
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(autouse=True)
def isolated_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private user data folder (remembered Z-LUTs), and no automatic Z-LUT sweep.

    A test that wants the first-session sweep sets ``MAGSCOPE_AUTO_ZLUT`` itself.
    """
    data = tmp_path / "user-data"
    monkeypatch.setenv("MAGSCOPE_DATA_DIR", str(data))
    monkeypatch.setenv("MAGSCOPE_AUTO_ZLUT", "0")
    return data


@pytest.fixture
def testplugin_path(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Put the test plugin (package + dist-info) on sys.path and PYTHONPATH."""
    monkeypatch.syspath_prepend(str(TESTPLUGIN_DIR))
    old = os.environ.get("PYTHONPATH", "")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(TESTPLUGIN_DIR), old) if p))
    return TESTPLUGIN_DIR


@pytest.fixture
def isolated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private settings folder so tests never read the user's settings."""
    cfg = tmp_path / "config"
    monkeypatch.setenv("MAGSCOPE_CONFIG_DIR", str(cfg))
    return cfg

