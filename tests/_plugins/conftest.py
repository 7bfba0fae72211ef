"""Fixtures of the plugin-manager tests.

Plugins are registered as objects, or written to ``tmp_path`` as real distributions
(``*.dist-info`` with METADATA and entry_points.txt) read through ``importlib.metadata``.
Shared helpers live in ``magscope_plugins_testkit.py`` next to this file; its folder is
appended to ``sys.path`` so the test modules can import it by name.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.append(_HERE)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAGSCOPE_STRICT_PLUGINS", raising=False)
    monkeypatch.delenv("MAGSCOPE_DISABLE_PLUGINS", raising=False)
