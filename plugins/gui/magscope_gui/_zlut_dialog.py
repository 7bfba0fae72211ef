"""Z-LUT > New: a new Z-LUT by focus sweep (the current Z-LUT is shown by ``_zlut_info``).

A sweep runs in the pipeline manager (``StartZLutSweep``); the dialog only starts it,
polls ``GetZLutSweep`` on the display tick (5 times a second) and shows the result.
The sweep records every selected bead at once and ends in a *review*: one candidate
Z-LUT per bead with its scores (profile contrast, distinctness of neighbouring planes,
monotonic, the sweep's own images looked up against it as an RMS in nm), the best one
selected; the user previews candidates and saves one (``SaveZLutCandidate``).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from magscope_core import (
    CancelZLutSweep,
    GetAcquisition,
    GetBeads,
    GetZLutProfiles,
    GetZLutSweep,
    SaveZLutCandidate,
    StartZLutSweep,
)
from magscope_gui._context import PanelContext
from magscope_gui._zlut_preview import ZLutPreview

__all__ = ["ZLutSweepDialog"]

_RUNNING = ("moving", "settling", "capturing", "scoring")
_COLUMNS = ("Bead", "Score", "Contrast", "Distinct", "Monotonic", "Self RMS (nm)", "Found",
            "Note")


def _nm_box(value: float, minimum: float = -1e6, maximum: float = 1e6) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(minimum, maximum)
    box.setDecimals(1)
    box.setSuffix(" nm")
    box.setValue(value)
    return box


class ZLutSweepDialog(QDialog):
    """Z-LUT > New: sweep the focus over a range, review one candidate per bead, save one.

    Heights are relative to the focus position when the sweep starts; the stop value
    must lie on the start + k x step grid. All beads (or one) are recorded at once; the
    review lists every candidate with its scores, the best selected; "Save selected"
    writes it to the file and, if asked, loads it for tracking.
    """

    candidates_ready = Signal(int)
    """The sweep is in review; the argument is the proposed (best) bead."""
    sweep_ended = Signal(str)
    """Final state: ``"done"`` (a candidate saved), ``"failed"`` or ``"cancelled"``."""

    poll_s = 0.2

    def __init__(self, context: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New Z-LUT")
        self.setObjectName("zlut-sweep")
        self.resize(760, 760)
        self.context = context
        self.status: dict[str, Any] | None = None
        self._polling = False
        self._last_poll = 0.0
        self.start_nm = _nm_box(-2000.0)
        self.step_nm = _nm_box(100.0, 0.1)
        self.stop_nm = _nm_box(2000.0)
        self.images = QSpinBox()
        self.images.setRange(1, 10_000)
        self.images.setValue(10)
        self.bead = QComboBox()
        self.path = QLineEdit(str(self._default_path()))
        browse = QPushButton("…")
        browse.setFixedWidth(28)
        browse.clicked.connect(self._browse)
        self.load_after = QCheckBox("Load for tracking when done")
        self.load_after.setChecked(True)
        self.plan = QLabel()
        self.plan.setProperty("role", "muted")
        for box in (self.start_nm, self.step_nm, self.stop_nm, self.images):
            box.valueChanged.connect(self._update_plan)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.state_label = QLabel("not started")
        self.error = QLabel()
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.preview = ZLutPreview()
        self.candidates = QTableWidget(0, len(_COLUMNS))
        self.candidates.setHorizontalHeaderLabels(list(_COLUMNS))
        self.candidates.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.candidates.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.candidates.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.candidates.itemSelectionChanged.connect(self._preview_selected)
        self.candidates.verticalHeader().hide()
        self.candidates.setMinimumHeight(150)
        self.candidates.setMaximumHeight(200)
        self.candidates.hide()
        self.save_button = QPushButton("Save selected")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self._save_clicked)
        self.start_button = QPushButton("Start sweep")
        self.start_button.clicked.connect(self.start_sweep)
        self.cancel_button = QPushButton("Cancel sweep")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_sweep)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path, 1)
        path_row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Start", self.start_nm)
        form.addRow("Step", self.step_nm)
        form.addRow("Stop", self.stop_nm)
        form.addRow("", self.plan)
        form.addRow("Images per step", self.images)
        form.addRow("Beads", self.bead)
        form.addRow("File", path_row)
        form.addRow("", self.load_after)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.state_label)
        layout.addWidget(self.error)
        layout.addWidget(self.candidates)
        layout.addWidget(self.preview, 1)
        layout.addLayout(buttons)
        self.refresh_beads()
        self._update_plan()
        context.events.refresh.connect(self._on_refresh)

    # ------------------------------------------------------------------ inputs
    def _default_path(self) -> Path:
        folder = str(self.context.gui_setting("zlut_dir", "") or "")
        if not folder:
            try:
                folder = str(self.context.hub.call(GetAcquisition(), timeout=1.0)["out_dir"])
            except Exception:
                folder = str(Path.home())
        return Path(folder) / f"zlut-{time.strftime('%Y%m%d-%H%M%S')}.txt"

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the Z-LUT as", self.path.text(),
                                              "Z-LUT text (*.txt)")
        if path:
            self.path.setText(path)

    def refresh_beads(self) -> None:
        """List "all beads", then the current beads (the selected bead first)."""
        beads = self.context.call(GetBeads()) or []
        self.bead.clear()
        ids = sorted(int(b[0]) for b in beads)
        if ids:
            self.bead.addItem(f"all {len(ids)} beads", -1)
        selected = self.context.selected_bead
        if selected in ids:
            ids.remove(selected)
            ids.insert(0, selected)
        for bead_id in ids:
            self.bead.addItem(f"bead {bead_id}", bead_id)

    def set_parameters(self, *, start_nm: float, step_nm: float, stop_nm: float,
                       images_per_step: int, bead_id: int | None = None,
                       path: str | Path | None = None, load: bool = True) -> None:
        """Fill the form (as a user would); ``bead_id`` None or -1: all beads."""
        self.start_nm.setValue(start_nm)
        self.step_nm.setValue(step_nm)
        self.stop_nm.setValue(stop_nm)
        self.images.setValue(images_per_step)
        wanted = -1 if bead_id is None else bead_id
        index = self.bead.findData(wanted)
        if index < 0:
            self.refresh_beads()
            index = self.bead.findData(wanted)
        self.bead.setCurrentIndex(index)
        if path is not None:
            self.path.setText(str(path))
        self.load_after.setChecked(load)

    def _update_plan(self) -> None:
        start, step, stop = self.start_nm.value(), self.step_nm.value(), self.stop_nm.value()
        n = (stop - start) / step if step > 0 else 0
        if n < 2 or abs(n - round(n)) > 1e-6:
            self.plan.setText("stop must be start + k x step, with at least 3 planes")
        else:
            self.plan.setText(f"{round(n) + 1} planes, {(round(n) + 1) * self.images.value()} "
                              "images")

    # ------------------------------------------------------------------ sweep
    def start_sweep(self) -> bool:
        """Start the sweep with the form's values; return whether it started."""
        self.error.setText("")
        bead = self.bead.currentData()
        if bead is None:
            self.error.setText("no bead: add a bead ROI in the video first")
            return False
        if not self.path.text().strip():
            self.error.setText("no file: choose where the Z-LUT is saved")
            return False
        # no path: the sweep waits in review for the user's pick (SaveZLutCandidate)
        cmd = StartZLutSweep(start_nm=self.start_nm.value(), stop_nm=self.stop_nm.value(),
                             step_nm=self.step_nm.value(), images_per_step=self.images.value(),
                             bead_id=int(bead), path="", load=self.load_after.isChecked())
        try:
            plan = self.context.hub.call(cmd, timeout=5.0)
        except Exception as exc:
            self.error.setText(f"the sweep did not start: {exc}")
            self.context.notify("error", f"Z-LUT sweep did not start: {exc}")
            return False
        n = int(plan.get("n_steps", 1)) if isinstance(plan, dict) else 1
        self.progress.setRange(0, n)
        self.progress.setValue(0)
        self.state_label.setText(f"sweep started: {n} planes")
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.save_button.setEnabled(False)
        self.candidates.setRowCount(0)
        self.candidates.hide()
        self._polling = True
        which = "every bead" if int(bead) < 0 else f"bead {bead}"
        self.context.notify("info", f"Z-LUT sweep started on {which}: {n} planes")
        return True

    def cancel_sweep(self) -> None:
        """Stop the running sweep (the focus returns to where it started)."""
        self.context.call(CancelZLutSweep())
        self.poll()

    @property
    def running(self) -> bool:
        """Whether a sweep started from this dialog is still running."""
        return self._polling

    def _on_refresh(self) -> None:
        now = time.monotonic()
        if self._polling and now - self._last_poll >= self.poll_s:
            self._last_poll = now
            self.poll()

    def poll(self) -> dict[str, Any] | None:
        """Read the sweep's progress and show it."""
        try:
            status = self.context.hub.call(GetZLutSweep(), timeout=1.0)
        except Exception:
            return self.status
        self.status = status
        if not isinstance(status, dict):
            return None
        state = str(status.get("state"))
        n = int(status.get("n_steps") or 1)
        self.progress.setRange(0, n)
        self.progress.setValue(int(status.get("step") or 0))
        self.state_label.setText(f"{state}: plane {status.get('step')} of {n}")
        if state == "review" and self._polling:
            self._review(status)
        elif state not in _RUNNING and self._polling:
            self._finished(state, status)
        return status

    # ------------------------------------------------------------------ review
    def _review(self, status: dict[str, Any]) -> None:
        """Show every candidate with its scores, the best selected and previewed."""
        self._polling = False
        self.cancel_button.setEnabled(False)
        self.progress.setValue(self.progress.maximum())
        rows = list(status.get("candidates") or [])
        best = int(status.get("best", -1))
        self.candidates.setRowCount(len(rows))
        for r, c in enumerate(rows):
            bead = int(c["bead_id"])
            usable = c.get("usable", True)
            cells = [f"{bead}{' (best)' if bead == best else ''}"]
            if c.get("error"):
                cells += ["-"] * 6 + [str(c["error"])]
            else:
                cells += [f"{c.get('score', 0.0):.3f}", f"{c.get('contrast', 0.0):.3f}",
                          f"{c.get('distinctness', 0.0):.2e}",
                          f"{c.get('monotonic', 0.0):.2f}",
                          f"{c.get('self_rms_nm', float('nan')):.1f}",
                          f"{c.get('found', 0.0):.0%}",
                          "" if usable else str(c.get("reason") or "not usable")]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, None if c.get("error") else bead)
                self.candidates.setItem(r, col, item)
        self.candidates.resizeColumnsToContents()
        self.candidates.show()
        best_row = next((r for r, c in enumerate(rows) if int(c["bead_id"]) == best), 0)
        self.candidates.selectRow(best_row)
        self.save_button.setEnabled(True)
        self.state_label.setText(f"review: {len(rows)} candidate(s), best bead {best}; "
                                 "pick one and Save selected")
        self.candidates_ready.emit(best)

    def selected_candidate(self) -> int | None:
        """The bead of the selected candidate row (None: none, or one without a LUT)."""
        rows = self.candidates.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.candidates.item(rows[0].row(), 0)
        bead = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return int(bead) if bead is not None else None

    def _preview_selected(self) -> None:
        bead = self.selected_candidate()
        if bead is None:
            return
        try:
            data = self.context.hub.call(GetZLutProfiles(bead_id=bead), timeout=5.0)
            self.preview.show_profiles(data)
        except Exception as exc:
            self.error.setText(f"no preview of bead {bead}: {exc}")

    def _save_clicked(self) -> None:
        self.save_candidate()

    def save_candidate(self, bead_id: int | None = None) -> bool:
        """Save the selected (or ``bead_id``'s) candidate to the file; load it if asked."""
        bead = self.selected_candidate() if bead_id is None else bead_id
        if bead is None:
            self.error.setText("select a candidate that has a Z-LUT")
            return False
        path = self.path.text().strip()
        try:
            self.context.hub.call(SaveZLutCandidate(
                bead_id=bead, path=path, load=self.load_after.isChecked()), timeout=15.0)
        except Exception as exc:
            self.error.setText(f"not saved: {exc}")
            self.context.notify("error", f"Z-LUT not saved: {exc}")
            return False
        if "gui" in self.context.settings.namespaces:
            try:
                self.context.settings.set("gui", "zlut_dir", str(Path(path).parent),
                                          running=True)
            except Exception:
                pass
        self.save_button.setEnabled(False)
        self._finished("done", {"path": path, "bead": bead})
        return True

    def _finished(self, state: str, status: dict[str, Any]) -> None:
        self._polling = False
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        if state == "done":
            self.progress.setValue(self.progress.maximum())
            path = str(status.get("path"))
            self.state_label.setText(f"done: Z-LUT of bead {status.get('bead')} saved to "
                                     f"{path}")
            self.context.notify("info", f"Z-LUT saved: {path} (bead {status.get('bead')})")
        elif state == "failed":
            self.error.setText(f"the sweep failed: {status.get('error')}")
            self.context.notify("error", f"Z-LUT sweep failed: {status.get('error')}")
        else:
            self.context.notify("warning", "Z-LUT sweep cancelled")
        self.sweep_ended.emit(state)

    def closeEvent(self, event: Any) -> None:
        """Stop polling (a running sweep goes on in the pipeline)."""
        self.context.events.refresh.disconnect(self._on_refresh)
        super().closeEvent(event)
