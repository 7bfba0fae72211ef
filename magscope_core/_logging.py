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
import sys
from pathlib import Path

__all__ = ["CONSOLE_ATTR", "ConsoleFormatter", "configure_logging"]

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
        fh = logging.FileHandler(log_file, encoding="utf-8")
        fh.setFormatter(logging.Formatter(FORMAT))
        fh._magscope = True  # type: ignore[attr-defined]
        root.addHandler(fh)
    root.setLevel(level)
