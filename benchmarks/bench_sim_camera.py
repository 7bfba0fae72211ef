"""Render speed of the simulated camera (magscope-sim), one core.

Prints frames/s of ``SimulatedCamera.render_into`` (physics step + background + bead boxes
+ noise, no pacing) for 1024x1024 with 20 beads and 512x256 with 8 beads, 8- and 16-bit,
and, as the baseline measured in the same run, the naive approach: an exact Poisson draw
for every pixel of the frame (what a straightforward simulator does). The render path uses
only numpy ufuncs, gathers and the random generator, all single-threaded, so the figures are
per core (the optics table at start-up uses BLAS and is timed separately).

Usage: ``python benchmarks/bench_sim_camera.py [--frames N] [--repeats R]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from magscope_sim import SimulatedCamera

CASES = [
    # (label, width, height, n_fixed, n_tethered, bits)
    ("1024x1024, 20 beads, uint8 ", 1024, 1024, 5, 15, 8),
    ("1024x1024, 20 beads, uint16", 1024, 1024, 5, 15, 16),
    ("512x256,    8 beads, uint8 ", 512, 256, 3, 5, 8),
    ("512x256,    8 beads, uint16", 512, 256, 3, 5, 16),
]


def _time_frames(fn, frames: int, repeats: int) -> tuple[float, float]:
    """Best and median per-frame time (s) over ``repeats`` runs of ``frames`` calls."""
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(frames):
            fn()
        runs.append((time.perf_counter() - t0) / frames)
    return min(runs), float(np.median(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    t0 = time.perf_counter()
    SimulatedCamera(width=64, height=64, n_fixed=0, n_tethered=0).connect()
    print(f"optics table (first connect, 2401 dz planes): {time.perf_counter() - t0:.2f} s")
    print(f"{'case':30s} {'best fps':>9s} {'median fps':>11s} {'ms/frame':>9s}"
          f" {'naive Poisson fps':>18s} {'speed-up':>9s}")
    rng = np.random.default_rng(0)
    for label, w, h, n_fixed, n_teth, bits in CASES:
        cam = SimulatedCamera(width=w, height=h, n_fixed=n_fixed, n_tethered=n_teth, bits=bits)
        info = cam.connect()
        out = np.empty(info.shape, info.dtype)
        for _ in range(5):
            cam.render_into(out)
        best, med = _time_frames(lambda cam=cam, out=out: cam.render_into(out),
                                 args.frames, args.repeats)
        lam = np.full(info.shape, cam.get_settings()["background_photons"], np.float32)
        gain = cam.gain

        def naive(lam=lam, gain=gain, out=out, bits=bits) -> None:
            e = rng.poisson(lam).astype(np.float32) + 2.0 * rng.standard_normal(
                lam.shape, dtype=np.float32)
            np.copyto(out, np.clip(np.rint(e * gain), 0, 2**bits - 1).astype(out.dtype))

        n_naive = max(5, args.frames // 20)
        nbest, _ = _time_frames(naive, n_naive, max(2, args.repeats // 2))
        print(f"{label:30s} {1 / best:9.0f} {1 / med:11.0f} {med * 1e3:9.2f}"
              f" {1 / nbest:18.1f} {nbest / best:8.1f}x")


if __name__ == "__main__":
    main()
