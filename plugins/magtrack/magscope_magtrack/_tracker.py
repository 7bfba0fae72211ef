"""MagTrack 1.0 behind MagScope's tracker contract (:class:`magscope_core.Tracker`).

MagTrack takes a ``(w, w, n)`` float stack (axis 0 the row) and returns ``x`` (column),
``y`` (row) in pixels with pixel centres at integers, as we do. What this adapter adds:

- our ROI layout ``(n, h, w)`` of uint8/uint16/float32, one ROI given alone, shape checks;
- ROIs MagTrack cannot take (non-finite pixels, a flat image) are not passed to it and
  come back as NaN, as does a centre outside the ROI (MagTrack fails a whole batch on
  one such ROI);
- the Z lookup is done here with MagTrack's ``lookup_z`` after checking the Z-LUT fits
  the ROI size and options (MagTrack itself only warns and returns NaN);
- Z-LUTs made from sweep images (averaged per plane), saved and loaded as text.
"""

from __future__ import annotations

import datetime
import functools
import warnings
from pathlib import Path
from typing import Any

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from magscope_magtrack._options import MagTrackSettings
from magscope_magtrack._zlut import MagTrackZLut

with warnings.catch_warnings():  # CPU only here: MagTrack warns that CuPy is absent
    warnings.filterwarnings("ignore", message="GPU-acceleration with CuPy", category=UserWarning)
    import magtrack

__all__ = ["MagTrackResult", "MagTrackTracker", "create_tracker"]

_MIN_SIZE = 8


@attrs.frozen(eq=False)
class MagTrackResult:
    """Positions of ``n`` ROIs: ``x`` (column), ``y`` (row) in px, ``z`` in nm; NaN: failed."""

    x: NDArray[np.float64]
    y: NDArray[np.float64]
    z: NDArray[np.float64]
    profiles: NDArray[np.float32] | None = None

    @property
    def ok(self) -> NDArray[np.bool_]:
        """ROIs with a finite X/Y (and Z, when a Z-LUT was used)."""
        return np.isfinite(self.x) & np.isfinite(self.y)

    def __len__(self) -> int:
        return int(self.x.size)


def _as_rois(rois: ArrayLike) -> NDArray[np.float64]:
    arr = np.asarray(rois)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3:
        raise ValueError(f"rois must be an (n, height, width) array (or one (height, width) "
                         f"ROI), got shape {arr.shape}")
    if arr.dtype.kind not in "uif":
        raise TypeError(f"rois have dtype {arr.dtype}; expected uint8, uint16 or float32")
    _, h, w = arr.shape
    if h != w or h < _MIN_SIZE:
        raise ValueError(f"MagTrack tracks square ROIs of at least {_MIN_SIZE} px; got "
                         f"{h} x {w}")
    return arr.astype(np.float64, copy=False)


