"""Similar-bead search commands, handled by the camera manager, run in a process of their own.

``FindSimilarBeads`` copies the newest frame, starts a :class:`SimilarSearch` (NCC with a
seed bead, see :mod:`magscope_core._similar_beads`) in the camera manager's search
process (:class:`~magscope_core._search_worker.SearchWorker`, started at the first search
and kept for the session) and returns at once; the camera keeps grabbing meanwhile, its
interpreter free of the search. ``GetBeadSearch`` reports its state, progress and candidates,
``CancelBeadSearch`` stops it. With ``add`` true the camera manager adds the peaks at or
above the threshold (the proposed one unless ``threshold`` is given) as bead ROIs,
leaving out peaks whose ROI would overlap an existing one. One search runs at a time.
:func:`find_similar_beads` wraps the three commands for a script or the CLI.
"""

from __future__ import annotations

import logging
import math
import time
from typing import TYPE_CHECKING, Any, Protocol

import attrs
import numpy as np

from magscope_core._beads import AddBead
from magscope_core._commands import Command, CommandSpec, Route
from magscope_core._manager import handles
from magscope_core._search_worker import SearchWorker
from magscope_core._similar_beads import SimilarSearch

__all__ = [
    "BEAD_SEARCH_COMMANDS",
    "BeadSearchHandlers",
    "CancelBeadSearch",
    "FindSimilarBeads",
    "GetBeadSearch",
    "find_similar_beads",
]


@attrs.frozen
class FindSimilarBeads(Command):
    """Start a search for beads like the one centred on ``(x, y)`` px (ROI ``size`` px).

    ``threshold`` NaN uses the proposed one (largest score gap); ``add`` adds the beads
    found as ROIs when the search ends. Returns the search number.
    """

    x: float
    y: float
    size: int = 64
    threshold: float = math.nan
    add: bool = True


@attrs.frozen
class GetBeadSearch(Command):
    """Return the search's state, progress (0-1), candidates, threshold, beads added."""


@attrs.frozen
class CancelBeadSearch(Command):
    """Stop the running search (nothing is added)."""


BEAD_SEARCH_COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(FindSimilarBeads, Route.DIRECT, True,
                "find beads like a seed bead (NCC); optionally add them as ROIs"),
    CommandSpec(GetBeadSearch, Route.DIRECT, True, "progress and results of the bead search"),
    CommandSpec(CancelBeadSearch, Route.DIRECT, True, "cancel the bead search"),
)


def _overlaps(x0: int, y0: int, size: int, boxes: list[tuple[int, int, int]]) -> bool:
    return any(not (x0 + size <= bx or bx + bs <= x0 or y0 + size <= by or by + bs <= y0)
               for bx, by, bs in boxes)


