"""Z-LUT menu: a real focus sweep with a review of every bead's candidate, cancel, bad
input, load/unload, current Z-LUT."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from magscope_gui import MainWindow, PanelContext
from magscope_gui._panels import select_panels
from magscope_gui._zlut_dialog import ZLutSweepDialog
from magscope_gui._zlut_info import ZLutInfoDialog, load_zlut, unload_zlut
from magscope_gui._zlut_preview import zlut_table
from PySide6.QtCore import Qt

from magscope_core import GetBeads, GetZLut, GetZLutProfiles, GetZLutSweep, Hub, PluginSet


def test_zlut_table_from_a_profiles_answer() -> None:
    table = zlut_table({"z_nm": [-100, 0, 100], "profiles": [[1, 4], [2, 5], [3, 6]],
                        "metadata": {"bead": 3}})
    assert table.z_nm.tolist() == [-100, 0, 100]
    assert table.profiles.tolist() == [[1, 2, 3], [4, 5, 6]]  # bins x planes
    assert table.metadata == {"bead": 3}
    with pytest.raises(ValueError, match="expected \\(n_planes, n_bins\\)"):
        zlut_table({"z_nm": [1, 2, 3], "profiles": [[1, 2]]})


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
def test_a_real_sweep_reviews_every_bead_then_saves_loads_and_shows_the_pick(
        qtbot, sweep_dialog: ZLutSweepDialog, context: PanelContext, sim_hub: Hub,
        tmp_path: Path) -> None:
    path = tmp_path / "zluts" / "small.txt"
    n_beads = len(sim_hub.call(GetBeads()))
    sweep_dialog.set_parameters(start_nm=-600, step_nm=300, stop_nm=600, images_per_step=3,
                                bead_id=None, path=path, load=True)  # all beads
    assert sweep_dialog.bead.currentData() == -1
    assert sweep_dialog.plan.text().startswith("5 planes, 15 images")
    with qtbot.waitSignal(sweep_dialog.candidates_ready, timeout=60_000) as ready:
        assert sweep_dialog.start_sweep()
        assert not sweep_dialog.start_button.isEnabled()
    status = sim_hub.call(GetZLutSweep())
    assert status["state"] == "review" and ready.args == [status["best"]]
    assert not path.exists()  # nothing is saved before the user's pick
    # the review: one row per bead, with its scores, the best selected and previewed
    table = sweep_dialog.candidates
    assert table.isVisible() and table.rowCount() == n_beads
    for row in range(n_beads):
        assert table.item(row, 1).text() not in ("", "-"), row  # a score
        assert float(table.item(row, 5).text()) >= 0.0  # self-consistency RMS, nm
    assert sweep_dialog.selected_candidate() == status["best"]
    if os.environ.get("MAGSCOPE_UPDATE_SCREENSHOT"):  # the picture in docs/zlut.md
        sweep_dialog.grab().save(str(Path(__file__).parents[3] / "docs" / "zlut-review.png"))
    best = sim_hub.call(GetZLutProfiles(bead_id=status["best"]))
    assert np.allclose(sweep_dialog.preview.table.profiles, np.asarray(best["profiles"]).T)
    other_row = next(r for r in range(n_beads)
                     if table.item(r, 0).data(Qt.ItemDataRole.UserRole) != status["best"])
    table.selectRow(other_row)  # previewing another candidate shows its profiles
    other = int(table.item(other_row, 0).data(Qt.ItemDataRole.UserRole))
    shown = sim_hub.call(GetZLutProfiles(bead_id=other))
    assert np.allclose(sweep_dialog.preview.table.profiles, np.asarray(shown["profiles"]).T)
    with qtbot.waitSignal(sweep_dialog.sweep_ended, timeout=30_000) as ended:
        qtbot.mouseClick(sweep_dialog.save_button, Qt.MouseButton.LeftButton)  # the pick
    assert ended.args == ["done"]
    assert path.exists() and f'"bead_id": {other}' in path.read_text()
    assert sweep_dialog.progress.value() == sweep_dialog.progress.maximum() == 5
    assert np.isfinite(sweep_dialog.preview.table.profiles).all()
    assert sim_hub.call(GetZLut())["planes"] == 5
    assert context.settings.value("gui", "zlut_dir") == str(path.parent)
    info = ZLutInfoDialog(context)
    qtbot.addWidget(info)
    assert info.meta is not None and info.meta["path"] == str(path)
    assert str(path) in info.summary.text() and info.preview.table is not None
    assert "Remembered for camera <b>sim</b>" in info.summary.text()
    assert unload_zlut(context)
    assert sim_hub.call(GetZLut()) is None
    assert info.refresh() is None and "No Z-LUT is loaded" in info.summary.text()
    assert load_zlut(context, path)["planes"] == 5  # and load it again from the file


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
