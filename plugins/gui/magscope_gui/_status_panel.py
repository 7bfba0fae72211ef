"""Status panel: rates, buffers, tracking time against the frame budget, managers."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtWidgets import (
    QFormLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from magscope_core import GetPipelineStats
from magscope_gui._context import PanelContext
from magscope_gui._toolbar import ElidedLabel

__all__ = ["StatusPanel"]

_STATE_COLOURS = {"running": "#69f0ae", "starting": "#ffd54f", "restarting": "#ffb74d",
                  "failed": "#ff6b6b", "stopped": "#8a8f99", "stopping": "#8a8f99"}


class StatusPanel(QWidget):
    """Camera and display rates, frames, ring fill, workers, tracking time, managers.

    Figures refresh about twice a second (on the shared display tick), only while the
    panel is visible. The tracking time per stack is compared with the frame budget:
    the time the camera takes to fill one stack (``stack_size / camera fps``).
    """

    interval_s = 0.5
    """Seconds between two updates."""

    def __init__(self, context: PanelContext) -> None:
        super().__init__()
        self.context = context
        self._last_update = 0.0
        self._prev_frames: tuple[float, int] | None = None
        self._tick_times: list[float] = []
        self.figures: dict[str, Any] = {}
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        self._labels: dict[str, QLabel] = {}
        for key, title in (("camera_fps", "Camera"), ("display_fps", "Display"),
                           ("frames", "Frames"), ("workers", "Trackers"),
                           ("tracking", "Tracking"), ("writers", "Writers"),
                           ("beads", "Beads")):
            label = ElidedLabel("-")  # live figures never widen the side dock
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            label.setObjectName(f"status-{key}")
            self._labels[key] = label
            form.addRow(title, label)
        self.fill = QProgressBar()
        self.fill.setRange(0, 100)
        self.fill.setFormat("%p % of the video buffer")
        form.addRow("Buffer", self.fill)
        self.budget = QProgressBar()
        self.budget.setRange(0, 100)
        self.budget.setFormat("%p % of the frame budget")
        form.addRow("Load", self.budget)
        self.managers = QTableWidget(0, 3)
        self.managers.setHorizontalHeaderLabels(["Manager", "State", "Restarts"])
        self.managers.verticalHeader().hide()
        self.managers.verticalHeader().setDefaultSectionSize(20)
        self.managers.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.managers.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.managers.setFixedHeight(46)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.managers)
        context.events.refresh.connect(self._on_refresh)

    def _on_refresh(self) -> None:
        now = time.monotonic()
        self._tick_times.append(now)
        while self._tick_times and now - self._tick_times[0] > 2.0:
            self._tick_times.pop(0)
        if now - self._last_update >= self.interval_s and self.isVisible():
            self._last_update = now
            self.update_figures()

    def update_figures(self) -> dict[str, Any]:
        """Read the hub's status and the pipeline's figures and show them; return them."""
        hub = self.context.hub
        try:
            status = hub.status()
        except Exception:
            return self.figures  # the session is stopping
        now = time.monotonic()
        counters, ring = status.get("counters", {}), status.get("ring", {})
        frames = int(counters.get("camera_frames", 0))
        cam_fps = 0.0
        if self._prev_frames is not None and now > self._prev_frames[0]:
            cam_fps = (frames - self._prev_frames[1]) / (now - self._prev_frames[0])
        self._prev_frames = (now, frames)
        ticks = self._tick_times
        disp_fps = (len(ticks) - 1) / (ticks[-1] - ticks[0]) if len(ticks) > 2 else 0.0
        stats = self._pipeline_stats()
        info = self.context.resources.camera_info
        nominal = float(info.fps) if info is not None and info.fps else 0.0
        fps_for_budget = cam_fps if cam_fps > 1 else nominal
        stack_size = int(getattr(hub.config, "stack_size", 10))
        budget_ms = 1e3 * stack_size / fps_for_budget if fps_for_budget > 0 else 0.0
        track_ms = float(stats.get("track_ms_per_stack", 0.0))
        fig = {
            "camera_fps": cam_fps, "display_fps": disp_fps, "frames": frames,
            "frames_written": int(ring.get("frames_written", 0)),
            "frames_dropped": int(ring.get("frames_dropped", 0)),
            "fill": float(ring.get("fill_fraction", 0.0)),
            "workers": int(stats.get("workers", 0)),
            "workers_busy": int(stats.get("workers_busy", 0)),
            "track_ms": track_ms, "budget_ms": budget_ms,
            "writer_ms": dict(stats.get("writer_ms_per_call", {})),
            "beads": len(status.get("beads", [])), "acquiring": bool(status.get("acquiring")),
            "managers": status.get("managers", {}),
        }
        self.figures = fig
        self._show(fig, nominal)
        return fig

    def _pipeline_stats(self) -> dict[str, Any]:
        try:
            stats = self.context.hub.call(GetPipelineStats(), timeout=0.5)
        except Exception:
            return {}
        return stats if isinstance(stats, dict) else {}

    def _show(self, f: dict[str, Any], nominal: float) -> None:
        on = "" if f["acquiring"] else " (acquisition off)"
        nominal_text = f" of {nominal:.0f}" if nominal else ""
        self._labels["camera_fps"].setText(f"{f['camera_fps']:.1f}{nominal_text} frames/s{on}")
        self._labels["display_fps"].setText(
            f"{f['display_fps']:.1f} of {self.context.display_fps:.0f} updates/s")
        dropped = f["frames_dropped"]
        drop_text = f"<span style='color:#ff6b6b'>{dropped} dropped</span>" if dropped else (
            "0 dropped")
        self._labels["frames"].setText(f"{f['frames']} received, {drop_text}")
        self._labels["workers"].setText(f"{f['workers_busy']} of {f['workers']} busy")
        self._labels["beads"].setText(str(f["beads"]))
        load = 100.0 * f["track_ms"] / f["budget_ms"] if f["budget_ms"] > 0 else 0.0
        self._labels["tracking"].setText(
            f"{f['track_ms']:.1f} ms per stack (budget {f['budget_ms']:.0f} ms)")
        self.budget.setValue(min(100, round(load)))
        writers = f["writer_ms"]
        text = (", ".join(f"{n} {ms:.1f} ms" for n, ms in sorted(writers.items()))
                + " per batch") if writers else "not writing"
        self._labels["writers"].setText(text)
        self._labels["writers"].setToolTip(text)
        self.fill.setValue(min(100, round(100 * f["fill"])))
        managers = f["managers"]
        self.managers.setRowCount(len(managers))
        self.managers.setFixedHeight(26 + 20 * min(len(managers), 8))
        for row, (name, m) in enumerate(sorted(managers.items())):
            state = str(m.get("state", "?"))
            items = (QTableWidgetItem(name), QTableWidgetItem(state),
                     QTableWidgetItem(str(m.get("restarts", 0))))
            items[0].setToolTip(f"plugin {m.get('plugin')!r} ({m.get('distribution')}), "
                                f"pid {m.get('pid')}")
            colour = _STATE_COLOURS.get(state)
            if colour:
                from PySide6.QtGui import QColor

                items[1].setForeground(QColor(colour))
            for col, item in enumerate(items):
                self.managers.setItem(row, col, item)
