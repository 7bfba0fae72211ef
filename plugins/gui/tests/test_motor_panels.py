"""The generic focus and magnet panels driving real motor processes through a real hub.

The motors are the simulator's, run under names of their own (``objective``, ``pulley``):
the panels find them by the standard commands they handle, not by a name.
"""

from __future__ import annotations

import os

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import magscope_sim.plugin as sim_plugin
from magscope_gui._focus_panel import FocusPanel
from magscope_gui._magnet_panel import MagnetPanel
from magscope_gui._panels import select_panels, session_has
from magscope_gui.plugin import PANELS
from magscope_sim._managers import SIM_COMMANDS, SimFocusMotor, SimMagnetMotor
from PySide6 import QtCore, QtWidgets

from magscope_core import (
    GetFocus,
    GetMagnet,
    Hub,
    HubConfig,
    ManagerEntry,
    ManagerSpec,
    SettingsStore,
    load_plugins,
)

gui = pytest.importorskip("magscope_gui._context")

pytestmark = pytest.mark.integration

_SIM_COMMANDS = [(c, "sim", "magscope-sim") for c in SIM_COMMANDS]


def _wait(qtbot, context, predicate, timeout: int = 20000) -> None:
    """Wait for ``predicate``, emitting display ticks meanwhile (not relying on the timer)."""

    def ticked() -> bool:
        context.events.refresh.emit()
        return bool(predicate())

    qtbot.waitUntil(ticked, timeout=timeout)



@pytest.fixture(scope="module")
def hub():
    # the motors alone (no camera: they only fail to tell it, quietly, where they are)
    entries = [
        ManagerEntry(ManagerSpec("objective", SimFocusMotor, options={"speed_nm_s": 2000.0}),
                     "sim", "magscope-sim"),
        ManagerEntry(ManagerSpec("pulley", SimMagnetMotor, options={"speed_mm_s": 10.0}),
                     "sim", "magscope-sim"),
    ]
    with Hub(entries, _SIM_COMMANDS, HubConfig(start_timeout_s=60)) as h:
        yield h


@pytest.fixture
def context(qtbot, hub):
    ctx = gui.PanelContext(hub, SettingsStore({}, None), None)
    yield ctx
    ctx.close()


def _show(qtbot, panel):
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    _wait(qtbot, panel.context, lambda: panel.limits is not None and panel.position is not None,
                    timeout=20000)


def _button(panel, text: str) -> QtWidgets.QPushButton:
    return next(b for b in panel.findChildren(QtWidgets.QPushButton) if b.text() == text)


def test_panels_are_generic_gui_panels_keyed_on_the_standard_commands() -> None:
    specs = {s.id: s for s in PANELS}
    assert specs["focus"].factory == "magscope_gui._focus_panel:FocusPanel"
    assert specs["magnet"].factory == "magscope_gui._magnet_panel:MagnetPanel"
    assert specs["focus"].requires == ("MoveFocus", "GetFocus")
    assert specs["magnet"].requires == ("MoveMagnet", "GetMagnet")
    assert {specs[i].area for i in ("focus", "magnet")} == {"Hardware"}
    # the simulator contributes motors, not panels of its own
    assert not hasattr(sim_plugin, "magscope_panels")


def test_motor_panels_follow_the_motors_a_session_has() -> None:
    plugins = load_plugins()
    focus_only = Hub.build_registry(
        [ManagerEntry(ManagerSpec("objective", SimFocusMotor), "sim", "magscope-sim")],
        _SIM_COMMANDS)
    no_motor = Hub.build_registry([], _SIM_COMMANDS)
    both = Hub.build_registry(
        [ManagerEntry(ManagerSpec("objective", SimFocusMotor), "sim", "magscope-sim"),
         ManagerEntry(ManagerSpec("pulley", SimMagnetMotor), "sim", "magscope-sim")],
        _SIM_COMMANDS)
    assert session_has(both, ("MoveFocus", "MoveMagnet"))
    assert not session_has(no_motor, ("MoveFocus",))
    assert not session_has(both, ("NoSuchCommand",))

    def ids(registry: object) -> set[str]:
        chosen, _ = select_panels(plugins, None, registry)  # type: ignore[arg-type]
        return {c.spec.id for c in chosen}

    assert {"focus", "magnet"} <= ids(both)
    assert "focus" in ids(focus_only) and "magnet" not in ids(focus_only)
    assert not {"focus", "magnet"} & ids(no_motor)
    assert {"status", "video"} <= ids(no_motor)  # panels that require nothing stay
    assert {"focus", "magnet"} <= {c.spec.id for c in select_panels(plugins, None)[0]}


