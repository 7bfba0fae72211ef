"""The pipeline's ceiling: replay camera -> ring -> 2 tracker workers -> tracks -> HDF5.

Two cases of issue 11, each a headless session with the replay camera playing a video
of the simulated microscope (looped, pre-loaded, so the camera costs one copy per
frame), ``--workers`` tracker workers tracking XYZ with a Z-LUT, and the HDF5 writer on:

- ``small``: 256 x 256 uint16, 4 beads, played at ``--small-fps`` (5,000) frames/s;
- ``large``: 1024 x 1024 uint8, 100 beads of 64 px, played at ``--large-fps`` (300);
- ``latency``: the small video at 1,000 frames/s: latency from a frame's timestamp to
  its rows in the shared tracks matrix (p50, p99; the pipeline measures it per stack as
  it appends, the bench checks it with its own reader).

For each: frames/s delivered and tracked, frames dropped, CPU per process (psutil) and
the framework overhead per frame: CPU of the hub thread, the camera manager and the
pipeline manager, less the time the camera spends copying frames (the camera's own
work) and the pipeline spends in writers, divided by the frames; with the pipeline's
per-stage counters. Baselines printed in the same run: the tracker alone on one core on
the same ROIs, and ``--compare`` runs the same case with the previous design
(``core.camera_batch_frames = 1``: one frame per grab call, ``core.writer_batch_s = 0``:
one HDF5 transaction per stack).

    python benchmarks/bench_ceiling.py [--seconds 60] [--cases small,large,latency]
        [--repeats 3] [--compare]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _procs import cpu_seconds

CASES: dict[str, dict[str, Any]] = {
    "small": {"size": 256, "bits": 16, "beads": 4, "fps": 5000.0, "frames": 400,
              "stack_size": 50, "n_stacks": 40},
    "large": {"size": 1024, "bits": 8, "beads": 100, "fps": 300.0, "frames": 60,
              "stack_size": 10, "n_stacks": 30},
    "latency": {"size": 256, "bits": 16, "beads": 4, "fps": 1000.0, "frames": 400,
                "stack_size": 10, "n_stacks": 40},
}


def grid(size: int, beads: int) -> np.ndarray:
    """Bead centres on a square grid, ROIs (64 px) inside the frame and apart."""
    side = int(np.ceil(np.sqrt(beads)))
    step = (size - 64) / max(1, side - 1) if side > 1 else 0
    pts = [(32 + i * step + (size - 64) / 2 * (side == 1), 32 + j * step
            + (size - 64) / 2 * (side == 1)) for j in range(side) for i in range(side)]
    return np.round(np.array(pts[:beads], float))


def make_video(root: Path, case: dict[str, Any]) -> tuple[Path, Path]:
    """A looped video of the simulator (half fixed, half tethered beads) and its ROIs."""
    from magscope_sim import SimulatedCamera

    size, beads = case["size"], case["beads"]
    path = root / f"video-{size}-{case['bits']}-{beads}.npy"
    rois_path = path.with_suffix(".rois.json")
    if path.exists():
        return path, rois_path
    xy = grid(size, beads)
    cam = SimulatedCamera(width=size, height=size, bits=case["bits"], seed=7, fps=1000,
                          fixed_xy_px=xy[::2], tethered_xy_px=xy[1::2])
    info = cam.connect()
    frames = np.empty((case["frames"], *info.shape), info.dtype)
    for i in range(case["frames"]):
        cam.grab_into(frames[i], 1.0)
    rois = [[k, int(x) - 32, int(y) - 32, 64]
            for k, (x, y) in enumerate(b.roi_center for b in cam.bead_positions())]
    cam.disconnect()
    np.save(path, frames)
    rois_path.write_text(json.dumps(rois))
    return path, rois_path


def make_zlut(path: Path) -> None:
    """A Z-LUT of the simulator's bead, by stepping its focus (100 nm planes)."""
    from magscope_sim import SimulatedCamera, focus_sweep
    from magscope_tracker import create_tracker

    cam = SimulatedCamera(width=128, height=128, n_fixed=1, n_tethered=0, seed=5)
    focus_sweep(cam, np.arange(-2000.0, 2001.0, 100.0)).save_zlut(create_tracker(), path)


def tracker_alone(video: Path, rois_path: Path, lut: Path) -> float:
    """ROI/s of the tracker alone in this process (one core) on the video's ROIs."""
    from magscope_tracker import create_tracker

    from magscope_core._workers import crop_rois

    rois = np.array(json.loads(rois_path.read_text()), np.int64)[:, 1:]
    frames = np.load(video, mmap_mode="r")[:40]
    flat = crop_rois(np.asarray(frames), rois).reshape(-1, 64, 64)
    tracker = create_tracker()
    zlut = tracker.load_zlut(lut)
    tracker.warm_up()
    tracker.track(flat[:8], zlut)
    best = 0.0
    for _ in range(3):
        t0 = time.perf_counter()
        tracker.track(flat, zlut)
        best = max(best, flat.shape[0] / (time.perf_counter() - t0))
    return best


