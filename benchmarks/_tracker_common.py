"""Parts shared by the tracker benchmarks: constants, image sources, ROI sets, metrics.

Used by ``bench_tracker.py`` and its Cramér-Rao section (``_tracker_crlb.py``). The
scripts pin BLAS/OpenMP/numba threads to 1 before importing this module.
"""

from __future__ import annotations

import importlib.util
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
NM_PER_PX = 100.0
SIZE = 64
CENTRE = (SIZE - 1) / 2.0
LUT_Z = np.arange(-5000.0, 5000.1, 100.0)
MAGTRACK_OPTIONS = {"background": "median"}  # MagScope 1.0's default (tracker.magtrack)
IMAGES_PER_PLANE = 10  # noisy LUT sweep: images per plane at random xy


# -- image sources -----------------------------------------------------------------------


class Source:
    """Renders ``(n, 64, 64)`` ROIs with known ``x`` (column), ``y`` (row), ``z``."""

    name = ""

    def render(
        self, x: Any, y: Any, z: Any, photons: float | None, seed: int, size: int = SIZE
    ) -> np.ndarray:
        raise NotImplementedError


class SimSource(Source):
    def __init__(self) -> None:
        import magscope_sim

        self._sim = magscope_sim
        self.optics = magscope_sim.OpticsParams(
            wavelength_nm=630.0, numerical_aperture=1.1, bead_radius_nm=1400.0, nm_per_px=NM_PER_PX
        )
        self.name = "magscope_sim (1.4 um bead, 630 nm, NA 1.1, 100 nm/px, pixel integration)"

    def render(
        self, x: Any, y: Any, z: Any, photons: float | None, seed: int, size: int = SIZE
    ) -> np.ndarray:
        n = max(np.size(x), np.size(y), np.size(z))
        xyz = np.column_stack([np.broadcast_to(v, (n,)) for v in (x, y, z)])
        stack = self._sim.render_rois(
            xyz,
            size,
            optics=self.optics,
            background_photons=photons or 1000.0,
            noise=photons is not None,
            seed=seed,
        )
        return np.asarray(stack.images)


