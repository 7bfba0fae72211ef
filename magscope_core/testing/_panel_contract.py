"""The panel contract: a GUI panel builds offscreen and survives the session stopping.

Subclass :class:`PanelContract` and give it one fixture, ``panel_specs``, returning your
plugin's :class:`~magscope_core.PanelSpec` records (what ``magscope_panels`` returns)::

    class TestMyPanels(PanelContract):
        @pytest.fixture
        def panel_specs(self):
            return magscope_panels()

The Qt parts (PySide6, pytest-qt, the GUI plugin's ``PanelContext``) are imported only
inside the tests, which skip when they are missing. Panels are built on a real session:
by default the kit's pattern camera and the pipeline. Override the class-scoped
``panel_hub`` fixture to use a session of your own (e.g. with your motors)::

        @pytest.fixture(scope="class")
        @classmethod
        def panel_hub(cls, my_session_hub):
            return my_session_hub
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from magscope_core._hub import Hub
from magscope_core._specs import PanelSpec
from magscope_core.testing._hubs import HubFactory
from magscope_core.testing._panel_kit import make_panel_context, show_widget, tick_for

__all__ = ["PanelContract", "load_panel_factory"]


def load_panel_factory(spec: PanelSpec) -> Any:
    """Import the panel class named by ``spec.factory`` (``"pkg.module:Class"``)."""
    module_name, _, attr = spec.factory.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def _qtbot(request: pytest.FixtureRequest) -> Any:
    pytest.importorskip("PySide6", reason="PySide6 is not installed")
    pytest.importorskip("pytestqt", reason="pytest-qt is not installed")
    pytest.importorskip("magscope_gui", reason="the GUI plugin (magscope-gui) is not installed")
    return request.getfixturevalue("qtbot")


class PanelContract:
    """Contract tests of GUI panels; subclass it and provide ``panel_specs``.

    Attributes
    ----------
    size
        Width and height the panels are shown at.
    """

    size: tuple[int, int] = (500, 400)

    @pytest.fixture
    def panel_specs(self) -> Sequence[PanelSpec]:
        """Override: your plugin's panel specs."""
        raise NotImplementedError("define a panel_specs fixture returning PanelSpec records")

    @pytest.fixture(scope="class")
    @classmethod
    def panel_hub(cls) -> Iterator[Hub]:
        """The session panels are built on (class scope; the pattern camera by default)."""
        factory = HubFactory()
        try:
            yield factory.camera()
        finally:
            factory.close()

    def _build(self, qtbot: Any, context: Any, specs: Sequence[PanelSpec]) -> list[Any]:
        widgets = []
        for spec in specs:
            widget = load_panel_factory(spec)(context)
            from PySide6.QtWidgets import QWidget

            assert isinstance(widget, QWidget), (
                f"panel {spec.id!r}: {spec.factory} built {type(widget).__name__}, not a QWidget")
            widgets.append(show_widget(qtbot, widget, *self.size))
        return widgets

    @staticmethod
    def _close(widgets: Sequence[Any]) -> None:
        for widget in widgets:
            closer = getattr(widget, "close_panel", None)
            if callable(closer):
                closer()
            widget.close()

    def test_specs_are_panel_specs_with_unique_ids(self, panel_specs: Sequence[PanelSpec]
                                                    ) -> None:
        """PanelSpec records (import paths, so listing never imports Qt), ids unique."""
        assert panel_specs, "no panels"
        assert all(isinstance(s, PanelSpec) for s in panel_specs), panel_specs
        ids = [s.id for s in panel_specs]
        assert len(set(ids)) == len(ids), f"duplicate ids: {ids}"

    def test_builds_offscreen_and_keeps_its_state(self, request: pytest.FixtureRequest,
                                                  panel_specs: Sequence[PanelSpec],
                                                  panel_hub: Hub) -> None:
        """Each panel builds, shows, repaints on ticks; save_state is JSON and restores."""
        qtbot = _qtbot(request)
        context = make_panel_context(panel_hub, start_timer=False)
        widgets = self._build(qtbot, context, panel_specs)
        try:
            tick_for(qtbot, context, 200)
            for spec, widget in zip(panel_specs, widgets, strict=True):
                saver = getattr(widget, "save_state", None)
                if callable(saver):
                    state = saver()
                    assert json.loads(json.dumps(state)) == state, (
                        f"panel {spec.id!r}: save_state() is not plain JSON data")
                    widget.restore_state(state)
        finally:
            self._close(widgets)
            context.close()

    def test_survives_the_session_stopping(self, request: pytest.FixtureRequest,
                                           panel_specs: Sequence[PanelSpec]) -> None:
        """Panels keep running (no exception) when their session stops under them.

        The context's own display timer drives them, before and after the stop, as in
        the GUI; pytest-qt fails the test on any exception raised in a Qt slot.
        """
        qtbot = _qtbot(request)
        factory = HubFactory()
        hub = factory.camera()
        context = make_panel_context(hub, start_timer=True)
        widgets: list[Any] = []
        try:
            widgets = self._build(qtbot, context, panel_specs)
            qtbot.wait(300)
            factory.close()
            qtbot.wait(300)
            assert all(w.isVisible() for w in widgets)
        finally:
            factory.close()
            self._close(widgets)
            context.close()