class TrackReader(threading.Thread):
    """Reads the tracks matrix every millisecond: latency seen by another reader."""

    def __init__(self, handle: Any) -> None:
        super().__init__(daemon=True)
        from magscope_core._buffers import TracksMatrix

        self.tracks = TracksMatrix.attach(handle)
        self.lat: list[np.ndarray] = []
        self.stop = threading.Event()

    def run(self) -> None:
        self.cursor = self.tracks.total_written
        while not self.stop.wait(0.001):
            read = self.tracks.read_since(self.cursor)
            now = time.time()
            self.cursor = read.cursor
            if read.rows.shape[0]:
                self.lat.append(now - np.unique(read.rows[:, 0]))


def thread_cpu(pid: int, tid: int | None) -> float:
    """CPU seconds of thread ``tid`` of process ``pid`` (Linux /proc)."""
    if tid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_session(name: str, case: dict[str, Any], video: Path, rois_path: Path, lut: Path,
                seconds: float, workers: int, batch: bool, root: Path) -> dict[str, Any]:
    from magscope_core import GetPipelineStats, Hub, plan_session
    from magscope_core.cli._common import load_everything

    plugins, store = load_everything(None)
    store.set("core", "stack_size", case["stack_size"])
    store.set("core", "n_stacks", case["n_stacks"])
    if not batch:  # the design before ADR 0015: a frame per grab call, a write per stack
        store.set("core", "writer_batch_s", 0.0)
        store.set("core", "camera_batch_frames", 1)
    out = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=root))
    plan = plan_session(
        plugins, store, camera="replay", out_dir=out, writers=["hdf5"],
        with_managers=False, tracker="cpu", mode="track", saving=True, zlut=lut,
        n_workers=workers,
        camera_options={"path": str(video), "fps": case["fps"], "loop": True,
                        "timestamps": "now", "rois": str(rois_path), "preload": True})
    me = psutil.Process()
    with Hub(plan.managers, plan.commands, plan.config) as hub:
        reader = TrackReader(hub.resources.tracks_handle) if name == "latency" else None
        time.sleep(2.0)  # warm-up: workers' first stacks, writer's file
        if reader is not None:
            reader.start()
        status = hub.status()
        pids = {n: m["pid"] for n, m in status["managers"].items()}
        procs = [me, *me.children(recursive=True)]
        s0, c0, r0 = (hub.call(GetPipelineStats(reset_latency=True)), cpu_seconds(procs),
                      status["ring"])
        hub_tid = hub._thread.native_id if hub._thread is not None else None
        g0 = status["counters"].get("camera_grab_cpu_s", 0.0)
        h0, t0 = thread_cpu(me.pid, hub_tid), time.monotonic()
        time.sleep(seconds)
        s1, c1, st1 = hub.call(GetPipelineStats()), cpu_seconds(procs), hub.status()
        r1, g1 = st1["ring"], st1["counters"].get("camera_grab_cpu_s", 0.0)
        h1, t1 = thread_cpu(me.pid, hub_tid), time.monotonic()
        if reader is not None:
            reader.stop.set()
            reader.join()
        workers_pids = [p.pid for p in procs[1:] if p.pid not in pids.values()
                        and "resource_tracker" not in " ".join(_cmd(p))]
    dt = t1 - t0
    frames = r1["frames_written"] - r0["frames_written"]
    cpu = {pid: c1[pid] - c0.get(pid, 0.0) for pid in c1}
    res = {
        "seconds": dt,
        "fps_in": frames / dt,
        "fps_tracked": (s1["frames_tracked"] - s0["frames_tracked"]) / dt
        if "frames_tracked" in s1 else (s1["stacks_tracked"] - s0["stacks_tracked"])
        * case["stack_size"] / dt,
        "dropped": r1["frames_dropped"] - r0["frames_dropped"],
        "cpu_hub_thread": h1 - h0,
        "cpu_camera": cpu.get(pids["camera"], 0.0),
        "cpu_pipeline": cpu.get(pids["pipeline"], 0.0),
        "cpu_workers": sum(cpu.get(p, 0.0) for p in workers_pids),
        "frames": frames,
        "stages0": s0.get("stage_seconds", {}), "stages1": s1.get("stage_seconds", {}),
        "camera_copy": g1 - g0,
        "writer_s": s1.get("stage_seconds", {}).get("writers", 0.0)
        - s0.get("stage_seconds", {}).get("writers", 0.0),
        "latency": s1.get("latency_ms", {}),
    }
    if reader is not None and reader.lat:
        lat = np.concatenate(reader.lat) * 1e3
        res["reader_latency"] = {"p50": float(np.percentile(lat, 50)),
                                 "p99": float(np.percentile(lat, 99)), "n": int(lat.size)}
    return res


