"""Re-tracking throughput: videos/s and ROI/s, local session per video against Dask.

Makes ``--videos`` full-frame videos of the simulated microscope (``--frames`` frames of
256 x 256 px, 4 beads, saved as memory-mappable ``.npy``) and a Z-LUT, then re-tracks
them all

- locally: one session per video (replay camera, pipeline, ``--workers`` tracker workers,
  HDF5 writer), as ``magscope retrack`` does without ``--scheduler``;
- on Dask: a ``LocalCluster`` of ``--workers`` worker processes (1 thread each), one task
  per ``--chunk`` frames, as ``magscope retrack --scheduler`` does.

Both runs re-track the same videos with the same ROIs; the baseline printed with them is
the tracker alone on the same ROIs in this process (ROI/s of one core).

Usage: ``python benchmarks/bench_retrack.py [--videos 4] [--frames 400] [--workers 2]``
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np


def make_videos(root: Path, n_videos: int, n_frames: int) -> list[Path]:
    from magscope_sim import SimulatedCamera

    paths = []
    for v in range(n_videos):
        cam = SimulatedCamera(width=256, height=256, n_fixed=2, n_tethered=2, seed=10 + v,
                              fps=1000, min_separation_px=91.0)
        info = cam.connect()
        frames = np.empty((n_frames, *info.shape), info.dtype)
        for i in range(n_frames):
            cam.grab_into(frames[i], 1.0)
        cam.disconnect()
        path = root / f"video{v}.npy"
        np.save(path, frames)
        paths.append(path)
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--videos", type=int, default=4)
    ap.add_argument("--frames", type=int, default=400)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--chunk", type=int, default=200)
    args = ap.parse_args()
    from distributed import Client, LocalCluster
    from magscope_replay._retrack import plan_job, rois_array
    from magscope_replay._retrack_dask import retrack_dask
    from magscope_replay._retrack_local import retrack_local
    from magscope_sim import SimulatedCamera, focus_sweep
    from magscope_tracker import create_tracker

    from magscope_core.cli._common import load_everything

    root = Path(tempfile.mkdtemp(prefix="bench-retrack-"))
    os.environ.update(MAGSCOPE_CONFIG_DIR=str(root / "config"),
                      MAGSCOPE_DATA_DIR=str(root / "data"), MAGSCOPE_AUTO_ZLUT="0")
    lut = focus_sweep(SimulatedCamera(width=128, height=128, n_fixed=1, n_tethered=0, seed=5),
                      np.arange(-2000.0, 2001.0, 200.0)).save_zlut(create_tracker(),
                                                                   root / "zlut.txt")
    videos = make_videos(root, args.videos, args.frames)
    plugins, store = load_everything(None)
    print(f"{args.videos} videos x {args.frames} frames of 256 x 256 uint8, "
          f"{args.workers} workers, cpu count {os.cpu_count()}")

    # baseline: the tracker alone, one core, on the ROIs of the first video
    job = plan_job(str(videos[0]), root / "base", rois_file=None, beads=None, roi_size=64)
    _ids, rois = rois_array(job)
    from magscope_core._workers import crop_rois

    frames = np.load(videos[0], mmap_mode="r")
    crops = crop_rois(np.asarray(frames), rois)
    flat = crops.reshape(-1, 64, 64)
    tracker = create_tracker()
    zlut = tracker.load_zlut(lut)
    tracker.warm_up()
    t0 = time.perf_counter()
    tracker.track(flat, zlut)
    base = flat.shape[0] / (time.perf_counter() - t0)
    print(f"baseline  tracker alone, 1 core: {base:10,.0f} ROI/s")

    for engine in ("local", "dask"):
        jobs = [plan_job(str(v), root / engine, rois_file=None, beads=None, roi_size=64)
                for v in videos]
        rois_total = sum(j.n_frames * len(j.rois) for j in jobs)
        t0 = time.perf_counter()
        if engine == "local":
            for j in jobs:
                retrack_local(j, plugins, store, zlut=lut, workers=args.workers)
        else:
            with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                              dashboard_address=None) as cluster, Client(cluster) as client:
                t0 = time.perf_counter()  # the cluster's start-up is not counted
                for j in jobs:
                    retrack_dask(j, plugins, store, client, zlut=lut,
                                 chunk_frames=args.chunk)
        took = time.perf_counter() - t0
        print(f"{engine:6s}    {len(jobs) / took:6.2f} videos/s  {rois_total / took:10,.0f} "
              f"ROI/s  ({took:.1f} s, {rois_total} ROIs)")


if __name__ == "__main__":
    main()
