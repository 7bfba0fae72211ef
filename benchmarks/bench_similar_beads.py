"""Similar-bead search on simulated frames: recall, precision and time, per seed bead.

    python benchmarks/bench_similar_beads.py [--size 1024] [--beads 60] [--seeds 5]
    python benchmarks/bench_similar_beads.py --grabbing [--size 1024] [--fps 50]

``--grabbing``: does the camera keep grabbing while a search runs? A real session
(simulated camera, no beads, nothing saved) grabs for a few seconds without a search,
then while searches run back to back; frames the camera should have made at its rate
but did not are dropped frames (the camera manager's own frame counter, against the
clock).

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
from typing import Any

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


def _frames(hub: Any) -> float:
    return float(hub.status()["counters"].get("camera_frames", 0))


def _window(hub: Any, seconds: float, fps: float, search: tuple[float, float] | None
            ) -> tuple[int, float, list[float]]:
    """Frames grabbed and dropped in ``seconds``, and the searches' times (s)."""
    from magscope_core import find_similar_beads

    start_frames, t0 = _frames(hub), time.monotonic()
    times: list[float] = []
    while time.monotonic() - t0 < seconds:
        if search is None:
            time.sleep(0.05)  # a pause: the camera grabs on its own meanwhile
            continue
        s0 = time.monotonic()
        find_similar_beads(hub, search[0], search[1], ROI, add=False, poll_s=0.02)
        times.append(time.monotonic() - s0)
    elapsed = time.monotonic() - t0
    got = int(_frames(hub) - start_frames)
    return got, max(0.0, fps * elapsed - got), times


def grabbing(size: int, fps: float, seconds: float, in_process: bool) -> None:
    """Dropped frames without and during bead searches, in a real session."""
    import logging
    import tempfile
    from pathlib import Path

    from magscope_core import Hub, plan_session
    from magscope_core.cli._common import load_everything

    logging.getLogger("magscope").setLevel(logging.WARNING)
    plugins, store = load_everything(None)
    plan = plan_session(plugins, store, camera="sim", writers=[], mode="video-full",
                        saving=False, with_managers=False, n_workers=1,
                        out_dir=Path(tempfile.mkdtemp(prefix="bench-search-")),
                        camera_options={"width": size, "height": size, "fps": fps,
                                        "n_tethered": max(4, size * size // 20000),
                                        "n_fixed": 4, "seed": 3})
    managers = [attrs.evolve(e, spec=attrs.evolve(e.spec, options={
        **e.spec.options, "search_process": in_process})) if e.spec.name == "camera" else e
        for e in plan.managers]
    where = "a search process" if in_process else "a thread of the camera manager"
    with Hub(managers, plan.commands, plan.config) as hub:
        from magscope_sim._managers import GetSimTruth

        truth = hub.call(GetSimTruth())
        seed = (truth["x_px"][0], truth["y_px"][0])
        _window(hub, 2.0, fps, None)  # warm up
        _window(hub, 1.0, fps, seed)  # the first search (starts what it needs)
        for label, search in (("no search", None), ("searches", seed), ("no search", None)):
            got, dropped, times = _window(hub, seconds, fps, search)
            extra = (f"; {len(times)} searches, median {np.median(times) * 1e3:.0f} ms"
                     if times else "")
            print(f"search in {where}: {size} px at {fps:g} fps, {label:9s}: {got} frames "
                  f"in {seconds:g} s, "
                  f"{dropped:.0f} dropped ({dropped / max(1.0, fps * seconds):.1%}){extra}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=1024, help="frame side (px)")
    ap.add_argument("--beads", type=int, default=60, help="tethered beads (+1/6 fixed)")
    ap.add_argument("--seeds", type=int, default=5, help="simulator seeds")
    ap.add_argument("--grabbing", action="store_true",
                    help="measure dropped frames while searches run in a session")
    ap.add_argument("--fps", type=float, default=50.0, help="--grabbing: camera rate")
    ap.add_argument("--seconds", type=float, default=5.0, help="--grabbing: each window")
    ap.add_argument("--repeats", type=int, default=2, help="--grabbing: rounds of both")
    args = ap.parse_args()
    if args.grabbing:
        for _ in range(args.repeats):
            for in_process in (False, True):  # before (a thread), after (a process)
                grabbing(args.size, args.fps, args.seconds, in_process)
        return
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