class BeadSearchHandlers:
    """The search state, mixed into the camera manager (call :meth:`search_tick`)."""

    log: logging.Logger
    resources: Any
    ring: Any
    _scratch: np.ndarray
    _search: SimilarSearch | None = None
    _search_info: dict[str, Any] | None = None
    _search_count = 0
    _search_worker: SearchWorker | None = None
    _search_process = True

    if TYPE_CHECKING:
        def send(self, command: Command, *, to: str | None = None) -> None: ...

    def _newest_frame(self) -> np.ndarray:
        latest = self.ring.peek_latest()
        return np.array(latest.frame if latest is not None else self._scratch)

    @handles(FindSimilarBeads)
    def find_similar(self, cmd: FindSimilarBeads) -> int:
        """Start a search in a thread; return its number."""
        if self._search is not None and not self._search.done:
            raise RuntimeError("a bead search is already running; cancel it first "
                               "(CancelBeadSearch)")
        frame = self._newest_frame()
        h, w = frame.shape
        x0, y0 = round(cmd.x - cmd.size / 2), round(cmd.y - cmd.size / 2)
        if cmd.size < 4 or not (x0 >= 0 and y0 >= 0 and x0 + cmd.size <= w
                                and y0 + cmd.size <= h):
            raise ValueError(f"FindSimilarBeads: a {cmd.size} px ROI centred on "
                             f"({cmd.x:g}, {cmd.y:g}) does not fit in the {w}x{h} frame")
        self._search_count += 1
        if self._search_process and (self._search_worker is None
                                     or not self._search_worker.alive):
            self._search_worker = SearchWorker()
            self.log.info("bead search process started")
        self._search = SimilarSearch(frame, cmd.x, cmd.y, cmd.size,
                                     worker=self._search_worker if self._search_process
                                     else None)
        self._search_info = {"id": self._search_count, "add": cmd.add,
                             "threshold": None if math.isnan(cmd.threshold)
                             else float(cmd.threshold),
                             "added": None, "t0": time.monotonic()}
        return self._search_count

    def close_search(self) -> None:
        """End the search process (the camera manager's teardown)."""
        if self._search is not None:
            self._search.cancel()
        if self._search_worker is not None:
            self._search_worker.close()
            self._search_worker = None

    @handles(CancelBeadSearch)
    def cancel_search(self, cmd: CancelBeadSearch) -> None:
        """Cancel the running search."""
        if self._search is not None:
            self._search.cancel()

    @handles(GetBeadSearch)
    def get_search(self, cmd: GetBeadSearch) -> dict[str, Any]:
        """State (``idle``, ``running``, ``done``, ``cancelled``, ``failed``) and results."""
        self.search_tick()
        s, info = self._search, self._search_info
        if s is None or info is None:
            return {"state": "idle", "id": 0, "progress": 0.0}
        out: dict[str, Any] = {"state": s.state, "id": info["id"], "progress": s.progress,
                               "error": s.error, "added": info["added"]}
        if s.result is not None:
            out.update(s.result.as_dict())
            out["proposed_threshold"] = s.result.threshold
            if info["threshold"] is not None:
                out["threshold"] = info["threshold"]
        if out["state"] == "done" and info["add"] and info["added"] is None:
            out["state"] = "running"  # adding the beads is part of the search
        return out

    def search_tick(self) -> None:
        """When a search with ``add`` has ended, add its beads (once)."""
        s, info = self._search, self._search_info
        if s is None or info is None or not s.done or info["added"] is not None:
            return
        if s.result is None or not info["add"]:
            if s.state != "done":
                info["added"] = []
                self.log.info("bead search %d %s%s", info["id"], s.state,
                              f": {s.error}" if s.error else "")
            return
        size = s.result.size
        snap = self.resources.rois().snapshot()
        boxes = [(int(r[0]), int(r[1]), int(r[2])) for r in snap.rois]
        added: list[tuple[float, float]] = []
        for x, y in s.result.selected(info["threshold"]):
            x0, y0 = round(x - size / 2), round(y - size / 2)
            if _overlaps(x0, y0, size, boxes):
                continue
            boxes.append((x0, y0, size))
            self.send(AddBead(x, y, size))
            added.append((x, y))
        info["added"] = added
        self.log.info("bead search %d: %d candidates, threshold %.3f, %d beads added "
                      "(%.1f s)", info["id"], s.result.score.size,
                      info["threshold"] if info["threshold"] is not None
                      else s.result.threshold, len(added), time.monotonic() - info["t0"])


class _Caller(Protocol):
    def call(self, command: Command, *, timeout: float = ...) -> Any: ...


def find_similar_beads(hub: _Caller, x: float, y: float, size: int = 64, *,
                       threshold: float | None = None, add: bool = True,
                       timeout: float = 60.0, poll_s: float = 0.05) -> dict[str, Any]:
    """Run a similar-bead search through ``hub`` and wait for its end.

    Returns the final :class:`GetBeadSearch` reply (``added`` lists the centres added).

    Raises
    ------
    TimeoutError
        Not finished within ``timeout`` s (the search is cancelled).
    RuntimeError
        The search failed.
    """
    hub.call(FindSimilarBeads(x, y, size, math.nan if threshold is None else threshold, add))
    deadline = time.monotonic() + timeout
    while True:
        state = hub.call(GetBeadSearch())
        if state["state"] not in ("running", "idle"):
            break
        if time.monotonic() > deadline:
            hub.call(CancelBeadSearch())
            raise TimeoutError(f"bead search not finished after {timeout:g} s (cancelled)")
        time.sleep(poll_s)  # polling a remote state; no local condition to wait on
    if state["state"] == "failed":
        raise RuntimeError(f"bead search failed: {state['error']}")
    return dict(state)
