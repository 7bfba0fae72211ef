"""End-to-end throughput of a headless session: simulated camera -> ring -> tracker
workers -> tracks matrix -> HDF5 writer.

Prints frames/s delivered, dropped frames, ROIs/s tracked and CPU use per process.

    python benchmarks/bench_pipeline.py [--seconds 10] [--fps 200] [--size 512] [--beads 20]
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

import psutil
from _procs import cpu_seconds

from magscope_core import (
    AddBead,
    FindBeads,
    GetPipelineStats,
    Hub,
    SettingsStore,
    load_plugins,
    plan_session,
)
from magscope_core._core_plugin import CorePlugin


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--fps", type=float, default=200.0)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--beads", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    plugins = load_plugins(builtins=[(CorePlugin(), "core", "magscope-core")])
    store = SettingsStore({ns: c.spec.schema for ns, c in plugins.settings.items()}, None)
    n_tethered = args.beads * 3 // 4
    with tempfile.TemporaryDirectory() as tmp:
        plan = plan_session(
            plugins, store, camera="sim", out_dir=Path(tmp), writers=["hdf5"],
            n_workers=args.workers, mode="track",
            camera_options={"width": args.size, "height": args.size, "fps": args.fps,
                            "n_fixed": args.beads - n_tethered, "n_tethered": n_tethered,
                            "min_separation_px": 70},
        )
        with Hub(plan.managers, plan.commands, plan.config) as hub:
            for x, y in hub.call(FindBeads(n=args.beads, size=64), timeout=10):
                hub.call(AddBead(x=x, y=y, size=64))
            n_beads = len(hub.status()["beads"])
            time.sleep(2.0)
            me = psutil.Process()
            procs = [me, *me.children(recursive=True)]
            s0, c0, t0 = hub.call(GetPipelineStats()), cpu_seconds(procs), time.monotonic()
            r0 = hub.status()["ring"]
            time.sleep(args.seconds)
            s1, c1, t1 = hub.call(GetPipelineStats()), cpu_seconds(procs), time.monotonic()
            r1 = hub.status()["ring"]
            managers = {m["pid"]: f"manager {n}" for n, m in hub.status()["managers"].items()}
            names = {me.pid: "main process (hub)"}
            for p in procs[1:]:
                try:
                    parent = p.ppid()
                except psutil.NoSuchProcess:
                    continue
                names[p.pid] = managers.get(p.pid) or (
                    "tracker worker" if managers.get(parent) == "manager pipeline"
                    else "resource tracker" if "resource_tracker" in " ".join(p.cmdline())
                    else p.name())
    dt = t1 - t0
    frames = r1["frames_written"] - r0["frames_written"]
    dropped = r1["frames_dropped"] - r0["frames_dropped"]
    tracked_frames = (s1["stacks_tracked"] - s0["stacks_tracked"]) * plan.config.stack_size
    print(f"headless session: sim camera {args.size}x{args.size} at {args.fps:g} fps, "
          f"{n_beads} beads, {args.workers} tracker workers, HDF5 saving, {dt:.1f} s")
    print(f"  frames delivered : {frames / dt:8.1f} frames/s  (dropped {dropped})")
    print(f"  frames tracked   : {tracked_frames / dt:8.1f} frames/s")
    print(f"  ROIs tracked     : {tracked_frames * n_beads / dt:8.0f} ROI/s")
    print(f"  tracking time    : {s1['track_ms_per_stack']:.2f} ms per stack of "
          f"{plan.config.stack_size} frames x {n_beads} beads "
          f"(frame budget {1e3 * plan.config.stack_size / args.fps:.1f} ms)")
    total = 0.0
    for pid, v1 in sorted(c1.items()):
        pct = 100 * (v1 - c0.get(pid, 0.0)) / dt
        total += pct
        print(f"    {pct:6.1f} %  {names.get(pid, str(pid))}")
    print(f"  CPU total        : {total:6.1f} % of one core")


if __name__ == "__main__":
    main()