def _cmd(p: psutil.Process) -> list[str]:
    try:
        return p.cmdline()
    except psutil.Error:
        return []


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--cases", default="small,large,latency")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--compare", action="store_true",
                    help="also run each case with the previous design")
    ap.add_argument("--small-fps", type=float, default=CASES["small"]["fps"])
    ap.add_argument("--large-fps", type=float, default=CASES["large"]["fps"])
    args = ap.parse_args()
    CASES["small"]["fps"], CASES["large"]["fps"] = args.small_fps, args.large_fps
    root = Path(tempfile.mkdtemp(prefix="bench-ceiling-"))
    os.environ.update(MAGSCOPE_CONFIG_DIR=str(root / "config"),
                      MAGSCOPE_DATA_DIR=str(root / "data"), MAGSCOPE_AUTO_ZLUT="0")
    lut = root / "zlut.txt"
    make_zlut(lut)
    print(f"pipeline ceiling: replay camera, {args.workers} tracker workers (XYZ, Z-LUT), "
          f"HDF5 on, {args.seconds:g} s per run, {args.repeats} run(s), "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    designs = [True, False] if args.compare else [True]
    for name in args.cases.split(","):
        case = CASES[name]
        video, rois_path = make_video(root, case)
        alone = tracker_alone(video, rois_path, lut)
        print(f"\n[{name}] {case['size']} x {case['size']} uint{case['bits']}, "
              f"{case['beads']} beads, played at {case['fps']:g} frames/s, stacks of "
              f"{case['stack_size']} x {case['n_stacks']}")
        print(f"  baseline: tracker alone, 1 core: {alone:,.0f} ROI/s = "
              f"{alone / case['beads']:,.0f} frames/s")
        for batch in designs:
            runs = [run_session(name, case, video, rois_path, lut, args.seconds,
                                args.workers, batch, root) for _ in range(args.repeats)]
            report(name, case, runs, "new design" if batch else "previous design")


def _med(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(float(r[key]) for r in runs)


def report(name: str, case: dict[str, Any], runs: list[dict[str, Any]], label: str) -> None:
    fps_in = [r["fps_in"] for r in runs]
    print(f"  {label}: frames/s in {_med(runs, 'fps_in'):,.0f} (runs "
          f"{', '.join(f'{v:,.0f}' for v in fps_in)}), tracked "
          f"{_med(runs, 'fps_tracked'):,.0f}, dropped "
          f"{', '.join(str(r['dropped']) for r in runs)}")
    per = {k: statistics.median(r[k] / max(1, r["frames"]) * 1e6 for r in runs)
           for k in ("cpu_hub_thread", "cpu_camera", "cpu_pipeline", "cpu_workers",
                     "writer_s", "camera_copy")}
    stages = {}
    for r in runs:
        for k, v in r["stages1"].items():
            stages.setdefault(k, []).append((v - r["stages0"].get(k, 0.0))
                                            / max(1, r["frames"]) * 1e6)
    st = {k: statistics.median(v) for k, v in stages.items()}
    copy = per["camera_copy"]
    with_copy = per["cpu_hub_thread"] + per["cpu_camera"] + per["cpu_pipeline"] - per["writer_s"]
    overhead = with_copy - copy
    print(f"    CPU us/frame: hub thread {per['cpu_hub_thread']:.2f}, camera manager "
          f"{per['cpu_camera']:.2f} (of which frame copy {copy:.2f}), pipeline "
          f"{per['cpu_pipeline']:.2f} (of which writers {per['writer_s']:.2f}), "
          f"tracker workers {per['cpu_workers']:.2f}")
    print(f"    framework overhead: {overhead:.2f} us/frame without the camera's frame copy, "
          f"{with_copy:.2f} with it")
    if st:
        print("    stages us/frame: " + ", ".join(f"{k} {v:.2f}" for k, v in sorted(st.items())))
    lat = runs[-1].get("latency")
    if lat:
        print(f"    latency frame timestamp -> tracks matrix (pipeline): p50 "
              f"{lat['p50']:.2f} ms, p99 {lat['p99']:.2f} ms")
    rl = runs[-1].get("reader_latency")
    if rl:
        print(f"    latency seen by a reader polling every 1 ms: p50 {rl['p50']:.2f} ms, "
              f"p99 {rl['p99']:.2f} ms ({rl['n']} frames)")


if __name__ == "__main__":
    main()
