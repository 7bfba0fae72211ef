"""Intensity histogram of the live image (whole frame or bead ROIs only).

256 bins over the camera's bit depth (``camera_info.bits``), counted with one
``np.bincount`` of the shifted pixel values, at most once per ``interval`` seconds and
only while the panel is visible and enabled.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtWidgets

from magscope_gui._toolbar import compact_spin, control_row

if TYPE_CHECKING:
    from magscope_gui._context import PanelContext

__all__ = ["HistogramPanel", "intensity_histogram"]


def intensity_histogram(values: np.ndarray, bits: int, nbins: int = 256
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Counts and bin edges of unsigned integer ``values`` of ``bits`` significant bits.

    Parameters
    ----------
    values
        Pixel values (any shape, unsigned integers).
    bits
        Significant bits; bins cover ``0 .. 2**bits`` (larger values count in the last bin).
    nbins
        Number of bins (a power of two; fewer when ``2**bits`` is smaller).

    Returns
    -------
    counts, edges
        ``(n,)`` int64 counts and ``(n + 1,)`` edges in grey values.
    """
    n = min(int(nbins), 2**bits)
    shift = bits - int(np.log2(n))
    if shift < 0 or 2**bits % n:
        raise ValueError(f"nbins must be a power of two <= 2**bits, got {nbins} for {bits} bits")
    binned = np.right_shift(values.ravel(), shift)
    counts = np.bincount(np.minimum(binned, n - 1), minlength=n)[:n].astype(np.int64)
    edges = np.arange(n + 1, dtype=np.float64) * 2.0**shift
    return counts, edges


class HistogramPanel(QtWidgets.QWidget):
    """Histogram of the newest frame's grey values (panel id ``histogram``).

    Parameters
    ----------
    context
        The GUI's :class:`~magscope_gui._context.PanelContext`.
    """

    def __init__(self, context: PanelContext) -> None:
        super().__init__()
        self.context = context
        self._frame: np.ndarray | None = None
        self._mask: np.ndarray | None = None
        self._mask_version = -1
        self._last = 0.0
        self.counts: np.ndarray | None = None
        self.edges: np.ndarray | None = None

        self.enabled = QtWidgets.QCheckBox("Enabled")
        self.enabled.setChecked(True)
        self.rois_only = QtWidgets.QCheckBox("Only bead ROIs")
        self.rois_only.setToolTip("Count only the pixels inside bead ROIs")
        self.log_scale = QtWidgets.QCheckBox("Log counts")
        self.log_scale.setChecked(True)
        self.log_scale.setToolTip("Show log10(count + 1)")
        self.interval = QtWidgets.QDoubleSpinBox()
        self.interval.setRange(0.1, 10.0)
        self.interval.setSingleStep(0.5)
        self.interval.setValue(1.0)
        self.interval.setSuffix(" s")
        self.interval.setToolTip("Seconds between updates")
        for box in (self.rois_only, self.log_scale):
            box.toggled.connect(self.update_now)
        self.stats = QtWidgets.QLabel("no frame yet")
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.setMinimumHeight(140)
        self.plot.setLabel("bottom", "grey value")
        color = str(context.gui_setting("accent_color", "#3daee9"))
        brush = pg.mkColor(color)
        brush.setAlpha(110)
        self.curve = self.plot.plot(stepMode="center", fillLevel=0, pen=pg.mkPen(color),
                                    brush=brush)

        compact_spin(self.interval, 70)
        self.stats.setWordWrap(True)
        self.stats.setProperty("role", "muted")
        top = control_row(self.enabled, "every", self.interval)
        options = control_row(self.rois_only, self.log_scale)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        layout.addLayout(options)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.stats)
        context.events.refresh.connect(self.refresh)

    def refresh(self) -> None:
        """Update if visible, enabled and ``interval`` seconds passed since the last update."""
        if not (self.isVisible() and self.enabled.isChecked()):
            return
        now = time.monotonic()
        if now - self._last >= self.interval.value():
            self._last = now
            self.update_now()

    def _roi_mask(self, shape: tuple[int, int]) -> np.ndarray | None:
        rois = self.context.resources.rois()
        snap = rois.snapshot(if_newer_than=self._mask_version)
        if snap is not None or self._mask is None or self._mask.shape != shape:
            snap = snap if snap is not None else rois.snapshot()
            mask = np.zeros(shape, bool)
            for x0, y0, size in snap.rois.tolist():
                mask[y0:y0 + size, x0:x0 + size] = True
            self._mask, self._mask_version = mask, snap.version
        return self._mask

    def update_now(self, *_: Any) -> None:
        """Histogram the newest frame now."""
        res = self.context.resources
        if res.ring_handle is None:
            return
        ring = res.ring()
        if self._frame is None or self._frame.shape != tuple(ring.frame_shape):
            self._frame = np.zeros(ring.frame_shape, ring.dtype)
        latest = ring.peek_latest(out=self._frame)
        if latest is None:
            return
        info = res.camera_info
        bits = info.bits if info is not None else 8 * self._frame.dtype.itemsize
        values = self._frame
        if self.rois_only.isChecked():
            mask = self._roi_mask(self._frame.shape)
            values = self._frame[mask] if mask is not None else self._frame[:0]
        self.counts, self.edges = intensity_histogram(values, bits)
        y = np.log10(self.counts + 1.0) if self.log_scale.isChecked() else self.counts
        self.plot.setLabel("left", "log10(count + 1)" if self.log_scale.isChecked() else "count")
        self.curve.setData(self.edges, y.astype(np.float64))
        if values.size:
            top = 2**bits - 1
            self.stats.setText(
                f"{values.size} px  min {int(values.min())}  max {int(values.max())}  "
                f"mean {float(values.mean()):.1f}  saturated "
                f"{100.0 * np.count_nonzero(values >= top) / values.size:.2f} %")
        else:
            self.stats.setText("no pixels (no bead ROIs)")

    def save_state(self) -> dict[str, Any]:
        """Checkbox states and the update interval."""
        return {"enabled": self.enabled.isChecked(), "rois_only": self.rois_only.isChecked(),
                "log": self.log_scale.isChecked(), "interval": self.interval.value()}

    def restore_state(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`save_state` returned."""
        self.enabled.setChecked(bool(state.get("enabled", True)))
        self.rois_only.setChecked(bool(state.get("rois_only", False)))
        self.log_scale.setChecked(bool(state.get("log", True)))
        self.interval.setValue(float(state.get("interval", 1.0)))

    def close_panel(self) -> None:
        """Stop reacting to display ticks."""
        try:
            self.context.events.refresh.disconnect(self.refresh)
        except (RuntimeError, TypeError):
            pass
