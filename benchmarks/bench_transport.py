"""Frame transport between processes: shared-memory VideoRing vs Pipe vs memcpy.

A spawned "camera" process writes frames into a :class:`VideoRing` (waiting while the
ring is full, so nothing is dropped and the figure is the sustained transport rate); a
spawned consumer claims each stack, reads it and releases it. Consumer modes (each also
checks every frame's number and timestamp):

- ``touch``: sums one row per frame (the cheapest honest read);
- ``read``:  takes the maximum of every frame (reads every byte, writes nothing);
- ``copy``:  copies every frame out of the ring into process memory.

Baselines measured in the same run: a plain numpy copy of the same frames in one process,
and ``multiprocessing.Pipe`` ``send_bytes`` / ``recv_bytes_into`` between two processes.

Run: ``python benchmarks/bench_transport.py [--frames N] [--height H --width W]``
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import queue
import statistics
import time
from typing import Any

import numpy as np

from magscope_core._buffers import SessionMemory, VideoRing, VideoRingHandle

SOURCES = 4  # distinct source frames the camera cycles through
IDLE_SLEEP = 0.0002  # seconds a process sleeps when it has nothing to do (no busy spin)


def _sources(height: int, width: int, dtype: Any) -> np.ndarray:
    rng = np.random.default_rng(0)
    info = np.iinfo(dtype)
    return rng.integers(0, info.max, size=(SOURCES, height, width), dtype=dtype)


def _camera(handle: VideoRingHandle, n_frames: int, ready: Any, start: Any, result: Any) -> None:
    ring = VideoRing.attach(handle)  # pre-faults every page of the ring in this process
    src = _sources(handle.height, handle.width, np.dtype(handle.dtype))
    waits = 0
    ready.set()
    start.wait()
    t0 = time.monotonic()
    for k in range(n_frames):
        slot = ring.slot()
        while slot is None:  # back-pressure: wait for the consumer, never drop
            waits += 1
            time.sleep(IDLE_SLEEP)
            slot = ring.slot()
        np.copyto(slot, src[k % SOURCES])
        ring.commit(float(k))
    result.put(("camera", t0, time.monotonic(), waits, ring.frames_dropped))
    ring.close()


def _consumer(handle: VideoRingHandle, n_frames: int, mode: str, ready: Any, start: Any,
              result: Any) -> None:
    ring = VideoRing.attach(handle)
    local = np.zeros((handle.stack_size, handle.height, handle.width), np.dtype(handle.dtype))
    expected = 0
    checksum = 0
    idle = 0
    ready.set()
    start.wait()
    while expected < n_frames:
        sv = ring.claim_next()
        if sv is None:
            idle += 1
            time.sleep(IDLE_SLEEP)
            continue
        numbers = sv.frame_numbers
        if numbers[0] != expected or numbers[-1] != expected + len(sv) - 1:
            raise RuntimeError(f"stack {sv.index}: frames {numbers} but expected {expected}...")
        if sv.timestamps[0] != float(expected):
            raise RuntimeError(f"stack {sv.index}: timestamp {sv.timestamps[0]} != {expected}")
        if mode == "copy":
            np.copyto(local, sv.frames)
            checksum += int(local[:, 0, :].sum())
        elif mode == "read":
            checksum += int(sv.frames.max())
        else:
            checksum += int(sv.frames[:, 0, :].sum())
        expected += len(sv)
        ring.release(sv.index)
    result.put(("consumer", time.monotonic(), idle, checksum))
    ring.close()


def _check_alive(procs: list[Any], deadline: float) -> None:
    """Raise if a child process died or the deadline passed."""
    for p in procs:
        if p.exitcode not in (None, 0):
            raise RuntimeError(f"{p.name} died with exit code {p.exitcode}")
    if time.monotonic() > deadline:
        raise TimeoutError("no progress from the child processes in time")


def _wait(cond: Any, procs: list[Any], timeout: float) -> None:
    """Wait for ``cond()``; raise at once if a child process died."""
    deadline = time.monotonic() + timeout
    while not cond():
        _check_alive(procs, deadline)
        time.sleep(0.01)


def bench_ring(n_frames: int, height: int, width: int, dtype: Any, n_stacks: int,
               stack_size: int, mode: str) -> dict[str, float]:
    ctx = mp.get_context("spawn")
    n_frames = -(-n_frames // stack_size) * stack_size
    with SessionMemory() as memory:
        ring = VideoRing.create(memory, n_stacks=n_stacks, stack_size=stack_size,
                                height=height, width=width, dtype=dtype)
        start, result = ctx.Event(), ctx.Queue()
        ready = [ctx.Event(), ctx.Event()]
        procs = [
            ctx.Process(target=_camera, args=(ring.handle, n_frames, ready[0], start, result)),
            ctx.Process(target=_consumer,
                        args=(ring.handle, n_frames, mode, ready[1], start, result)),
        ]
        for p in procs:
            p.start()
        for r in ready:
            _wait(lambda r=r: r.is_set(), procs, 60)
        time.sleep(0.2)
        start.set()
        msgs: dict[str, Any] = {}
        deadline = time.monotonic() + 300
        while len(msgs) < 2:
            try:
                m = result.get(timeout=0.1)
                msgs[m[0]] = m
            except queue.Empty:
                _check_alive(procs, deadline)
        for p in procs:
            p.join(timeout=30)
        stats = ring.stats()
        ring.close()
    t0 = msgs["camera"][1]
    elapsed = msgs["consumer"][1] - t0
    return {"fps": n_frames / elapsed, "frames": n_frames, "seconds": elapsed,
            "camera_waits": msgs["camera"][3], "consumer_idle": msgs["consumer"][2],
            "dropped": stats.frames_dropped}


def bench_memcpy(n_frames: int, height: int, width: int, dtype: Any, slots: int) -> float:
    src = _sources(height, width, dtype)
    dst = np.zeros((slots, height, width), dtype)
    for i in range(slots):  # warm, like a pre-faulted ring
        np.copyto(dst[i], src[i % SOURCES])
    t0 = time.perf_counter()
    for k in range(n_frames):
        np.copyto(dst[k % slots], src[k % SOURCES])
    return n_frames / (time.perf_counter() - t0)


def _pipe_sender(conn: Any, n_frames: int, height: int, width: int, dtype: str, ready: Any,
                 start: Any) -> None:
    src = _sources(height, width, np.dtype(dtype))
    ready.set()
    start.wait()
    for k in range(n_frames):
        conn.send_bytes(memoryview(src[k % SOURCES]).cast("B"))
    conn.close()


def bench_pipe(n_frames: int, height: int, width: int, dtype: Any) -> float:
    ctx = mp.get_context("spawn")
    recv, send = ctx.Pipe(duplex=False)
    start, ready = ctx.Event(), ctx.Event()
    p = ctx.Process(target=_pipe_sender,
                    args=(send, n_frames, height, width, np.dtype(dtype).name, ready, start))
    p.start()
    send.close()
    buf = bytearray(height * width * np.dtype(dtype).itemsize)
    _wait(ready.is_set, [p], 60)
    time.sleep(0.2)
    start.set()
    t0 = time.perf_counter()
    for _ in range(n_frames):
        recv.recv_bytes_into(buf)
    elapsed = time.perf_counter() - t0
    p.join(timeout=30)
    return n_frames / elapsed


def _summary(values: list[float]) -> tuple[float, float, float]:
    return min(values), statistics.median(values), max(values)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=30_000, help="frames through the ring")
    ap.add_argument("--pipe-frames", type=int, default=2_000, help="frames through the Pipe")
    ap.add_argument("--height", type=int, default=1024)
    ap.add_argument("--width", type=int, default=1024)
    ap.add_argument("--dtype", default="uint8", choices=["uint8", "uint16"])
    ap.add_argument("--n-stacks", type=int, default=16)
    ap.add_argument("--stack-size", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=3, help="runs of every measurement")
    ap.add_argument("--modes", default="touch,read,copy", help="consumer modes to run")
    args = ap.parse_args(argv)
    dtype = np.dtype(args.dtype)
    mib = args.height * args.width * dtype.itemsize / 2**20
    ring_mib = mib * args.n_stacks * args.stack_size
    modes = [m for m in args.modes.split(",") if m]
    print(f"frames {args.height}x{args.width} {dtype.name} ({mib:.2f} MiB); ring "
          f"{args.n_stacks} stacks x {args.stack_size} frames ({ring_mib:.0f} MiB, pre-faulted); "
          f"{args.repeats} runs each, interleaved")
    geometry = (args.height, args.width, dtype)
    results: dict[str, list[float]] = {}
    notes: dict[str, str] = {}
    for _ in range(args.repeats):
        results.setdefault("memcpy", []).append(
            bench_memcpy(args.frames, *geometry, slots=args.n_stacks * args.stack_size))
        results.setdefault("pipe", []).append(bench_pipe(args.pipe_frames, *geometry))
        for mode in modes:
            r = bench_ring(args.frames, *geometry, args.n_stacks, args.stack_size, mode)
            results.setdefault(mode, []).append(r["fps"])
            notes[mode] = (f"{r['frames']} frames/run, dropped {r['dropped']:.0f}, "
                           f"camera waits {r['camera_waits']:.0f} (last run)")
    labels = {"memcpy": "numpy memcpy, 1 process",
              "pipe": "Pipe send_bytes -> recv_bytes_into",
              **{m: f"VideoRing, consumer '{m}'" for m in modes}}
    pipe = _summary(results["pipe"])[1]
    print(f"{'transport':36s} {'min':>8s} {'median':>8s} {'max':>8s} {'GB/s':>6s} "
          f"{'x Pipe':>6s}  (frames/s)")
    for key, label in labels.items():
        lo, med, hi = _summary(results[key])
        print(f"{label:36s} {lo:8,.0f} {med:8,.0f} {hi:8,.0f} {med * mib * 2**20 / 1e9:6.2f} "
              f"{med / pipe:6.1f}  {notes.get(key, '')}")
    ratios = ", ".join(f"{_summary(results[m])[1] / pipe:.1f} ({m})" for m in modes)
    print(f"median ring/pipe ratio: {ratios}")
    if "touch" in results and (args.height, args.width, dtype.itemsize) == (1024, 1024, 1):
        met = _summary(results["touch"])[1] >= 6000
        print(f"target >= 6,000 frames/s of 1024x1024 uint8 (median, touch): "
              f"{'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
