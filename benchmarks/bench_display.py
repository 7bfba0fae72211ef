"""Video display rate: the VideoPanel's own update path against a plain ImageItem.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_display.py [--seconds 3] [--beads 100]

A real shared-memory ``VideoRing`` (1024 x 1024 uint16, 12-bit data) is fed in the loop by
a "camera" step (``ring.write`` of one of 32 pre-made frames, then the stack is claimed and
released as the pipeline would); a real ``BeadRoiTable`` holds ``--beads`` ROIs. Each
iteration then runs the panel's refresh slot (``peek_latest`` into its preallocated
array, ``ImageItem.setImage`` with fixed levels, ROI version check) and paints the window
(``processEvents``). The baseline, measured in the same run, shows the same frames in a
``PlotWidget`` + ``ImageItem(axisOrder="row-major")`` with fixed levels and nothing else.
The camera step's own cost is printed too (it is included in the panel figure).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pyqtgraph as pg
from magscope_gui._context import PanelContext
from magscope_gui._video_panel import VideoPanel
from PySide6 import QtWidgets

from magscope_core import (
    BeadRoiTable,
    CameraInfo,
    SessionMemory,
    SettingsStore,
    SharedResources,
    VideoRing,
)

H = W = 1024


def _frames(n: int) -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[0:H, 0:W]
    base = 1500 + 800 * np.sin(xx / 37.0) * np.cos(yy / 53.0)
    return [np.clip(base + rng.normal(0, 60, (H, W)), 0, 4095).astype(np.uint16)
            for _ in range(n)]


class Camera:
    """Writes the next frame into the ring and frees full stacks (as the pipeline would)."""

    def __init__(self, ring: VideoRing, frames: list[np.ndarray]) -> None:
        self.ring, self.frames, self.i = ring, frames, 0

    def step(self) -> None:
        self.ring.write(self.frames[self.i % len(self.frames)], time.time())
        self.i += 1
        view = self.ring.claim_next()
        if view is not None:
            self.ring.release(view.index)


def _rate(step: Callable[[], None], seconds: float) -> tuple[float, int]:
    app = QtWidgets.QApplication.instance()
    assert app is not None
    for _ in range(10):  # warm-up
        step()
        app.processEvents()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        step()
        app.processEvents()
        n += 1
    return n / (time.perf_counter() - t0), n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--beads", type=int, default=100)
    args = ap.parse_args()
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    assert app is not None
    frames = _frames(32)

    with SessionMemory() as memory:
        ring = VideoRing.create(memory, n_stacks=4, stack_size=10, height=H, width=W,
                                dtype=np.uint16)
        rois = BeadRoiTable.create(memory, capacity=1000)
        side = max(1, int(np.ceil(np.sqrt(args.beads))))
        pitch = W // side
        for k in range(args.beads):
            rois.add((k % side) * pitch + 10, (k // side) * pitch + 10, 64)
        info = CameraInfo(width=W, height=H, dtype="uint16", bits=12, nm_per_px=100.0, fps=100.0)
        resources = SharedResources(memory.session_id, None, rois_handle=rois.handle,
                                    ring_handle=ring.handle, camera_info=info)
        camera = Camera(ring, frames)

        # the camera step alone
        n_cam, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < min(1.0, args.seconds):
            camera.step()
            n_cam += 1
        cam_ms = 1e3 * (time.perf_counter() - t0) / n_cam

        # baseline: PlotWidget + ImageItem, fixed levels, same frames, nothing else
        plot = pg.PlotWidget()
        image = pg.ImageItem(axisOrder="row-major")
        plot.addItem(image)
        plot.resize(900, 900)
        plot.show()
        image.setImage(frames[0], autoLevels=False, levels=(0, 4095))
        shown = [0]

        def baseline_step() -> None:
            shown[0] += 1
            image.setImage(frames[shown[0] % len(frames)], autoLevels=False)

        base_fps, base_n = _rate(baseline_step, args.seconds)
        plot.close()

        # the panel's own refresh path, fed by the camera step
        context = PanelContext(None, SettingsStore({}, None), None, resources,  # type: ignore[arg-type]
                               start_timer=False)
        panel = VideoPanel(context)
        panel.resize(900, 960)
        panel.show()
        camera.step()
        panel.refresh()
        rendered = [0]
        render = panel.image.render

        def counting_render(*a: Any, **kw: Any) -> Any:
            rendered[0] += 1
            return render(*a, **kw)

        panel.image.render = counting_render

        def panel_step() -> None:
            camera.step()
            context.events.refresh.emit()

        panel_fps, panel_n = _rate(panel_step, args.seconds)
        drawn = len(panel.overlay.ids)
        labels = (drawn <= panel.overlay.max_labels
                  and 64 / panel.view_box.viewPixelSize()[0] >= panel.overlay.label_min_px)
        panel.close_panel()
        panel.close()
        context.close()
        resources.close()
        ring.close()
        rois.close()

    print(f"display of {W}x{H} uint16 (12-bit), offscreen, {args.seconds:g} s each")
    print(f"  plain ImageItem baseline (PlotWidget, fixed levels): {base_fps:7.1f} frames/s "
          f"({base_n} frames)")
    print(f"  VideoPanel, {drawn} ROIs drawn{' with ids' if labels else ''}, camera step "
          f"included: {panel_fps:7.1f} frames/s ({panel_n} frames, {rendered[0]} images "
          f"rendered)")
    print(f"  camera step alone (ring.write + claim/release): {cam_ms:.2f} ms/frame")
    print(f"  panel / baseline: {panel_fps / base_fps:.2f}; target >= 30 frames/s: "
          f"{'met' if panel_fps >= 30 else 'NOT met'}")


if __name__ == "__main__":
    main()
