"""The "Find similar beads" dialog: a search seeded on one bead, with a threshold preview.

The search runs in the camera manager (``FindSimilarBeads`` with ``add`` false), so the
GUI stays responsive; the dialog polls ``GetBeadSearch`` on a timer, shows the progress,
can cancel, and when the search is done proposes its threshold. Moving the threshold
previews the candidates that pass (squares drawn on the video); Add adds those whose ROI
overlaps no existing one.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from magscope_core import AddBead, CancelBeadSearch, FindSimilarBeads, GetBeadSearch
from magscope_gui._context import PanelContext

__all__ = ["SimilarBeadsDialog"]

_STEPS = 1000  # slider resolution over the score range 0..1


class SimilarBeadsDialog(QtWidgets.QDialog):
    """Search beads like the seed at ``(x, y)`` and add the chosen ones.

    Parameters
    ----------
    context
        The GUI context (hub, resources).
    x, y
        Seed bead centre (px).
    size
        ROI side (px).
    view_box
        The video's view box, where the preview squares are drawn.
    parent
        Parent widget.
    """

    def __init__(self, context: PanelContext, x: float, y: float, size: int,
                 view_box: Any = None, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Find similar beads")
        self.context = context
        self.roi_size = size
        self.search: dict[str, Any] | None = None
        self.added: list[int] = []
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 100)
        self.status = QtWidgets.QLabel(f"searching beads like the one at ({x:.0f}, {y:.0f})…")
        self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.slider.setRange(0, _STEPS)
        self.slider.setEnabled(False)
        self.slider.setToolTip("Lowest similarity (normalised cross-correlation) kept")
        self.slider.valueChanged.connect(self._preview)
        self.threshold_label = QtWidgets.QLabel("threshold -")
        self.cancel_button = QtWidgets.QPushButton("Cancel search")
        self.cancel_button.clicked.connect(self.cancel_search)
        self.add_button = QtWidgets.QPushButton("Add beads")
        self.add_button.setEnabled(False)
        self.add_button.clicked.connect(self.add_selected)
        close = QtWidgets.QPushButton("Close")
        close.clicked.connect(self.reject)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.slider, 1)
        row.addWidget(self.threshold_label)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        buttons.addWidget(self.add_button)
        buttons.addWidget(close)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.progress)
        layout.addLayout(row)
        layout.addLayout(buttons)
        self._view_box = view_box
        self.preview = pg.ScatterPlotItem(pxMode=False, symbol="s", brush=None,
                                          pen=pg.mkPen("#69f0ae", width=1.5, cosmetic=True))
        if view_box is not None:
            view_box.addItem(self.preview)
        self.finished.connect(self._closed)
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(100)
        self._timer.timeout.connect(self.poll)
        started = context.call(FindSimilarBeads(x=float(x), y=float(y), size=int(size),
                                                add=False), timeout=5.0)
        if started is None:
            self.status.setText("the search could not start (see Notifications)")
            self.cancel_button.setEnabled(False)
        else:
            self._timer.start()

    # ------------------------------------------------------------------ search
    def poll(self) -> None:
        """Read the search's state; when done, propose its threshold."""
        state = self.context.call(GetBeadSearch())
        if state is None:
            self._timer.stop()
            return
        self.progress.setValue(round(100 * float(state.get("progress", 0.0))))
        if state["state"] == "running":
            return
        self._timer.stop()
        self.cancel_button.setEnabled(False)
        if state["state"] != "done":
            self.status.setText(f"search {state['state']}"
                                + (f": {state['error']}" if state.get("error") else ""))
            return
        self.search = state
        self.slider.setEnabled(True)
        self.add_button.setEnabled(True)
        self.set_threshold(float(state["threshold"]))
        self._preview()

    def cancel_search(self) -> None:
        """Stop the search (nothing is added)."""
        self.context.send(CancelBeadSearch())

    # ------------------------------------------------------------------ threshold
    @property
    def threshold(self) -> float:
        """The threshold now set (score 0..1)."""
        return self.slider.value() / _STEPS

    def set_threshold(self, value: float) -> None:
        """Move the threshold (and the preview)."""
        self.slider.setValue(round(min(1.0, max(0.0, value)) * _STEPS))
        self._preview()

    def candidates(self) -> list[tuple[float, float]]:
        """Centres of the candidates at or above the threshold."""
        if self.search is None:
            return []
        score = np.asarray(self.search["score"], float)
        keep = score >= self.threshold - 1e-9
        return list(zip(np.asarray(self.search["x"])[keep].tolist(),
                        np.asarray(self.search["y"])[keep].tolist(), strict=True))

    def _preview(self, *_: Any) -> None:
        self.threshold_label.setText(f"threshold {self.threshold:.3f}")
        if self.search is None:
            return
        pts = self.candidates()
        self.preview.setData(pos=[(x + 0.0, y + 0.0) for x, y in pts], size=self.roi_size)
        n = len(self.search["score"])
        self.status.setText(f"{len(pts)} of {n} candidates at or above the threshold "
                            f"(proposed {self.search['proposed_threshold']:.3f})")

    # ------------------------------------------------------------------ add
    def add_selected(self) -> list[int]:
        """Add the previewed candidates whose ROI overlaps no existing ROI; their ids."""
        snap = self.context.resources.rois().snapshot()
        boxes = [(int(r[0]), int(r[1]), int(r[2])) for r in snap.rois]
        s = self.roi_size
        ids: list[int] = []
        for x, y in self.candidates():
            x0, y0 = round(x - s / 2), round(y - s / 2)
            if any(not (x0 + s <= bx or bx + bs <= x0 or y0 + s <= by or by + bs <= y0)
                   for bx, by, bs in boxes):
                continue
            bead = self.context.call(AddBead(x=float(x), y=float(y), size=s))
            if bead is not None:
                ids.append(int(bead))
                boxes.append((x0, y0, s))
        self.added.extend(ids)
        self.status.setText(f"{len(ids)} beads added")
        return ids

    def _closed(self, *_: Any) -> None:
        self._timer.stop()
        if self.search is None:
            self.context.send(CancelBeadSearch())
        if self._view_box is not None:
            self._view_box.removeItem(self.preview)
            self._view_box = None
