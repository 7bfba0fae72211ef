"""Bead images by interpolation in a :class:`~magscope_sim.ProfileTable`.

Rendering a bead at a sub-pixel centre and arbitrary defocus costs a handful of vectorised
passes over its pixels: radius of every pixel from the true centre, a linear interpolation
between two defocus planes (per bead, on the 1-D profile), then a linear interpolation in
radius (per pixel). Images are therefore exactly radially symmetric about the true centre.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from magscope_sim._noise import photon_noise_adu
from magscope_sim._optics import OpticsParams, ProfileTable, profile_table

__all__ = ["BeadRenderer", "RoiStack", "render_bead_stack", "render_rois"]

SeedLike = int | np.random.Generator | None


class BeadRenderer:
    """Render bead intensity patches (background = 1) from a profile table.

    Parameters
    ----------
    table
        The profiles to interpolate.
    taper_px
        Optional ``(r_in, r_out)`` in pixels: the bead's deviation from the background is
        faded by a raised-cosine window from ``r_in`` to ``r_out`` and is zero beyond, so a
        finite patch blends into a flat background without an edge.
    """

    def __init__(self, table: ProfileTable, taper_px: tuple[float, float] | None = None) -> None:
        self.table = table
        data = table.data
        if taper_px is not None:
            r_in, r_out = taper_px
            if not 0 <= r_in < r_out <= table.r_max_px:
                raise ValueError(
                    f"BeadRenderer: taper_px={taper_px!r} must satisfy 0 <= r_in < r_out <= "
                    f"{table.r_max_px:g} (the table's radius)"
                )
            r = table.r_px
            x = np.clip((r - r_in) / (r_out - r_in), 0.0, 1.0)
            window = (0.5 * (1.0 + np.cos(np.pi * x))).astype(np.float32)
            data = (1.0 + (data - 1.0) * window).astype(np.float32)
        self._data = data
        self._os = np.float32(table.params.oversampling)
        self._n_r = data.shape[1]

    def intensity(
        self,
        x_px: NDArray[np.float64],
        y_px: NDArray[np.float64],
        dz_nm: NDArray[np.float64],
        size: int | tuple[int, int],
    ) -> NDArray[np.float32]:
        """Intensity patches of ``n`` beads, shape ``(n, height, width)``.

        Parameters
        ----------
        x_px, y_px
            Bead centres in patch coordinates: column and row, pixel centres at integers.
        dz_nm
            Defocus of each bead (``z_bead - z_focus``).
        size
            Patch size, ``n`` or ``(height, width)``.
        """
        h, w = (size, size) if isinstance(size, int) else size
        x = np.asarray(x_px, dtype=np.float64)
        y = np.asarray(y_px, dtype=np.float64)
        n = x.size
        j, wz = self.table.plane_weights(np.broadcast_to(np.asarray(dz_nm, np.float64), (n,)))
        lo = self._data[j]
        prof = lo + wz[:, None] * (self._data[j + 1] - lo)  # (n, n_r)
        slope = np.empty_like(prof)
        slope[:, :-1] = prof[:, 1:] - prof[:, :-1]
        slope[:, -1] = 0.0
        dx = ((np.arange(w) - x[:, None]) * self._os).astype(np.float32)
        dy = ((np.arange(h) - y[:, None]) * self._os).astype(np.float32)
        t = np.square(dy)[:, :, None] + np.square(dx)[:, None, :]  # (n, h, w), table units
        np.sqrt(t, out=t)
        np.minimum(t, np.float32(self._n_r - 1), out=t)
        idx = t.astype(np.int32)
        t -= idx
        idx += (np.arange(n, dtype=np.int32) * np.int32(self._n_r))[:, None, None]
        out = prof.reshape(-1).take(idx)
        out += t * slope.reshape(-1).take(idx)
        result: NDArray[np.float32] = out
        return result


@attrs.frozen(eq=False)
class RoiStack:
    """Images of beads with their ground truth.

    Attributes
    ----------
    images
        ``(n, size, size)`` array: camera values (uint8/uint16) with noise, float32
        expected values without.
    x_px, y_px
        True bead centre in ROI coordinates (column, row; pixel centres at integers).
    dz_nm
        True defocus ``z_bead - z_focus``.
    """

    images: NDArray[Any]
    x_px: NDArray[np.float64]
    y_px: NDArray[np.float64]
    dz_nm: NDArray[np.float64]


def _rng(seed: SeedLike) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def render_rois(
    xyz: ArrayLike,
    size: int = 64,
    *,
    optics: OpticsParams | None = None,
    background_photons: float = 1000.0,
    read_noise_e: float = 2.0,
    gain: float = 1.0,
    bits: int = 16,
    noise: bool = True,
    seed: SeedLike = None,
    cache_dir: str | None = None,
) -> RoiStack:
    """Images of single beads at given sub-pixel positions and defocus.

    Parameters
    ----------
    xyz
        ``(n, 3)``: ``x_px`` (column) and ``y_px`` (row) of the bead centre in ROI
        coordinates, pixel centres at integers (the ROI centre is ``size // 2``), and the
        defocus ``dz_nm``.
    size
        ROI side in pixels.
    optics
        Optics (default :class:`OpticsParams`).
    background_photons, read_noise_e, gain, bits
        Camera model: mean background electrons/px, read noise (e- rms), ADU per electron,
        significant bits (uint8 for <= 8, else uint16).
    noise
        Draw shot and read noise (camera values); ``False`` returns the float32 expected
        values ``gain * background * I``.
    seed
        Seed or generator for the noise.
    cache_dir
        Optional disk cache for the profile table.

    Returns
    -------
    RoiStack
        Images ``(n, size, size)`` and truth.
    """
    arr = np.asarray(xyz, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 3:
        raise ValueError(f"render_rois: xyz must have shape (n, 3), got {arr.shape}")
    if size < 2:
        raise ValueError(f"render_rois: size must be >= 2, got {size}")
    p = optics or OpticsParams()
    table = profile_table(p, size / math.sqrt(2.0) + 2.0, cache_dir)
    renderer = BeadRenderer(table)
    x, y, dz = arr[:, 0].copy(), arr[:, 1].copy(), arr[:, 2].copy()
    rel = renderer.intensity(x, y, dz, size)
    rel *= np.float32(background_photons)
    images: NDArray[Any]
    if noise:
        images = photon_noise_adu(
            rel, read_noise_e=read_noise_e, gain=gain, bits=bits, rng=_rng(seed)
        )
    else:
        images = rel * np.float32(gain)
    return RoiStack(images=images, x_px=x, y_px=y, dz_nm=dz)


def render_bead_stack(
    dz_nm: Sequence[float] | NDArray[np.float64],
    size: int = 64,
    *,
    x_px: float | None = None,
    y_px: float | None = None,
    **kwargs: Any,
) -> RoiStack:
    """A Z-LUT sweep: one bead at a fixed position imaged at each defocus in ``dz_nm``.

    Parameters
    ----------
    dz_nm
        Defocus values ``z_bead - z_focus`` (e.g. ``np.arange(-5000, 5001, 100)``).
    size
        ROI side in pixels.
    x_px, y_px
        Bead centre in ROI coordinates (default: the ROI centre ``size // 2``).
    **kwargs
        Passed to :func:`render_rois` (optics, camera model, ``noise``, ``seed``...).

    Returns
    -------
    RoiStack
        One image per defocus value, with truth.
    """
    dz = np.asarray(dz_nm, dtype=np.float64).reshape(-1)
    cx = float(size // 2) if x_px is None else float(x_px)
    cy = float(size // 2) if y_px is None else float(y_px)
    xyz = np.column_stack([np.full(dz.size, cx), np.full(dz.size, cy), dz])
    return render_rois(xyz, size, **kwargs)
