"""Concrete kernel parameters for one ROI shape, derived from :class:`TrackerOptions`."""

from __future__ import annotations

import functools
import math

import attrs
import numpy as np
from numpy.typing import NDArray

from ._options import TrackerOptions

__all__ = [
    "CONVERGENCE_PX",
    "PRECISE_EXTRA_PX",
    "PRECISE_TOLERANCE_PX",
    "STATUS_MESSAGES",
    "TEMPLATE_STEP_PX",
    "XY_TOLERANCE_PX",
    "Plan",
    "accepted_n_bins",
    "legacy_n_bins",
    "make_plan",
]

#: Meaning of the per-ROI status codes the kernels write (0 = tracked).
STATUS_MESSAGES: dict[int, str] = {
    0: "ok",
    1: "no symmetric pattern found (flat or empty ROI)",
    2: "centre too close to the ROI edge for the symmetry fit",
    3: "X/Y fit did not converge",
    4: "radial profile has empty bins",
}

#: A last X/Y step larger than this (pixels) marks the fit as not converged.
CONVERGENCE_PX = 0.1

#: Precise mode: a template step larger than this (pixels) marks the fit as not
#: converged (a symmetry fit caught on a wrong centre; noise alone stays far below).
TEMPLATE_STEP_PX = 0.5

#: X/Y iterations continue past ``n_xy_iterations`` (up to twice as many) while the
#: last step is larger than this, in pixels (fast mode).
XY_TOLERANCE_PX = 0.002
#: The same in precise mode, whose template step removes the rest (the symmetry fit gains
#: about ten-fold per iteration; 0.02 gave the same accuracy for 0.7 us more per ROI).
PRECISE_TOLERANCE_PX = 0.1

_BACKGROUND_CODES = {"mean": 0, "border": 1, "none": 2}


@attrs.frozen
class Plan:
    """Everything a kernel needs for ROIs of one shape (all values concrete).

    Parameters
    ----------
    height, width : int
        ROI shape.
    sigma : float
        Gaussian band width for the 1-D X/Y profiles, pixels.
    n_iter : int
        X/Y symmetry-fit iterations (1 in precise mode, whose template step follows).
    max_iter : int
        Iterations allowed in all while the step exceeds ``tolerance``
        (``2 n_iter`` in fast mode, 6 in precise mode).
    tolerance : float
        ``XY_TOLERANCE_PX`` (fast) or ``PRECISE_TOLERANCE_PX`` (precise), pixels.
    n_freq_x, n_freq_y : int
        Number of DFT frequencies ``j / width`` (``j / height``), ``j = 1..n``.
    background : int
        0 mean, 1 border, 2 none.
    n_bins, oversample : int
        Radial profile layout: bin ``b`` at radius ``b / oversample`` px.
    precise : bool
        Precise mode: phase-corrected profiles, template XY step, weighted Z fit.
    """

    height: int
    width: int
    sigma: float
    n_iter: int
    max_iter: int
    tolerance: float
    n_freq_x: int
    n_freq_y: int
    background: int
    n_bins: int
    oversample: int
    precise: bool = False

    @property
    def bin_radii(self) -> NDArray[np.float64]:
        """Radius of each profile bin in pixels."""
        return np.arange(self.n_bins, dtype=np.float64) / self.oversample

    @property
    def bin_counts(self) -> NDArray[np.float64]:
        """Pixels in each bin (sum of its B-spline weights) for a bead at the ROI centre.

        The number of pixels a bin averages: ``2 pi r_b`` for a ring inside the ROI, less
        for the rings the ROI edges cut. The precise Z fit weights bins by it.
        """
        return _bin_counts(self.height, self.width, self.n_bins, self.oversample)

    @property
    def ring_offsets(self) -> NDArray[np.float64]:
        """Mean offset ``r - r_b`` (px) of each bin's weights over a continuous 2-D plane.

        The reference for the phase correction: the B-spline weights ``B3(r - r_b)``
        times the ring length ``2 pi r``, for ``r >= 0``.
        """
        return _ring_offsets(self.n_bins, self.oversample)

    def dft_tables(self, axis_len: int, n_freq: int) -> tuple[NDArray[np.float32], ...]:
        """Return ``cos`` and ``sin`` of ``2 pi j i / axis_len`` as ``(n_freq + 1, axis_len)``."""
        return _dft_tables(axis_len, n_freq)


@functools.lru_cache(maxsize=32)
def _dft_tables(axis_len: int, n_freq: int) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    phase = 2.0 * np.pi * np.outer(np.arange(n_freq + 1), np.arange(axis_len)) / axis_len
    cos = np.ascontiguousarray(np.cos(phase), dtype=np.float32)
    sin = np.ascontiguousarray(np.sin(phase), dtype=np.float32)
    cos.setflags(write=False)
    sin.setflags(write=False)
    return cos, sin


