"""The start-up window: the session's start-up steps as they happen, or what failed.

``magscope run`` shows it at once, before the session is up (starting the camera, the
pipeline and the tracker workers takes seconds, tens of seconds on a first run). It
lists every :class:`~magscope_core.StartupStep` with its time, counts the parts that
are up, and, when the start-up fails, says which part failed and why, and stays until
the user closes it (or opens the main window anyway, when the session runs without the
failed part).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QCloseEvent, QColor, QFont
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from magscope_core import StartupStep

__all__ = ["StartupWindow"]

_SPINNER = "◐◓◑◒"
_TICK_MS = 120  # spinner and elapsed-time refresh
_STATE_TEXT = {"starting": "starting", "progress": "working", "ready": "ready",
               "failed": "FAILED", "session-ready": "ready", "session-failed": "FAILED"}
_STATE_COLOUR = {"ready": "#66bb6a", "failed": "#ef5350", "session-ready": "#66bb6a",
                 "session-failed": "#ef5350"}


def _one_line(text: str) -> str:
    """The first non-empty line of ``text`` (a reason for people, not a traceback)."""
    for line in str(text).splitlines():
        if line.strip():
            return line.strip()
    return str(text).strip()


class StartupWindow(QMainWindow):
    """The window shown while a session starts.

    Parameters
    ----------
    summary : str
        One line about the session (camera, tracker, mode, output folder).
    parts : sequence of str
        The managers that will start (for the "n of m up" count); may be empty.

    Attributes
    ----------
    steps : list of magscope_core.StartupStep
        Every step shown, in order.
    failure : str
        What failed (empty while nothing did).
    """

    closed = Signal()
    """Emitted when the window closes (by the user, Ctrl-C or the program)."""
    continue_requested = Signal()
    """The user chose to open the main window although a part failed."""

    def __init__(self, summary: str, parts: Sequence[str] = ()) -> None:
        super().__init__()
        self.setObjectName("magscope-startup-window")
        self.setWindowTitle("MagScope — starting")
        self.steps: list[StartupStep] = []
        self.failure = ""
        self._parts = list(dict.fromkeys(parts))
        self._state: dict[str, str] = {}
        self._t0 = time.monotonic()
        self._frame = 0
        self._running = True
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(24, 20, 24, 16)
        self.heading = QLabel("Starting the session")
        font = QFont(self.heading.font())
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.heading.setFont(font)
        layout.addWidget(self.heading)
        self.summary = QLabel(summary)
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        row = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setRange(0, max(1, len(self._parts)))
        self.progress.setValue(0)
        self.progress.setFormat("%v of %m parts up")
        row.addWidget(self.progress, 1)
        self.elapsed = QLabel()
        self.elapsed.setMinimumWidth(90)
        row.addWidget(self.elapsed)
        layout.addLayout(row)
        self.table = QTreeWidget()
        self.table.setRootIsDecorated(False)
        self.table.setHeaderLabels(["Time", "Part", "State", "Step"])
        header = self.table.header()
        header.setStretchLastSection(True)
        for col in range(3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        layout.addWidget(self.table, 1)
        self.failure_label = QLabel()
        self.failure_label.setObjectName("startup-failure")
        self.failure_label.setWordWrap(True)
        self.failure_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.failure_label.setStyleSheet("color: #ef5350; font-weight: bold;")
        self.failure_label.hide()
        layout.addWidget(self.failure_label)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.continue_button = QPushButton("Open the window anyway")
        self.continue_button.setToolTip("Open the panels; the failed parts stay off")
        self.continue_button.clicked.connect(self.continue_requested)
        self.continue_button.hide()
        buttons.addWidget(self.continue_button)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.close)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)
        self.setCentralWidget(central)
        self.statusBar().showMessage("the panels appear when every part is up")
        self._timer = QTimer(self)
        self._timer.setInterval(_TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        self._tick()

    # ------------------------------------------------------------------ steps
    def add_step(self, step: StartupStep) -> None:
        """Show one start-up step (a new row; the part's state and the count change)."""
        self.steps.append(step)
        state = _STATE_TEXT.get(step.state, step.state)
        item = QTreeWidgetItem([f"{step.elapsed_s:6.1f} s", step.manager, state,
                                _one_line(step.message)])
        colour = _STATE_COLOUR.get(step.state)
        if colour:
            for col in (2, 3):
                item.setForeground(col, QBrush(QColor(colour)))
        item.setToolTip(3, step.message)
        self.table.addTopLevelItem(item)
        self.table.scrollToItem(item)
        if step.manager != "hub":
            if step.manager not in self._parts:
                self._parts.append(step.manager)
                self.progress.setMaximum(len(self._parts))
            self._state[step.manager] = step.state
        self.progress.setValue(sum(1 for s in self._state.values() if s == "ready"))

    def rows(self) -> list[tuple[str, str, str]]:
        """The rows shown: ``(part, state, step)`` (for tests and screen readers)."""
        out = []
        for i in range(self.table.topLevelItemCount()):
            item = self.table.topLevelItem(i)
            if item is not None:
                out.append((item.text(1), item.text(2), item.text(3)))
        return out

    @property
    def failed_parts(self) -> dict[str, str]:
        """Parts whose latest step is a failure, with the one-line reason."""
        reasons: dict[str, str] = {}
        for step in self.steps:
            if step.manager == "hub":
                continue
            if step.state == "failed":
                reasons[step.manager] = _one_line(step.message)
            elif step.state == "ready":
                reasons.pop(step.manager, None)
        return reasons

    # ------------------------------------------------------------------ outcome
    def show_failure(self, reason: str, *, can_continue: bool) -> None:
        """Say what failed; stay open until the user closes it.

        Parameters
        ----------
        reason
            One line: what failed and why (the failed parts are added below it).
        can_continue
            Offer "Open the window anyway" (the session runs without the failed parts).
        """
        self.stop_spinner()
        lines = [_one_line(reason)]
        lines += [f"• {part}: {why}" for part, why in self.failed_parts.items()
                  if why not in lines[0]]
        self.failure = "\n".join(lines)
        self.heading.setText("The session did not start cleanly" if can_continue
                             else "The session could not start")
        self.failure_label.setText(self.failure)
        self.failure_label.show()
        self.continue_button.setVisible(can_continue)
        self.close_button.setDefault(not can_continue)
        self.progress.setFormat("%v of %m parts up — start-up failed")
        self.statusBar().showMessage("details: magscope.log in the output folder")
        self.setWindowTitle("MagScope — start-up failed")

    def show_stopping(self, why: str) -> None:
        """Say that the session stops once its start-up has finished."""
        self.heading.setText("Stopping")
        self.statusBar().showMessage(f"{why}: stopping once the start-up has finished")

    @property
    def running(self) -> bool:
        """Whether the start-up is still going (spinner turning)."""
        return self._running

    def stop_spinner(self) -> None:
        """The start-up is over: freeze the elapsed time."""
        if self._timer.isActive():
            self._timer.stop()
            self.elapsed.setText(f"{time.monotonic() - self._t0:5.1f} s")
        self._running = False

    def _tick(self) -> None:
        self._frame = (self._frame + 1) % len(_SPINNER)
        self.elapsed.setText(f"{_SPINNER[self._frame]} {time.monotonic() - self._t0:5.1f} s")

    def closeEvent(self, event: QCloseEvent) -> None:
        """Stop the spinner and say so (``closed``)."""
        self._timer.stop()
        super().closeEvent(event)
        self.closed.emit()
