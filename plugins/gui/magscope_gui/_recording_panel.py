"""Recording and Saving panel: acquisition, mode, saving, output folder, files."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from magscope_core import (
    MODES,
    GetAcquisition,
    NewRecording,
    SetAcquisition,
    SetAcquisitionMode,
    SetOutputFolder,
    SetSaving,
)
from magscope_gui._context import PanelContext

__all__ = ["RecordingPanel"]


class RecordingPanel(QWidget):
    """Acquire on/off, acquisition mode, saving on/off, output folder and new file.

    The list at the bottom shows the output folder and every file the writers have
    finished (``hub.files``). The panel reads the pipeline's state about once a
    second while visible, so changes made elsewhere (scripts, other panels) show up.
    """

    interval_s = 1.0
    """Seconds between two reads of the pipeline's state."""

    def __init__(self, context: PanelContext) -> None:
        super().__init__()
        self.context = context
        self.state: dict[str, Any] = {}
        self._last = 0.0
        self.acquire = QCheckBox("Acquire (fill the video buffer and track)")
        self.acquire.setToolTip("Off: the camera keeps running but frames are not processed")
        self.acquire.toggled.connect(self.set_acquiring)
        self.mode = QComboBox()
        for name, label in MODES.items():
            self.mode.addItem(label, name)
        self.mode.activated.connect(self._mode_activated)
        self.saving = QPushButton("Saving off")
        self.saving.setCheckable(True)
        self.saving.setToolTip("Write tracks (and video, per the mode) to the output folder")
        self.saving.toggled.connect(self.set_saving)
        self.folder = QLineEdit()
        self.folder.setReadOnly(True)
        choose = QPushButton("Choose…")
        choose.clicked.connect(self.choose_folder)
        new_file = QPushButton("New file")
        new_file.setToolTip("Close the current files and start new ones")
        new_file.clicked.connect(self.new_recording)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(choose)
        self.files = QListWidget()
        self.files.setMaximumHeight(84)
        self.files.hide()
        self.summary = QLabel()
        self.summary.setProperty("role", "muted")
        self.summary.setWordWrap(True)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(self.acquire)
        form.addRow("Mode", self.mode)
        buttons = QHBoxLayout()
        buttons.addWidget(self.saving, 1)
        buttons.addWidget(new_file)
        form.addRow("Saving", buttons)
        form.addRow("Folder", row)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(self.files)
        context.events.refresh.connect(self._on_refresh)
        self.refresh()

    # ------------------------------------------------------------------ actions
    def _mode_activated(self, _index: int) -> None:
        # a bound slot, not a lambda holding ``self`` (can crash PySide6 6.11 on deletion)
        self.set_mode(str(self.mode.currentData()))

    def set_acquiring(self, on: bool) -> None:
        """Start or stop putting frames into the video buffer."""
        if self.context.send(SetAcquisition(on=bool(on))):
            self.context.notify("info", f"acquisition {'on' if on else 'off'}")

    def set_mode(self, mode: str) -> None:
        """Change the acquisition mode (a key of ``magscope_core.MODES``)."""
        if self.context.send(SetAcquisitionMode(mode=mode)):
            self.state["mode"] = mode
            self.context.notify("info", f"acquisition mode: {MODES.get(mode, mode)}")

    def set_saving(self, on: bool) -> None:
        """Start or stop saving."""
        self.saving.setText("Saving on" if on else "Saving off")
        self.setProperty("active", bool(on))
        if self.context.send(SetSaving(on=bool(on))):
            self.state["saving"] = bool(on)
            self.context.notify("info", f"saving {'on' if on else 'off'}")

    def choose_folder(self) -> None:
        """Ask for a folder, then write new files there."""
        start = self.state.get("out_dir") or str(Path.home())
        path = QFileDialog.getExistingDirectory(self, "Output folder", start)
        if path:
            self.set_folder(path)

    def set_folder(self, path: str | Path) -> bool:
        """Write new files into ``path`` (a new recording starts); return success."""
        if not self.context.send(SetOutputFolder(path=str(path))):
            return False
        self.state["out_dir"] = str(path)
        self.folder.setText(str(path))
        self.context.notify("info", f"output folder: {path}")
        return True

    def new_recording(self) -> list[str]:
        """Close the current files and start new ones; return the closed files."""
        closed = self.context.call(NewRecording(), timeout=10.0)
        if closed is None:
            return []
        names = ", ".join(Path(p).name for p in closed) or "no file was open"
        self.context.notify("info", f"new recording started; closed: {names}")
        self.refresh()
        return list(closed)

    # ------------------------------------------------------------------ state
    def _on_refresh(self) -> None:
        now = time.monotonic()
        if now - self._last >= self.interval_s and self.isVisible():
            self.refresh()

    def refresh(self) -> dict[str, Any]:
        """Read the pipeline's state and show it; return it."""
        self._last = time.monotonic()
        try:
            state = self.context.hub.call(GetAcquisition(), timeout=1.0)
        except Exception:
            state = None
        if isinstance(state, dict):
            self.state = state
        hub = self.context.hub
        with QSignalBlocker(self.acquire):
            self.acquire.setChecked(bool(hub.acquiring))
        mode = self.state.get("mode")
        index = self.mode.findData(mode)
        if index >= 0 and self.mode.currentIndex() != index and not self.mode.view().isVisible():
            self.mode.setCurrentIndex(index)
        saving = bool(self.state.get("saving", False))
        if self.saving.isChecked() != saving:
            with QSignalBlocker(self.saving):
                self.saving.setChecked(saving)
            self.saving.setText("Saving on" if saving else "Saving off")
        out_dir = str(self.state.get("out_dir", ""))
        if out_dir and self.folder.text() != out_dir:
            self.folder.setText(out_dir)
        files = sorted({p for paths in hub.files.values() for p in paths})
        if self.files.count() != len(files):
            self.files.clear()
            self.files.addItems(files)
        self.files.setVisible(bool(files))
        self.summary.setText(
            f"Writing into {out_dir or '?'}" + (" (saving)" if saving else " (not saving)")
            + f"; {len(files)} file(s) finished")
        return self.state
