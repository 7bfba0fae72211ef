"""The arithmetic of the XY- and Z-locks, free of processes (the manager is ``_locks.py``).

Both locks read the shared tracks matrix, whose rows are
``t, x, y, z, bead, roi_x, roi_y`` (epoch s, nm, nm, nm, id, px, px): every row carries the
ROI corner it was tracked with, so a bead whose ROI just moved is judged only on rows
tracked in its new ROI.
"""

from __future__ import annotations

import math

import attrs
import numpy as np
from numpy.typing import NDArray

__all__ = [
    "XYCorrection",
    "XYLockParams",
    "ZLockParams",
    "xy_corrections",
    "z_correction",
]

F64 = NDArray[np.float64]
T, X, Y, Z, BEAD, ROI_X, ROI_Y = range(7)


def _positive(inst: object, attr: attrs.Attribute[float], value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{type(inst).__name__}.{attr.name}: {value!r} rejected; allowed: "
                         "a finite number > 0")


def _non_negative(inst: object, attr: attrs.Attribute[float], value: float) -> None:
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{type(inst).__name__}.{attr.name}: {value!r} rejected; allowed: "
                         "a finite number >= 0")


def _fraction(inst: object, attr: attrs.Attribute[float], value: float) -> None:
    if not (math.isfinite(value) and 0 < value <= 1):
        raise ValueError(f"{type(inst).__name__}.{attr.name}: {value!r} rejected; allowed: "
                         "0 < gain <= 1")


def _at_least_one(inst: object, attr: attrs.Attribute[int], value: int) -> None:
    if value < 1:
        raise ValueError(f"{type(inst).__name__}.{attr.name}: {value!r} rejected; allowed: "
                         "an integer >= 1")


@attrs.frozen
class XYLockParams:
    """How the XY-lock judges and moves ROIs.

    Attributes
    ----------
    window_s
        Rows tracked in the last ``window_s`` seconds (in the bead's current ROI) are
        averaged.
    dead_band_px
        No move while the bead is closer than this to its ROI centre (both axes).
    max_step_px
        Largest ROI move per correction and axis.
    interval_s
        Seconds between corrections.
    min_rows
        Fewest fresh rows a bead needs before it is judged.
    """

    window_s: float = attrs.field(default=1.0, validator=_positive)
    dead_band_px: float = attrs.field(default=0.5, validator=_non_negative)
    max_step_px: int = attrs.field(default=3, validator=_at_least_one)
    interval_s: float = attrs.field(default=1.0, validator=_positive)
    min_rows: int = attrs.field(default=5, validator=_at_least_one)


@attrs.frozen
class ZLockParams:
    """How the Z-lock holds its reference bead.

    Attributes
    ----------
    window_s
        Z is averaged over the rows of the last ``window_s`` seconds tracked after the
        focus settled.
    max_correction_nm
        Largest focus move per correction.
    gain
        Fraction of the error corrected at once (0 < gain <= 1).
    interval_s
        Seconds between corrections.
    min_rows
        Fewest fresh rows before a correction.
    """

    window_s: float = attrs.field(default=1.0, validator=_positive)
    max_correction_nm: float = attrs.field(default=200.0, validator=_positive)
    gain: float = attrs.field(default=1.0, validator=_fraction)
    interval_s: float = attrs.field(default=1.0, validator=_positive)
    min_rows: int = attrs.field(default=5, validator=_at_least_one)


@attrs.frozen
class XYCorrection:
    """One ROI move: the bead, its offset from the ROI centre (px) and the new centre."""

    bead: int
    dx_px: float
    dy_px: float
    step_x: int
    step_y: int
    x: float
    y: float
    rows: int


def xy_corrections(
    rows: F64,
    rois: list[tuple[int, int, int, int]],
    nm_per_px: float,
    params: XYLockParams,
    *,
    now: float,
    moved_at: dict[int, float] | None = None,
) -> tuple[list[XYCorrection], list[int]]:
    """Which ROIs to move, and which beads still wait for fresh rows.

    Parameters
    ----------
    rows
        Tracks rows (``t, x, y, z, bead, roi_x, roi_y``), any order.
    rois
        The bead ROI table: ``(bead, x0, y0, size)``.
    nm_per_px
        The camera's pixel pitch.
    params
        The lock's parameters.
    now
        Current epoch time; rows older than ``now - window_s`` are ignored.
    moved_at
        Epoch time each bead's ROI was last moved: older rows are ignored.

    Returns
    -------
    corrections, waiting
        The moves to make (centres in px, for ``MoveBead``) and the beads with fewer
        than ``min_rows`` fresh rows.
    """
    moved_at = moved_at or {}
    out: list[XYCorrection] = []
    waiting: list[int] = []
    recent = rows[rows[:, T] >= now - params.window_s] if rows.size else rows
    for bead, x0, y0, size in rois:
        sel = recent[(recent[:, BEAD] == bead) & (recent[:, ROI_X] == x0)
                     & (recent[:, ROI_Y] == y0) & (recent[:, T] > moved_at.get(bead, -np.inf))]
        sel = sel[np.isfinite(sel[:, X]) & np.isfinite(sel[:, Y])]
        if len(sel) < params.min_rows:
            waiting.append(bead)
            continue
        cx, cy = x0 + size / 2, y0 + size / 2
        dx = float(sel[:, X].mean() / nm_per_px - cx)
        dy = float(sel[:, Y].mean() / nm_per_px - cy)
        if max(abs(dx), abs(dy)) <= params.dead_band_px:
            continue
        sx = int(np.clip(round(dx), -params.max_step_px, params.max_step_px))
        sy = int(np.clip(round(dy), -params.max_step_px, params.max_step_px))
        if sx == 0 and sy == 0:
            continue
        out.append(XYCorrection(int(bead), dx, dy, sx, sy, cx + sx, cy + sy, len(sel)))
    return out, waiting


def z_correction(z: F64, target_nm: float, params: ZLockParams) -> tuple[float, float]:
    """Mean Z of the window and the focus move that brings it back to ``target_nm``.

    Moving the focus up by ``d`` makes a still bead read ``d`` lower, so a bead that reads
    ``e`` nm above its target is brought back by moving the focus up by ``e`` (times the
    gain, clipped to ``max_correction_nm``).

    Returns
    -------
    z_mean, correction_nm
        ``correction_nm`` is added to the focus target.
    """
    finite = z[np.isfinite(z)]
    if not finite.size:
        raise ValueError("no finite Z in the window")
    z_mean = float(finite.mean())
    corr = params.gain * (z_mean - target_nm)
    return z_mean, float(np.clip(corr, -params.max_correction_nm, params.max_correction_nm))
