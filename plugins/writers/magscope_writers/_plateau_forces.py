"""Force per magnet plateau, from the tracks being written (Brownian-motion calibration).

The HDF5 writer feeds every tracks batch and every telemetry batch to a
:class:`PlateauForces`. A *plateau* is a stretch where the magnet's telemetry
(``force_pn`` and, if present, ``turns``, ``target_mm``) does not change; it ends at the first
row that differs (the magnet manager records a row as soon as it starts moving). Without a
magnet the whole recording is one plateau. For each plateau of at least ``min_plateau_s``
(after ``settle_s``) and each tethered bead the force comes from
:func:`magscope_analysis.brownian_force`, per method and lateral axis:

- the *reference bead* is the bead with the least lateral motion (a bead stuck to the
  surface); its x, y, z are subtracted from every other bead's (drift, and the surface
  height: extension = ``z_bead - z_ref``);
- a bead is *tethered* if its lateral SD exceeds ``max(10 nm, 3 x the reference's)`` and its
  extension exceeds 50 nm; others are skipped;
- along ``field_axis`` the pendulum is ``l + R``, across it ``l``.

Only the open plateau's frames are kept (at most ``max_plateau_s``).
"""

from __future__ import annotations

import logging
import math
from typing import Any

import attrs
import numpy as np
from magscope_analysis import brownian_force
from numpy.typing import NDArray

from magscope_core._writer import TracksBatch

__all__ = ["FORCE_COLUMNS", "PlateauForces", "PlateauRow"]

log = logging.getLogger("magscope.writers.forces")

#: Telemetry columns whose change ends a plateau.
_KEY_COLUMNS = ("force_pn", "turns", "target_mm", "target_turns")


@attrs.frozen
class PlateauRow:
    """One force estimate: a bead, a method and an axis on one plateau."""

    plateau: int
    t_start: float
    t_end: float
    n_frames: int
    magnet_force_pn: float
    turns: float
    bead_id: int
    reference_bead: int
    method: str
    axis: str
    force_pn: float
    sigma_pn: float
    extension_nm: float
    corner_hz: float


#: Column names (the ``/magscope/forces`` datasets), in :class:`PlateauRow` order.
FORCE_COLUMNS: tuple[str, ...] = tuple(f.name for f in attrs.fields(PlateauRow))