@attrs.frozen
class MagTrackTracker:
    """MagTrack's XYZ pipeline, stateless apart from its options (safe in every worker).

    Parameters
    ----------
    options : MagTrackSettings
        MagTrack's options.
    """

    options: MagTrackSettings = attrs.field(factory=MagTrackSettings)

    def n_bins(self, size: int) -> int:
        """Profile length MagTrack makes for ``size`` x ``size`` ROIs with these options."""
        return _n_bins(int(size), self.options)

    def _pipeline(self, stack: NDArray[np.float64]) -> tuple[NDArray[np.float64], ...]:
        """x, y, profiles (n_bins, m) of a ``(w, w, m)`` stack; one bad ROI fails alone."""
        kwargs = self.options.pipeline_kwargs()
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            try:
                x, y, _, p = magtrack.stack_to_xyzp_advanced(stack, None, **kwargs)
                return np.asarray(x), np.asarray(y), np.asarray(p)
            except (IndexError, ValueError):
                pass  # one ROI broke the batch: track them one by one
            m, w = stack.shape[2], stack.shape[0]
            xs, ys = np.full(m, np.nan), np.full(m, np.nan)
            ps = np.full((self.n_bins(w), m), np.nan)
            for i in range(m):
                try:
                    x, y, _, p = magtrack.stack_to_xyzp_advanced(stack[:, :, i:i + 1], None,
                                                                 **kwargs)
                except (IndexError, ValueError):
                    continue
                xs[i], ys[i], ps[:, i] = x[0], y[0], p[:, 0]
            return xs, ys, ps

    def check_zlut(self, zlut: MagTrackZLut, size: int) -> None:
        """Raise ValueError unless ``zlut`` fits ``size`` px ROIs with these options."""
        expected = self.n_bins(size)
        if zlut.n_bins != expected:
            raise ValueError(
                f"the Z-LUT has {zlut.n_bins} profile bins, but MagTrack makes {expected} for "
                f"{size} x {size} px ROIs with profile={self.options.profile!r}; build the "
                "Z-LUT with the same ROI size and options")

    def track(self, rois: ArrayLike, zlut: MagTrackZLut | None = None, *,
              return_profiles: bool = False) -> MagTrackResult:
        """Track the bead in each ROI.

        Parameters
        ----------
        rois : array_like, shape (n, w, w) or (w, w)
            Square ROIs, uint8, uint16 or float32.
        zlut : MagTrackZLut or None
            Without it ``z`` is NaN.
        return_profiles : bool
            Also return the profiles ``(n, n_bins)``.

        Raises
        ------
        ValueError, TypeError
            Arrays of the wrong shape or type, a Z-LUT that does not fit.
        """
        arr = _as_rois(rois)
        n, w = arr.shape[0], arr.shape[1]
        if zlut is not None:
            self.check_zlut(zlut, w)
        bins = self.n_bins(w)
        x, y, z = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
        profiles = np.full((n, bins), np.nan)
        flat = arr.reshape(n, w * w)  # (n, -1) cannot infer the width of an empty batch
        usable = np.all(np.isfinite(flat), axis=1) & (flat.max(axis=1) > flat.min(axis=1))
        if usable.any():
            stack = np.ascontiguousarray(arr[usable].transpose(1, 2, 0))
            mx, my, mp = self._pipeline(stack)
            inside = (np.isfinite(mx) & np.isfinite(my) & (mx >= 0) & (mx <= w - 1)
                      & (my >= 0) & (my <= w - 1))
            x[usable] = np.where(inside, mx, np.nan)
            y[usable] = np.where(inside, my, np.nan)
            profiles[usable] = np.where(inside[:, None], mp.T, np.nan)
            if zlut is not None and inside.any():
                idx = np.flatnonzero(usable)[inside]
                with np.errstate(all="ignore"), warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    found = magtrack.lookup_z(profiles[idx].T, zlut.table,
                                              n_local=self.options.z_n_local)
                z[idx] = np.where(np.isfinite(found), found, np.nan)
        return MagTrackResult(x=x, y=y, z=z,
                              profiles=profiles.astype(np.float32) if return_profiles else None)

    # -- Z-LUT --------------------------------------------------------------------------
    def make_zlut(self, stack: ArrayLike, z_nm: ArrayLike, *, nm_per_px: float | None = None,
                  source: str = "") -> MagTrackZLut:
        """A Z-LUT from images of one bead at known heights (profiles averaged per plane).

        Parameters
        ----------
        stack : array_like, shape (n_planes, w, w) or (n_planes, n_images, w, w)
        z_nm : array_like, shape (n_planes,)
        nm_per_px, source
            Recorded in the metadata.

        Raises
        ------
        ValueError
            Wrong shapes, fewer than 3 planes, or a plane with no trackable image.
        """
        arr = np.asarray(stack)
        if arr.ndim == 3:
            arr = arr[:, None]
        if arr.ndim != 4:
            raise ValueError(f"stack must be (n_planes, w, w) or (n_planes, n_images, w, w), "
                             f"got shape {arr.shape}")
        n_planes, n_images, h, w = arr.shape
        z = np.asarray(z_nm, dtype=np.float64)
        if z.shape != (n_planes,):
            raise ValueError(f"z_nm has shape {z.shape}; expected ({n_planes},), one per plane")
        result = self.track(arr.reshape(n_planes * n_images, h, w), return_profiles=True)
        assert result.profiles is not None
        per_plane = result.profiles.reshape(n_planes, n_images, -1).astype(np.float64)
        good = result.ok.reshape(n_planes, n_images)
        empty = np.flatnonzero(~good.any(axis=1))
        if empty.size:
            raise ValueError(f"plane {int(empty[0])} (z={z[empty[0]]:g} nm): none of its "
                             f"{n_images} images could be tracked")
        # bin 0 can be NaN (no pixel at radius 0); MagTrack's lookup leaves it out
        mean = np.where(good[:, :, None], per_plane, 0.0).sum(axis=1) / good.sum(axis=1)[:, None]
        order = np.argsort(z)
        metadata = {"roi_shape": [h, w], "n_bins": int(mean.shape[1]), "nm_per_px": nm_per_px,
                    "images_per_plane": n_images, "images_used": good.sum(axis=1).tolist(),
                    "created": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                    "source": source, "tracker": "magtrack", "magtrack": _version(),
                    "tracker_options": attrs.asdict(self.options)}
        return MagTrackZLut(z[order], mean[order], metadata)

    def load_zlut(self, path: str | Path) -> MagTrackZLut:
        """Read a Z-LUT text file (ours or MagScope 1.0's)."""
        return MagTrackZLut.load(path)

    def save_zlut(self, zlut: MagTrackZLut, path: str | Path) -> None:
        """Write ``zlut`` as text (MagScope 1.0 reads it too)."""
        zlut.save(path)


@functools.lru_cache(maxsize=64)
def _n_bins(size: int, options: MagTrackSettings) -> int:
    """Run MagTrack's profile function once on a centred spot to learn its length."""
    grid = np.arange(size, dtype=np.float64) - (size - 1) / 2
    spot = np.exp(-(grid[:, None] ** 2 + grid[None, :] ** 2) / (2 * (size / 8) ** 2))
    stack = spot[:, :, None]
    centre = np.array([(size - 1) / 2])
    kwargs = options.pipeline_kwargs()
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if kwargs["use fft_profile"]:
            profile = magtrack.fft_profile_with_center(stack, centre, centre,
                                                       **kwargs["fft_profile"])
        else:
            profile = magtrack.radial_profile(stack, centre, centre, **kwargs["radial_profile"])
    return int(np.asarray(profile).shape[0])


def _version() -> str:
    from importlib.metadata import version

    return version("magtrack")


def create_tracker(**options: Any) -> MagTrackTracker:
    """Build a :class:`MagTrackTracker` from :class:`MagTrackSettings` fields.

    Raises
    ------
    TypeError
        For an unknown option (the message lists the valid ones).
    """
    known = {f.name for f in attrs.fields(MagTrackSettings)}
    unknown = sorted(set(options) - known)
    if unknown:
        raise TypeError(f"magtrack tracker: unknown option(s) {', '.join(unknown)}; valid "
                        f"options: {', '.join(sorted(known))}")
    return MagTrackTracker(MagTrackSettings(**options))
