"""Status and Recording panels on the real simulated session."""

from __future__ import annotations

from pathlib import Path

import pytest
from magscope_gui import PanelContext
from magscope_gui._recording_panel import RecordingPanel
from magscope_gui._status_panel import StatusPanel
from PySide6.QtCore import Qt

from magscope_core import GetAcquisition, GetCameraSettings, GetPipelineStats, Hub

pytestmark = pytest.mark.integration


def test_status_panel_shows_live_figures(qtbot, context: PanelContext) -> None:
    panel = StatusPanel(context)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitUntil(lambda: panel.figures.get("camera_fps", 0) > 10, timeout=20000)
    f = panel.figures
    assert f["camera_fps"] == pytest.approx(50, rel=0.4)
    assert f["frames"] > 0 and f["workers"] == 1 and f["beads"] >= 4
    assert 0 < f["budget_ms"] < 1000  # 10 frames per stack at ~50 fps: ~200 ms
    assert f["managers"]["camera"]["state"] == "running"
    assert f["managers"]["pipeline"]["state"] == "running"
    assert panel.managers.rowCount() == len(f["managers"])
    assert "frames/s" in panel._labels["camera_fps"].text()
    qtbot.waitUntil(lambda: panel.figures["display_fps"] > 5, timeout=20000)


def test_saving_on_new_file_and_saving_off(qtbot, context: PanelContext, sim_hub: Hub,
                                           tmp_path: Path) -> None:
    panel = RecordingPanel(context)
    qtbot.addWidget(panel)
    panel.show()
    folder = tmp_path / "recording"
    assert panel.set_folder(folder)
    qtbot.waitUntil(lambda: sim_hub.call(GetAcquisition())["out_dir"] == str(folder),
                    timeout=20000)
    assert not panel.saving.isChecked()
    qtbot.mouseClick(panel.saving, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: sim_hub.call(GetAcquisition())["saving"], timeout=20000)
    assert panel.saving.text() == "Saving on"
    tracked = sim_hub.call(GetPipelineStats())["stacks_tracked"]
    qtbot.waitUntil(lambda: sim_hub.call(GetPipelineStats())["stacks_tracked"] >= tracked + 3,
                    timeout=10_000)  # some stacks are tracked and written
    closed = panel.new_recording()
    assert closed and all(Path(p).exists() and Path(p).is_relative_to(folder) for p in closed)
    assert any(p.endswith(".h5") for p in closed)
    assert {str(p) for p in closed} <= {p for ps in sim_hub.files.values() for p in ps}
    listed = {panel.files.item(i).text() for i in range(panel.files.count())}
    assert {str(p) for p in closed} <= listed
    assert str(folder) in panel.summary.text() and "(saving)" in panel.summary.text()
    qtbot.mouseClick(panel.saving, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not sim_hub.call(GetAcquisition())["saving"], timeout=20000)
    assert panel.refresh()["saving"] is False and panel.saving.text() == "Saving off"


def test_mode_and_acquisition(qtbot, context: PanelContext, sim_hub: Hub) -> None:
    panel = RecordingPanel(context)
    qtbot.addWidget(panel)
    panel.show()
    panel.mode.setCurrentIndex(panel.mode.findData("track+video-rois"))
    panel.mode.activated.emit(panel.mode.currentIndex())
    qtbot.waitUntil(lambda: sim_hub.call(GetAcquisition())["mode"] == "track+video-rois",
                    timeout=20000)
    panel.set_mode("track")
    qtbot.waitUntil(lambda: sim_hub.call(GetAcquisition())["mode"] == "track", timeout=20000)
    assert panel.acquire.isChecked() and sim_hub.acquiring
    panel.acquire.setChecked(False)
    qtbot.waitUntil(lambda: not sim_hub.acquiring, timeout=20000)
    # the camera answers a request sent after the broadcast: it has had the broadcast
    assert sim_hub.call(GetCameraSettings(), timeout=5.0)
    # the live view goes on: frames still reach the ring, marked live-only from the next
    # stack on; acquired frames (tracked, saved) stop
    def acquired() -> int:
        ring = sim_hub.status()["ring"]
        return int(ring["frames_written"] - ring["frames_live_only"])

    live = sim_hub.status()["ring"]["frames_live_only"]
    qtbot.waitUntil(lambda: sim_hub.status()["ring"]["frames_live_only"] > live, timeout=20000)
    frames = acquired()
    grabbed = sim_hub.status()["counters"]["camera_frames"]
    qtbot.waitUntil(lambda: sim_hub.status()["counters"]["camera_frames"] >= grabbed + 10,
                    timeout=20000)  # the camera goes on grabbing ...
    assert acquired() == frames  # ... into the live view only
    assert sim_hub.status()["ring"]["frames_live_only"] > live + 5
    panel.acquire.setChecked(True)
    qtbot.waitUntil(lambda: sim_hub.acquiring, timeout=20000)
    qtbot.waitUntil(lambda: acquired() > frames, timeout=20000)
    panel.refresh()
    assert panel.acquire.isChecked()
