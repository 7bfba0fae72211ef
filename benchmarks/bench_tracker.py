"""Benchmark the trackers: magscope-tracker (CPU) and MagTrack, on the same images.

Prints tables; asserts nothing. MagTrack 1.0.0 (the reference system's tracker) runs
through its plugin, ``magscope-magtrack`` (``plugins/magtrack``, GPL-3.0), exactly as a
session runs it with ``magscope run --tracker magtrack``: same contract, same Z-LUT
building, MagScope's default options (``background="median"``). Baseline figures
(docs: /work/shared/brief/numbers.md) for MagTrack's ``stack_to_xyzp_advanced``: ~1.9k
ROI/s per core at 64 px, XY 1.12 nm RMS, Z 44 nm RMS. Without the plugin installed the
MagTrack rows are left out.

Images come from ``magscope_sim`` when importable (set to the baseline's 1.4 um bead, 630 nm,
NA 1.1, 100 nm/px) and otherwise from the tracker tests' self-contained generator.
BLAS/OpenMP/numba threads are pinned to 1 (per-core figures); worker processes use spawn.

Usage: ``python benchmarks/bench_tracker.py [--n 10000] [--repeats 5] [--quick]``
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import multiprocessing  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from functools import partial  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import magscope_tracker  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NM_PER_PX = 100.0
SIZE = 64
CENTRE = (SIZE - 1) / 2.0
LUT_Z = np.arange(-5000.0, 5000.1, 100.0)
MAGTRACK_OPTIONS = {"background": "median"}  # MagScope 1.0's default (tracker.magtrack)


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
        self._optics = magscope_sim.OpticsParams(
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
            optics=self._optics,
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
    if choice in ("auto", "sim"):
        try:
            return SimSource()
        except ImportError:
            if choice == "sim":
                raise
    return SyntheticSource()


# -- helpers -------------------------------------------------------------------------------


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


# -- worker scaling ------------------------------------------------------------------------


def _worker(
    tracker: magscope_tracker.CpuTracker,
    rois: np.ndarray,
    zlut: magscope_tracker.ZLut,
    repeats: int,
    barrier: Any,
    results: Any,
) -> None:
    tracker.warm_up(rois.shape[1:])
    tracker.track(rois[:256], zlut)
    barrier.wait()
    t0 = time.perf_counter()
    for _ in range(repeats):
        tracker.track(rois, zlut)
    results.put(time.perf_counter() - t0)


def aggregate_rate(
    tracker: magscope_tracker.CpuTracker,
    rois: np.ndarray,
    zlut: magscope_tracker.ZLut,
    workers: int,
    repeats: int,
) -> float:
    """ROI/s of ``workers`` spawned processes, each tracking all ``rois`` ``repeats`` times."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(workers)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(tracker, rois, zlut, repeats, barrier, results))
        for _ in range(workers)
    ]
    for p in procs:
        p.start()
    elapsed = [results.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
    return float(workers * repeats * rois.shape[0] / max(elapsed))


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


# -- Cramér-Rao bound (issue 11 section 3) ---------------------------------------------


def crlb_section(
    source: Source,
    rois: np.ndarray,
    truth: dict[str, np.ndarray],
    lut_images: np.ndarray,
    photons: float,
    repeats: int,
    magtrack_xyz: tuple[np.ndarray, ...] | None = None,
    max_rois: int = 4000,
) -> None:
    """Print RMS error / Cramér-Rao bound per axis and z band, and speed of both modes.

    The bound is ``magscope_sim.bead_crlb`` on the simulator's own image model (the
    images here), per ROI; a ratio is ``RMS(error) / sqrt(mean(bound**2))`` over the same
    ROIs. Speed is measured for the fast mode (the earlier algorithm) and the precise
    mode (the default) in this run.
    """
    from itertools import pairwise

    if not isinstance(source, SimSource):
        print("\n## Cramér-Rao bound: needs the magscope_sim images (--source sim); skipped")
        return
    import magscope_sim

    m = min(max_rois, rois.shape[0])
    sub = rois[:m]
    t = {k: v[:m] for k, v in truth.items()}
    t0 = time.perf_counter()
    bound = magscope_sim.bead_crlb(
        np.column_stack([t["x"], t["y"], t["z"]]), SIZE, optics=source._optics,
        background_photons=photons,
    )  # fmt: skip
    print(
        f"\n## Cramér-Rao bound ({m} ROIs, {photons:g} photons/px, 2 e- read noise; "
        f"bound computed in {time.perf_counter() - t0:.1f} s)"
    )
    b = {"x": bound.x_px * NM_PER_PX, "y": bound.y_px * NM_PER_PX, "z": bound.z_nm}
    print(
        f"bound RMS over the set: x {rms(b['x']):.3f} nm, y {rms(b['y']):.3f} nm, "
        f"z {rms(b['z']):.2f} nm"
    )
    errors: dict[str, dict[str, np.ndarray]] = {}
    rates: dict[str, float] = {}
    for mode in ("fast", "precise"):
        tracker = magscope_tracker.create_tracker(mode=mode)
        lut = tracker.make_zlut(lut_images, LUT_Z)
        res = tracker.track(sub, lut)
        errors[mode] = {
            "x": (res.x - t["x"]) * NM_PER_PX, "y": (res.y - t["y"]) * NM_PER_PX,
            "z": res.z - t["z"],
        }  # fmt: skip
        best, _ = timed(lambda tr=tracker, lu=lut: tr.track(sub, lu), repeats)
        rates[mode] = m / best
    if magtrack_xyz is not None:
        errors["MagTrack"] = {
            "x": (np.asarray(magtrack_xyz[0])[:m] - t["x"]) * NM_PER_PX,
            "y": (np.asarray(magtrack_xyz[1])[:m] - t["y"]) * NM_PER_PX,
            "z": np.asarray(magtrack_xyz[2])[:m] - t["z"],
        }

    def ratio(err: np.ndarray, bnd: np.ndarray) -> float:
        ok = np.isfinite(err)
        return rms(err[ok]) / rms(bnd[ok]) if ok.any() else float("nan")

    print("| tracker | x / bound | y / bound | z / bound | x RMS nm | z RMS nm |")
    print("|---|---|---|---|---|---|")
    for name, e in errors.items():
        print(
            f"| {name} | {ratio(e['x'], b['x']):.2f}x | {ratio(e['y'], b['y']):.2f}x | "
            f"{ratio(e['z'], b['z']):.2f}x | {rms(e['x']):.3f} | {rms(e['z']):.2f} |"
        )
    edges = np.arange(-4000.0, 4001.0, 1000.0)
    print("\nper z band (um): x / bound, z / bound")
    bands = list(pairwise(edges))
    print("| tracker | " + " | ".join(f"{a / 1000:+.0f}..{c / 1000:+.0f}" for a, c in bands) + " |")
    print("|---|" + "---|" * (edges.size - 1))
    for name, e in errors.items():
        cells = []
        for a, c in bands:
            band = (t["z"] >= a) & (t["z"] < c)
            cells.append(
                f"{ratio(e['x'][band], b['x'][band]):.2f} / {ratio(e['z'][band], b['z'][band]):.2f}"
            )
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(
        f"\nspeed, full XYZ, one core: fast (earlier algorithm) {rates['fast']:,.0f} ROI/s, "
        f"precise (default) {rates['precise']:,.0f} ROI/s "
        f"({100.0 * (1.0 - rates['precise'] / rates['fast']):.1f} % slower)"
    )


# -- main ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="moving-bead ROIs (default 10000)")
    parser.add_argument("--repeats", type=int, default=5, help="timing repeats (default 5)")
    parser.add_argument("--scaling-runs", type=int, default=3, help="runs per worker count")
    parser.add_argument("--source", choices=("auto", "sim", "synthetic"), default="auto")
    parser.add_argument("--photons", type=float, default=1000.0, help="background photons/px")
    parser.add_argument(
        "--no-magtrack", action="store_true", help="skip MagTrack even if importable"
    )
    parser.add_argument("--quick", action="store_true", help="2000 ROIs, 3 repeats, 1 scaling run")
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.repeats, args.scaling_runs = 2000, 3, 1

    source = pick_source(args.source)
    print("# magscope-tracker benchmark")
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"{os.cpu_count()} CPUs, threads pinned to 1"
    )
    print(f"images: {source.name}")
    print(
        f"{SIZE}x{SIZE} px ROIs, {args.photons:g} photons/px background + 2 e- read noise, uint16"
    )

    rng = np.random.default_rng(2024)
    t0 = time.perf_counter()
    lut_images = source.render(
        np.full(LUT_Z.size, CENTRE), np.full(LUT_Z.size, CENTRE), LUT_Z, None, 0
    )
    n = args.n
    moving = {
        "x": CENTRE + rng.uniform(-1.5, 1.5, n),
        "y": CENTRE + rng.uniform(-1.5, 1.5, n),
        "z": rng.uniform(-4000.0, 4000.0, n),
    }
    rois = source.render(moving["x"], moving["y"], moving["z"], args.photons, 1)
    beads, frames = 100, max(10, n // 100)
    stuck = {
        k: np.repeat(v, frames)
        for k, v in {
            "x": CENTRE + rng.uniform(-1.5, 1.5, beads),
            "y": CENTRE + rng.uniform(-1.5, 1.5, beads),
            "z": rng.uniform(-4000.0, 4000.0, beads),
        }.items()
    }
    stuck_rois = source.render(stuck["x"], stuck["y"], stuck["z"], args.photons, 2)
    images_per_plane = 10
    sweep_xy = CENTRE + rng.uniform(-1.0, 1.0, (2, LUT_Z.size * images_per_plane))
    sweep = source.render(
        sweep_xy[0], sweep_xy[1], np.repeat(LUT_Z, images_per_plane), args.photons, 3
    )
    elapsed = time.perf_counter() - t0
    print(f"rendered {n} moving + {beads}x{frames} stuck ROIs + LUT sweeps in {elapsed:.1f} s")

    tracker = magscope_tracker.create_tracker()
    t0 = time.perf_counter()
    tracker.warm_up((SIZE, SIZE))
    first_call = time.perf_counter() - t0
    zlut = tracker.make_zlut(lut_images, LUT_Z, nm_per_px=NM_PER_PX, source="noise-free centred")
    zlut_sweep = tracker.make_zlut(
        sweep.reshape(LUT_Z.size, images_per_plane, SIZE, SIZE), LUT_Z, nm_per_px=NM_PER_PX
    )

    # -- speed, one process -------------------------------------------------------------
    rows: list[tuple[str, float, float]] = []
    best, med = timed(lambda: tracker.track(rois, zlut), args.repeats)
    rows.append(("magscope-tracker XYZ (numba, precise mode), 1 process", n / best, n / med))
    xyz_best = n / best
    best, med = timed(lambda: tracker.track(rois), args.repeats)
    rows.append(("magscope-tracker XY only (numba)", n / best, n / med))
    numpy_tracker = magscope_tracker.create_tracker(backend="numpy")
    subset = rois[: min(n, 2000)]
    best, med = timed(lambda: numpy_tracker.track(subset, zlut), max(1, args.repeats // 2))
    rows.append(
        ("magscope-tracker XYZ (numpy fallback)", subset.shape[0] / best, subset.shape[0] / med)
    )

    magtrack = None if args.no_magtrack else load_magtrack()
    mt_moving: tuple[np.ndarray, ...] | None = None
    mt_stuck: tuple[np.ndarray, ...] | None = None
    mt_rate = float("nan")
    if magtrack is not None:
        mt_lut = magtrack_lut(magtrack, lut_images)
        mt_moving = magtrack_track(magtrack, rois, mt_lut)
        mt_stuck = magtrack_track(magtrack, stuck_rois, mt_lut)
        reps = max(1, min(3, args.repeats))
        best, med = timed(lambda: magtrack_track(magtrack, rois, mt_lut), reps)
        mt_rate = n / best
        rows.append(("MagTrack 1.0 XYZ (magscope-magtrack plugin), 1 process", n / best,
                     n / med))

    print(
        f"\n## Speed, {SIZE} px ROIs, {n} ROIs per call, one core (first call: {first_call:.2f} s)"
    )
    extra = " vs MagTrack |" if magtrack else ""
    print(f"| path | best ROI/s | median ROI/s | us/ROI (best) |{extra}")
    print(f"|---|---|---|---|{'---|' if magtrack else ''}")
    for name, b, m in rows:
        ratio = f" {b / mt_rate:.1f}x |" if magtrack else ""
        print(f"| {name} | {b:,.0f} | {m:,.0f} | {1e6 / b:.1f} |{ratio}")
    if magtrack is None:
        print("(magscope-magtrack not installed: MagTrack not run; numbers.md gives ~1,943 "
              "ROI/s here)")

    # -- ROI size sweep -----------------------------------------------------------------
    print("\n## ROI size sweep, full XYZ, one core (2000 ROIs, +-1.5 px, +-4 um; RMS of ok ROIs)")
    print("| ROI px | bins | best ROI/s | median ROI/s | us/ROI | ok | x RMS nm | Z RMS nm |")
    print("|---|---|---|---|---|---|---|---|")
    for size in (32, 50, 64, 128):
        c = (size - 1) / 2.0
        m = 2000
        truth = {
            "x": c + rng.uniform(-1.5, 1.5, m),
            "y": c + rng.uniform(-1.5, 1.5, m),
            "z": rng.uniform(-4000.0, 4000.0, m),
        }
        sweep_rois = source.render(truth["x"], truth["y"], truth["z"], args.photons, 4, size)
        size_lut = tracker.make_zlut(
            source.render(np.full(LUT_Z.size, c), np.full(LUT_Z.size, c), LUT_Z, None, 0, size),
            LUT_Z,
        )
        result = tracker.track(sweep_rois, size_lut)
        ok = result.ok
        q = precision(
            result.x[ok], result.y[ok], result.z[ok], {k: v[ok] for k, v in truth.items()}
        )
        b, md = timed(partial(tracker.track, sweep_rois, size_lut), args.repeats)
        print(
            f"| {size} | {size_lut.n_bins} | {m / b:,.0f} | {m / md:,.0f} | {1e6 * b / m:.1f} | "
            f"{result.ok.mean():.3f} | {q['x_rms']:.2f} | {q['z_rms']:.2f} |"
        )

    # -- scaling ------------------------------------------------------------------------
    print(f"\n## Worker processes (spawn), full XYZ, aggregate ROI/s over {args.scaling_runs} runs")
    print("| workers | best ROI/s | median ROI/s | per worker (best) | scaling vs 1 |")
    print("|---|---|---|---|---|")
    base = None
    for workers in (1, 2):
        rates = [aggregate_rate(tracker, rois, zlut, workers, 2) for _ in range(args.scaling_runs)]
        b, m = max(rates), statistics.median(rates)
        base = base or b
        print(f"| {workers} | {b:,.0f} | {m:,.0f} | {b / workers:,.0f} | {b / base:.2f}x |")

    # -- precision ----------------------------------------------------------------------
    res = tracker.track(rois, zlut)
    res_sweep = tracker.track(rois, zlut_sweep)
    res_stuck = tracker.track(stuck_rois, zlut)
    parabola = magscope_tracker.create_tracker(z_fit="parabola", n_local=3)
    res_par = parabola.track(rois, parabola.make_zlut(lut_images, LUT_Z))
    p = precision(res.x, res.y, res.z, moving)
    p_sweep = precision(res_sweep.x, res_sweep.y, res_sweep.z, moving)
    p_par = precision(res_par.x, res_par.y, res_par.z, moving)
    s = stuck_precision(res_stuck.x, res_stuck.z, stuck, beads)
    print(
        f"\n## Precision ({args.photons:g} photons/px, x/y uniform in +-1.5 px, "
        "z uniform in +-4 um)"
    )
    print("| tracker | x RMS nm | y RMS nm | x bias nm | Z RMS nm | Z bias nm | Z valid |")
    print("|---|---|---|---|---|---|---|")

    def line(name: str, q: dict[str, float]) -> None:
        print(
            f"| {name} | {q['x_rms']:.3f} | {q['y_rms']:.3f} | {q['x_bias']:+.3f} | "
            f"{q['z_rms']:.2f} | {q['z_bias']:+.2f} | {q['z_valid']:.3f} |"
        )

    line("magscope-tracker, noise-free centred LUT (101 planes)", p)
    line(
        f"magscope-tracker, LUT from noisy sweep ({images_per_plane} images/plane, random xy)",
        p_sweep,
    )
    line("magscope-tracker, z_fit='parabola', n_local=3", p_par)
    if mt_moving is not None:
        line(
            "MagTrack (same images; its LUT from the same noise-free images)",
            precision(mt_moving[0], mt_moving[1], mt_moving[2], moving),
        )
    print(f"\n## Stuck beads ({beads} beads x {frames} frames): per-bead std (median) and bias RMS")
    print("| tracker | x std nm | x bias RMS nm | Z std nm | Z bias RMS nm |")
    print("|---|---|---|---|---|")

    def stuck_line(name: str, q: dict[str, float]) -> None:
        print(
            f"| {name} | {q['x_std']:.3f} | {q['x_bias_rms']:.3f} | {q['z_std']:.2f} | "
            f"{q['z_bias_rms']:.2f} |"
        )

    stuck_line("magscope-tracker", s)
    if mt_stuck is not None:
        stuck_line("MagTrack", stuck_precision(mt_stuck[0], mt_stuck[2], stuck, beads))

    if mt_moving is not None and mt_stuck is not None:
        mp = precision(mt_moving[0], mt_moving[1], mt_moving[2], moving)
        ms = stuck_precision(mt_stuck[0], mt_stuck[2], stuck, beads)
        print(f"\n## Both trackers on the same images ({SIZE} px, {args.photons:g} photons/px; "
              "LUT from the same noise-free sweep)")
        print("| tracker | ROI/s (1 core, XYZ) | XY RMS nm | Z RMS nm | stuck XY std nm | "
              "stuck Z std nm |")
        print("|---|---|---|---|---|---|")
        for name, rate, q, st in (("cpu (magscope-tracker)", xyz_best, p, s),
                                  ("magtrack (magscope-magtrack)", mt_rate, mp, ms)):
            xy = float(np.hypot(q["x_rms"], q["y_rms"]) / np.sqrt(2))
            print(f"| {name} | {rate:,.0f} | {xy:.2f} | {q['z_rms']:.1f} | {st['x_std']:.2f} | "
                  f"{st['z_std']:.2f} |")

    crlb_section(source, rois, moving, lut_images, args.photons, args.repeats, mt_moving)

    print("\n## Targets (numbers.md section 5)")
    checks = [
        (">= 10,000 ROI/s per core, full XYZ, 64 px", xyz_best >= 10_000, f"{xyz_best:,.0f}"),
        (
            "XY error <= 1.0 nm RMS",
            max(p["x_rms"], p["y_rms"]) <= 1.0,
            f"{max(p['x_rms'], p['y_rms']):.3f} nm",
        ),
        ("Z error <= 10 nm RMS", p["z_rms"] <= 10.0, f"{p['z_rms']:.2f} nm"),
        ("stuck-bead XY std <= 0.9 nm", s["x_std"] <= 0.9, f"{s['x_std']:.3f} nm"),
        ("Z noise std <= 2.2 nm", s["z_std"] <= 2.2, f"{s['z_std']:.2f} nm"),
    ]
    for name, ok, value in checks:
        print(f"- [{'x' if ok else ' '}] {name}: {value}")


if __name__ == "__main__":
    main()
