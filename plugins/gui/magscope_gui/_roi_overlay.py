"""One graphics item that draws every bead ROI, its id and its tracked centre.

Drawing 100 (or 10,000) boxes as separate graphics items makes every repaint of the
video walk that many items; here one item keeps a list of rectangles, rebuilt only
when the ROI table changes, and paints them with one ``drawRects`` call per colour.
Ids are painted in device coordinates (constant font size) and only when the ROIs are
large enough on screen to hold a label.
"""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

__all__ = ["RoiOverlay"]


def _pen(color: str, width: float) -> QtGui.QPen:
    pen = QtGui.QPen(QtGui.QColor(color))
    pen.setCosmetic(True)
    pen.setWidthF(width)
    return pen


class RoiOverlay(QtWidgets.QGraphicsObject):
    """Bead ROIs, ids, selection and tracked centres, in image pixel coordinates.

    Coordinates follow the image item: pixel ``(col, row)`` covers ``[col, col + 1) x
    [row, row + 1)``, so an ROI with corner ``(x0, y0)`` and side ``size`` is the
    rectangle ``(x0, y0, size, size)``.

    Parameters
    ----------
    parent
        Optional parent item.

    Attributes
    ----------
    label_min_px
        Smallest on-screen ROI side (device pixels) for which ids are drawn.
    max_labels
        Ids are not drawn when more ROIs than this are shown.
    """

    def __init__(self, parent: QtWidgets.QGraphicsItem | None = None) -> None:
        super().__init__(parent)
        self.ids = np.zeros(0, np.int64)
        self.rois = np.zeros((0, 3), np.int64)
        self._rects: list[QtCore.QRectF] = []
        self._labels: list[QtGui.QStaticText] = []  # laid out once, drawn every frame
        self._label_ids: list[int] = []
        self._selected = -1
        self._reference = -1
        self._centres = np.zeros((0, 2))
        self._bounds = QtCore.QRectF(0.0, 0.0, 1.0, 1.0)
        self.label_min_px = 18.0
        self.max_labels = 400
        self._font = QtGui.QFont()
        self._font.setPixelSize(11)
        self.set_colors("#3daee9", "#ffd54f", "#ef5350")
        self.setZValue(10)

    # -- configuration -------------------------------------------------------------
    def set_colors(self, normal: str, selected: str, reference: str) -> None:
        """Colours of ordinary, selected and reference ROIs (any Qt colour string)."""
        self._pen = _pen(normal, 1.0)
        self._pen_selected = _pen(selected, 2.0)
        self._pen_reference = _pen(reference, 2.0)
        self._pen_centre = _pen("#76ff03", 4.0)
        self._pen_centre.setCapStyle(QtCore.Qt.PenCapStyle.RoundCap)
        self._text_color = QtGui.QColor(normal)
        self.update()

    def set_bounds(self, width: int, height: int) -> None:
        """The image size (the item's bounding box, with a margin for the labels)."""
        self.prepareGeometryChange()
        self._bounds = QtCore.QRectF(-2.0, -2.0, width + 4.0, height + 4.0)

    # -- content -------------------------------------------------------------------
    def set_rois(self, ids: np.ndarray, rois: np.ndarray) -> None:
        """Replace the ROIs: ``ids`` ``(n,)`` and ``rois`` ``(n, 3)`` rows ``(x0, y0, size)``."""
        self.ids = np.asarray(ids, np.int64).reshape(-1)
        self.rois = np.asarray(rois, np.int64).reshape(-1, 3).copy()
        self._rebuild()

    def move_preview(self, bead_id: int, x0: float, y0: float) -> None:
        """Show ``bead_id`` at corner ``(x0, y0)`` while it is dragged (not sent yet)."""
        hit = np.flatnonzero(self.ids == bead_id)
        if hit.size:
            self.rois[hit[0], 0] = round(x0)
            self.rois[hit[0], 1] = round(y0)
            self._rebuild()

    def set_selection(self, selected: int, reference: int) -> None:
        """Bead ids drawn in the selected and reference colours (-1: none)."""
        if (selected, reference) != (self._selected, self._reference):
            self._selected, self._reference = selected, reference
            self.update()

    def set_centres(self, xy: np.ndarray) -> None:
        """Tracked centres ``(n, 2)`` in image coordinates (empty: none drawn)."""
        self._centres = np.asarray(xy, np.float64).reshape(-1, 2)
        self.update()

    def _rebuild(self) -> None:
        self._rects = [QtCore.QRectF(float(x), float(y), float(s), float(s))
                       for x, y, s in self.rois.tolist()]
        if len(self._labels) != len(self._rects) or self._label_ids != self.ids.tolist():
            self._label_ids = self.ids.tolist()
            self._labels = [QtGui.QStaticText(str(i)) for i in self._label_ids]
        self.update()

    # -- queries -------------------------------------------------------------------
    def roi_at(self, x: float, y: float) -> int:
        """Id of the ROI containing ``(x, y)`` (the one whose centre is nearest), or -1."""
        if not self.ids.size:
            return -1
        r = self.rois
        inside = (x >= r[:, 0]) & (x < r[:, 0] + r[:, 2]) & (y >= r[:, 1]) & (y < r[:, 1] + r[:, 2])
        hit = np.flatnonzero(inside)
        if not hit.size:
            return -1
        cx = r[hit, 0] + r[hit, 2] / 2.0
        cy = r[hit, 1] + r[hit, 2] / 2.0
        return int(self.ids[hit[np.argmin((cx - x) ** 2 + (cy - y) ** 2)]])

    def corner_of(self, bead_id: int) -> tuple[int, int, int] | None:
        """``(x0, y0, size)`` of ``bead_id`` as drawn, or None."""
        hit = np.flatnonzero(self.ids == bead_id)
        if not hit.size:
            return None
        x0, y0, s = (int(v) for v in self.rois[hit[0]])
        return x0, y0, s

    # -- QGraphicsItem -------------------------------------------------------------
    def boundingRect(self) -> QtCore.QRectF:
        return self._bounds

    def paint(
        self,
        painter: QtGui.QPainter,
        option: QtWidgets.QStyleOptionGraphicsItem,
        widget: QtWidgets.QWidget | None = None,
    ) -> None:
        painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        if self._rects:
            painter.setPen(self._pen)
            painter.drawRects(self._rects)
            for bead, pen in ((self._reference, self._pen_reference),
                              (self._selected, self._pen_selected)):
                hit = np.flatnonzero(self.ids == bead)
                if bead >= 0 and hit.size:
                    painter.setPen(pen)
                    painter.drawRect(self._rects[int(hit[0])])
        if self._centres.shape[0]:
            painter.setPen(self._pen_centre)
            painter.drawPoints([QtCore.QPointF(x, y) for x, y in self._centres.tolist()])
        self._paint_labels(painter)

    def _paint_labels(self, painter: QtGui.QPainter) -> None:
        n = len(self._rects)
        if not n or n > self.max_labels:
            return
        t = painter.transform()
        scale = float(np.hypot(t.m11(), t.m12()))
        if scale * float(np.median(self.rois[:, 2])) < self.label_min_px:
            return
        painter.save()
        painter.resetTransform()
        painter.setFont(self._font)
        painter.setPen(self._text_color)
        for label, rect in zip(self._labels, self._rects, strict=True):
            p = t.map(rect.topLeft())
            painter.drawStaticText(QtCore.QPointF(p.x() + 2.0, p.y() + 1.0), label)
        painter.restore()
