"""The video panel's bead layer: the ROIs drawn over the image, and editing them.

:class:`BeadEditing` owns the :class:`RoiOverlay`, the ROI-size box and the bead count;
it follows the shared ROI table and turns clicks, drags and keys into bead commands
(``AddBead``, ``MoveBead``, ``RemoveBead``, ...). :class:`ImageViewBox` is the view box
that hands it the mouse. :class:`~magscope_gui._video_panel.VideoPanel` builds on it
with the image, the toolbar and the display loop.

Mouse: left-click on empty image adds a bead, left-click on a bead selects it,
left-drag on a bead moves it, left-drag elsewhere pans, wheel zooms, right-click on a
bead removes it; Delete removes the selected bead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from magscope_core import AddBead, AddRandomBeads, ClearBeads, MoveBead, ReassignBead, RemoveBead
from magscope_gui._reassign_dialog import ReassignDialog
from magscope_gui._roi_overlay import RoiOverlay
from magscope_gui._similar_dialog import SimilarBeadsDialog
from magscope_gui._toolbar import compact_spin

if TYPE_CHECKING:
    from magscope_gui._context import PanelContext

__all__ = ["BeadEditing", "ImageViewBox"]

_LEFT = QtCore.Qt.MouseButton.LeftButton
_RIGHT = QtCore.Qt.MouseButton.RightButton


class ImageViewBox(pg.ViewBox):  # type: ignore[misc]  # pyqtgraph is untyped
    """A ViewBox that turns clicks and drags on beads into bead edits, and pans otherwise."""

    def __init__(self, panel: BeadEditing) -> None:
        super().__init__(lockAspect=True, invertY=True, enableMenu=False)
        self._panel = panel
        self._moving = False

    def mouseClickEvent(self, ev: Any) -> None:
        if ev.button() in (_LEFT, _RIGHT):
            ev.accept()
            p = self.mapSceneToView(ev.scenePos())
            self._panel.clicked(p.x(), p.y(), ev.button() == _RIGHT)
        else:
            super().mouseClickEvent(ev)

    def mouseDragEvent(self, ev: Any, axis: int | None = None) -> None:
        if ev.button() == _LEFT:
            if ev.isStart():
                p = self.mapSceneToView(ev.buttonDownScenePos())
                self._moving = self._panel.drag_started(p.x(), p.y())
            if self._moving:
                ev.accept()
                p = self.mapSceneToView(ev.scenePos())
                self._panel.dragged(p.x(), p.y(), ev.isFinish())
                if ev.isFinish():
                    self._moving = False
                return
        super().mouseDragEvent(ev, axis)


class BeadEditing(QtWidgets.QWidget):
    """A widget showing bead ROIs over an image, with the bead edits.

    The subclass adds the image: it sets :attr:`view_box` (the view the ROIs are drawn
    in) and keeps :attr:`_frame` (the frame shown, None until the first) up to date,
    which bounds new and moved beads.

    Parameters
    ----------
    context
        The GUI's :class:`~magscope_gui._context.PanelContext`.
    """

    view_box: pg.ViewBox
    """The view the ROIs are drawn in (set by the subclass)."""

    def __init__(self, context: PanelContext) -> None:
        super().__init__()
        self.context = context
        self._frame: np.ndarray | None = None
        self._roi_version = -1
        self._drag: tuple[int, float, float] | None = None  # bead, offset x, offset y
        self.reassign_dialog: ReassignDialog | None = None
        self.similar_dialog: SimilarBeadsDialog | None = None
        self.random_dialog: QtWidgets.QInputDialog | None = None
        self.overlay = RoiOverlay()
        self._apply_colors()

        self.roi_size = QtWidgets.QSpinBox()
        self.roi_size.setRange(8, 256)
        self.roi_size.setSingleStep(2)
        self.roi_size.setSuffix(" px")
        self.roi_size.setValue(int(getattr(context.hub, "roi_size", 64)))
        self.roi_size.setToolTip("Side of the bead ROIs; changing it resizes every bead "
                                 "(tracking needs one size), keeping ids and centres")
        self.roi_size.setKeyboardTracking(False)
        self.roi_size.valueChanged.connect(self.resize_beads)
        compact_spin(self.roi_size, 70)
        self.bead_count = QtWidgets.QLabel("0 beads")
        self.bead_count.setProperty("role", "muted")

        ev = context.events
        ev.beads_changed.connect(self.update_rois)
        ev.bead_selected.connect(self._selection_changed)
        ev.reference_bead_changed.connect(self._selection_changed)
        ev.settings_changed.connect(self._settings_changed)

    def _apply_colors(self) -> None:
        gui = self.context.gui_setting
        self.overlay.set_colors(str(gui("roi_color", "#ffd54f")),
                                str(gui("selected_color", "#ff5252")),
                                str(gui("reference_color", "#69f0ae")))

    def _settings_changed(self, namespace: str) -> None:
        if namespace == "gui":
            self._apply_colors()
        elif namespace == "core":  # core.roi_size: the size of new beads, not existing ones
            size = int(self.context.settings.get("core").roi_size)
            if size != self.roi_size.value():
                with QtCore.QSignalBlocker(self.roi_size):
                    self.roi_size.setValue(size)

    @property
    def rois_drawn(self) -> int:
        """How many bead ROIs are drawn over the image."""
        return len(self.overlay.ids)

    # -- ROI table -----------------------------------------------------------------
    def update_rois(self) -> None:
        """Redraw the ROIs if the shared table changed since the last look."""
        res = self.context.resources
        if res.rois_handle is None:
            return
        snap = res.rois().snapshot(if_newer_than=self._roi_version)
        if snap is None or self._drag is not None:
            return
        self._roi_version = snap.version
        self.overlay.set_rois(snap.ids, snap.rois)
        self.bead_count.setText(f"{len(snap)} bead{'s' if len(snap) != 1 else ''}")
        sizes = np.unique(snap.rois[:, 2])
        if sizes.size == 1 and int(sizes[0]) != self.roi_size.value():
            self.roi_size.blockSignals(True)  # follow the table (e.g. beads added by a script)
            self.roi_size.setValue(int(sizes[0]))
            self.roi_size.blockSignals(False)
        ids = set(snap.ids.tolist())
        if self.context.selected_bead >= 0 and self.context.selected_bead not in ids:
            self.context.selected_bead = -1
        if self.context.reference_bead >= 0 and self.context.reference_bead not in ids:
            self.context.reference_bead = -1
        self._selection_changed()

    def _selection_changed(self, *_: int) -> None:
        self.overlay.set_selection(self.context.selected_bead, self.context.reference_bead)

    def _changed(self) -> None:
        """After a bead command: re-read the table and tell the other panels."""
        self._roi_version = -1
        self.update_rois()
        self.context.events.beads_changed.emit()

    def _clamped_centre(self, x: float, y: float, size: int) -> tuple[float, float]:
        if self._frame is None:
            return x, y
        height, width = self._frame.shape
        half = size / 2.0
        return (min(max(x, half), max(width - half, half)),
                min(max(y, half), max(height - half, half)))

    def add_bead(self, x: float, y: float) -> int | None:
        """Add a bead of the current ROI size centred on ``(x, y)`` (clamped to the frame)."""
        size = self.roi_size.value()
        cx, cy = self._clamped_centre(x, y, size)
        bead = self.context.call(AddBead(x=cx, y=cy, size=size))
        self._changed()
        return None if bead is None else int(bead)

    def remove_bead(self, bead_id: int) -> None:
        """Remove bead ``bead_id``."""
        self.context.call(RemoveBead(bead_id=bead_id))
        self._changed()

    def move_bead(self, bead_id: int, x: float, y: float) -> None:
        """Move bead ``bead_id`` so its ROI is centred on ``(x, y)`` (clamped)."""
        corner = self.overlay.corner_of(bead_id)
        size = corner[2] if corner is not None else self.roi_size.value()
        cx, cy = self._clamped_centre(x, y, size)
        self.context.call(MoveBead(bead_id=bead_id, x=cx, y=cy))
        self._changed()

    def resize_beads(self, size: int) -> None:
        """Give every bead an ROI of ``size`` px, keeping its id and centre (clamped)."""
        res = self.context.resources
        if res.rois_handle is None:
            return
        snap = res.rois().snapshot()
        if not len(snap) or bool(np.all(snap.rois[:, 2] == size)):
            return
        ctx = self.context
        ctx.call(ClearBeads())
        if not len(res.rois()):  # cleared (else the context already showed why not)
            for bead, (x0, y0, old) in zip(snap.ids.tolist(), snap.rois.tolist(), strict=True):
                cx, cy = self._clamped_centre(x0 + old / 2.0, y0 + old / 2.0, size)
                ctx.call(AddBead(x=cx, y=cy, size=size, bead_id=bead))
        self._changed()

    def clear_beads(self) -> None:
        """Remove every bead."""
        self.context.call(ClearBeads())
        self._changed()

    def reassign(self, plan: list[tuple[int, int]]) -> None:
        """Apply ``(old, new)`` id changes in order (selection and reference follow)."""
        ctx = self.context
        for old, new in plan:
            ctx.call(ReassignBead(old_id=old, new_id=new))
            if new not in self._current_ids():
                break  # the call failed (the context already told the user)
            if ctx.selected_bead == old:
                ctx.selected_bead = new
            if ctx.reference_bead == old:
                ctx.reference_bead = new
        self._changed()

    def find_similar(self, *_: Any) -> SimilarBeadsDialog | None:
        """Open the similar-bead search seeded on the selected bead (non-blocking)."""
        corner = self.overlay.corner_of(self.context.selected_bead)
        if corner is None:
            self.context.notify("info", "select a seed bead first (click its ROI), then "
                                "Find similar beads")
            return None
        x0, y0, size = corner
        if self.similar_dialog is not None:
            self.similar_dialog.close()
        dialog = SimilarBeadsDialog(self.context, x0 + size / 2, y0 + size / 2, size,
                                    self.view_box, self)
        dialog.finished.connect(self._similar_closed)
        self.similar_dialog = dialog
        dialog.open()
        return dialog

    def _similar_closed(self) -> None:
        if self.similar_dialog is not None:
            self.similar_dialog.deleteLater()
            self.similar_dialog = None
        self._changed()

    def open_random_beads(self) -> QtWidgets.QInputDialog:
        """Ask how many random beads to add (non-blocking)."""
        dialog = QtWidgets.QInputDialog(self)
        dialog.setWindowTitle("Add random beads")
        dialog.setLabelText("Bead ROIs to add at random places:")
        dialog.setInputMode(QtWidgets.QInputDialog.InputMode.IntInput)
        dialog.setIntRange(1, 10_000)
        dialog.setIntValue(10)
        dialog.intValueSelected.connect(self.add_random_beads)
        dialog.finished.connect(dialog.deleteLater)
        self.random_dialog = dialog
        dialog.open()
        return dialog

    def add_random_beads(self, count: int, seed: int | None = None) -> list[int]:
        """Add ``count`` ROIs of the current size at random free places; their ids."""
        ids = self.context.call(AddRandomBeads(count=int(count), seed=seed,
                                               size=self.roi_size.value()))
        self._changed()
        return list(ids or [])

    def _current_ids(self) -> set[int]:
        snap = self.context.resources.rois().snapshot()
        return set(snap.ids.tolist())

    def open_reassign(self) -> ReassignDialog:
        """Open the reassign dialog (non-blocking); its OK applies the change."""
        dialog = ReassignDialog(sorted(self._current_ids()), self.context.selected_bead, self)
        dialog.accepted.connect(self._reassign_accepted)
        dialog.finished.connect(dialog.deleteLater)
        self.reassign_dialog = dialog
        dialog.open()
        return dialog

    def _reassign_accepted(self) -> None:
        # a bound method, not a lambda: with PySide6 6.11 a lambda holding ``self``
        # connected to a child's signal can crash when the panel is deleted
        if self.reassign_dialog is not None:
            self.reassign(self.reassign_dialog.plan())

    def toggle_reference(self) -> None:
        """Make the selected bead the reference, or clear the reference."""
        ctx = self.context
        sel = ctx.selected_bead
        ctx.reference_bead = -1 if sel < 0 or ctx.reference_bead == sel else sel

    # -- mouse and keys (called by the view box) -----------------------------------
    def clicked(self, x: float, y: float, right: bool) -> None:
        """A click at image coordinates ``(x, y)``."""
        bead = self.overlay.roi_at(x, y)
        if right:
            if bead >= 0:
                self.remove_bead(bead)
        elif bead >= 0:
            self.context.selected_bead = bead
        elif self._frame is not None and 0 <= x < self._frame.shape[1] \
                and 0 <= y < self._frame.shape[0]:
            self.add_bead(x, y)

    def drag_started(self, x: float, y: float) -> bool:
        """Start moving the bead under ``(x, y)``; False (pan instead) if there is none."""
        bead = self.overlay.roi_at(x, y)
        corner = self.overlay.corner_of(bead)
        if corner is None:
            return False
        x0, y0, size = corner
        self._drag = (bead, x0 + size / 2.0 - x, y0 + size / 2.0 - y)
        self.context.selected_bead = bead
        return True

    def dragged(self, x: float, y: float, finish: bool) -> None:
        """The dragged bead follows the mouse; on ``finish`` the move is sent."""
        if self._drag is None:
            return
        bead, dx, dy = self._drag
        corner = self.overlay.corner_of(bead)
        size = corner[2] if corner is not None else self.roi_size.value()
        cx, cy = self._clamped_centre(x + dx, y + dy, size)
        self.overlay.move_preview(bead, cx - size / 2.0, cy - size / 2.0)
        if finish:
            self._drag = None
            self.move_bead(bead, cx, cy)

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:
        """Delete or Backspace in the view removes the selected bead."""
        if (isinstance(event, QtGui.QKeyEvent) and event.type() == QtCore.QEvent.Type.KeyPress
                and event.key() in (QtCore.Qt.Key.Key_Delete, QtCore.Qt.Key.Key_Backspace)):
            if self.context.selected_bead >= 0:
                self.remove_bead(self.context.selected_bead)
            return True
        return super().eventFilter(watched, event)
