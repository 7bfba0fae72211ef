"""The intensity histogram on a real simulated session, and the binning itself."""

from __future__ import annotations

import numpy as np
import pytest
from magscope_gui import PanelContext
from magscope_gui._histogram_panel import HistogramPanel, intensity_histogram

from magscope_core import GetBeads, Hub
from magscope_core.testing import show_widget, tick_for, wait_ticking

pytestmark = pytest.mark.integration


@pytest.fixture
def panel(qtbot, context: PanelContext) -> HistogramPanel:
    return show_widget(qtbot, HistogramPanel(context), 500, 300)


def test_histogram_of_the_live_frame(qtbot, panel: HistogramPanel, context: PanelContext,
                                     sim_hub: Hub) -> None:
    wait_ticking(qtbot, panel.context, lambda: panel.counts is not None, timeout=20000)
    info = context.resources.camera_info
    frame = panel._frame
    assert int(panel.counts.sum()) == info.width * info.height
    expected, edges = intensity_histogram(frame, info.bits)
    np.testing.assert_array_equal(panel.counts, expected)
    assert edges[-1] == 2**info.bits and panel.counts.size == min(256, 2**info.bits)
    _, y = panel.curve.getOriginalDataset()
    np.testing.assert_allclose(y, np.log10(panel.counts + 1.0))  # log scale by default
    assert "saturated" in panel.stats.text()

    panel.log_scale.setChecked(False)  # applied at once
    np.testing.assert_allclose(panel.curve.getOriginalDataset()[1], panel.counts)

    panel.rois_only.setChecked(True)
    mask = np.zeros(frame.shape, bool)
    for _, x0, y0, s in sim_hub.call(GetBeads()):
        mask[y0:y0 + s, x0:x0 + s] = True
    assert int(panel.counts.sum()) == int(mask.sum()) > 0
    np.testing.assert_array_equal(panel.counts, intensity_histogram(panel._frame[mask],
                                                                    info.bits)[0])


def test_updates_follow_the_interval_and_stop_when_disabled(qtbot, panel: HistogramPanel
                                                            ) -> None:
    panel.interval.setValue(0.1)
    wait_ticking(qtbot, panel.context, lambda: panel.counts is not None, timeout=20000)
    first = panel._last
    wait_ticking(qtbot, panel.context, lambda: panel._last > first, timeout=20000)
    panel.enabled.setChecked(False)
    stopped = panel._last
    tick_for(qtbot, panel.context, 300)
    assert panel._last == stopped
    state = panel.save_state()
    assert state == {"enabled": False, "rois_only": False, "log": True, "interval": 0.1}
    panel.restore_state({"enabled": True, "rois_only": True, "log": False, "interval": 2.0})
    assert panel.save_state() == {"enabled": True, "rois_only": True, "log": False,
                                  "interval": 2.0}


def test_intensity_histogram_bins() -> None:
    v = np.array([0, 15, 16, 4095, 4096, 65535], dtype=np.uint16)
    counts, edges = intensity_histogram(v, 12)
    assert counts.size == 256 and edges[1] == 16.0
    assert counts[0] == 2 and counts[1] == 1 and counts[255] == 3  # overflow -> last bin
    counts, edges = intensity_histogram(np.arange(16, dtype=np.uint8), 4)
    assert counts.size == 16 and np.all(counts == 1) and edges[-1] == 16
    with pytest.raises(ValueError, match="power of two"):
        intensity_histogram(v, 12, nbins=100)
