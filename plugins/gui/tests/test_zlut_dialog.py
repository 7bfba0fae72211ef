"""Z-LUT menu: a real focus sweep, cancel, bad input, load/unload, current Z-LUT."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from magscope_gui import MainWindow, PanelContext
from magscope_gui._panels import select_panels
from magscope_gui._zlut_dialog import ZLutInfoDialog, ZLutSweepDialog, load_zlut, unload_zlut
from magscope_gui._zlut_preview import read_zlut_table

from magscope_core import GetBeads, GetZLut, GetZLutSweep, Hub, PluginSet


def test_read_zlut_table(tmp_path: Path) -> None:
    path = tmp_path / "lut.txt"
    path.write_text('# a Z-LUT\n# metadata: {"bead": 3}\n-100 0 100\n1 2 3\n4 5 6\n')
    table = read_zlut_table(path)
    assert table.z_nm.tolist() == [-100, 0, 100]
    assert table.profiles.shape == (2, 3) and table.metadata == {"bead": 3}
    bad = tmp_path / "bad.txt"
    bad.write_text("1 2 x\n")
    with pytest.raises(ValueError, match=r"bad\.txt"):
        read_zlut_table(bad)
    with pytest.raises(ValueError, match="cannot be read"):
        read_zlut_table(tmp_path / "missing.txt")


@pytest.fixture
def sweep_dialog(qtbot, context: PanelContext, sim_hub: Hub):
    dialog = ZLutSweepDialog(context)
    qtbot.addWidget(dialog)
    dialog.show()
    yield dialog
    if dialog.running:
        dialog.cancel_sweep()
    unload_zlut(context)


def _first_bead(hub: Hub) -> int:
    return int(min(b[0] for b in hub.call(GetBeads())))


@pytest.mark.integration
def test_a_real_sweep_makes_loads_and_shows_a_zlut(qtbot, sweep_dialog: ZLutSweepDialog,
                                                   context: PanelContext, sim_hub: Hub,
                                                   tmp_path: Path) -> None:
    path = tmp_path / "zluts" / "small.txt"
    bead = _first_bead(sim_hub)
    sweep_dialog.set_parameters(start_nm=-300, step_nm=300, stop_nm=300, images_per_step=3,
                                bead_id=bead, path=path, load=True)
    assert sweep_dialog.plan.text().startswith("3 planes, 9 images")
    with qtbot.waitSignal(sweep_dialog.sweep_ended, timeout=60_000) as ended:
        assert sweep_dialog.start_sweep()
        assert not sweep_dialog.start_button.isEnabled()
    assert ended.args == ["done"], sim_hub.call(GetZLutSweep())
    assert path.exists()
    assert sweep_dialog.progress.value() == sweep_dialog.progress.maximum() == 3
    table = sweep_dialog.preview.table
    assert table is not None and table.z_nm.size == 3
    assert np.isfinite(table.profiles).all()
    assert sim_hub.call(GetZLut())["planes"] == 3
    assert context.settings.value("gui", "zlut_dir") == str(path.parent)
    info = ZLutInfoDialog(context)
    qtbot.addWidget(info)
    assert info.meta is not None and info.meta["path"] == str(path)
    assert str(path) in info.summary.text() and info.preview.table is not None
    assert unload_zlut(context)
    assert sim_hub.call(GetZLut()) is None
    assert info.refresh() is None and "No Z-LUT is loaded" in info.summary.text()
    assert load_zlut(context, path)["planes"] == 3  # and load it again from the file


@pytest.mark.integration
def test_start_then_cancel(qtbot, sweep_dialog: ZLutSweepDialog, sim_hub: Hub,
                           tmp_path: Path) -> None:
    sweep_dialog.set_parameters(start_nm=-2000, step_nm=100, stop_nm=2000, images_per_step=20,
                                bead_id=_first_bead(sim_hub), path=tmp_path / "long.txt")
    assert sweep_dialog.start_sweep() and sweep_dialog.running
    assert sweep_dialog.progress.maximum() == 41
    # cancel once the sweep is under way: moved to its first plane and capturing
    qtbot.waitUntil(lambda: (sim_hub.call(GetZLutSweep()) or {}).get("state") == "capturing",
                    timeout=10_000)
    with qtbot.waitSignal(sweep_dialog.sweep_ended, timeout=10_000) as ended:
        sweep_dialog.cancel_sweep()
    assert ended.args == ["cancelled"] and not sweep_dialog.running
    assert sweep_dialog.start_button.isEnabled() and not (tmp_path / "long.txt").exists()


@pytest.mark.integration
def test_bad_requests_are_explained(sweep_dialog: ZLutSweepDialog, context: PanelContext,
                                    sim_hub: Hub, tmp_path: Path) -> None:
    sweep_dialog.set_parameters(start_nm=-250, step_nm=100, stop_nm=300, images_per_step=2,
                                bead_id=_first_bead(sim_hub), path=tmp_path / "x.txt")
    assert "stop must be start + k x step" in sweep_dialog.plan.text()
    assert not sweep_dialog.start_sweep()
    assert "grid" in sweep_dialog.error.text() and not sweep_dialog.running
    notes: list[tuple[str, str]] = []
    context.events.notify.connect(lambda level, msg: notes.append((level, msg)))
    garbage = tmp_path / "garbage.txt"
    garbage.write_text("this is not a Z-LUT\n")
    assert load_zlut(context, garbage) is None
    assert notes[-1][0] == "error" and "LoadZLut" in notes[-1][1]
    assert "garbage.txt" in notes[-1][1]


@pytest.mark.integration
def test_zlut_menu_opens_the_dialogs(qtbot, context: PanelContext,
                                     sim_plugins: PluginSet) -> None:
    chosen, _ = select_panels(sim_plugins, ["status"])
    window = MainWindow(context, chosen, None)
    qtbot.addWidget(window)
    window.show()
    titles = [a.text() for a in window.menus.menus["zlut"].actions()]
    assert titles == ["New…", "Load…", "Unload", "Show current…"]
    sweep = window.menus.new_zlut()
    assert sweep.isVisible() and sweep.bead.count() >= 4
    sweep.close()
    info = window.menus.show_zlut()
    assert info.isVisible()
    window.menus.unload_zlut()
    assert "unloaded" in window.log_panel.entries[-1].message
    window.close()
