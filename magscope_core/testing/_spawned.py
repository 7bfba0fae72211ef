"""Run a function in a fresh ``spawn``-ed process, as the hub runs plugins, and get its result."""

from __future__ import annotations

import multiprocessing as mp
import sys
import traceback
from collections.abc import Callable
from typing import Any

__all__ = ["QT_MODULES", "qt_modules_loaded", "run_spawned"]

QT_MODULES = ("PySide6", "PySide2", "PyQt5", "PyQt6", "qtpy", "pyqtgraph")
"""Top-level packages that mean "a Qt binding was imported"."""


def qt_modules_loaded() -> list[str]:
    """The Qt packages imported in this process (top-level names, sorted)."""
    return sorted({m.split(".")[0] for m in sys.modules if m.split(".")[0] in QT_MODULES})


def _child(conn: Any, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        result: tuple[bool, Any] = (True, fn(*args))
    except BaseException as exc:
        result = (False, "".join(traceback.format_exception(type(exc), exc,
                                                            exc.__traceback__)))
    conn.send(result)
    conn.close()


def run_spawned(fn: Callable[..., Any], *args: Any, timeout: float = 120.0) -> Any:
    """Call ``fn(*args)`` in a spawned process and return its (picklable) result.

    ``fn`` and ``args`` travel by pickle exactly as a plugin's factories and options do
    when the hub starts a manager, so this also proves they are picklable.

    Raises
    ------
    AssertionError
        With the child's traceback, if ``fn`` raised or the process died.
    TimeoutError
        If no result came within ``timeout`` seconds.
    """
    ctx = mp.get_context("spawn")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, fn, args), name="magscope-contract-check",
                       daemon=True)
    proc.start()
    send.close()
    try:
        if not recv.poll(timeout):
            raise TimeoutError(f"{getattr(fn, '__name__', fn)} gave no result in a spawned "
                               f"process within {timeout:g} s")
        try:
            ok, value = recv.recv()
        except EOFError:
            proc.join(5.0)
            raise AssertionError(f"the spawned process died (exit code {proc.exitcode}) "
                                 f"running {getattr(fn, '__name__', fn)}") from None
    finally:
        recv.close()
        proc.join(10.0)
        if proc.is_alive():
            proc.kill()
            proc.join(5.0)
    if not ok:
        raise AssertionError(f"{getattr(fn, '__name__', fn)} failed in a spawned process:\n"
                             f"{value}")
    return value
