"""Logging: every process's records end up in the main process, with the process name.

Manager processes send their ``LogRecord``s over their own command pipe (a
``QueueHandler`` whose queue is the pipe), so a child killed mid-write can never
block the logging of the others (a shared ``multiprocessing.Queue`` lock could).
The hub re-emits them through the main process's handlers.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

__all__ = ["configure_logging"]

FORMAT = "%(asctime)s %(processName)-20s %(levelname)-7s %(name)s: %(message)s"


def configure_logging(level: int | str = logging.INFO, log_file: Path | None = None) -> None:
    """Send the ``magscope`` loggers of every process to stderr (and ``log_file``).

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
    formatter = logging.Formatter(FORMAT, datefmt="%H:%M:%S")
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(formatter)
    console._magscope = True  # type: ignore[attr-defined]
    root.addHandler(console)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        fh = logging.FileHandler(log_file, encoding="utf-8")
        fh.setFormatter(logging.Formatter(FORMAT))
        fh._magscope = True  # type: ignore[attr-defined]
        root.addHandler(fh)
    root.setLevel(level)
