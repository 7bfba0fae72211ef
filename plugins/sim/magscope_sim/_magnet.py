"""Magnet position <-> force calibration of a simulated magnetic-tweezers magnet stage.

Convention: the position is the *gap* between the magnets and the sample, in mm, over the
reference's travel of 0..34.5 mm. **0 mm = magnets closest to the sample = largest force**;
the force falls monotonically as the magnets move away. The default table follows the
double-exponential shape measured for permanent-magnet pairs (Lipfert et al. 2009,
Biophys J 97:1291): ``F(z) = F0 (a exp(-z / l0) + (1 - a) exp(-z / l1))``.
Interpolation is PCHIP on ``log(force)`` (monotone, shape preserving, positive); the inverse
is an exact root of that same interpolant, so ``position_for(force_at(z)) == z``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.interpolate import PchipInterpolator
from scipy.optimize import brentq

from magscope_sim._settings import SimMagnetSettings

__all__ = ["MagnetCalibration", "SimMagnetSettings"]

F64 = NDArray[np.float64]


class MagnetCalibration:
    """Force (pN) as a function of magnet position (mm), and back.

    Parameters
    ----------
    position_mm
        Table positions, strictly increasing (at least 2).
    force_pn
        Force at each position, > 0 and strictly monotone (normally decreasing).
    source
        Where the table came from (used in error messages).
    """

    def __init__(self, position_mm: ArrayLike, force_pn: ArrayLike, *, source: str = "table"):
        pos = np.asarray(position_mm, dtype=np.float64).reshape(-1)
        force = np.asarray(force_pn, dtype=np.float64).reshape(-1)
        where = f"MagnetCalibration({source})"
        if pos.size != force.size or pos.size < 2:
            raise ValueError(f"{where}: need >= 2 (position, force) rows of equal length, got "
                             f"{pos.size} positions and {force.size} forces")
        if not (np.all(np.isfinite(pos)) and np.all(np.isfinite(force))):
            raise ValueError(f"{where}: positions and forces must be finite")
        if np.any(np.diff(pos) <= 0):
            raise ValueError(f"{where}: positions must be strictly increasing")
        if np.any(force <= 0):
            raise ValueError(f"{where}: forces must be > 0 pN (min {force.min():g})")
        d = np.diff(force)
        if not (np.all(d < 0) or np.all(d > 0)):
            raise ValueError(f"{where}: force must be strictly monotone in position")
        self.source = source
        self.position_mm: F64 = pos
        self.force_pn: F64 = force
        self._log_force = PchipInterpolator(pos, np.log(force), extrapolate=False)

    @classmethod
    def default(
        cls,
        *,
        max_force_pn: float = 10.0,
        travel_mm: float = 34.5,
        decay_mm: tuple[float, float] = (0.7, 2.0),
        fast_fraction: float = 0.75,
        rows: int = 346,
    ) -> MagnetCalibration:
        """A plausible calibration for 1 um beads under a magnet pair (see module docs).

        Parameters
        ----------
        max_force_pn
            Force at 0 mm.
        travel_mm
            Stage travel; the table covers ``0 .. travel_mm``.
        decay_mm
            The two decay lengths ``(l0, l1)``.
        fast_fraction
            Weight ``a`` of the fast exponential.
        rows
            Number of table rows.
        """
        z = np.linspace(0.0, travel_mm, rows)
        l0, l1 = decay_mm
        f = max_force_pn * (fast_fraction * np.exp(-z / l0) + (1 - fast_fraction) * np.exp(-z / l1))
        return cls(z, f, source="default double exponential")

    @classmethod
    def from_file(cls, path: str | Path) -> MagnetCalibration:
        """Load a two-column text table ``position_mm force_pn`` (``#`` comments allowed)."""
        p = Path(path)
        try:
            rows = np.loadtxt(p, dtype=np.float64, comments="#", ndmin=2)
        except (OSError, ValueError) as exc:
            raise ValueError(f"MagnetCalibration: cannot read {p}: {exc}") from exc
        if rows.shape[1] != 2:
            raise ValueError(f"MagnetCalibration: {p} must have 2 columns (mm, pN), "
                             f"found {rows.shape[1]}")
        order = np.argsort(rows[:, 0])
        return cls(rows[order, 0], rows[order, 1], source=str(p))

    @property
    def position_range(self) -> tuple[float, float]:
        """``(min, max)`` position in mm."""
        return float(self.position_mm[0]), float(self.position_mm[-1])

    @property
    def force_range(self) -> tuple[float, float]:
        """``(min, max)`` force in pN."""
        return float(self.force_pn.min()), float(self.force_pn.max())

    @overload
    def force_at(self, position_mm: float) -> float: ...
    @overload
    def force_at(self, position_mm: NDArray[np.floating[Any]]) -> F64: ...

    def force_at(self, position_mm: float | ArrayLike) -> float | F64:
        """Force (pN) at a magnet position (mm); raises ``ValueError`` outside the table."""
        pos = np.asarray(position_mm, dtype=np.float64)
        lo, hi = self.position_range
        bad = ~np.isfinite(pos) | (pos < lo) | (pos > hi)
        if np.any(bad):
            raise ValueError(f"MagnetCalibration({self.source}).force_at: position "
                             f"{pos[bad].flat[0]!r} mm outside the calibrated {lo:g}..{hi:g} mm")
        f = np.exp(self._log_force(pos))
        return float(f) if f.ndim == 0 else np.asarray(f, dtype=np.float64)

    @overload
    def position_for(self, force_pn: float) -> float: ...
    @overload
    def position_for(self, force_pn: NDArray[np.floating[Any]]) -> F64: ...

    def position_for(self, force_pn: float | ArrayLike) -> float | F64:
        """Magnet position (mm) giving ``force_pn``; raises ``ValueError`` outside the table."""
        forces = np.asarray(force_pn, dtype=np.float64)
        fmin, fmax = self.force_range
        # 1e-9 relative slack absorbs the round-off of exp(log(F)) at the table ends
        bad = ~np.isfinite(forces) | (forces < fmin * (1 - 1e-9)) | (forces > fmax * (1 + 1e-9))
        if np.any(bad):
            raise ValueError(f"MagnetCalibration({self.source}).position_for: force "
                             f"{forces[bad].flat[0]!r} pN outside the calibrated "
                             f"{fmin:.4g}..{fmax:.4g} pN")
        logs = self._log_force(self.position_mm)
        targets = np.clip(np.log(forces), logs.min(), logs.max())
        decreasing = logs[-1] < logs[0]
        out = np.empty_like(targets)
        for i, target in np.ndenumerate(targets):
            key = -target if decreasing else target
            j = int(np.searchsorted(-logs if decreasing else logs, key))
            j = min(max(j, 1), logs.size - 1)
            a, b = self.position_mm[j - 1], self.position_mm[j]
            if logs[j - 1] == target:
                out[i] = a
            elif logs[j] == target:
                out[i] = b
            else:
                out[i] = brentq(lambda z, t=target: float(self._log_force(z)) - t, a, b,
                                xtol=1e-12)
        return float(out) if out.ndim == 0 else out
