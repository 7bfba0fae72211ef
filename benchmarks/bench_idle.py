"""Idle CPU of a headless session: a 30 fps camera and nothing else to do.

Target: <= 5 % of one core in total over every process of the session (the reference
system idles at ~190 % on this machine kind because its managers busy-spin).

    python benchmarks/bench_idle.py [--seconds 10] [--fps 30]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "testplugin"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _procs import cpu_seconds
from magscope_testplugin import PatternCamera

from magscope_core import (
    CameraManager,
    Hub,
    ManagerEntry,
    ManagerSpec,
    PipelineManager,
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--fps", type=float, default=30.0)
    ap.add_argument("--width", type=int, default=1024)
    ap.add_argument("--height", type=int, default=1024)
    args = ap.parse_args()
    entries = [
        ManagerEntry(ManagerSpec("camera", CameraManager, options={
            "camera_factory": PatternCamera,
            "camera_options": {"fps": args.fps, "width": args.width, "height": args.height},
        }), kind="camera"),
        ManagerEntry(ManagerSpec("pipeline", PipelineManager)),
    ]
    with Hub(entries) as hub:
        time.sleep(2.0)  # let start-up costs settle
        me = psutil.Process()
        procs = [me, *me.children(recursive=True)]
        c0, t0 = sum(cpu_seconds(procs).values()), time.monotonic()
        f0 = hub.status()["ring"]["frames_written"]
        time.sleep(args.seconds)
        c1, t1 = sum(cpu_seconds(procs).values()), time.monotonic()
        f1 = hub.status()["ring"]["frames_written"]
        per_proc = {}
        for p in procs:
            try:
                per_proc[p.pid] = (p.name(), " ".join(p.cmdline()[-1:])[:40])
            except psutil.NoSuchProcess:
                pass
    pct = 100.0 * (c1 - c0) / (t1 - t0)
    print(f"idle session: camera {args.width}x{args.height} at {args.fps:g} fps, "
          f"{len(procs)} processes, {t1 - t0:.1f} s")
    print(f"  frames delivered        : {f1 - f0} ({(f1 - f0) / (t1 - t0):.1f} fps)")
    print(f"  CPU, all processes      : {pct:.2f} % of one core   (target <= 5 %)")
    print("  reference (MagScope 1.0): ~190 % of one core idle  -> "
          f"{190.0 / max(pct, 1e-3):.0f}x less")


if __name__ == "__main__":
    main()
