"""Fixtures shared by the GUI tests: one real simulated session, panel contexts.

``sim_hub`` (session scope) runs the real application's managers in spawned processes:
the simulated camera (256 x 256, 4 beads, 50 fps), the pipeline with the CPU tracker
(1 worker) and the writers (saving off), the simulated focus and magnet motors and the
locks (as a GUI session has them), with 4 bead ROIs added. Tests that change the
session's state (mode, saving, camera settings, Z-LUT) put it back.

``context`` builds a :class:`magscope_gui.PanelContext` on it, with a fresh settings
store (saved in the test's temporary folder) so tests never share settings changes.

Helpers the test modules share (display ticks, showing widgets, settings stores) come
from the plugin test kit, ``magscope_core.testing``; the panel contract runs on this
session in ``test_contracts.py``.
"""

from __future__ import annotations

import os
import sys
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# test_startup's gate manager (magscope_gui_startup_support) runs in spawned manager
# processes too: this folder on sys.path reaches them (multiprocessing hands it over)
sys.path.append(os.path.dirname(os.path.abspath(__file__)))
# the sessions here never touch the user's data folder (remembered Z-LUTs) nor sweep
os.environ.setdefault("MAGSCOPE_DATA_DIR", tempfile.mkdtemp(prefix="magscope-gui-test-data-"))
os.environ.setdefault("MAGSCOPE_AUTO_ZLUT", "0")

from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from magscope_gui import PanelContext

from magscope_core import (
    AddBead,
    FindBeads,
    Hub,
    PluginSet,
    SessionPlan,
    SettingsStore,
    plan_session,
)
from magscope_core.testing import installed_plugins, make_panel_context, make_store

SIM_CAMERA = {"width": 256, "height": 256, "fps": 50.0, "n_fixed": 2, "n_tethered": 2,
              "min_separation_px": 91,
              "seed": 11}
"""Camera options of the shared simulated session."""


@attrs.frozen
class SimSession:
    """The shared simulated session: hub, plugins, settings, plan and output folder."""

    hub: Hub
    plugins: PluginSet
    settings: SettingsStore
    plan: SessionPlan
    out_dir: Path
    config_dir: Path


@pytest.fixture(scope="session", autouse=True)
def gui_config_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A private MAGSCOPE_CONFIG_DIR (layouts, settings) and data folder for the session."""
    cfg = tmp_path_factory.mktemp("gui-config")
    # and a private user data folder: a Z-LUT that another test folder's session loaded
    # (and so remembered) must not be reloaded by the shared GUI session
    data = tmp_path_factory.mktemp("gui-user-data")
    keys = ("MAGSCOPE_CONFIG_DIR", "MAGSCOPE_DATA_DIR", "MAGSCOPE_AUTO_ZLUT")
    saved = {k: os.environ.get(k) for k in keys}
    os.environ.update({"MAGSCOPE_CONFIG_DIR": str(cfg), "MAGSCOPE_DATA_DIR": str(data),
                       "MAGSCOPE_AUTO_ZLUT": "0"})
    yield cfg
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def sim_session(tmp_path_factory: pytest.TempPathFactory, gui_config_dir: Path
                ) -> Iterator[SimSession]:
    """Start the shared simulated session (about 4 s) and stop it at the end."""
    plugins = installed_plugins()
    store = make_store(plugins, None)
    out_dir = tmp_path_factory.mktemp("gui-run")
    plan = plan_session(plugins, store, camera="sim", out_dir=out_dir, n_workers=1,
                        saving=False, camera_options=dict(SIM_CAMERA), locks=True)
    hub = Hub(plan.managers, plan.commands, plan.config)
    try:
        hub.start()
        for x, y in hub.call(FindBeads(n=4, size=64), timeout=10.0):
            hub.call(AddBead(x=float(x), y=float(y), size=64))
        yield SimSession(hub, plugins, store, plan, out_dir, gui_config_dir)
    finally:
        hub.stop()


@pytest.fixture(scope="session")
def sim_hub(sim_session: SimSession) -> Hub:
    """The running hub of the shared simulated session."""
    return sim_session.hub


@pytest.fixture(scope="session")
def sim_plugins(sim_session: SimSession) -> PluginSet:
    """The plugins the shared session was planned with."""
    return sim_session.plugins


@pytest.fixture
def settings_store(sim_plugins: PluginSet, tmp_path: Path) -> SettingsStore:
    """A fresh settings store of every installed namespace, saved under ``tmp_path``."""
    return make_store(sim_plugins, tmp_path / "settings.toml")


@pytest.fixture
def context(qtbot: object, sim_hub: Hub, sim_plugins: PluginSet,
            settings_store: SettingsStore) -> Iterator[PanelContext]:
    """A :class:`magscope_gui.PanelContext` on the shared session (display timer running)."""
    ctx: PanelContext = make_panel_context(sim_hub, sim_plugins, settings_store)
    yield ctx
    ctx.close()
