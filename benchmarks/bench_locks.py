"""The locks against the simulator's drift: the issue's figures, with ground truth.

One headless session (simulated camera, CPU tracker, focus motor, locks manager):

1. a Z-LUT by a focus sweep on a fixed bead (no drift yet);
2. Z drift (default 10 nm/s) for ``--seconds`` (60) with no lock: every bead's Z follows;
3. the Z-lock on that fixed bead for ``--seconds`` more: the fitted Z trend of each bead
   over the last 40 s (truth: the bead's defocus; tracked: its Z in the tracks matrix);
4. XY drift (default 30 and -20 nm/s) with the XY-lock for ``--xy-seconds`` (30): each
   bead's offset from its ROI centre over the second half (tracked, and the truth for
   beads stuck to the surface).

    python benchmarks/bench_locks.py [--seconds 60] [--drift-z 10] [--xy-seconds 30]
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from magscope_core import (
    AddBead,
    FindBeads,
    GetBeads,
    GetFocus,
    GetLocks,
    GetMagnet,
    GetZLutSweep,
    Hub,
    SetCameraSetting,
    SetForce,
    SetXYLock,
    SetZLock,
    StartZLutSweep,
    plan_session,
)
from magscope_core.cli._common import load_everything

NM_PER_PX = 100.0


def _wait(pred: Any, timeout: float) -> None:
    end = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > end:
            raise TimeoutError("condition not met in time")
        time.sleep(0.1)


def _hold(ring: Any, seconds: float) -> float:
    start = ring.peek_latest().timestamp
    _wait(lambda: ring.peek_latest().timestamp >= start + seconds, seconds * 4 + 30)
    return float(ring.peek_latest().timestamp)


def _trend(t: np.ndarray, v: np.ndarray) -> float:
    ok = np.isfinite(v)
    if ok.sum() < 10:
        return float("nan")
    slope = np.polyfit(t[ok] - t[ok][0], v[ok], 1)[0]
    return float(slope * (t[ok][-1] - t[ok][0]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--drift-z", type=float, default=10.0, help="nm/s")
    ap.add_argument("--xy-seconds", type=float, default=30.0)
    ap.add_argument("--drift-xy", type=float, nargs=2, default=(30.0, -20.0), help="nm/s")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("magscope").setLevel(logging.WARNING)
    last = min(40.0, args.seconds - 5.0)
    tmp = Path(tempfile.mkdtemp(prefix="bench-locks-"))
    truth_file = tmp / "truth.npz"
    plugins, store = load_everything(None)
    plan = plan_session(plugins, store, camera="sim", out_dir=tmp / "run", writers=["telemetry"],
                        tracker="cpu", mode="track", n_workers=1, locks=True,
                        camera_options={"width": 400, "height": 400, "fps": 100.0,
                                        "n_fixed": 3, "n_tethered": 5, "seed": 5,
                                        "contour_length_nm": 1000.0,
                                        "truth_file": str(truth_file)})
    import attrs

    with Hub(plan.managers, plan.commands, attrs.evolve(plan.config,
                                                        start_timeout_s=120.0)) as hub:
        ring, tracks = hub.resources.ring(), hub.resources.tracks()
        beads = [hub.call(AddBead(x=x, y=y, size=64)) for x, y in hub.call(FindBeads(n=8,
                                                                                       size=64))]
        hub.call(SetForce(force_pn=3.0))
        _wait(lambda: not hub.call(GetMagnet())["moving"], 30)
        from magscope_sim._managers import GetSimTruth

        kinds = hub.call(GetSimTruth())["tethered"]
        ref = beads[kinds.index(False)]
        hub.call(StartZLutSweep(start_nm=-1500, stop_nm=2500, step_nm=100, images_per_step=5,
                                bead_id=ref, path=str(tmp / "zlut.txt")))
        _wait(lambda: hub.call(GetZLutSweep())["state"] in ("done", "failed"), 300)
        _wait(lambda: hub.call(GetFocus())["at_target"], 30)
        hub.call(SetCameraSetting(name="drift_z_nm_per_s", value=args.drift_z))
        t0 = float(ring.peek_latest().timestamp)
        t1 = _hold(ring, args.seconds)
        hub.call(SetZLock(bead_id=ref))
        t2 = _hold(ring, args.seconds)
        z_state = hub.call(GetLocks())["z"]
        hub.call(SetZLock(on=False))
        hub.call(SetCameraSetting(name="drift_z_nm_per_s", value=0.0))
        hub.call(SetCameraSetting(name="drift_x_nm_per_s", value=args.drift_xy[0]))
        hub.call(SetCameraSetting(name="drift_y_nm_per_s", value=args.drift_xy[1]))
        hub.call(SetXYLock(window_s=0.5, interval_s=0.5, dead_band_px=0.3))
        t3 = float(ring.peek_latest().timestamp)
        t4 = _hold(ring, args.xy_seconds)
        xy_rows = tracks.rows_newer_than(t3 + args.xy_seconds / 2)
        xy_truth = hub.call(GetSimTruth())
        rois = {b: (x0, y0) for b, x0, y0, _ in hub.call(GetBeads())}
        xy_state = hub.call(GetLocks())["xy"]
        z_rows = {b: tracks.rows_of_bead(b, newer_than=t0) for b in beads}

    truth = np.load(truth_file)
    t = truth["timestamp"]
    free = (t >= t0) & (t <= t1)
    held = (t >= t2 - last) & (t <= t2)
    print(f"Z drift {args.drift_z:g} nm/s: {args.seconds:g} s unlocked, then {args.seconds:g} s "
          f"with the Z-lock on bead {ref} ({z_state['corrections']} focus corrections); "
          f"trend = straight-line fit over the span, nm")
    print(f"{'bead':>4} {'kind':>9} {'unlocked truth':>15} {'tracked':>8} "
          f"{'locked last ' + format(last, 'g') + ' s truth':>24} {'tracked':>8}")
    free_t, held_t = [], []
    for i, b in enumerate(beads):
        r = z_rows[b]
        rf = r[(r[:, 0] >= t0) & (r[:, 0] <= t1)]
        rh = r[(r[:, 0] >= t2 - last) & (r[:, 0] <= t2)]
        a, c = _trend(t[free], truth["dz_nm"][free, i]), _trend(rf[:, 0], rf[:, 3])
        h, k = _trend(t[held], truth["dz_nm"][held, i]), _trend(rh[:, 0], rh[:, 3])
        free_t.append(a)
        held_t.append(abs(h))
        print(f"{b:>4} {'tethered' if kinds[i] else 'fixed':>9} {a:>15.1f} {c:>8.1f} "
              f"{h:>24.1f} {k:>8.1f}")
    print(f"median: unlocked {np.median(free_t):.1f} nm (drift x time = "
          f"{args.drift_z * (t1 - t0):.0f} nm); locked |trend| {np.median(held_t):.1f} nm "
          f"(issue: below 40 nm)")
    print(f"\nXY drift ({args.drift_xy[0]:g}, {args.drift_xy[1]:g}) nm/s for "
          f"{t4 - t3:.0f} s with the XY-lock ({xy_state['corrections']} ROI moves); offsets "
          f"from the ROI centre over the last {args.xy_seconds / 2:g} s, px")
    for i, b in enumerate(beads):
        r = xy_rows[xy_rows[:, 4] == b]
        dx = r[:, 1] / NM_PER_PX - (r[:, 5] + 32)
        dy = r[:, 2] / NM_PER_PX - (r[:, 6] + 32)
        d = np.hypot(dx, dy)
        tx = xy_truth["x_px"][i] - (rois[b][0] + 32)
        ty = xy_truth["y_px"][i] - (rois[b][1] + 32)
        print(f"bead {b:>2} {'tethered' if kinds[i] else 'fixed':>9}: mean ({dx.mean():+.2f}, "
              f"{dy.mean():+.2f}), max |d| {d.max():.2f}, truth now ({tx:+.2f}, {ty:+.2f})")


if __name__ == "__main__":
    main()
