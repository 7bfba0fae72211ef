"""The notification and log area: every process's log records and the GUI's messages.

:class:`GuiLogHandler` is a ``logging.Handler`` for the root logger; manager processes'
records reach the main process through the hub, so it sees the log of every process.
It may be called from any thread: it hands each record to the GUI thread through a Qt
signal (a queued connection). Hub error reports (exceptions in managers) are shown
from ``hub.errors`` with their traceback; the handler skips the hub's log line about
them so they appear once.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import attrs
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from magscope_gui._context import NOTIFIED, PanelContext

__all__ = ["GuiLogHandler", "LogEntry", "LogPanel"]

_ROUTER_ERROR_PREFIX = "%s in manager %r"
_LEVEL_ORDER = {"debug": 0, "info": 1, "warning": 2, "error": 3}
_COLOURS = {"debug": "#8a8f99", "info": "#9ecbff", "warning": "#ffb74d", "error": "#ff6b6b"}
_COLUMNS = ("Time", "Level", "Source", "Message")
ModelIndex = QModelIndex | QPersistentModelIndex


@attrs.frozen
class LogEntry:
    """One line of the notification area."""

    time: float
    level: str
    source: str
    message: str
    details: str = ""


def _level_name(levelno: int) -> str:
    if levelno >= logging.ERROR:
        return "error"
    if levelno >= logging.WARNING:
        return "warning"
    if levelno >= logging.INFO:
        return "info"
    return "debug"


class _Bridge(QObject):
    entry = Signal(object)


class GuiLogHandler(logging.Handler):
    """Forward log records to the GUI thread as :class:`LogEntry` (thread-safe).

    Parameters
    ----------
    level : int
        Lowest level forwarded.
    """

    def __init__(self, level: int = logging.DEBUG) -> None:
        super().__init__(level)
        self.bridge = _Bridge()

    def emit(self, record: logging.LogRecord) -> None:
        """Turn the record into an entry and queue it for the GUI thread."""
        if getattr(record, NOTIFIED, False):
            return  # PanelContext.notify showed it already
        if record.name == "magscope.hub" and str(record.msg).startswith(_ROUTER_ERROR_PREFIX):
            return  # shown from hub.errors, with its traceback
        try:
            message = record.getMessage()
            details = ""
            if record.exc_info:
                details = logging.Formatter().formatException(record.exc_info)
            first, _, rest = message.partition("\n")
            process = record.processName or ""
            source = record.name if process in ("", "MainProcess") else process
            self.bridge.entry.emit(LogEntry(record.created, _level_name(record.levelno),
                                            source, first, (rest + "\n" + details).strip()))
        except RuntimeError:
            pass  # the GUI is gone (interpreter shutting down)
        except Exception:
            self.handleError(record)


class _LogModel(QAbstractTableModel):
    """The entries, oldest first, trimmed to a maximum count."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.entries: list[LogEntry] = []
        self.limit = limit

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.entries)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return len(_COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return _COLUMNS[section]
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        e = self.entries[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return time.strftime("%H:%M:%S", time.localtime(e.time)) + (
                    f".{int((e.time % 1) * 1000):03d}")
            return (e.time, e.level.upper(), e.source, e.message)[col]
        if role == Qt.ItemDataRole.ForegroundRole and col == 1:
            return QColor(_COLOURS.get(e.level, "#cccccc"))
        if role == Qt.ItemDataRole.ToolTipRole:
            return e.message + ("\n\n" + e.details if e.details else "")
        if role == Qt.ItemDataRole.UserRole:
            return _LEVEL_ORDER.get(e.level, 1)
        return None

    def append(self, entry: LogEntry) -> None:
        n = len(self.entries)
        self.beginInsertRows(QModelIndex(), n, n)
        self.entries.append(entry)
        self.endInsertRows()
        excess = len(self.entries) - self.limit
        if excess > 0:
            self.beginRemoveRows(QModelIndex(), 0, excess - 1)
            del self.entries[:excess]
            self.endRemoveRows()

    def clear(self) -> None:
        self.beginResetModel()
        self.entries.clear()
        self.endResetModel()


class _Filter(QSortFilterProxyModel):
    def __init__(self) -> None:
        super().__init__()
        self.min_level = 1
        self.text = ""

    def filterAcceptsRow(self, row: int, parent: ModelIndex) -> bool:
        model = self.sourceModel()
        assert isinstance(model, _LogModel)
        e = model.entries[row]
        if _LEVEL_ORDER.get(e.level, 1) < self.min_level:
            return False
        t = self.text
        return not t or t in e.message.casefold() or t in e.source.casefold()

    def refilter(self) -> None:
        self.beginFilterChange()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)


class LogPanel(QWidget):
    """Notification history: time, level, source and message of every entry.

    Shows the log records of every process (through :class:`GuiLogHandler`),
    ``context.notify`` messages and the hub's error reports. Filter by lowest level
    and by text; hover a line for its details (tracebacks).
    """

    def __init__(self, context: PanelContext) -> None:
        super().__init__()
        self.context = context
        limit = int(context.gui_setting("log_history", 5000))
        self.model = _LogModel(limit)
        self.proxy = _Filter()
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(20)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        for col, width in ((0, 96), (1, 74), (2, 170)):
            self.table.setColumnWidth(col, width)
        self.level = QComboBox()
        self.level.addItems(["Debug and above", "Info and above", "Warnings and errors",
                             "Errors only"])
        self.level.setCurrentIndex(1)
        self.level.currentIndexChanged.connect(self._on_level)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter messages…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._on_text)
        self.counts = QLabel()
        self.counts.setProperty("role", "muted")
        copy = QPushButton("Copy")
        copy.setToolTip("Copy the shown entries to the clipboard")
        copy.clicked.connect(self.copy_visible)
        clear = QPushButton("Clear")
        clear.clicked.connect(self.clear)
        bar = QHBoxLayout()
        bar.addWidget(self.level)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.counts)
        bar.addWidget(copy)
        bar.addWidget(clear)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.table)
        self._errors_seen = 0
        self._n = {"warning": 0, "error": 0}
        self.handler = GuiLogHandler()
        self.handler.bridge.entry.connect(self.add_entry)
        context.events.notify.connect(self._on_notify)
        self._update_counts()

    # ------------------------------------------------------------------ entries
    def add_entry(self, entry: LogEntry) -> None:
        """Append an entry (GUI thread), scrolling down if the view was at the bottom."""
        bar = self.table.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 2
        self.model.append(entry)
        if entry.level in self._n:
            self._n[entry.level] += 1
            self._update_counts()
        if at_bottom:
            self.table.scrollToBottom()

    def _on_notify(self, level: str, message: str) -> None:
        self.add_entry(LogEntry(time.time(), level, "gui", message))

    def poll_hub_errors(self) -> int:
        """Show the hub's new error reports; return how many were new."""
        errors = list(self.context.hub.errors)
        new = errors[self._errors_seen:]
        self._errors_seen = len(errors)
        for report in new:
            what = "fatal error" if report.fatal else "error"
            message = (f"{what} in manager {report.manager!r} (plugin {report.plugin!r}, "
                       f"{report.distribution}): {report.error}")
            self.add_entry(LogEntry(time.time(), "error" if report.fatal else "warning",
                                    report.manager, message, report.error.traceback))
        return len(new)

    @property
    def entries(self) -> list[LogEntry]:
        """Every entry kept, oldest first."""
        return list(self.model.entries)

    def visible_entries(self) -> list[LogEntry]:
        """The entries that pass the filters, in order."""
        return [self.model.entries[self.proxy.mapToSource(self.proxy.index(r, 0)).row()]
                for r in range(self.proxy.rowCount())]

    def clear(self) -> None:
        """Forget every entry."""
        self.model.clear()
        self._n = {"warning": 0, "error": 0}
        self._update_counts()

    def copy_visible(self) -> None:
        """Copy the shown entries as text."""
        lines = [
            f"{time.strftime('%H:%M:%S', time.localtime(e.time))} {e.level.upper():7s} "
            f"{e.source}: {e.message}" for e in self.visible_entries()
        ]
        clipboard = QGuiApplication.clipboard()
        if clipboard is not None:
            clipboard.setText("\n".join(lines))

    # ------------------------------------------------------------------ filters
    def set_min_level(self, level: str) -> None:
        """Show entries of ``level`` ("debug", "info", "warning", "error") and above."""
        self.level.setCurrentIndex(_LEVEL_ORDER[level])

    def _on_level(self, index: int) -> None:
        self.proxy.min_level = index
        self.proxy.refilter()

    def _on_text(self, text: str) -> None:
        self.proxy.text = text.strip().casefold()
        self.proxy.refilter()

    def _update_counts(self) -> None:
        self.counts.setText(f"{self._n['error']} errors, {self._n['warning']} warnings")

    def save_state(self) -> dict[str, Any]:
        """The level filter, for the saved layout."""
        return {"min_level": self.level.currentIndex()}

    def restore_state(self, state: dict[str, Any]) -> None:
        """Restore :meth:`save_state`."""
        index = state.get("min_level")
        if isinstance(index, int) and 0 <= index < self.level.count():
            self.level.setCurrentIndex(index)
