"""Tracker options: one frozen, validated record shared by every backend."""

from __future__ import annotations

import math
from typing import Any, Literal

import attrs

__all__ = ["Backend", "Background", "Mode", "TrackerOptions", "ZFit"]

Background = Literal["mean", "border", "none"]
Backend = Literal["auto", "numba", "numpy"]
ZFit = Literal["interpolate", "parabola"]
Mode = Literal["precise", "fast"]


def _int_range(low: int, high: int) -> Any:
    def check(instance: Any, attribute: attrs.Attribute[int], value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(
                f"TrackerOptions.{attribute.name}={value!r}: expected an integer in [{low}, {high}]"
            )

    return check


def _positive_or_none(instance: Any, attribute: attrs.Attribute[float | None], value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ValueError(
            f"TrackerOptions.{attribute.name}={value!r}: expected a positive finite number or None"
        )


def _float_range(low: float, high: float, *, include_low: bool = True) -> Any:
    def check(instance: Any, attribute: attrs.Attribute[float], value: Any) -> None:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        ok = ok and math.isfinite(value) and value <= high
        ok = ok and (value >= low if include_low else value > low)
        if not ok:
            bracket = "[" if include_low else "("
            raise ValueError(
                f"TrackerOptions.{attribute.name}={value!r}: expected a number in "
                f"{bracket}{low}, {high}]"
            )

    return check


def _odd(instance: Any, attribute: attrs.Attribute[int], value: int) -> None:
    if value % 2 != 1:
        raise ValueError(f"TrackerOptions.{attribute.name}={value!r}: expected an odd number")


@attrs.frozen(kw_only=True)
class TrackerOptions:
    """Options of the CPU bead tracker; independent of the ROI size.

    Parameters
    ----------
    mode : {"precise", "fast"}
        ``"precise"`` (default) works near the Cramér-Rao bound: profiles corrected for
        the bead's sub-pixel phase, one variance-weighted template step for X/Y, and a
        variance-weighted Z fit (with ``z_fit="interpolate"``). ``"fast"`` skips the three
        (XY about 1.8x, Z about 1.5x the bound; see
        ``docs/decisions/0016-tracker-at-the-physical-limit.md`` for speeds). A Z-LUT
        should be built in the mode it is used with.
    n_xy_iterations : int
        Fast mode: sub-pixel X/Y refinement iterations after the coarse centre (1-20,
        default 3). The precise mode runs one (its template step does the rest).
        Each iteration reduces the error about ten-fold; 3 reach 0.0001 px on
        noise-free, roughly centred beads. Up to as many again are run for ROIs whose
        last step still exceeds 0.002 px (beads far from the ROI centre).
    band_sigma_px : float or None
        Standard deviation, in pixels, of the Gaussian band of rows (for X) or columns
        (for Y) summed into the 1-D profiles used for the symmetry fit. ``None``
        (default) uses ``min(h, w) / 12`` (5.3 px for a 64 px ROI).
    xy_max_frequency : float
        Highest spatial frequency, in cycles per pixel, used in the symmetry fit
        (default 0.25; at most 0.5, the Nyquist frequency).
    background : {"mean", "border", "none"}
        Background subtracted before the coarse centre and the X/Y fit: the ROI mean
        (default), the mean of the outermost pixel ring, or nothing.
    profile_oversample : int
        Radial profile bins per pixel (1-8, default 1). Bin ``b`` lies at radius
        ``b / profile_oversample`` px.
    r_max_px : float or None
        Radius of the last profile bin, in pixels. ``None`` (default): in fast mode
        ``min(h, w) // 2 * profile_oversample`` bins, the layout of MagScope Z-LUT
        files; in precise mode 4 px more, into the ROI's corners (no further than
        they reach). With ``None`` either mode also uses a Z-LUT in the other's layout.
    r_min_px : float
        Bins at smaller radii are kept in the profiles but ignored when matching the
        Z-LUT (default 2.0; the innermost bins average few pixels).
    z_fit : {"interpolate", "parabola"}
        Sub-plane Z refinement: ``"interpolate"`` (default) fits a quadratic
        interpolation of the three LUT profiles around the best plane to the measured
        profile; ``"parabola"`` fits a parabola to the correlation of ``n_local``
        neighbouring planes.
    n_local : int
        Planes in the parabola fit (odd, 3-9; default 3). Only for ``z_fit="parabola"``.
    min_quality : float
        Z is NaN when the correlation with the best LUT plane is lower (-1 to 1,
        default 0.5).
    backend : {"auto", "numba", "numpy"}
        Kernel implementation. ``"auto"`` (default) uses the numba kernel when numba
        can be imported and the vectorised numpy kernel otherwise; both give the same
        results to float32 rounding.
    chunk_size : int
        ROIs processed per block by the numpy backend (bounds its temporary memory;
        default 256).
    """

    mode: Mode = attrs.field(default="precise", validator=attrs.validators.in_(("precise", "fast")))
    n_xy_iterations: int = attrs.field(default=3, validator=_int_range(1, 20))
    band_sigma_px: float | None = attrs.field(default=None, validator=_positive_or_none)
    xy_max_frequency: float = attrs.field(
        default=0.25, validator=_float_range(0.0, 0.5, include_low=False)
    )
    background: Background = attrs.field(
        default="mean", validator=attrs.validators.in_(("mean", "border", "none"))
    )
    profile_oversample: int = attrs.field(default=1, validator=_int_range(1, 8))
    r_max_px: float | None = attrs.field(default=None, validator=_positive_or_none)
    r_min_px: float = attrs.field(default=2.0, validator=_float_range(0.0, 1e6))
    z_fit: ZFit = attrs.field(
        default="interpolate", validator=attrs.validators.in_(("interpolate", "parabola"))
    )
    n_local: int = attrs.field(default=3, validator=[_int_range(3, 9), _odd])
    min_quality: float = attrs.field(default=0.5, validator=_float_range(-1.0, 1.0))
    backend: Backend = attrs.field(
        default="auto", validator=attrs.validators.in_(("auto", "numba", "numpy"))
    )
    chunk_size: int = attrs.field(default=256, validator=_int_range(1, 1_000_000))

    def to_dict(self) -> dict[str, Any]:
        """Return the options as a JSON-compatible dict (for Z-LUT metadata)."""
        return attrs.asdict(self)