def test_panels_find_their_manager_by_command(qtbot, context) -> None:
    assert FocusPanel(context).manager == "objective"
    assert MagnetPanel(context).manager == "pulley"


def test_focus_panel_moves_and_jogs_the_motor(qtbot, context, hub: Hub) -> None:
    panel = FocusPanel(context)
    _show(qtbot, panel)
    assert panel.limits == (-10_000.0, 10_000.0)
    assert panel.labels["limits"].text() == "-10000.0 .. 10000.0"
    start = hub.call(GetFocus())["z_nm"]
    panel.move_to.setValue(start + 1500.0)
    qtbot.mouseClick(_button(panel, "Move"), QtCore.Qt.MouseButton.LeftButton)
    assert hub.call(GetFocus())["target_nm"] == pytest.approx(start + 1500.0)
    speeds: list[float] = []

    def arrived() -> bool:
        speeds.append(panel.speed)
        return (panel.labels["status"].text() == "at target"
                and panel.position == pytest.approx(start + 1500, abs=10))

    _wait(qtbot, panel.context, arrived, timeout=20000)
    assert max(speeds) == pytest.approx(2000.0, rel=0.2)  # measured while it moved
    assert panel.labels["speed"].text() == "0.0"
    assert float(panel.labels["position"].text()) == pytest.approx(start + 1500.0, abs=10)

    panel.step.setValue(250.0)
    qtbot.mouseClick(panel.jog_plus, QtCore.Qt.MouseButton.LeftButton)
    assert hub.call(GetFocus())["target_nm"] == pytest.approx(start + 1750.0)
    panel.refresh()
    _wait(qtbot, panel.context, lambda: panel.target == pytest.approx(start + 1750.0),
          timeout=20000)
    qtbot.mouseClick(panel.jog_minus, QtCore.Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.jog_minus, QtCore.Qt.MouseButton.LeftButton)
    assert hub.call(GetFocus())["target_nm"] == pytest.approx(start + 1250.0)
    assert panel.move_motor(1e6) == 10_000.0  # clamped to the limits
    assert panel.move_motor(start) == pytest.approx(start)
    assert panel.save_state() == {"step": 250.0}
    panel.restore_state({"step": 5.0})
    assert panel.step.value() == 5.0


def test_magnet_panel_moves_sets_force_and_jogs(qtbot, context, hub: Hub) -> None:
    panel = MagnetPanel(context)
    _show(qtbot, panel)
    assert panel.limits == (0.0, 34.5)
    start = hub.call(GetMagnet())
    panel.force.setValue(5.0)
    qtbot.mouseClick(_button(panel, "Set"), QtCore.Qt.MouseButton.LeftButton)
    _wait(qtbot, panel.context, lambda: not hub.call(GetMagnet())["moving"], timeout=10000)
    assert hub.call(GetMagnet())["force_pn"] == pytest.approx(5.0, rel=0.01)
    _wait(qtbot, panel.context, lambda: abs(float(panel.labels["force"].text()) - 5.0) < 0.05,
                    timeout=20000)

    panel.move_to.setValue(panel.target + 2.0)
    qtbot.mouseClick(_button(panel, "Move"), QtCore.Qt.MouseButton.LeftButton)
    panel.step.setValue(1.5)
    qtbot.mouseClick(panel.jog_minus, QtCore.Qt.MouseButton.LeftButton)
    goal = panel.move_to.value() - 1.5
    assert hub.call(GetMagnet())["target_mm"] == pytest.approx(goal)
    _wait(qtbot, panel.context, lambda: panel.labels["status"].text() == "at target"
                    and panel.position == pytest.approx(goal, abs=0.001), timeout=10000)
    assert float(panel.labels["position"].text()) == pytest.approx(goal, abs=0.001)
    assert panel.move_motor(-3.0) == 0.0  # clamped, not refused
    assert panel.move_motor(start["position_mm"]) == pytest.approx(start["position_mm"])