@functools.lru_cache(maxsize=32)
def _ring_offsets(n_bins: int, oversample: int) -> NDArray[np.float64]:
    s = np.linspace(-2.0, 2.0, 8001)
    a = np.abs(s)
    b3 = np.where(a < 1.0, 2.0 / 3.0 - a**2 + 0.5 * a**3, (2.0 - a) ** 3 / 6.0)
    out = np.empty(n_bins)
    for b in range(n_bins):
        r = b / oversample + s
        w = np.where(r >= 0.0, b3 * r, 0.0)
        out[b] = float((w * s).sum() / w.sum()) if w.sum() > 0 else 0.0
    out.setflags(write=False)
    return out


@functools.lru_cache(maxsize=32)
def _bin_counts(height: int, width: int, n_bins: int, oversample: int) -> NDArray[np.float64]:
    yy, xx = np.mgrid[:height, :width]
    r = np.hypot(xx - (width - 1) / 2.0, yy - (height - 1) / 2.0).ravel()
    r = r[r < (n_bins - 1) / oversample + 2.0]
    out = np.empty(n_bins)
    for b in range(n_bins):
        a = np.abs(r - b / oversample)
        out[b] = np.where(
            a < 1.0, 2.0 / 3.0 - a**2 + 0.5 * a**3, np.where(a < 2.0, (2.0 - a) ** 3 / 6.0, 0.0)
        ).sum()
    out.setflags(write=False)
    return out


#: Precise mode: profile bins reach this far (px) beyond half the ROI's smaller side.
PRECISE_EXTRA_PX = 4


def legacy_n_bins(options: TrackerOptions, height: int, width: int) -> int:
    """Bins out to half the ROI's smaller side: MagScope's layout, the fast mode's default."""
    return (min(height, width) // 2) * options.profile_oversample


def precise_n_bins(options: TrackerOptions, height: int, width: int) -> int:
    """The precise mode's default: :data:`PRECISE_EXTRA_PX` more, within the ROI's corners."""
    os_ = options.profile_oversample
    corners = math.floor(math.hypot(height - 1, width - 1) / 2.0 * os_ + 1e-9) + 1
    return min(legacy_n_bins(options, height, width) + PRECISE_EXTRA_PX * os_, corners)


def default_n_bins(options: TrackerOptions, height: int, width: int) -> int:
    """Number of radial bins the options give for a ``height x width`` ROI.

    With ``r_max_px=None``: the fast mode's bins stop at half the smaller side
    (:func:`legacy_n_bins`, 32 for 64 px ROIs); the precise mode's go 4 px further,
    into the ROI's corners (:func:`precise_n_bins`, 36), where the rings hold much of
    the Z information at large defocus.
    """
    if options.r_max_px is None:
        if options.mode == "precise":
            return precise_n_bins(options, height, width)
        return legacy_n_bins(options, height, width)
    return math.floor(options.r_max_px * options.profile_oversample + 1e-9) + 1


def accepted_n_bins(options: TrackerOptions, height: int, width: int) -> tuple[int, ...]:
    """Profile lengths of Z-LUTs these options can use for ``height x width`` ROIs.

    The default layout first; with ``r_max_px=None`` the other mode's default layout
    too (a Z-LUT built in the other mode, or a MagScope file, keeps working).
    """
    first = default_n_bins(options, height, width)
    if options.r_max_px is not None:
        return (first,)
    others = (legacy_n_bins(options, height, width), precise_n_bins(options, height, width))
    return tuple(dict.fromkeys((first, *others)))


@functools.lru_cache(maxsize=64)
def make_plan(
    options: TrackerOptions, height: int, width: int, n_bins: int | None = None
) -> Plan:
    """Resolve ``options`` for ``height x width`` ROIs.

    ``n_bins`` overrides the profile length (one of :func:`accepted_n_bins`: the
    length of the Z-LUT in use).

    Raises
    ------
    ValueError
        If the ROI is smaller than 8 px or the profile would not fit in it.
    """
    if min(height, width) < 8:
        raise ValueError(f"ROIs must be at least 8x8 pixels, got {height}x{width}")
    if n_bins is None:
        n_bins = default_n_bins(options, height, width)
    r_last = (n_bins - 1) / options.profile_oversample
    if n_bins < 3 or r_last > math.hypot(height, width) / 2:
        raise ValueError(
            f"r_max_px={options.r_max_px} gives {n_bins} profile bins up to {r_last:g} px, "
            f"which does not fit a {height}x{width} ROI (need 3 bins or more within the ROI)"
        )
    sigma = options.band_sigma_px
    if sigma is None:
        sigma = min(height, width) / 12.0
    return Plan(
        height=height,
        width=width,
        sigma=float(sigma),
        n_iter=1 if options.mode == "precise" else options.n_xy_iterations,
        max_iter=6 if options.mode == "precise" else 2 * options.n_xy_iterations,
        tolerance=PRECISE_TOLERANCE_PX if options.mode == "precise" else XY_TOLERANCE_PX,
        n_freq_x=max(1, int(options.xy_max_frequency * width)),
        n_freq_y=max(1, int(options.xy_max_frequency * height)),
        background=_BACKGROUND_CODES[options.background],
        n_bins=n_bins,
        oversample=options.profile_oversample,
        precise=options.mode == "precise",
    )
