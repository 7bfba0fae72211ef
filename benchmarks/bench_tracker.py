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

Shared parts live in ``_tracker_common.py``, the Cramér-Rao section in ``_tracker_crlb.py``.

Usage: ``python benchmarks/bench_tracker.py [--n 10000] [--repeats 5] [--quick]
[--crlb-only] [--crlb-rois 10000]``
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import multiprocessing  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from functools import partial  # noqa: E402
from typing import Any  # noqa: E402

import magscope_tracker  # noqa: E402
import numpy as np  # noqa: E402
from _tracker_common import (  # noqa: E402
    IMAGES_PER_PLANE,
    LUT_Z,
    NM_PER_PX,
    SIZE,
    load_magtrack,
    magtrack_lut,
    magtrack_track,
    moving_truth,
    pick_source,
    precision,
    render_lut_images,
    render_sets,
    stuck_precision,
    timed,
)
from _tracker_crlb import crlb_section  # noqa: E402

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
    parser.add_argument(
        "--crlb-only", action="store_true", help="print only the Cramér-Rao section"
    )
    parser.add_argument(
        "--crlb-rois", type=int, default=10_000, help="ROIs in the Cramér-Rao section (10000)"
    )
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
    n = args.n
    sets = render_sets(source, rng, n, args.photons, extras=not args.crlb_only)
    elapsed = time.perf_counter() - t0
    if args.crlb_only:
        print(f"rendered {n} moving ROIs in {elapsed:.1f} s")
        crlb_section(
            source, sets.rois, sets.moving, sets.lut_images, args.photons, args.repeats,
            max_rois=args.crlb_rois,
        )  # fmt: skip
        return
    lut_images, moving, rois = sets.lut_images, sets.moving, sets.rois
    stuck, stuck_rois, beads, frames = sets.stuck, sets.stuck_rois, sets.beads, sets.frames
    print(f"rendered {n} moving + {beads}x{frames} stuck ROIs + LUT sweeps in {elapsed:.1f} s")

    tracker = magscope_tracker.create_tracker()
    t0 = time.perf_counter()
    tracker.warm_up((SIZE, SIZE))
    first_call = time.perf_counter() - t0
    zlut = tracker.make_zlut(lut_images, LUT_Z, nm_per_px=NM_PER_PX, source="noise-free centred")
    zlut_sweep = tracker.make_zlut(sets.sweep, LUT_Z, nm_per_px=NM_PER_PX)

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
        m = 2000
        truth = moving_truth(rng, m, size)
        sweep_rois = source.render(truth["x"], truth["y"], truth["z"], args.photons, 4, size)
        size_lut = tracker.make_zlut(render_lut_images(source, size), LUT_Z)
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
        f"magscope-tracker, LUT from noisy sweep ({IMAGES_PER_PLANE} images/plane, random xy)",
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

    crlb_section(
        source, rois, moving, lut_images, args.photons, args.repeats, mt_moving,
        max_rois=args.crlb_rois,
    )  # fmt: skip

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
