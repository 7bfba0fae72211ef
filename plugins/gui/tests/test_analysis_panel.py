"""The Analysis panel: Allan deviation of the selected bead (minus the reference) from the
live tracks, and the force from Brownian motion against the simulator's true force."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from magscope_analysis import allan_deviation
from magscope_gui import PanelContext
from magscope_gui._analysis_panel import AnalysisPanel, analyse
from magscope_gui._series import SeriesBuffer
from magscope_sim import BeadField, TetherParams

from magscope_core import GetBeads, Hub
from magscope_core.testing import show_widget, wait_ticking

pytestmark = pytest.mark.integration

R = 500.0
FPS = 100.0


@pytest.fixture
def panel(qtbot, context: PanelContext) -> AnalysisPanel:
    return show_widget(qtbot, AnalysisPanel(context), 700, 500)


def test_allan_deviation_of_the_selected_bead_minus_the_reference(
        qtbot, panel: AnalysisPanel, context: PanelContext, sim_hub: Hub) -> None:
    ids = sorted(int(b[0]) for b in sim_hub.call(GetBeads()))
    context.selected_bead, context.reference_bead = ids[0], ids[1]
    panel.window_s.setValue(5.0)

    def ready() -> bool:
        panel._force_update()  # analyse on this tick
        r = panel.result
        return r is not None and r.n_frames >= 64 and r.adev["x"][0].size >= 3

    wait_ticking(qtbot, context, ready, timeout=20000)
    t, xyz = panel.bead_data()
    # the tracks matrix, independently: selected minus reference on common frames
    tracks = context.resources.tracks()
    cols = [tracks.column(c) for c in ("t", "x", "y", "z")]
    s = tracks.rows_of_bead(ids[0], newer_than=float(t[0]) - 1e-6)[:, cols]
    r = tracks.rows_of_bead(ids[1], newer_than=float(t[0]) - 1e-6)[:, cols]
    common, i_s, i_r = np.intersect1d(s[:, 0], r[:, 0], return_indices=True)
    n = t.size
    np.testing.assert_array_equal(t, common[:n])
    np.testing.assert_allclose(xyz[:, 0], (s[i_s, 1] - r[i_r, 1])[:n])
    panel.update_analysis()
    tau, adev = allan_deviation(xyz[:, 0], panel.result.fps)
    shown_x, shown_y = panel.curves["x"].getOriginalDataset()
    np.testing.assert_allclose(shown_x, tau[adev > 0])
    np.testing.assert_allclose(shown_y, adev[adev > 0])
    assert panel.curves["y"].getOriginalDataset()[0].size >= 3
    # no Z-LUT in the shared session: no force, and the panel says why
    assert panel.result.forces == {}
    assert "Z" in panel.force_label.text()
    assert f"bead {ids[0]} - ref {ids[1]}" in panel.info.text()


def _traces(force: float, seconds: float = 60.0) -> tuple[np.ndarray, np.ndarray]:
    """Times and (frames, 2 beads, 3) positions: a fixed bead and a tethered one."""
    field = BeadField([[0.0, 0.0], [5000.0, 0.0]], [False, True],
                      TetherParams(bead_radius_nm=R), force_pn=force, seed=2)
    xyz = field.trajectory(int(seconds * FPS), 1 / FPS, 1 / FPS)
    t = 1.7e9 + np.arange(xyz.shape[0]) / FPS
    return t, xyz


@pytest.mark.parametrize("force", [0.5, 8.0])
def test_force_shown_matches_the_true_force(qtbot, panel: AnalysisPanel,
                                            context: PanelContext, force: float) -> None:
    t, xyz = _traces(force)
    context.selected_bead, context.reference_bead = 901, 900  # not in the session
    panel._series = {}
    for bead, k in ((900, 0), (901, 1)):
        s = SeriesBuffer(4, 8192)
        s.append(np.column_stack([t, xyz[:, k, :]]))
        panel._series[bead] = s
    for method in ("psd", "allan"):
        panel.method.setCurrentIndex(panel.method.findData(method))
        panel.update_analysis()
        r = panel.result
        assert r is not None and r.fps == pytest.approx(FPS)
        for axis in ("x", "y"):
            f = r.forces[axis]
            assert abs(f.force_pn / force - 1) < 0.10, (method, axis, f)
            assert f.along_field == (axis == "x")
        text = panel.force_label.text()
        assert "F_x = " in text and "along field" in text and "F_y = " in text
    if os.environ.get("MAGSCOPE_UPDATE_SCREENSHOT") and force == 8.0:
        docs = Path(__file__).resolve().parents[3] / "docs" / "forces-panel.png"
        panel.grab().save(str(docs))


def test_analyse_without_enough_data_says_so() -> None:
    r = analyse(np.arange(5.0), np.zeros((5, 3)), radius_nm=R, field_axis="x", method="psd")
    assert r.note == "waiting for data" and r.forces == {}
    t, xyz = _traces(2.0, seconds=10.0)
    stuck = analyse(t, xyz[:, 0, :] - xyz[:, 0, :], radius_nm=R, field_axis="x",
                    method="psd")
    assert "surface" in stuck.note