class PlateauForces:
    """Accumulates tracks and magnet telemetry; returns force rows when plateaus end.

    Parameters
    ----------
    fps
        Camera frame rate.
    radius_nm
        Bead radius.
    field_axis
        ``"x"`` or ``"y"``: the lateral axis along the magnetic field.
    exposure_s
        Camera exposure (``None``: the frame period).
    min_plateau_s, settle_s, max_plateau_s
        Shortest plateau analysed, time skipped at its start, longest window kept.
    methods
        Estimators (see :data:`magscope_analysis.METHODS`).
    """

    def __init__(self, fps: float, radius_nm: float, *, field_axis: str = "x",
                 exposure_s: float | None = None, min_plateau_s: float = 10.0,
                 settle_s: float = 1.0, max_plateau_s: float = 600.0,
                 methods: tuple[str, ...] = ("psd", "allan")) -> None:
        if field_axis not in ("x", "y"):
            raise ValueError(f"PlateauForces: field_axis {field_axis!r}; allowed: 'x', 'y'")
        self.fps = float(fps)
        self.radius_nm = float(radius_nm)
        self.field_axis = field_axis
        self.exposure_s = exposure_s
        self.min_plateau_s = float(min_plateau_s)
        self.settle_s = float(settle_s)
        self.max_plateau_s = float(max_plateau_s)
        self.methods = methods
        self._batches: list[tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]]] = []
        self._start: float | None = None
        self._key: tuple[float, ...] | None = None
        self._state: dict[str, float] = {}
        self._pending: list[tuple[float, float, dict[str, float]]] = []  # (start, end, state)
        self._index = 0

    # -- feeding -----------------------------------------------------------------------

    def add_tracks(self, batch: TracksBatch) -> list[PlateauRow]:
        """Keep a copy of the batch's positions; returns the rows of plateaus now complete.

        Tracks lag behind the telemetry (tracking takes time), so a plateau that ended is
        analysed once frames past its end have arrived.
        """
        if batch.n_frames == 0:
            return []
        xyz = np.stack([batch.x_nm, batch.y_nm, batch.z_nm], axis=-1).astype(np.float64)
        ts = np.asarray(batch.timestamps, np.float64).copy()
        self._batches.append((ts, np.asarray(batch.bead_ids, np.int64).copy(), xyz))
        if self._start is None:
            self._start = float(ts[0])
        out: list[PlateauRow] = []
        while self._pending and self._pending[0][1] <= ts[-1]:
            out += self._analyse_plateau(*self._pending.pop(0))
        self._prune(float(ts[-1]))
        return out

    def add_telemetry(self, source: str, columns: tuple[str, ...],
                      rows: NDArray[np.float64]) -> list[PlateauRow]:
        """Follow the magnet (any source with a ``force_pn`` column); marks plateau ends."""
        if "force_pn" not in columns or rows.size == 0:
            return []
        rows = np.atleast_2d(rows)
        # the time column may be named in ``columns`` or not (then it comes first)
        names = tuple(columns) if len(columns) == rows.shape[1] else ("t", *columns)
        idx = [names.index(c) for c in _KEY_COLUMNS if c in names]
        for row in rows:
            key = tuple(float(row[i]) for i in idx)
            t = float(row[0])
            state = dict(zip(names, (float(v) for v in row), strict=False))
            if self._key is None:  # first row: adopt it for the plateau under way
                self._key, self._state = key, state
                if self._start is None:
                    self._start = t
            elif key != self._key:
                if self._start is not None:
                    self._pending.append((self._start, t, self._state))
                self._key, self._state, self._start = key, state, t
        return []

    def finish(self) -> list[PlateauRow]:
        """End the open plateau (the recording closes); returns every remaining row."""
        out: list[PlateauRow] = []
        while self._pending:
            out += self._analyse_plateau(*self._pending.pop(0))
        if self._batches and self._start is not None:
            end = float(self._batches[-1][0][-1]) + 0.5 / self.fps
            out += self._analyse_plateau(self._start, end, self._state)
        self._batches, self._start = [], None
        return out

    # -- analysis ----------------------------------------------------------------------

    def _prune(self, latest: float) -> None:
        starts = [p[0] for p in self._pending] + ([self._start] if self._start else [])
        cutoff = max(min(starts, default=latest) + self.settle_s, latest - self.max_plateau_s)
        while self._batches and self._batches[0][0][-1] < cutoff:
            self._batches.pop(0)

    def _analyse_plateau(self, start: float, end: float,
                         state: dict[str, float]) -> list[PlateauRow]:
        t0 = start + self.settle_s
        if end - t0 < self.min_plateau_s:
            return []
        try:
            rows = self._analyse(self._batches, t0, end, state)
        except Exception:  # never lose the recording over an analysis problem
            log.exception("force estimate of plateau %d failed", self._index)
            rows = []
        self._index += 1
        return rows

    def _assemble(self, batches: list[Any], t0: float, t1: float
                  ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """``(bead_ids, xyz)`` with ``xyz`` of shape ``(frames, beads, 3)`` (NaN if absent)."""
        sel = [(ts, ids, xyz, (ts >= t0) & (ts < t1)) for ts, ids, xyz in batches]
        sel = [s for s in sel if np.any(s[3])]
        if not sel:
            return np.zeros(0, np.int64), np.zeros((0, 0, 3))
        beads = np.unique(np.concatenate([ids for _, ids, _, _ in sel]))
        n = sum(int(m.sum()) for *_, m in sel)
        out = np.full((n, beads.size, 3), np.nan)
        row = 0
        for _, ids, xyz, m in sel:
            k = int(m.sum())
            out[row : row + k, np.searchsorted(beads, ids)] = xyz[m]
            row += k
        return beads, out

    def _analyse(self, batches: list[Any], t0: float, t1: float,
                 state: dict[str, float]) -> list[PlateauRow]:
        beads, xyz = self._assemble(batches, t0, t1)
        n_frames = xyz.shape[0]
        if beads.size < 2 or n_frames < self.min_plateau_s * self.fps * 0.5:
            return []
        complete = np.mean(np.isfinite(xyz).all(axis=2), axis=0)
        lateral_sd = np.sqrt(np.nanvar(xyz[:, :, 0], axis=0) + np.nanvar(xyz[:, :, 1], axis=0))
        lateral_sd[complete < 0.9] = np.inf
        ref = int(np.argmin(lateral_sd))
        if not math.isfinite(lateral_sd[ref]):
            return []
        rel = xyz - xyz[:, ref : ref + 1, :]
        rows: list[PlateauRow] = []
        magnet = state.get("force_pn", math.nan)
        turns = state.get("turns", math.nan)
        for b in range(beads.size):
            if b == ref:
                continue
            ok = np.isfinite(rel[:, b, :]).all(axis=1)
            if ok.mean() < 0.9:
                continue
            trace = rel[ok, b, :]
            trace[:, 2] = np.abs(trace[:, 2])  # whatever the Z-LUT's sign convention
            ext = float(np.mean(trace[:, 2]))
            sd = math.sqrt(float(np.var(trace[:, 0]) + np.var(trace[:, 1])))
            if ext < 50.0 or sd < max(10.0, 3.0 * float(lateral_sd[ref])):
                continue
            for method in self.methods:
                for a, name in ((0, "x"), (1, "y")):
                    est = brownian_force(trace[:, a], trace[:, 2], fps=self.fps,
                                         radius_nm=self.radius_nm,
                                         along_field=name == self.field_axis,
                                         exposure_s=self.exposure_s,
                                         method=method)  # type: ignore[arg-type]
                    rows.append(PlateauRow(
                        plateau=self._index, t_start=t0, t_end=t1, n_frames=int(ok.sum()),
                        magnet_force_pn=magnet, turns=turns, bead_id=int(beads[b]),
                        reference_bead=int(beads[ref]), method=method, axis=name,
                        force_pn=est.force_pn, sigma_pn=est.sigma_pn,
                        extension_nm=est.extension_nm, corner_hz=est.corner_hz))
        for r in rows:  # the details in the log file; one line on the console
            log.debug("plateau %d (magnet %.4g pN): bead %d %s %s: %.4g +/- %.2g pN, l = %.0f nm",
                      r.plateau, r.magnet_force_pn, r.bead_id, r.method, r.axis, r.force_pn,
                      r.sigma_pn, r.extension_nm)
        if rows:
            log.info("plateau %d (magnet %.4g pN): forces of %d tethered bead(s) stored",
                     rows[0].plateau, rows[0].magnet_force_pn, len({r.bead_id for r in rows}))
        return rows
