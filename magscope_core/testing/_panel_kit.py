"""Helpers for testing GUI panels: settings, plugins, a panel context, display ticks.

Nothing here imports Qt at module level: :func:`make_panel_context` imports the GUI
plugin (and so PySide6) when called, and the tick helpers only use the ``qtbot`` and the
context they are given.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from magscope_core._core_plugin import CorePlugin
from magscope_core._plugins import PluginSet, load_plugins
from magscope_core._settings import SettingsStore

__all__ = [
    "installed_plugins",
    "make_panel_context",
    "make_store",
    "show_widget",
    "tick_for",
    "wait_ticking",
]

W = TypeVar("W")


def installed_plugins() -> PluginSet:
    """The installed plugins plus the core, as ``magscope run`` loads them."""
    return load_plugins(builtins=[(CorePlugin(), "core", "magscope-core")])


def make_store(plugins: PluginSet, path: Path | None = None) -> SettingsStore:
    """A settings store with every installed namespace at its defaults (file not read)."""
    return SettingsStore({ns: c.spec.schema for ns, c in plugins.settings.items()}, path)


def make_panel_context(hub: Any, plugins: PluginSet | None = None,
                       settings: SettingsStore | None = None, *,
                       start_timer: bool = True) -> Any:
    """A :class:`magscope_gui.PanelContext` on ``hub`` (imports the GUI plugin and Qt).

    Parameters
    ----------
    hub
        A running hub (or a :class:`~magscope_core.testing.RecordingHub` around one).
    plugins
        Default: :func:`installed_plugins`.
    settings
        Default: a fresh store at defaults, never saved.
    start_timer
        Start the context's display timer (tests usually drive ticks themselves).
    """
    from magscope_gui import PanelContext

    plugins = plugins or installed_plugins()
    return PanelContext(hub, settings or make_store(plugins), plugins,
                        start_timer=start_timer)


def wait_ticking(qtbot: Any, context: Any, predicate: Callable[[], object],
                 timeout: int = 20000) -> None:
    """Wait for ``predicate``, emitting display ticks meanwhile (not relying on the timer)."""

    def ticked() -> bool:
        context.events.refresh.emit()
        return bool(predicate())

    qtbot.waitUntil(ticked, timeout=timeout)


def tick_for(qtbot: Any, context: Any, ms: int) -> None:
    """Emit display ticks for ``ms`` milliseconds, processing events in between."""
    for _ in range(max(1, ms // 20)):
        context.events.refresh.emit()
        qtbot.wait(20)


def show_widget(qtbot: Any, widget: W, width: int, height: int) -> W:
    """Give ``widget`` to ``qtbot``, resize and show it, and wait until it is exposed."""
    qtbot.addWidget(widget)
    widget.resize(width, height)  # type: ignore[attr-defined]
    widget.show()  # type: ignore[attr-defined]
    qtbot.waitExposed(widget)
    return widget
