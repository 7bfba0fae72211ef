"""The pipeline's commands about the tracker: Z-LUTs, live options, bead captures.

Mixed into :class:`~magscope_core._pipeline.PipelineManager` (one concept per module:
the flow of stacks is there, what a user or a script asks of the tracker is here).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from magscope_core._acquisition import GetCapture, GetZLut, LoadZLut, StartCapture, UnloadZLut
from magscope_core._live_settings import SetTrackerOptions
from magscope_core._manager import handles

__all__ = ["TrackerCommandHandlers"]


class TrackerCommandHandlers:
    """Z-LUT loading, tracker options applied live, crops of one bead (captures)."""

    log: logging.Logger
    pool: Any
    tracker: Any
    zlut: Any
    zlut_meta: dict[str, Any] | None
    _tracker_spec: tuple[str, Callable[..., Any], dict[str, Any]] | None
    _captures: dict[int, dict[str, Any]]
    _next_token: int
    _current_rois: Callable[[], tuple[np.ndarray, np.ndarray]]
    _remember_zlut: Callable[[str], None]

    @handles(LoadZLut)
    def load_zlut(self, cmd: LoadZLut) -> dict[str, Any]:
        """Load a Z-LUT with the tracker and hand it to the workers."""
        if self.pool is None:
            raise RuntimeError("no tracker plugin is active: cannot load a Z-LUT")
        zlut = self.tracker.load_zlut(Path(cmd.path))
        self.zlut = zlut
        self.pool.set_zlut(zlut)
        z = np.asarray(getattr(zlut, "z_nm", []), dtype=float)
        self.zlut_meta = {"path": cmd.path, "planes": int(z.size),
                          "z_min_nm": float(z.min()) if z.size else None,
                          "z_max_nm": float(z.max()) if z.size else None,
                          "metadata": dict(getattr(zlut, "metadata", {}) or {})}
        self.log.info("Z-LUT loaded from %s (%d planes)", cmd.path, z.size)
        self._remember_zlut(cmd.path)
        return self.zlut_meta

    @handles(UnloadZLut)
    def unload_zlut(self, cmd: UnloadZLut) -> None:
        """Track without a Z-LUT."""
        self.zlut, self.zlut_meta = None, None
        if self.pool is not None:
            self.pool.set_zlut(None)

    @handles(SetTrackerOptions)
    def set_tracker_options(self, cmd: SetTrackerOptions) -> bool:
        """Rebuild the tracker with new options, here (checked) and in every worker.

        Returns False (nothing done) when the session runs another tracker.
        """
        if self._tracker_spec is None or self.pool is None:
            return False
        name, factory, options = self._tracker_spec
        if cmd.tracker != name:
            return False
        merged = {**options, **cmd.options}
        tracker = factory(**merged)  # a rejected option raises here: nothing changes
        self.tracker = tracker
        self._tracker_spec = (name, factory, merged)
        self.pool.set_options(merged)
        self.log.info("tracker %r options applied live: %s", name, cmd.options)
        return True

    @handles(GetZLut)
    def get_zlut(self, cmd: GetZLut) -> dict[str, Any] | None:
        """Metadata of the loaded Z-LUT."""
        return self.zlut_meta

    def _feed_captures(self, ids: np.ndarray, crops: np.ndarray | None) -> None:
        """Give the running captures the crops of their bead in one stack."""
        for cap in self._captures.values():
            if cap["done"] or crops is None:
                continue
            where = np.flatnonzero(ids == cap["bead"])
            if where.size:
                cap["frames"].append(crops[:, int(where[0])].copy())
                if sum(len(f) for f in cap["frames"]) >= cap["n"]:
                    cap["done"] = True

    @handles(StartCapture)
    def start_capture(self, cmd: StartCapture) -> int:
        """Collect crops of one bead from the next frames; return a token."""
        ids, _ = self._current_rois()
        if cmd.bead_id not in set(ids.tolist()):
            raise ValueError(f"no bead with id {cmd.bead_id}; beads: {sorted(ids.tolist())}")
        token = self._next_token
        self._next_token += 1
        self._captures[token] = {"bead": cmd.bead_id, "n": cmd.n_frames, "frames": [],
                                 "done": False}
        return token

    @handles(GetCapture)
    def get_capture(self, cmd: GetCapture) -> np.ndarray | None:
        """Crops of a finished capture (then forgotten), or None while it runs."""
        cap = self._captures.get(cmd.token)
        if cap is None:
            raise KeyError(f"unknown capture token {cmd.token}")
        if not cap["done"]:
            return None
        del self._captures[cmd.token]
        return np.concatenate(cap["frames"])[: cap["n"]]
