"""The frontend function ``magscope run`` calls, in this process (offscreen)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import pytest
from magscope_gui import plugin
from magscope_gui._frontend import run
from magscope_gui._layout import default_layout_path, read_layout
from PySide6.QtGui import QImage

from magscope_core import FrontendSpec, Hub, PluginSet, SettingsStore


def test_plugin_hooks_do_not_import_qt() -> None:
    import subprocess
    import sys

    code = ("import sys, magscope_gui.plugin as p; p.magscope_panels(); p.magscope_frontends(); "
            "p.magscope_settings(); print('PySide6' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
    (front,) = plugin.magscope_frontends()
    assert isinstance(front, FrontendSpec) and front.run == "magscope_gui._frontend:run"
    assert front.starts_session  # it shows the start-up, then the panels
    ids = [p.id for p in plugin.magscope_panels()]
    assert ids[:5] == ["video", "plots", "status", "recording", "camera"]
    (settings,) = plugin.magscope_settings()
    assert settings.namespace == "gui"


@pytest.mark.integration
def test_run_closes_after_duration_and_saves_a_screenshot(
        qtbot, sim_hub: Hub, sim_plugins: PluginSet, settings_store: SettingsStore,
        tmp_path: Path, gui_config_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    shot = tmp_path / "shot.png"
    layout = default_layout_path()
    layout.unlink(missing_ok=True)
    args = argparse.Namespace(duration=2.0, panels="status,recording,nope",
                              plugins=sim_plugins, settings_store=settings_store,
                              screenshot=str(shot))
    plan = argparse.Namespace(camera="sim", out_dir=tmp_path)
    with caplog.at_level(logging.INFO, logger="magscope.gui"):
        assert run(sim_hub, plan, args) == 0
    closes = [r.getMessage() for r in caplog.records if "closing the window" in r.getMessage()]
    assert closes == ["duration reached: closing the window"]  # nothing else closed it
    assert not sim_hub.stop_requested  # the CLI, not the window, ends the session
    image = QImage(str(shot))
    assert not image.isNull() and image.width() > 300
    assert layout.is_relative_to(gui_config_dir)
    saved = read_layout(layout)
    assert saved is not None and saved.tabs["Run"] == ["status", "recording"]
    assert saved.tabs["Analysis"] == []  # standard tabs exist, empty here


@pytest.mark.integration
def test_run_ends_when_the_session_is_asked_to_stop(
        qtbot, sim_hub: Hub, sim_plugins: PluginSet, settings_store: SettingsStore,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    from PySide6.QtCore import QTimer

    monkeypatch.setattr(Hub, "stop_requested", property(lambda self: self._fake_stop))
    sim_hub._fake_stop = False  # type: ignore[attr-defined]

    def ask() -> None:
        sim_hub._fake_stop = True  # type: ignore[attr-defined]

    QTimer.singleShot(700, ask)
    args = argparse.Namespace(duration=30.0, panels="status", plugins=sim_plugins,
                              store=settings_store)
    with caplog.at_level(logging.INFO, logger="magscope.gui"):
        assert run(sim_hub, argparse.Namespace(), args) == 0
    closes = [r.getMessage() for r in caplog.records if "closing the window" in r.getMessage()]
    assert closes and closes[0].startswith("session stopping")  # not the 30 s duration
