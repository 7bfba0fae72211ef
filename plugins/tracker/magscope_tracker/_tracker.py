"""The CPU tracker: input checks, kernel dispatch, Z lookup and Z-LUT building."""

from __future__ import annotations

import datetime
import functools
import logging
import time
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from . import _kernel_numba, _kernel_precise, _kernel_profile
from ._kernel_numpy import track_numpy
from ._lookup import PreparedLut, correlate, lookup_z, prepare_lut
from ._options import TrackerOptions
from ._plan import Plan, accepted_n_bins, legacy_n_bins, make_plan
from ._result import TrackResult
from ._zfit_weighted import fit_weighted
from ._zlut import ZLut, ZLutError
from ._zlut_score import ZLutScore, score_zlut

__all__ = ["CpuTracker", "create_tracker"]

log = logging.getLogger("magscope_tracker")

_NATIVE_DTYPES = (np.dtype(np.uint8), np.dtype(np.uint16), np.dtype(np.float32))

# Per-process cache of normalised LUTs, keyed by the (immutable) ZLut object.
_PREPARED: weakref.WeakKeyDictionary[ZLut, dict[tuple[Any, ...], PreparedLut]] = (
    weakref.WeakKeyDictionary()
)


@functools.lru_cache(maxsize=8)
def _spline(oversample: int) -> NDArray[np.float64]:
    table = _kernel_profile.spline_table(oversample)
    table.setflags(write=False)
    return table


@functools.lru_cache(maxsize=8)
def _geometry(n_bins: int, oversample: int) -> NDArray[np.float64]:
    return _kernel_precise.template_geometry(n_bins, oversample)


def _as_rois(rois: ArrayLike) -> NDArray[Any]:
    arr = np.asarray(rois)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3:
        raise ValueError(
            f"rois must be an (n, height, width) array (or one (height, width) ROI), "
            f"got shape {arr.shape}"
        )
    if arr.dtype not in _NATIVE_DTYPES:
        if arr.dtype.kind not in "uif":
            raise TypeError(
                f"rois have dtype {arr.dtype}; expected uint8, uint16 or float32 "
                "(other integer and float types are converted to float32)"
            )
        arr = arr.astype(np.float32)
    return np.ascontiguousarray(arr)


