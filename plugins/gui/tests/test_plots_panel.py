"""The live plots on a real simulated session: bead X/Y/Z, reference, time axis, telemetry."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from magscope_gui import PanelContext
from magscope_gui._plots_panel import DEFAULT_WINDOW_S, PlotsPanel, telemetry_label
from magscope_gui._series import SeriesBuffer

from magscope_core import GetBeads, GetFocus, Hub, MoveFocus
from magscope_core.testing import show_widget, wait_ticking

pytestmark = pytest.mark.integration


@pytest.fixture
def panel(qtbot, context: PanelContext) -> PlotsPanel:
    return show_widget(qtbot, PlotsPanel(context), 800, 600)


def _ids(hub: Hub) -> list[int]:
    return sorted(int(b[0]) for b in hub.call(GetBeads()))


def _data(panel: PlotsPanel, key: str) -> tuple[np.ndarray, np.ndarray]:
    x, y = panel.plots[key][1].getOriginalDataset()
    if x is None:
        return np.zeros(0), np.zeros(0)
    return np.asarray(x), np.asarray(y)


def test_plots_show_the_selected_bead(qtbot, panel: PlotsPanel, context: PanelContext,
                                      sim_hub: Hub) -> None:
    assert list(panel.plots) == ["x", "y", "z"]
    assert panel.info.text() == "select a bead in the video"
    bead = _ids(sim_hub)[0]
    context.selected_bead = bead
    assert panel.info.text() == f"bead {bead}"
    wait_ticking(qtbot, context, lambda: _data(panel, "x")[0].size >= 10, timeout=10000)
    tracks = context.resources.tracks()
    series = panel._series[bead].rows()
    truth = tracks.rows_of_bead(bead, newer_than=float(series[0, 0]) - 1e-6)
    n = series.shape[0]
    cols = [tracks.column(c) for c in ("t", "x", "y", "z")]
    np.testing.assert_array_equal(series, truth[:n, cols])  # every row, in order
    x, y = _data(panel, "x")
    assert x[-1] == pytest.approx(0.0) and np.all(np.diff(x) > 0) and x[0] < 0  # relative
    np.testing.assert_array_equal(x, series[:, 0] - series[-1, 0])
    np.testing.assert_array_equal(y, series[:, 1])
    # the default 30 s window, or less while less data has come (the data fill the plot)
    assert panel.window_s.value() == DEFAULT_WINDOW_S == 30.0
    xmin, xmax = panel.plots["x"][0].viewRange()[0]
    assert xmax == pytest.approx(0.0, abs=1e-6)
    assert -DEFAULT_WINDOW_S - 1e-6 <= xmin <= min(float(x[0]), -1.0) + 1e-6
    # a new bead selected: back-filled at once from the tracks matrix
    other = _ids(sim_hub)[1]
    context.selected_bead = other
    assert bead not in panel._series
    wait_ticking(qtbot, context,
                 lambda: other in panel._series and len(panel._series[other]) >= 10,
                 timeout=20000)


def test_minus_reference_bead(qtbot, panel: PlotsPanel, context: PanelContext,
                              sim_hub: Hub) -> None:
    a, b = _ids(sim_hub)[:2]
    context.selected_bead = a
    context.reference_bead = b
    panel.use_reference.setChecked(True)
    assert panel.info.text() == f"bead {a} minus reference {b}"
    wait_ticking(qtbot, context, lambda: _data(panel, "x")[0].size >= 10, timeout=10000)
    t, dx = _data(panel, "x")
    _, dz = _data(panel, "z")
    sa, sb = panel._series[a].rows(), panel._series[b].rows()
    common, ia, ib = np.intersect1d(sa[:, 0], sb[:, 0], return_indices=True)
    m = min(common.size, t.size)
    np.testing.assert_allclose(dx[:m], (sa[ia, 1] - sb[ib, 1])[:m])
    z_expected = (sb[ib, 3] - sa[ia, 3])[:m]  # Z sign flipped (NaN without a Z-LUT)
    np.testing.assert_array_equal(np.isnan(dz[:m]), np.isnan(z_expected))
    np.testing.assert_allclose(dz[:m][~np.isnan(z_expected)], z_expected[~np.isnan(z_expected)])
    assert abs(float(np.nanmean(dx))) > 100  # two different beads: far apart in nm


def test_absolute_time_axis_and_window(qtbot, panel: PlotsPanel, context: PanelContext,
                                       sim_hub: Hub) -> None:
    context.selected_bead = _ids(sim_hub)[0]
    panel.relative_time.setChecked(False)
    assert isinstance(panel.plots["z"][0].getAxis("bottom"), pg.DateAxisItem)
    wait_ticking(qtbot, context, lambda: _data(panel, "y")[0].size >= 5, timeout=10000)
    x, _ = _data(panel, "y")
    assert x[-1] > 1.6e9  # epoch seconds
    panel.window_s.setValue(1.0)
    wait_ticking(qtbot, context, lambda: _data(panel, "y")[0].size >= 5, timeout=10000)
    since = float(_data(panel, "y")[0][-1])  # then more than the window's worth of data
    wait_ticking(qtbot, context, lambda: _data(panel, "y")[0][-1] >= since + 1.5,
                 timeout=10000)
    x, _ = _data(panel, "y")
    assert x[-1] - x[0] <= 1.0 + 1e-9
    xmin, xmax = panel.plots["x"][0].viewRange()[0]
    assert xmax - xmin == pytest.approx(1.0)


def test_a_long_window_is_filled_by_the_data_there_is(qtbot, panel: PlotsPanel,
                                                      context: PanelContext,
                                                      sim_hub: Hub) -> None:
    context.selected_bead = _ids(sim_hub)[0]
    panel.window_s.setValue(3600.0)  # more than the session has run
    wait_ticking(qtbot, context, lambda: _data(panel, "x")[0].size >= 10, timeout=10000)
    x, _ = _data(panel, "x")
    xmin, xmax = panel.plots["x"][0].viewRange()[0]
    assert x[0] > -3000.0 and xmax == pytest.approx(0.0, abs=1e-6)
    assert xmin == pytest.approx(min(float(x[0]), -1.0), abs=1e-6)  # not squeezed right


def test_fixed_y_limits(qtbot, panel: PlotsPanel) -> None:
    panel.set_limits("y", (-50.0, 75.0))
    assert panel.plots["y"][0].viewRange()[1] == pytest.approx([-50.0, 75.0])
    # the same through the widgets
    panel.limit_plot.setCurrentIndex(panel.limit_plot.findData("z"))
    assert panel.limit_auto.isChecked()
    panel.limit_auto.setChecked(False)
    panel.limit_min.setValue(10.0)
    panel.limit_max.setValue(20.0)
    assert panel._limits["z"] == (10.0, 20.0)
    assert panel.plots["z"][0].viewRange()[1] == pytest.approx([10.0, 20.0])
    panel.limit_auto.setChecked(True)
    assert "z" not in panel._limits


def test_telemetry_plots_from_hardware_plugins(qtbot, panel: PlotsPanel,
                                               context: PanelContext, sim_hub: Hub) -> None:
    tel = panel.telemetry_columns()
    assert tel["focus"] == ("z_nm", "target_nm", "at_target")
    assert "force_pn" in tel["magnet"]
    assert panel.actions_by_key["tel:magnet:force_pn"].text() == "magnet force (pN)"
    panel.actions_by_key["tel:focus:z_nm"].setChecked(True)  # as from the menu
    panel.show_plot("tel:magnet:force_pn")
    assert list(panel.plots) == ["x", "y", "z", "tel:focus:z_nm", "tel:magnet:force_pn"]
    start = sim_hub.call(GetFocus())["z_nm"]
    try:
        assert context.call(MoveFocus(z_nm=start + 400.0)) == pytest.approx(start + 400.0)
        wait_ticking(qtbot, context, lambda: _data(panel, "tel:focus:z_nm")[1].size > 0
                     and np.max(_data(panel, "tel:focus:z_nm")[1]) >= start + 399.0,
                     timeout=10000)
        _, force = _data(panel, "tel:magnet:force_pn")
        assert force.size and np.all(force > 0)
    finally:
        sim_hub.call(MoveFocus(z_nm=start))
    panel.show_plot("tel:focus:z_nm", False)
    assert "tel:focus:z_nm" not in panel.plots
    assert not panel.actions_by_key["tel:focus:z_nm"].isChecked()
    with pytest.raises(KeyError, match="no plot 'w'"):
        panel.show_plot("w")


def test_state_round_trip(qtbot, panel: PlotsPanel, context: PanelContext) -> None:
    panel.window_s.setValue(60.0)
    panel.use_reference.setChecked(True)
    panel.show_plot("x", False)
    panel.show_plot("tel:magnet:position_mm")
    panel.set_limits("y", (1.0, 2.0))
    state = panel.save_state()
    other = PlotsPanel(context)
    qtbot.addWidget(other)
    other.restore_state(state)
    assert other.save_state() == state
    assert list(other.plots) == ["y", "z", "tel:magnet:position_mm"]


def test_telemetry_label() -> None:
    assert telemetry_label("focus", "z_nm") == "focus z (nm)"
    assert telemetry_label("focus", "at_target") == "focus at target"
    assert telemetry_label("stage", "speed_um") == "stage speed (µm)"


def test_series_buffer_grows_trims_and_skips_old_rows() -> None:
    s = SeriesBuffer(2, capacity=4)
    assert s.last_time() is None
    for k in range(100):
        s.append(np.array([[k, 10 * k], [k + 0.5, 10 * k + 5]]))
    assert len(s) == 200 and s.last_time() == 99.5
    s.append(np.array([[50.0, -1.0], [99.5, -1.0]]))  # not newer: skipped
    assert len(s) == 200
    s.trim(90.0)
    np.testing.assert_array_equal(s.rows()[:, 0], np.arange(90, 100, 0.5))
    for k in range(100, 400):  # reuses the freed room (compacts) and grows when needed
        s.append(np.array([[k, 0.0]]))
        s.trim(k - 10)
    assert len(s) == 11 and s.rows()[0, 0] == 389
    s.clear()
    assert len(s) == 0
    with pytest.raises(ValueError, match="ncols >= 1"):
        SeriesBuffer(0)
