"""Helpers of the GUI tests (import as ``from magscope_gui_testkit import ...``).

``conftest.py`` next to this file puts its folder on ``sys.path``. The helpers drive a
:class:`magscope_gui.PanelContext`'s display ticks from the test instead of relying on its
timer, so a panel refreshes exactly when the test says.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from PySide6 import QtWidgets

from magscope_core import CorePlugin, PluginSet, SettingsStore, load_plugins

WidgetT = TypeVar("WidgetT", bound=QtWidgets.QWidget)


def wait_ticking(qtbot: Any, context: Any, predicate: Callable[[], object],
                 timeout: int = 5000) -> None:
    """Wait for ``predicate``, emitting display ticks meanwhile (not relying on the timer)."""

    def ticked() -> bool:
        context.events.refresh.emit()
        return bool(predicate())

    qtbot.waitUntil(ticked, timeout=timeout)


def tick_for(qtbot: Any, context: Any, ms: int) -> None:
    """Emit display ticks for ``ms`` milliseconds."""
    for _ in range(max(1, ms // 20)):
        context.events.refresh.emit()
        qtbot.wait(20)


def show_widget(qtbot: Any, widget: WidgetT, width: int, height: int) -> WidgetT:
    """Give ``widget`` to ``qtbot``, resize and show it, and wait until it is exposed."""
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def make_store(plugins: PluginSet, path: Path | None) -> SettingsStore:
    """A settings store with every installed namespace (defaults; file not read)."""
    return SettingsStore({ns: c.spec.schema for ns, c in plugins.settings.items()}, path)


def gui_plugins() -> PluginSet:
    """The installed plugins plus the core, as ``magscope run`` loads them."""
    return load_plugins(builtins=[(CorePlugin(), "core", "magscope-core")])
