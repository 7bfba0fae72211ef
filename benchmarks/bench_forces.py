"""Force calibration accuracy: true vs estimated force per force and method, and the cost
of the simulator's exposure averaging.

Trajectories come from the simulator's bead motion model (:class:`magscope_sim.BeadField`:
exact OU, long pendulum ``l + R`` along x, position averaged exactly over the 10 ms
exposure) for 60 s plateaus at 100 fps; no rendering, no tracking. Each row gives, per
method, the mean estimated force over ``--beads`` beads x 2 axes and the worst relative
error of a single estimate (not pooled). Methods: ``psd`` and ``allan`` (blur + aliasing in
the model, Faxen drag), ``psd-fit`` (the same with the drag fitted), ``variance`` (plain
equipartition), ``lorentz`` (Lorentzian PSD fit, drag fitted: no blur, no aliasing) and
``short-L`` (``psd`` along the field with the pendulum ``l`` instead of ``l + R``).

Then the per-frame cost of ``SimulatedCamera.render_into`` (1024x1024, 20 beads) with the
exposure averaged (default) and with a near-zero exposure (one instant, as before).

Usage: ``python benchmarks/bench_forces.py [--beads N] [--seconds S]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from magscope_analysis import brownian_force
from magscope_sim import BeadField, SimulatedCamera, TetherParams

FORCES = (0.5, 1.0, 2.0, 5.0, 10.0)
R = 500.0
FPS = 100.0
METHODS = {
    "psd": {"method": "psd"},
    "allan": {"method": "allan"},
    "psd-fit": {"method": "psd", "drag": "fit"},
    "variance": {"method": "variance"},
    "lorentz": {"method": "psd-lorentzian", "drag": "fit"},
    "short-L": {"method": "psd", "short": True},
}


def _accuracy(beads: int, seconds: float) -> None:
    print(f"force accuracy: {seconds:g} s plateaus at {FPS:g} fps, 10 ms exposure, R = {R:g} nm,"
          f" {beads} beads x 2 axes; cell = mean estimate (worst single error %)")
    print(f"{'F_true pN':>9} {'f_c,x Hz':>8} " + " ".join(f"{m:>16}" for m in METHODS))
    for i, force in enumerate(FORCES):
        field = BeadField(np.zeros((beads, 2)), np.ones(beads, bool),
                          TetherParams(bead_radius_nm=R), force_pn=force, seed=100 + i)
        traj = field.trajectory(int(seconds * FPS), 1.0 / FPS, exposure_s=1.0 / FPS)
        cells = []
        for opts in METHODS.values():
            kw = dict(opts)
            short = bool(kw.pop("short", False))
            est = []
            for b in range(beads):
                for axis in ((0,) if short else (0, 1)):
                    along = axis == 0 and not short
                    e = brownian_force(traj[:, b, axis], traj[:, b, 2] - R, fps=FPS,
                                       radius_nm=R, along_field=along, **kw)  # type: ignore[arg-type]
                    est.append(e.force_pn)
            arr = np.array(est)
            worst = arr[np.argmax(np.abs(arr / force - 1))] / force - 1
            cells.append(f"{arr.mean():7.3f} ({100 * worst:+6.1f})")
        fc = 1 / (2 * np.pi * field.tau_s[0])
        print(f"{force:9.2f} {fc:8.1f} " + " ".join(f"{c:>16}" for c in cells))


def _render_cost(frames: int) -> None:
    out = np.empty((1024, 1024), np.uint8)
    for label, exposure in (("exposure 10 ms (averaged)", 10.0), ("exposure 1 us (instant)",
                                                                  0.001)):
        cam = SimulatedCamera(width=1024, height=1024, n_fixed=5, n_tethered=15, fps=100.0,
                              exposure_ms=exposure, force_pn=10.0)
        cam.connect()
        cam.render_into(out)
        t0 = time.perf_counter()
        for _ in range(frames):
            cam.render_into(out)
        dt = (time.perf_counter() - t0) / frames
        print(f"render_into 1024x1024, 20 beads, {label}: {dt * 1e3:.2f} ms/frame")


def main() -> None:
    """Print the accuracy table and the render cost."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--beads", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--frames", type=int, default=200)
    args = ap.parse_args()
    _accuracy(args.beads, args.seconds)
    _render_cost(args.frames)


if __name__ == "__main__":
    main()
