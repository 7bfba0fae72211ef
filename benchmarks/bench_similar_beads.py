"""Similar-bead search on simulated frames: recall, precision and time, per seed bead.

    python benchmarks/bench_similar_beads.py [--size 1024] [--beads 60] [--seeds 5]

For each simulator seed and each kind of seed bead (tethered, fixed), the search is
seeded on one bead of that kind; the beads of the same kind are the truth (the
simulator's ground truth of the searched frame), matched one to one within 4 px. Two layouts:

- ``spaced``: beads at least one ROI diagonal apart (every bead can get its own ROI);
- ``default``: the simulator's default spacing (64 px, the ROI side): two beads closer
  than that along both axes cannot both get a non-overlapping ROI, so such a pair
  counts as one true bead there (recall is judged over beads that can get an ROI:
  a bead is missed only if no ROI holds it).
"""

from __future__ import annotations

import argparse
import time

import attrs
import numpy as np
from magscope_sim._camera import SimulatedCamera

from magscope_core._similar_beads import find_similar

ROI = 64


def _run(seed: int, size: int, n_teth: int, n_fixed: int, spacing: float | None
         ) -> list[tuple[str, int, int, int, float, float]]:
    opts = {} if spacing is None else {"min_separation_px": spacing}
    cam = SimulatedCamera(seed=seed, width=size, height=size, n_tethered=n_teth,
                          n_fixed=n_fixed, **opts)
    info = cam.connect()
    frame = np.zeros(info.shape, info.dtype)
    cam.grab_into(frame, 5.0)
    truth_now = cam.truth()  # where each bead is in this frame (tethered beads move)
    half = ROI / 2
    sites = [attrs.evolve(s, x_px=float(truth_now.x_px[s.bead_id]),
                          y_px=float(truth_now.y_px[s.bead_id]))
             for s in cam.bead_positions()]
    sites = [s for s in sites
             if half <= s.x_px <= info.width - half and half <= s.y_px <= info.height - half]
    cam.disconnect()
    out = []
    for kind in (True, False):
        group = [s for s in sites if s.tethered == kind]
        if len(group) < 2:
            continue
        seed_bead = group[0]
        t0 = time.perf_counter()
        peaks = find_similar(frame, seed_bead.x_px, seed_bead.y_px, ROI)
        dt = time.perf_counter() - t0
        found = peaks.selected()
        truth = np.array([(s.x_px, s.y_px) for s in group])
        used: set[int] = set()
        tp = 0
        for x, y in found:
            d = np.hypot(truth[:, 0] - x, truth[:, 1] - y)
            j = int(np.argmin(d))
            if d[j] <= 4 and j not in used:
                used.add(j)
                tp += 1
        # beads another bead's ROI must hold (closer than one ROI along both axes)
        crowded = 0
        for i, (x, y) in enumerate(truth):
            if i in used:
                continue
            if any(abs(x - a) < ROI and abs(y - b) < ROI
                   for k, (a, b) in enumerate(truth) if k != i):
                crowded += 1
        n_true = len(truth) - crowded if spacing is None else len(truth)
        out.append(("tethered" if kind else "fixed", tp, len(found), n_true,
                    peaks.threshold, dt))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=1024, help="frame side (px)")
    ap.add_argument("--beads", type=int, default=60, help="tethered beads (+1/6 fixed)")
    ap.add_argument("--seeds", type=int, default=5, help="simulator seeds")
    args = ap.parse_args()
    for layout, spacing in (("spaced", 92.0), ("default", None)):
        tot = np.zeros(3, int)
        worst = (1.0, 1.0)
        times = []
        for seed in range(1, args.seeds + 1):
            for kind, tp, nf, nt, thr, dt in _run(seed, args.size, args.beads,
                                                  max(2, args.beads // 6), spacing):
                r, p = tp / max(1, nt), tp / max(1, nf)
                worst = (min(worst[0], r), min(worst[1], p))
                tot += (tp, nf, nt)
                times.append(dt)
                print(f"{layout:8s} seed {seed} {kind:8s}: threshold {thr:.3f}  true {nt:3d}  "
                      f"found {nf:3d}  recall {r:.3f}  precision {p:.3f}  {dt * 1e3:6.0f} ms")
        print(f"{layout}: recall {tot[0] / tot[2]:.3f}, precision {tot[0] / tot[1]:.3f} "
              f"(worst search: recall {worst[0]:.3f}, precision {worst[1]:.3f}); "
              f"median search {np.median(times) * 1e3:.0f} ms on a {args.size} px frame\n")


if __name__ == "__main__":
    main()
