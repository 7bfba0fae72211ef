"""Plugins as objects, for tests of loading and validation (no distribution needed)."""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

from magscope_core._hookspecs import hookimpl
from magscope_core._specs import CameraSpec

__all__ = ["make_plugin", "noop_factory", "stub_camera_spec"]


def noop_factory(**options: Any) -> None:
    """A factory that builds nothing (for specs that are listed, never run)."""
    return None


def stub_camera_spec(name: str) -> CameraSpec:
    """A camera spec named ``name`` whose factory builds nothing."""
    return CameraSpec(name=name, factory=noop_factory)


def make_plugin(**hooks: Callable[..., object]) -> object:
    """A plugin object whose attributes are the given hook implementations.

    Examples
    --------
    ::

        plugin = make_plugin(magscope_cameras=lambda: [stub_camera_spec("a")])
        plugins = load_plugins(entry_points=[], builtins=[(plugin, "mine", "my-dist")])
    """
    return types.SimpleNamespace(**{name: hookimpl(fn) for name, fn in hooks.items()})
