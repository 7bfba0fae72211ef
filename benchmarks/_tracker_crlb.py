"""The Cramér-Rao section of ``bench_tracker.py`` (issue 11 section 3).

Prints each tracker's RMS error as a ratio to the Cramér-Rao bound, over the whole set
and per 1 um band of z, and the speed of the fast and precise modes, timed interleaved
in the same run. ``python benchmarks/bench_tracker.py --crlb-only`` prints this section
alone.
"""

from __future__ import annotations

import statistics
import time
from itertools import pairwise

import magscope_tracker
import numpy as np
from _tracker_common import LUT_Z, NM_PER_PX, SIZE, SimSource, Source, rms

__all__ = ["crlb_section"]

BAND_EDGES = np.arange(-4000.0, 4001.0, 1000.0)


def _ratio(err: np.ndarray, bnd: np.ndarray) -> float:
    ok = np.isfinite(err)
    return rms(err[ok]) / rms(bnd[ok]) if ok.any() else float("nan")


def _interleaved_rates(
    rois: np.ndarray, lut_images: np.ndarray, repeats: int
) -> tuple[dict[str, float], list[float]]:
    """Best ROI/s of each mode and the slowdown of every fast/precise pair, interleaved."""
    modes = ("fast", "precise")
    trackers = {mode: magscope_tracker.create_tracker(mode=mode) for mode in modes}
    luts = {mode: trackers[mode].make_zlut(lut_images, LUT_Z) for mode in modes}
    for mode in modes:
        trackers[mode].track(rois, luts[mode])  # warm up
    best = dict.fromkeys(modes, float("inf"))
    losses = []
    for _ in range(max(1, repeats)):
        pair = {}
        for mode in modes:
            t0 = time.perf_counter()
            trackers[mode].track(rois, luts[mode])
            pair[mode] = time.perf_counter() - t0
            best[mode] = min(best[mode], pair[mode])
        losses.append(100.0 * (1.0 - pair["fast"] / pair["precise"]))
    return {mode: rois.shape[0] / best[mode] for mode in modes}, losses


def crlb_section(
    source: Source,
    rois: np.ndarray,
    truth: dict[str, np.ndarray],
    lut_images: np.ndarray,
    photons: float,
    repeats: int,
    magtrack_xyz: tuple[np.ndarray, ...] | None = None,
    max_rois: int = 10_000,
) -> None:
    """Print RMS error / Cramér-Rao bound per axis and z band, and speed of both modes.

    The bound is ``magscope_sim.bead_crlb`` on the simulator's own image model (the
    images here), per ROI; a ratio is ``RMS(error) / sqrt(mean(bound**2))`` over the same
    ROIs. Speed is measured for the fast mode (the earlier algorithm) and the precise
    mode (the default) in this run, alternating the two ``repeats`` times.
    """
    if not isinstance(source, SimSource):
        print("\n## Cramér-Rao bound: needs the magscope_sim images (--source sim); skipped")
        return
    import magscope_sim

    m = min(max_rois, rois.shape[0])
    sub = rois[:m]
    t = {k: v[:m] for k, v in truth.items()}
    t0 = time.perf_counter()
    bound = magscope_sim.bead_crlb(
        np.column_stack([t["x"], t["y"], t["z"]]), SIZE, optics=source.optics,
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
    for mode in ("fast", "precise"):
        tracker = magscope_tracker.create_tracker(mode=mode)
        res = tracker.track(sub, tracker.make_zlut(lut_images, LUT_Z))
        errors[mode] = {
            "x": (res.x - t["x"]) * NM_PER_PX, "y": (res.y - t["y"]) * NM_PER_PX,
            "z": res.z - t["z"],
        }  # fmt: skip
    if magtrack_xyz is not None:
        errors["MagTrack"] = {
            "x": (np.asarray(magtrack_xyz[0])[:m] - t["x"]) * NM_PER_PX,
            "y": (np.asarray(magtrack_xyz[1])[:m] - t["y"]) * NM_PER_PX,
            "z": np.asarray(magtrack_xyz[2])[:m] - t["z"],
        }

    print("| tracker | x / bound | y / bound | z / bound | x RMS nm | z RMS nm |")
    print("|---|---|---|---|---|---|")
    for name, e in errors.items():
        print(
            f"| {name} | {_ratio(e['x'], b['x']):.2f}x | {_ratio(e['y'], b['y']):.2f}x | "
            f"{_ratio(e['z'], b['z']):.2f}x | {rms(e['x']):.3f} | {rms(e['z']):.2f} |"
        )
    bands = list(pairwise(BAND_EDGES))
    print("\nper z band (um): x / y / z ratio to the bound; bound row: x / z in nm")
    print("| tracker | " + " | ".join(f"{a / 1000:+.0f}..{c / 1000:+.0f}" for a, c in bands) + " |")
    print("|---|" + "---|" * len(bands))
    masks = [(t["z"] >= a) & (t["z"] < c) for a, c in bands]
    print(
        "| bound | "
        + " | ".join(f"{rms(b['x'][k]):.2f} / {rms(b['z'][k]):.2f}" for k in masks)
        + " |"
    )
    for name, e in errors.items():
        cells = [
            " / ".join(f"{_ratio(e[ax][k], b[ax][k]):.2f}" for ax in ("x", "y", "z"))
            for k in masks
        ]
        print(f"| {name} | " + " | ".join(cells) + " |")
    worst = max(
        _ratio(errors["precise"][ax][k], b[ax][k]) for ax in ("x", "y", "z") for k in masks
    )
    print(f"worst band of the precise mode: {worst:.2f}x")
    rates, losses = _interleaved_rates(sub, lut_images, repeats)
    print(
        f"\nspeed, full XYZ, one core: fast (earlier algorithm) {rates['fast']:,.0f} ROI/s, "
        f"precise (default) {rates['precise']:,.0f} ROI/s "
        f"({100.0 * (1.0 - rates['precise'] / rates['fast']):.1f} % slower, best of "
        f"{len(losses)} interleaved pairs each; per pair median "
        f"{statistics.median(losses):.1f} %, range {min(losses):.1f}..{max(losses):.1f} %)"
    )
