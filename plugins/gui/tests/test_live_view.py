"""With acquisition off the video and the histogram keep showing new frames (real session)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from magscope_gui import PanelContext
from magscope_gui._histogram_panel import HistogramPanel
from magscope_gui._video_panel import VideoPanel

from magscope_core import GetPipelineStats, Hub, SetAcquisition
from magscope_core.testing import show_widget, wait_ticking

pytestmark = pytest.mark.integration


@pytest.fixture
def acquisition_off(qtbot, sim_hub: Hub) -> Iterator[None]:
    before = sim_hub.call(GetPipelineStats())["live_only_frames"]
    sim_hub.send(SetAcquisition(on=False))
    # the camera has switched: the pipeline sees live-only frames
    qtbot.waitUntil(lambda: sim_hub.call(GetPipelineStats())["live_only_frames"] > before,
                    timeout=10_000)
    yield
    sim_hub.send(SetAcquisition(on=True))
    qtbot.waitUntil(lambda: sim_hub.acquiring, timeout=5_000)


def test_video_and_histogram_keep_running_with_acquisition_off(
        qtbot, context: PanelContext, sim_hub: Hub, acquisition_off: None) -> None:
    video = show_widget(qtbot, VideoPanel(context), 400, 400)
    hist = show_widget(qtbot, HistogramPanel(context), 400, 300)
    hist.interval.setValue(0.0)
    seen: set[int] = set()
    counts: list[np.ndarray] = []

    def advancing() -> bool:
        seen.add(video.last_frame)
        if hist.counts is not None and (not counts or not np.array_equal(hist.counts,
                                                                          counts[-1])):
            counts.append(hist.counts.copy())
        return len(seen) >= 10 and len(counts) >= 5

    wait_ticking(qtbot, context, advancing, timeout=15_000)
    assert not sim_hub.acquiring  # the hub's view: still off
    assert min(seen) >= 0 and video.frames_shown >= 10
