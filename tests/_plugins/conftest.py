"""Fixtures of the plugin-manager tests.

Plugins are registered as objects (``magscope_core.testing.make_plugin``), or written to
``tmp_path`` as real distributions (``*.dist-info`` with METADATA and entry_points.txt)
read through ``importlib.metadata``.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAGSCOPE_STRICT_PLUGINS", raising=False)
    monkeypatch.delenv("MAGSCOPE_DISABLE_PLUGINS", raising=False)
