"""The live video viewer (panel id ``video``): the newest frame, with the bead ROIs.

The newest frame is copied from the shared video ring into one preallocated array on
every display tick and shown by a pyqtgraph ``ImageItem`` with fixed levels (the fast
path: no histogram per frame). All ROIs are drawn by one
:class:`~magscope_gui._roi_overlay.RoiOverlay`, rebuilt only when the ROI table's version
changes; adding, moving and removing beads with the mouse is
:class:`~magscope_gui._video_beads.BeadEditing`, which this panel builds on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from magscope_gui._toolbar import control_row, menu_action, panel_toolbar
from magscope_gui._video_beads import BeadEditing, ImageViewBox

if TYPE_CHECKING:
    from magscope_gui._context import PanelContext

__all__ = ["VideoPanel"]


class VideoPanel(BeadEditing):
    """Live camera image with the bead ROIs (panel id ``video``).

    Parameters
    ----------
    context
        The GUI's :class:`~magscope_gui._context.PanelContext`.
    """

    def __init__(self, context: PanelContext) -> None:
        super().__init__(context)
        self._last_frame = -1
        self.frames_shown = 0
        """How many different frames this panel has shown."""
        self._levels: tuple[float, float] | None = None
        self._tracks_cursor = -1
        self._centres: dict[int, tuple[float, float]] = {}

        self.view = pg.GraphicsView()
        self.view_box = ImageViewBox(self)
        self.view.setCentralItem(self.view_box)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.view_box.addItem(self.image)
        self.view_box.addItem(self.overlay)
        self.view.installEventFilter(self)
        self.view.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)

        self.toolbar = panel_toolbar("Video")
        fit = self.toolbar.addAction("Fit")
        fit.setToolTip("Show the whole frame")
        fit.triggered.connect(self.fit)
        self.levels_menu = QtWidgets.QMenu("Levels", self)
        self.levels_menu.setToolTipsVisible(True)
        for text, tip, slot in (
            ("Auto levels", "Stretch the contrast to this frame", self.auto_levels),
            ("Full range", "Levels over the camera's bit depth", self.full_range),
        ):
            action = self.levels_menu.addAction(text)
            action.setToolTip(tip)
            action.triggered.connect(slot)
        menu_action(self.toolbar, "Levels", self.levels_menu, "Display levels (contrast)")
        reference = self.toolbar.addAction("Reference")
        reference.setToolTip("Use the selected bead as reference (again: none)")
        reference.triggered.connect(self.toggle_reference)
        self.show_centres = self.toolbar.addAction("Centres")
        self.show_centres.setCheckable(True)
        self.show_centres.setToolTip("Mark the tracked bead centres")
        self.show_centres.toggled.connect(self._centres_toggled)
        self.more_menu = QtWidgets.QMenu("More", self)
        self.more_menu.setToolTipsVisible(True)
        similar = self.more_menu.addAction("Find similar beads…")
        similar.setToolTip("Select a bead first: beads that look like it are proposed")
        similar.triggered.connect(self.find_similar)
        random_beads = self.more_menu.addAction("Add random beads…")
        random_beads.triggered.connect(self.open_random_beads)
        self.more_menu.addSeparator()
        reassign = self.more_menu.addAction("Reassign bead ids…")
        reassign.triggered.connect(self.open_reassign)
        self.more_menu.addSeparator()
        remove_all = self.more_menu.addAction("Remove all beads")
        remove_all.triggered.connect(self.clear_beads)
        menu_action(self.toolbar, "More", self.more_menu,
                    "Find similar beads, random beads, reassign ids, remove all beads")
        bar = control_row("ROI", self.roi_size, self.bead_count, bar=self.toolbar)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)

        context.events.refresh.connect(self.refresh)

    # -- display -------------------------------------------------------------------
    def _ring(self) -> Any:
        res = self.context.resources
        if res.ring_handle is None:
            return None
        ring = res.ring()
        if self._frame is None or self._frame.shape != tuple(ring.frame_shape):
            self._frame = np.zeros(ring.frame_shape, ring.dtype)
            height, width = ring.frame_shape
            self.overlay.set_bounds(width, height)
            self.roi_size.setMaximum(max(8, min(256, width, height)))
            self.image.setImage(self._frame, autoLevels=False,
                                levels=self._levels or self._full_levels())
            self.view_box.setLimits(xMin=-0.5 * width, xMax=1.5 * width,
                                    yMin=-0.5 * height, yMax=1.5 * height)
            self.fit()
        return ring

    def _full_levels(self) -> tuple[float, float]:
        info = self.context.resources.camera_info
        bits = info.bits if info is not None else (
            8 * self._frame.dtype.itemsize if self._frame is not None else 8)
        return (0.0, float(2**bits - 1))

    def refresh(self) -> None:
        """Show the newest frame (called on every display tick while visible)."""
        if not self.isVisible():
            return
        self.update_rois()
        ring = self._ring()
        if ring is None or self._frame is None:
            return
        latest = ring.peek_latest(out=self._frame)
        if latest is not None and latest.frame_number != self._last_frame:
            self._last_frame = latest.frame_number
            self.frames_shown += 1
            self.image.setImage(self._frame, autoLevels=False)
        if self.show_centres.isChecked():
            self._update_centres()

    @property
    def last_frame(self) -> int:
        """Number of the frame shown now (-1: none yet)."""
        return self._last_frame

    def set_levels(self, low: float, high: float) -> None:
        """Fixed display levels (grey values mapped to black and white)."""
        self._levels = (float(low), float(max(high, low + 1)))
        self.image.setLevels(self._levels)

    def auto_levels(self) -> None:
        """Stretch the levels to this frame's 0.5-99.8 percentiles."""
        if self._frame is not None:
            lo, hi = np.percentile(self._frame[::2, ::2], (0.5, 99.8))
            self.set_levels(float(lo), float(hi))

    def full_range(self) -> None:
        """Levels over the camera's full bit depth (``0 .. 2**bits - 1``)."""
        self.set_levels(*self._full_levels())

    def fit(self) -> None:
        """Zoom so the whole frame is visible."""
        if self._frame is not None:
            height, width = self._frame.shape
            self.view_box.setRange(QtCore.QRectF(0, 0, width, height), padding=0.01)

    # -- tracked centres -----------------------------------------------------------
    def _centres_toggled(self, on: bool) -> None:
        self._tracks_cursor = -1
        self._centres.clear()
        if not on:
            self.overlay.set_centres(np.zeros((0, 2)))

    def _update_centres(self) -> None:
        res = self.context.resources
        info = res.camera_info
        if res.tracks_handle is None or info is None:
            return
        tracks = res.tracks()
        if self._tracks_cursor < 0:
            self._tracks_cursor = max(0, tracks.total_written - 20_000)
        read = tracks.read_since(self._tracks_cursor)
        self._tracks_cursor = read.cursor
        rows = read.rows
        if rows.shape[0]:
            cx, cy, cb = tracks.column("x"), tracks.column("y"), tracks.column("bead")
            beads = rows[::-1, cb]
            _, first = np.unique(beads, return_index=True)
            newest = rows[rows.shape[0] - 1 - first]
            nm = info.nm_per_px
            for row in newest.tolist():
                if np.isfinite(row[cx]) and np.isfinite(row[cy]):
                    # tracker pixel centres sit at integers; image pixels span [i, i + 1)
                    self._centres[int(row[cb])] = (row[cx] / nm + 0.5, row[cy] / nm + 0.5)
        ids = set(self.overlay.ids.tolist())
        pts = [xy for bead, xy in self._centres.items() if bead in ids]
        self.overlay.set_centres(np.array(pts) if pts else np.zeros((0, 2)))

    # -- panel protocol ------------------------------------------------------------
    def save_state(self) -> dict[str, Any]:
        """ROI size, centre markers and levels."""
        return {"roi_size": self.roi_size.value(), "show_centres": self.show_centres.isChecked(),
                "levels": list(self._levels) if self._levels else None}

    def restore_state(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`save_state` returned."""
        if "roi_size" in state:  # for new beads; existing beads keep their size
            self.roi_size.blockSignals(True)
            self.roi_size.setValue(int(state["roi_size"]))
            self.roi_size.blockSignals(False)
            self._roi_version = -1
        self.show_centres.setChecked(bool(state.get("show_centres", False)))
        levels = state.get("levels")
        if levels:
            self.set_levels(float(levels[0]), float(levels[1]))

    def close_panel(self) -> None:
        """Stop reacting to display ticks."""
        try:
            self.context.events.refresh.disconnect(self.refresh)
        except (RuntimeError, TypeError):
            pass
