"""Logging: every process's records end up in the main process, with the process name.

Manager processes send their ``LogRecord``s over their own command pipe (a
``QueueHandler`` whose queue is the pipe), so a child killed mid-write can never
block the logging of the others (a shared ``multiprocessing.Queue`` lock could).
The hub re-emits them through the main process's handlers.

The console shows one line per record: the first line of the message, without a
traceback (a local exception's, or a manager process's, which the hub logs after the
first line); the log file gets everything. A record whose ``magscope_console``
attribute is false (an error the frontend shows to the user itself) is not printed on
the console at all.
"""

from __future__ import annotations

import logging
import shutil
import sys
import time
from pathlib import Path

__all__ = ["CONSOLE_ATTR", "ConsoleFormatter", "LogFileHandler", "configure_logging"]

FORMAT = "%(asctime)s %(processName)-20s %(levelname)-7s %(name)s: %(message)s"
CONSOLE_ATTR = "magscope_console"
"""Record attribute: False keeps the record off the console (the frontend shows it)."""


class ConsoleFormatter(logging.Formatter):
    """One line per record: the first line of the message, no traceback.

    Parameters
    ----------
    log_file
        Where the details are, named at the end of a line whose details were cut.
    """

    def __init__(self, fmt: str, datefmt: str | None = None,
                 log_file: Path | None = None) -> None:
        super().__init__(fmt, datefmt=datefmt)
        self.log_file = log_file

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        try:
            text = super().format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved
        first, newline, _rest = text.partition("\n")
        cut = bool(newline) or any(saved)
        if cut and self.log_file is not None and record.levelno >= logging.WARNING:
            first = f"{first.rstrip()} (details in {self.log_file})"
        return first


class _ConsoleFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return bool(getattr(record, CONSOLE_ATTR, True))


def configure_logging(level: int | str = logging.INFO, log_file: Path | None = None) -> None:
    """Send the ``magscope`` loggers of every process to stderr (and ``log_file``).

    The console gets one line per record (see :class:`ConsoleFormatter`); the file gets
    every record in full, tracebacks included.

    Parameters
    ----------
    level
        Threshold for the console and the processes.
    log_file
        Optional file that receives the same records (its folder is created).
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_magscope", False):
            root.removeHandler(handler)
            handler.close()
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(ConsoleFormatter(FORMAT, datefmt="%H:%M:%S", log_file=log_file))
    console.addFilter(_ConsoleFilter())
    console._magscope = True  # type: ignore[attr-defined]
    root.addHandler(console)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        fh = LogFileHandler(log_file)
        fh.setFormatter(logging.Formatter(FORMAT))
        fh._magscope = True  # type: ignore[attr-defined]
        root.addHandler(fh)
    root.setLevel(level)


class LogFileHandler(logging.FileHandler):
    """``magscope.log``: records go to the file while it can be written.

    When the disk is full (free space below :attr:`min_free` bytes, or a write fails)
    one line on stderr says so and records go only to the console from then on, never a
    traceback per record. Every :attr:`retry_s` seconds the file is tried again, and
    writing resumes (with a line noting how many records were skipped) once there is
    room.
    """

    min_free = 128 * 2**10
    retry_s = 5.0

    def __init__(self, path: Path) -> None:
        super().__init__(path, encoding="utf-8")
        self._paused = False
        self._cut = False
        self._last_try = 0.0
        self._skipped = 0

    def emit(self, record: logging.LogRecord) -> None:
        """Write ``record`` unless the file cannot be written now."""
        if self._paused:
            now = time.monotonic()
            if now - self._last_try < self.retry_s:
                self._skipped += 1
                return
            self._last_try = now
            if not self._room():
                self._skipped += 1
                return
            self._resume(record)
            if self._paused:
                self._skipped += 1
                return
        elif not self._room():
            self._pause("the disk is nearly full")
            self._skipped += 1
            return
        super().emit(record)

    def _resume(self, record: logging.LogRecord) -> None:
        skipped, self._paused, self._skipped = self._skipped, False, 0
        note = logging.makeLogRecord({
            "name": "magscope.log", "levelno": logging.WARNING, "levelname": "WARNING",
            "msg": "%d log record(s) were not written here while the disk was full",
            "args": (skipped,), "processName": record.processName,
        })
        if self._cut:  # the last record before the pause may have been cut short
            self._cut = False
            note.msg = "\n" + str(note.msg)
        super().emit(note)

    def _room(self) -> bool:
        try:
            return shutil.disk_usage(Path(self.baseFilename).parent).free >= self.min_free
        except OSError:
            return True  # cannot tell: try writing

    def _pause(self, why: str) -> None:
        self._paused = True
        self._last_try = time.monotonic()
        try:
            sys.stderr.write(f"magscope: cannot write the log file {self.baseFilename} ({why});"
                             " log records go to the console only until there is room again\n")
        except Exception:
            pass  # stderr is gone too; nothing more to do

    def handleError(self, record: logging.LogRecord) -> None:
        """A failed write pauses the file (one line on stderr) instead of a traceback."""
        if not self._paused:
            exc = sys.exc_info()[1]
            self._pause(f"{type(exc).__name__}: {exc}" if exc else "write failed")
        self._cut = True
        self._skipped += 1
        stream = self.stream
        if stream is not None:  # drop what could not be written, so it is not retried
            try:
                stream.close()
            except Exception:
                pass  # flushing the dropped text failed again; the handle is closed anyway
            self.stream = None  # type: ignore[assignment]
