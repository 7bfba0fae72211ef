"""The kit's pytest fixtures, registered by the ``pytest11`` entry point ``magscope``.

Installing ``magscope-core`` makes them available in every test suite of the environment
(no ``conftest.py`` import needed): ``magscope_hub``, ``command_recorder`` and
``magscope_panel_context``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from magscope_core.testing._hubs import HubFactory
from magscope_core.testing._recorder import CommandRecorder

__all__ = ["command_recorder", "magscope_hub", "magscope_panel_context"]


@pytest.fixture
def magscope_hub(tmp_path: Path) -> Iterator[HubFactory]:
    """Start real sessions (managers in spawned processes); all stopped after the test.

    ``magscope_hub.start(entries, commands)``, ``magscope_hub.camera(spec)`` (a camera and
    the pipeline) or ``magscope_hub.plan(camera="sim", ...)`` (as ``magscope run`` plans
    it from the installed plugins) each return a running :class:`~magscope_core.Hub`.
    """
    factory = HubFactory(tmp_path)
    try:
        yield factory
    finally:
        factory.close()


@pytest.fixture
def command_recorder() -> CommandRecorder:
    """A fresh :class:`~magscope_core.testing.CommandRecorder`."""
    return CommandRecorder()


@pytest.fixture
def magscope_panel_context(request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """Build :class:`magscope_gui.PanelContext` objects on hubs; closed after the test.

    Call it as ``magscope_panel_context(hub, plugins=None, settings=None,
    start_timer=True)``. Skips the test when PySide6, pytest-qt or the GUI plugin is
    missing.
    """
    pytest.importorskip("PySide6", reason="PySide6 is not installed")
    pytest.importorskip("magscope_gui", reason="the GUI plugin (magscope-gui) is not installed")
    request.getfixturevalue("qtbot")  # a QApplication, and exceptions in slots fail the test
    from magscope_core.testing._panel_kit import make_panel_context

    made: list[Any] = []

    def build(hub: Any, *args: Any, **kwargs: Any) -> Any:
        context = make_panel_context(hub, *args, **kwargs)
        made.append(context)
        return context

    yield build
    for context in reversed(made):
        context.close()