def test_magnet_panel_rotates(qtbot, context, hub: Hub) -> None:
    panel = MagnetPanel(context)
    _show(qtbot, panel)
    panel.turns.setValue(3.0)
    qtbot.mouseClick(_button(panel, "Rotate"), QtCore.Qt.MouseButton.LeftButton)
    assert hub.call(GetMagnet())["target_turns"] == 3.0
    # the label reads "3.00" from 2.995 turns on: wait for the magnet to arrive first
    _wait(qtbot, panel.context, lambda: hub.call(GetMagnet())["turns"] == 3.0, timeout=20000)
    _wait(qtbot, panel.context, lambda: panel.labels["turns"].text() == "3.00", timeout=20000)
    assert panel.rotate(0.0) == 0.0
    assert panel.rotate(5000.0) is None  # beyond the rotation axis: refused, notified


def test_failed_command_is_notified(qtbot, context) -> None:
    panel = MagnetPanel(context)
    seen: list[tuple[str, str]] = []
    context.events.notify.connect(lambda level, msg: seen.append((level, msg)))
    assert panel.set_force(1e9) is None
    assert seen and seen[0][0] == "error" and "SetForce" in seen[0][1]


@pytest.mark.parametrize("panel_class", [FocusPanel, MagnetPanel])
def test_panels_fit_the_side_dock(qtbot, context, panel_class) -> None:
    panel = panel_class(context)
    qtbot.addWidget(panel)
    # the side dock is ~380 px wide: spin boxes are not as wide as their +-1e9 range
    assert panel.minimumSizeHint().width() <= 320
    panel.resize(320, panel.sizeHint().height())
    panel.show()
    qtbot.waitExposed(panel)
    assert panel.width() == 320


def test_signals_go_to_bound_methods_only() -> None:
    # a lambda or partial holding ``self`` connected to a child's signal can abort
    # PySide6 6.11 when the panel is deleted ("shared QObject was deleted directly")
    import ast
    from pathlib import Path

    import magscope_gui._magnet_panel as magnet
    import magscope_gui._motor_panel as base

    source = "\n".join(Path(m.__file__).read_text(encoding="utf-8") for m in (base, magnet))
    tree = ast.parse(source)
    unsafe = [
        arg.lineno for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and node.func.attr in {"connect", "singleShot", "addAction"}
        for arg in node.args
        if isinstance(arg, ast.Lambda) or (isinstance(arg, ast.Call)
                                           and "partial" in ast.dump(arg.func))
    ]
    assert unsafe == []


class _NoTelemetry:
    """The session's shared resources, as seen with a motor that records no telemetry."""

    def __init__(self, resources: object) -> None:
        self._resources = resources

    def telemetry(self, name: str) -> object:
        raise KeyError(name)

    def __getattr__(self, name: str) -> object:
        return getattr(self._resources, name)


def test_focus_panel_without_telemetry_asks_the_motor(qtbot, context, hub: Hub) -> None:
    # the panel polls GetFocus instead of reading a ring
    context.resources = _NoTelemetry(context.resources)
    panel = FocusPanel(context)
    _show(qtbot, panel)
    assert panel.source == "command"
    start = hub.call(GetFocus())["target_nm"]
    assert panel.move_motor(start + 600.0) == pytest.approx(start + 600.0)
    _wait(qtbot, context, lambda: panel.labels["status"].text() == "at target"
          and panel.position == pytest.approx(start + 600.0, abs=10), timeout=20000)
    assert float(panel.labels["position"].text()) == pytest.approx(start + 600.0, abs=10)
    panel.move_motor(start)
