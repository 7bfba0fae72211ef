"""Helpers of the plugin-manager tests (import as ``from magscope_plugins_testkit import ...``).

``conftest.py`` next to this file puts its folder on ``sys.path``.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

from magscope_core._hookspecs import hookimpl
from magscope_core._specs import CameraSpec


def noop_factory(**options: Any) -> None:
    return None


def cam(name: str) -> CameraSpec:
    return CameraSpec(name=name, factory=noop_factory)


def make_plugin(**hooks: Callable[..., object]) -> object:
    """A plugin object whose attributes are the given hook implementations."""
    return types.SimpleNamespace(**{name: hookimpl(fn) for name, fn in hooks.items()})