class SyntheticSource(Source):
    def __init__(self) -> None:
        path = ROOT / "plugins" / "tracker" / "tests" / "synthetic_beads.py"
        spec = importlib.util.spec_from_file_location("bench_synthetic_beads", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        self._module = module
        self._model = module.BeadModel(nm_per_px=NM_PER_PX, r_max_px=100.0)
        self.name = "tracker tests' synthetic_beads (1.4 um bead, 630 nm, NA 1.1, 100 nm/px)"

    def render(
        self, x: Any, y: Any, z: Any, photons: float | None, seed: int, size: int = SIZE
    ) -> np.ndarray:
        dtype = np.uint16 if photons is not None else np.float32
        return np.asarray(
            self._module.render_rois(
                self._model, x, y, z, size, photons=photons, seed=seed, dtype=dtype
            )
        )


def pick_source(choice: str) -> Source:
    """The ``magscope_sim`` source for ``auto``/``sim`` when importable, else the synthetic one."""
    if choice in ("auto", "sim"):
        try:
            return SimSource()
        except ImportError:
            if choice == "sim":
                raise
    return SyntheticSource()


# -- ROI sets ------------------------------------------------------------------------------


@attrs.frozen
class RoiSets:
    """The benchmark's images and their ground truth (x, y in px; z in nm)."""

    lut_images: np.ndarray  # noise-free, centred, one per LUT_Z plane
    moving: dict[str, np.ndarray]
    rois: np.ndarray
    stuck: dict[str, np.ndarray]
    stuck_rois: np.ndarray
    beads: int
    frames: int
    sweep: np.ndarray  # (planes, IMAGES_PER_PLANE, SIZE, SIZE), noisy, random xy


def render_lut_images(source: Source, size: int = SIZE) -> np.ndarray:
    """Noise-free centred images at every ``LUT_Z`` plane."""
    c = (size - 1) / 2.0
    return source.render(np.full(LUT_Z.size, c), np.full(LUT_Z.size, c), LUT_Z, None, 0, size)


def moving_truth(rng: np.random.Generator, n: int, size: int = SIZE) -> dict[str, np.ndarray]:
    """``n`` positions uniform in +-1.5 px around the centre and +-4 um in z."""
    c = (size - 1) / 2.0
    return {
        "x": c + rng.uniform(-1.5, 1.5, n),
        "y": c + rng.uniform(-1.5, 1.5, n),
        "z": rng.uniform(-4000.0, 4000.0, n),
    }


def render_sets(
    source: Source, rng: np.random.Generator, n: int, photons: float, *, extras: bool = True
) -> RoiSets:
    """Render the moving set (seed 1) and, with ``extras``, stuck beads and the LUT sweep.

    The random draws are made in the same order either way, so the moving set is the
    same with or without ``extras``.
    """
    lut = render_lut_images(source)
    moving = moving_truth(rng, n)
    rois = source.render(moving["x"], moving["y"], moving["z"], photons, 1)
    beads, frames = 100, max(10, n // 100)
    stuck = {
        k: np.repeat(v, frames)
        for k, v in {
            "x": CENTRE + rng.uniform(-1.5, 1.5, beads),
            "y": CENTRE + rng.uniform(-1.5, 1.5, beads),
            "z": rng.uniform(-4000.0, 4000.0, beads),
        }.items()
    }
    sweep_xy = CENTRE + rng.uniform(-1.0, 1.0, (2, LUT_Z.size * IMAGES_PER_PLANE))
    if not extras:
        empty = np.empty((0, SIZE, SIZE), rois.dtype)
        return RoiSets(lut, moving, rois, stuck, empty, beads, frames, empty)
    stuck_rois = source.render(stuck["x"], stuck["y"], stuck["z"], photons, 2)
    sweep = source.render(
        sweep_xy[0], sweep_xy[1], np.repeat(LUT_Z, IMAGES_PER_PLANE), photons, 3
    ).reshape(LUT_Z.size, IMAGES_PER_PLANE, SIZE, SIZE)
    return RoiSets(lut, moving, rois, stuck, stuck_rois, beads, frames, sweep)


# -- metrics -------------------------------------------------------------------------------


def timed(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Best and median wall time of ``repeats`` calls."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


def rms(a: np.ndarray) -> float:
    a = a[np.isfinite(a)]
    return float(np.sqrt(np.mean(a * a))) if a.size else float("nan")


def precision(
    x: np.ndarray, y: np.ndarray, z: np.ndarray, truth: dict[str, np.ndarray]
) -> dict[str, float]:
    ex = (x - truth["x"]) * NM_PER_PX
    ey = (y - truth["y"]) * NM_PER_PX
    ez = z - truth["z"]
    return {
        "x_rms": rms(ex),
        "y_rms": rms(ey),
        "x_bias": float(np.nanmean(ex)),
        "z_rms": rms(ez),
        "z_bias": float(np.nanmean(ez)),
        "z_valid": float(np.mean(np.isfinite(ez))),
    }


def stuck_precision(
    x: np.ndarray, z: np.ndarray, truth: dict[str, np.ndarray], beads: int
) -> dict[str, float]:
    ex = ((x - truth["x"]) * NM_PER_PX).reshape(beads, -1)
    ez = (z - truth["z"]).reshape(beads, -1)
    return {
        "x_std": float(np.nanmedian(np.nanstd(ex, axis=1))),
        "x_bias_rms": rms(np.nanmean(ex, axis=1)),
        "z_std": float(np.nanmedian(np.nanstd(ez, axis=1))),
        "z_bias_rms": rms(np.nanmean(ez, axis=1)),
    }


# -- MagTrack, through its plugin (optional) -----------------------------------------------


def load_magtrack() -> Any:
    """The ``magtrack`` tracker as a session builds it (None: plugin not installed)."""
    try:
        from magscope_magtrack.plugin import create
    except ImportError:
        return None
    return create(**MAGTRACK_OPTIONS)


def magtrack_lut(tracker: Any, lut_images: np.ndarray) -> Any:
    return tracker.make_zlut(lut_images, LUT_Z, nm_per_px=NM_PER_PX)


def magtrack_track(tracker: Any, rois: np.ndarray, lut: Any) -> tuple[np.ndarray, ...]:
    result = tracker.track(rois, lut)
    return result.x, result.y, result.z