@attrs.frozen
class CpuTracker:
    """Vectorised XYZ tracker for square (or rectangular) bead ROIs.

    Stateless apart from its options: safe to pickle into worker processes and to use
    from several threads (the numba kernel releases the GIL). Create it with
    :func:`create_tracker`.

    Parameters
    ----------
    options : TrackerOptions
        Algorithm options.

    Raises
    ------
    ValueError
        If ``backend="numba"`` is requested and numba cannot be imported.
    """

    options: TrackerOptions = attrs.field(factory=TrackerOptions)

    def __attrs_post_init__(self) -> None:
        if self.options.backend == "numba" and not _kernel_numba.AVAILABLE:
            raise ValueError("TrackerOptions.backend='numba' but numba cannot be imported")

    @property
    def backend(self) -> str:
        """The kernel in use: ``"numba"`` or ``"numpy"``."""
        if self.options.backend == "numpy" or not _kernel_numba.AVAILABLE:
            return "numpy"
        return "numba"

    def plan(self, roi_shape: tuple[int, int], n_bins: int | None = None) -> Plan:
        """Kernel parameters for ``(height, width)`` ROIs (``n_bins``: a Z-LUT's length)."""
        return make_plan(self.options, int(roi_shape[0]), int(roi_shape[1]), n_bins)

    def n_bins(self, roi_shape: tuple[int, int]) -> int:
        """Number of radial profile bins for ROIs of shape ``(height, width)``.

        The default layout: in fast mode out to half the smaller side (32 bins for
        64 px ROIs, MagScope's layout), in precise mode 4 px further, into the ROI's
        corners (36 bins).
        """
        return self.plan(roi_shape).n_bins

    def accepted_n_bins(self, roi_shape: tuple[int, int]) -> tuple[int, ...]:
        """Usable Z-LUT lengths: the default, and the other mode's if ``r_max_px=None``."""
        return accepted_n_bins(self.options, int(roi_shape[0]), int(roi_shape[1]))

    def bin_radii(self, roi_shape: tuple[int, int]) -> NDArray[np.float64]:
        """Radius in pixels of each profile bin for ROIs of shape ``(height, width)``."""
        return self.plan(roi_shape).bin_radii

    def warm_up(
        self, roi_shape: tuple[int, int] = (64, 64), dtypes: Sequence[DTypeLike] | None = None
    ) -> None:
        """Compile (or load from the on-disk cache) the kernels for the inputs given.

        numba compiles one specialisation per input type. Without ``dtypes`` this covers
        uint8, uint16 and float32 ROIs, writeable and read-only: about 0.3 s with a warm
        numba cache, about 18 s the very first time on a machine (2-core VM). With
        ``dtypes`` (what the pipeline passes: the camera's dtype) only writeable ROIs of
        those types, as a worker crops them: about 5 s the first time.

        The MagScope pipeline calls it once in its own process before it starts the
        workers (so kernels are compiled once and cached), then each worker calls it
        again and loads the cache.
        """
        kinds: list[tuple[np.dtype[Any], bool]]
        t0 = time.perf_counter()
        misses = _kernel_numba.cache_misses()
        if dtypes is None:
            kinds = [(d, ro) for d in _NATIVE_DTYPES for ro in (False, True)]
        else:
            kinds = [(np.dtype(d), False) for d in dtypes]
        for dtype, read_only in kinds:
            rois = np.zeros((1, *roi_shape), dtype if dtype in _NATIVE_DTYPES else np.float32)
            rois.setflags(write=not read_only)
            self.track(rois, return_profiles=True)
        if self.backend != "numba":
            return
        correlate(np.zeros((1, 4), np.float32), np.ones((2, 4), np.float32))
        fit_weighted(np.ones((1, 4), np.float32), np.arange(4.0), np.zeros((1, 4, 4)),
                     np.zeros(1, np.int64), np.zeros(1, np.int64))
        compiled = _kernel_numba.cache_misses() - misses
        seconds = time.perf_counter() - t0
        if compiled:
            log.info("numba kernels compiled: %d in %.1f s (cached for the next processes)",
                     compiled, seconds)
        else:
            log.info("numba kernels loaded from the cache in %.1f s", seconds)

    # -- tracking -----------------------------------------------------------------------

    def check_zlut(self, zlut: ZLut, roi_shape: tuple[int, int]) -> None:
        """Raise :class:`ZLutError` unless ``zlut`` fits ROIs of ``roi_shape``."""
        accepted = self.accepted_n_bins(roi_shape)
        if zlut.n_bins not in accepted:
            plan = self.plan(roi_shape)
            raise zlut.error(
                f"{zlut.n_bins} profile bins, but this tracker makes "
                f"{' or '.join(str(b) for b in accepted)} bins for "
                f"{plan.height}x{plan.width} ROIs (profile_oversample="
                f"{self.options.profile_oversample}, r_max_px={self.options.r_max_px}); "
                "build the Z-LUT with the same ROI size and options"
            )
        plan = self.plan(roi_shape, zlut.n_bins)
        used = int(np.count_nonzero(plan.bin_radii >= self.options.r_min_px))
        if used < 3:
            raise zlut.error(
                f"only {used} profile bins lie at r >= r_min_px={self.options.r_min_px}; "
                "at least 3 are needed to match profiles"
            )

    def load_zlut(self, path: str | Path, roi_shape: tuple[int, int] | None = None) -> ZLut:
        """Read a Z-LUT file (ours or a reference file), optionally checked for a ROI shape.

        Parameters
        ----------
        path : str or Path
            The text file.
        roi_shape : (int, int) or None
            When given, the LUT must fit ROIs of this ``(height, width)`` for this
            tracker's options (profile length and bins beyond ``r_min_px``); otherwise
            that check happens at :meth:`track`.

        Raises
        ------
        ZLutError
            Naming the file, the line and the problem.
        """
        if roi_shape is None:
            return ZLut.load(path)
        zlut = ZLut.load(path, n_bins=self.accepted_n_bins(roi_shape))
        self.check_zlut(zlut, roi_shape)
        return zlut

    def save_zlut(self, zlut: ZLut, path: str | Path) -> None:
        """Write ``zlut`` to ``path`` (same as :meth:`ZLut.save`)."""
        zlut.save(path)

    def _prepared(self, zlut: ZLut, plan: Plan) -> PreparedLut:
        key = (plan.n_bins, plan.oversample, self.options.r_min_px, plan.precise)
        per_lut = _PREPARED.setdefault(zlut, {})
        prepared = per_lut.get(key)
        if prepared is None:
            built = zlut.metadata.get("tracker_options")
            built_mode = built.get("mode", "fast") if isinstance(built, dict) else None
            if built_mode is not None and built_mode != self.options.mode:
                log.warning(
                    "Z-LUT %s was built in %r mode and is used in %r mode: profiles differ "
                    "slightly (Z bias up to about 2 nm); rebuild it in this mode",
                    zlut.metadata.get("source") or "(unnamed)", built_mode, self.options.mode,
                )
            used = plan.bin_radii >= self.options.r_min_px
            if not plan.precise and self.options.r_max_px is None:
                # a precise-layout LUT in fast mode: its corner bins need the precise
                # mode's phase correction and weights; match MagScope's bins only
                last = legacy_n_bins(self.options, plan.height, plan.width)
                used &= np.arange(plan.n_bins) < last
            prepared = prepare_lut(zlut.profiles, zlut.z_nm, used, plan.bin_counts)
            per_lut[key] = prepared
        return prepared

    def _run_kernel(
        self, rois: NDArray[Any], plan: Plan, do_profile: bool
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float32], NDArray[np.int8]]:
        n = rois.shape[0]
        x = np.empty(n, np.float64)
        y = np.empty(n, np.float64)
        prof = np.empty((n, plan.n_bins if do_profile else 0), np.float32)
        status = np.empty(n, np.int8)
        if self.backend == "numba":
            cos_x, sin_x = plan.dft_tables(plan.width, plan.n_freq_x)
            cos_y, sin_y = plan.dft_tables(plan.height, plan.n_freq_y)
            _kernel_numba.track_kernel(
                rois, plan.sigma, plan.n_iter, plan.max_iter, plan.tolerance, plan.n_freq_x,
                plan.n_freq_y,
                plan.background,
                do_profile, plan.n_bins, plan.oversample, _spline(plan.oversample),
                cos_x, sin_x, cos_y, sin_y, plan.precise, plan.ring_offsets,
                _kernel_precise.to_cubic(), _geometry(plan.n_bins, plan.oversample),
                x, y, prof, status,
            )  # fmt: skip
        else:
            track_numpy(rois, plan, do_profile, self.options.chunk_size, x, y, prof, status)
        return x, y, prof, status

    def track(
        self, rois: ArrayLike, zlut: ZLut | None = None, *, return_profiles: bool = False
    ) -> TrackResult:
        """Track the bead in each ROI.

        Parameters
        ----------
        rois : array_like, shape (n, height, width) or (height, width)
            uint8, uint16 or float32 images (other integer/float types are converted
            to float32). One bead per ROI, roughly centred (within a quarter of the
            ROI size).
        zlut : ZLut or None
            Z look-up table built with the same ROI size and profile options; without
            it ``z`` is NaN and no profile is computed unless requested.
        return_profiles : bool
            Also return the radial profiles.

        Returns
        -------
        TrackResult
            ``x`` (column), ``y`` (row) in pixels, ``z`` in nm, ``ok``, ``quality``,
            ``status`` and optionally ``profiles``.

        Raises
        ------
        ValueError, TypeError
            For arrays of the wrong shape or type.
        ZLutError
            If ``zlut`` does not fit the ROI size and options.
        """
        arr = _as_rois(rois)
        n, h, w = arr.shape
        if zlut is not None:
            self.check_zlut(zlut, (h, w))
        plan = self.plan((h, w), None if zlut is None else zlut.n_bins)
        do_profile = return_profiles or zlut is not None
        x, y, prof, status = self._run_kernel(arr, plan, do_profile)
        if zlut is not None:
            z, quality = lookup_z(
                prof,
                self._prepared(zlut, plan),
                self.options.z_fit,
                self.options.n_local,
                self.options.min_quality,
                weighted=plan.precise,
            )
            z[status != 0] = np.nan
            ok = (status == 0) & np.isfinite(z)
        else:
            z = np.full(n, np.nan)
            quality = np.full(n, np.nan, np.float32)
            ok = status == 0
        return TrackResult(
            x=x,
            y=y,
            z=z,
            ok=ok,
            quality=quality,
            status=status,
            profiles=prof if return_profiles else None,
        )

    # -- Z-LUT --------------------------------------------------------------------------

    def make_zlut(
        self,
        stack: ArrayLike,
        z_nm: ArrayLike,
        *,
        nm_per_px: float | None = None,
        source: str = "",
    ) -> ZLut:
        """Build a Z-LUT from images of one bead at known heights.

        Every image is tracked for its own sub-pixel centre; the radial profiles of the
        images of one plane are averaged.

        Parameters
        ----------
        stack : array_like, shape (n_planes, h, w) or (n_planes, n_images, h, w)
            The images, plane by plane.
        z_nm : array_like, shape (n_planes,)
            Height of each plane in nm (strictly monotonic).
        nm_per_px : float or None
            Pixel size, recorded in the metadata.
        source : str
            Free text recorded in the metadata (e.g. bead id, sweep settings).

        Returns
        -------
        ZLut
            With metadata ``roi_shape``, ``n_bins``, ``profile_oversample``,
            ``bin_radius_px``, ``nm_per_px``, ``images_used``, ``created``, ``source``,
            ``backend`` and ``tracker_options``.

        Raises
        ------
        ValueError
            If ``stack`` or ``z_nm`` have the wrong shape.
        ZLutError
            If a plane has no trackable image, or z is not strictly monotonic, has
            fewer than 3 planes, or is not finite.
        """
        arr = np.asarray(stack)
        if arr.ndim == 3:
            arr = arr[:, None]
        if arr.ndim != 4:
            raise ValueError(
                "stack must be (n_planes, h, w) or (n_planes, n_images, h, w), "
                f"got shape {arr.shape}"
            )
        z = np.asarray(z_nm, dtype=np.float64)
        n_planes, n_images, h, w = arr.shape
        if z.shape != (n_planes,):
            raise ValueError(f"z_nm has shape {z.shape}; expected ({n_planes},), one per plane")
        result = self.track(arr.reshape(n_planes * n_images, h, w), return_profiles=True)
        assert result.profiles is not None
        profiles = result.profiles.reshape(n_planes, n_images, -1).astype(np.float64)
        good = (result.status == 0).reshape(n_planes, n_images)
        used = good.sum(axis=1)
        empty = np.flatnonzero(used == 0)
        if empty.size:
            first = int(empty[0])
            why = TrackResult.status_message(int(result.status[first * n_images]))
            raise ZLutError(
                f"plane {first} (z={z[first]:g} nm): none of its {n_images} images could be "
                f"tracked (first image: {why})",
                source=source or None,
            )
        mean = np.where(good[:, :, None], profiles, 0.0).sum(axis=1) / used[:, None]
        metadata = {
            "roi_shape": [h, w],
            "n_bins": int(mean.shape[1]),
            "profile_oversample": self.options.profile_oversample,
            "bin_radius_px": self.bin_radii((h, w)).tolist(),
            "nm_per_px": nm_per_px,
            "images_per_plane": n_images,
            "images_used": used.tolist(),
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "source": source,
            "tracker": "cpu",  # the TrackerSpec name: profiles of other trackers differ
            "backend": self.backend,
            "tracker_options": self.options.to_dict(),
        }
        return ZLut(z_nm=z, profiles=mean, metadata=metadata)

    def score_zlut(self, zlut: ZLut, stack: ArrayLike, z_nm: ArrayLike) -> ZLutScore:
        """Score a candidate Z-LUT against the images it was built from.

        See :func:`magscope_tracker._zlut_score.score_zlut`: contrast, distinctness of
        neighbouring planes, monotonic falling correlation, and the RMS (nm) of the
        images looked up against the LUT.
        """
        arr = np.asarray(stack)
        h, w = arr.shape[-2:]
        used = self.plan((h, w), zlut.n_bins).bin_radii >= self.options.r_min_px
        return score_zlut(zlut, z_nm, arr, self, used=used)


def create_tracker(**options: Any) -> CpuTracker:
    """Create a :class:`CpuTracker`.

    Parameters
    ----------
    **options
        Fields of :class:`TrackerOptions` (for example ``n_xy_iterations=3``,
        ``profile_oversample=1``, ``r_min_px=2.0``, ``backend="auto"``).

    Returns
    -------
    CpuTracker

    Raises
    ------
    TypeError
        For an unknown option name.
    ValueError
        For an invalid option value.
    """
    known = {f.name for f in attrs.fields(TrackerOptions)}
    unknown = sorted(set(options) - known)
    if unknown:
        raise TypeError(
            f"create_tracker() got unknown option(s) {', '.join(unknown)}; "
            f"valid options: {', '.join(sorted(known))}"
        )
    return CpuTracker(TrackerOptions(**options))
