"""MagScope's Qt desktop interface: dockable video and plots, panels, preferences, Z-LUT.

Panels are ``QWidget`` subclasses built as ``Panel(context)`` from the
:class:`~magscope_core.PanelSpec` records every plugin contributes; the
:class:`PanelContext` gives them the hub, the shared buffers, the settings and the
window's shared signals (:class:`GuiEvents`). :func:`run` is the frontend that
``magscope run`` calls.

Names are imported lazily, so that loading the plugin (``magscope_gui.plugin``, for
``magscope plugins``) never imports Qt.
"""

from __future__ import annotations

import importlib
from importlib.metadata import version as _version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from magscope_gui._context import GuiEvents, PanelContext
    from magscope_gui._frontend import run
    from magscope_gui._settings import GuiSettings
    from magscope_gui._window import MainWindow

__all__ = ["GuiEvents", "GuiSettings", "MainWindow", "PanelContext", "run"]

_WHERE = {
    "GuiEvents": "magscope_gui._context",
    "PanelContext": "magscope_gui._context",
    "GuiSettings": "magscope_gui._settings",
    "MainWindow": "magscope_gui._window",
    "run": "magscope_gui._frontend",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'magscope_gui' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(__all__)


__version__ = _version("magscope-gui")
