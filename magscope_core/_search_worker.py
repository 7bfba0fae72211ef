"""A process of its own for bead searches, so that the camera keeps grabbing meanwhile.

The normalised cross-correlation of a seed bead with a whole frame takes a second or more
on a large frame. Run in a thread of the camera manager it shares that process (its
interpreter lock, its core) with the grab loop, which then misses frames. The camera
manager instead starts one :class:`SearchWorker` at its first search and keeps it for the
session: a spawned process that waits for a frame on its pipe, searches it, and answers
with the peaks. Progress travels in a shared double, cancel in a shared event; the
worker ends when the camera manager closes it or goes away (end of file on its pipe,
and the parent-death signal on Linux). It runs at a lower priority (``nice`` 5): when
cores are scarce the grab loop comes first.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from magscope_core._proctitle import set_process_title
from magscope_core._similar_beads import SearchCancelled, SimilarPeaks, find_similar

__all__ = ["SearchWorker"]


def _serve(conn: Connection, progress: Any, cancel: Any) -> None:
    """The worker's loop: one search per request until ``None`` or end of file."""
    from magscope_core._manager_child import _set_parent_death_signal

    set_process_title("bead-search")
    _set_parent_death_signal()
    try:  # when cores are scarce, grabbing frames comes first
        os.nice(5)
    except (AttributeError, OSError):
        pass

    def report(fraction: float) -> None:
        progress.value = fraction

    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        frame, x, y, size = request
        try:
            reply: tuple[str, Any] = ("done", find_similar(frame, x, y, size, progress=report,
                                                           cancel=cancel))
        except SearchCancelled:
            reply = ("cancelled", None)
        except Exception as exc:
            reply = ("failed", f"{type(exc).__name__}: {exc}")
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


class SearchWorker:
    """The search process; :meth:`search` blocks (call it from a thread) until it answers.

    One search at a time (the camera manager allows no more).
    """

    def __init__(self) -> None:
        ctx = mp.get_context("spawn")
        self._progress = ctx.Value("d", 0.0, lock=False)
        self._cancel = ctx.Event()
        self._conn, child = ctx.Pipe(duplex=True)
        self._lock = threading.Lock()
        self._proc = ctx.Process(target=_serve, args=(child, self._progress, self._cancel),
                                 name="magscope:bead-search", daemon=True)
        self._proc.start()
        child.close()

    @property
    def alive(self) -> bool:
        """Whether the process runs."""
        return self._proc.is_alive()

    @property
    def progress(self) -> float:
        """Fraction of the running search done (0-1)."""
        return float(self._progress.value)

    def search(self, frame: np.ndarray, x: float, y: float, size: int) -> SimilarPeaks:
        """Search ``frame`` for beads like the one at ``(x, y)`` (see ``find_similar``).

        Raises
        ------
        SearchCancelled
            :meth:`cancel` was called.
        RuntimeError
            The search failed, or the process died.
        """
        with self._lock:
            self._cancel.clear()
            self._progress.value = 0.0
            try:
                self._conn.send((np.ascontiguousarray(frame), float(x), float(y), int(size)))
                state, value = self._conn.recv()
            except (EOFError, OSError) as exc:
                raise RuntimeError(f"the bead-search process ended ({exc or 'no reply'})"
                                   ) from exc
        if state == "cancelled":
            raise SearchCancelled("bead search cancelled")
        if state == "failed":
            raise RuntimeError(str(value))
        assert isinstance(value, SimilarPeaks)
        return value

    def cancel(self) -> None:
        """Stop the running search after its current band of rows."""
        self._cancel.set()

    def close(self, timeout: float = 2.0) -> None:
        """End the process (a running search is cancelled)."""
        self._cancel.set()
        try:
            self._conn.send(None)
        except (BrokenPipeError, OSError):
            pass
        self._proc.join(timeout)
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join(1.0)
        self._conn.close()
