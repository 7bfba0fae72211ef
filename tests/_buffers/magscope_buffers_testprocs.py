"""Functions run in spawned child processes by the buffer tests."""

from __future__ import annotations

import time
from multiprocessing import resource_tracker
from typing import Any

import numpy as np

from magscope_core._buffers import (
    BeadRoiTable,
    BeadRoiTableHandle,
    SessionMemory,
    SharedCounters,
    SharedCountersHandle,
    TracksMatrix,
    TracksMatrixHandle,
    VideoRing,
    VideoRingHandle,
    attach_segment,
)

IDLE = 0.0002


def collect(result: Any, processes: list[Any], n: int, timeout: float = 60.0) -> list[Any]:
    """Get ``n`` messages from ``result``; fail fast, naming the child, if one dies."""
    import queue

    out: list[Any] = []
    deadline = time.monotonic() + timeout
    while len(out) < n:
        try:
            out.append(result.get(timeout=0.1))
            continue
        except queue.Empty:
            pass
        for p in processes:
            if p.exitcode not in (None, 0):
                raise RuntimeError(f"child process {p.name} died with exit code {p.exitcode}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"got {len(out)} of {n} messages from children in {timeout} s")
    return out


def video_producer(handle: VideoRingHandle, n_frames: int, block: bool, start: Any,
                   done: Any, result: Any) -> None:
    """Offer frames 0..n-1: frame k is filled with k % 251 and stamped k."""
    ring = VideoRing.attach(handle)
    start.wait(30)
    for k in range(n_frames):
        slot = ring.slot()
        while slot is None and block:
            time.sleep(IDLE)
            slot = ring.slot()
        if slot is None:
            ring.drop()
            continue
        slot.fill(k % 251)
        assert ring.commit(float(k)) == k
    result.put(("producer", ring.frames_written, ring.frames_dropped))
    done.set()
    ring.close()


def video_consumer(handle: VideoRingHandle, delay: float, done: Any, result: Any) -> None:
    """Claim every stack, check every frame against its number, release."""
    ring = VideoRing.attach(handle)
    seen = 0
    firsts: list[int] = []
    errors: list[str] = []
    last = -1
    while True:
        sv = ring.claim_next()
        if sv is None:
            if done.is_set():
                sv = ring.claim_next()
                if sv is None:
                    break
            else:
                time.sleep(IDLE)
                continue
        numbers = sv.frame_numbers.copy()
        if numbers[0] <= last or np.any(np.diff(numbers) != 1):
            errors.append(f"stack {sv.index}: numbers {numbers.tolist()} after {last}")
        for i, num in enumerate(numbers.tolist()):
            frame = sv.frames[i]
            if frame.min() != num % 251 or frame.max() != num % 251:
                errors.append(f"frame {num}: pixels {frame.min()}..{frame.max()}")
            if sv.timestamps[i] != float(num):
                errors.append(f"frame {num}: timestamp {sv.timestamps[i]}")
        last = int(numbers[-1])
        firsts.append(int(numbers[0]))
        seen += len(sv)
        if delay:
            time.sleep(delay)
        ring.release(sv.index)
    result.put(("consumer", seen, firsts, errors[:20]))
    ring.close()


def video_self_dispatch(handle: VideoRingHandle, seconds: float, start: Any, done: Any) -> None:
    """Write frames continuously, claiming and releasing stacks itself when full."""
    ring = VideoRing.attach(handle)
    start.wait(30)
    t_end = time.monotonic() + seconds
    k = 0
    while time.monotonic() < t_end:
        slot = ring.slot()
        if slot is None:
            sv = ring.claim_next()
            assert sv is not None
            ring.release(sv.index)
            continue
        slot.fill(k % 251)
        ring.commit(float(k))
        k += 1
    done.set()
    ring.close()


def tracks_writer(handle: TracksMatrixHandle, n_batches: int, seed: int, start: Any,
                  done: Any) -> None:
    """Append random batches; every column of row ``i`` holds ``i``."""
    m = TracksMatrix.attach(handle)
    rng = np.random.default_rng(seed)
    ncols = len(handle.columns)
    start.wait(30)
    total = 0
    for _ in range(n_batches):
        n = int(rng.integers(1, handle.capacity // 2))
        rows = np.repeat(np.arange(total, total + n, dtype=np.float64)[:, None], ncols, axis=1)
        total = m.append(rows)
    done.set()
    m.close()


def roi_writer(handle: BeadRoiTableHandle, n_changes: int, start: Any, done: Any) -> None:
    """Replace the table again and again with self-consistent contents.

    Change ``v`` stores ``v % 50 + 1`` ROIs whose ids are ``v * 100 + j`` and whose
    x0, y0 and size all equal ``v + 1``.
    """
    t = BeadRoiTable.attach(handle)
    start.wait(30)
    for v in range(n_changes):
        n = v % 50 + 1
        t.replace(np.full((n, 3), v + 1), ids=np.arange(n) + v * 100)
    done.set()
    t.close()


def counters_child(handle: SharedCountersHandle, n: int, result: Any) -> None:
    """Increment ``camera_frames`` n times and set ``camera_last_frame_t``."""
    c = SharedCounters.attach(handle)
    for _ in range(n):
        c.add("camera_frames")
    c.set("camera_last_frame_t", 123.5)
    result.put(c.snapshot())
    c.close()


def attach_and_hold(segments: list[str], ready: Any) -> None:
    """Attach raw segments, touch them, then wait to be killed."""
    held = [attach_segment(name) for name in segments]
    for shm in held:
        shm.buf[0] = 1
    ready.set()
    time.sleep(600)


def attach_and_exit(segment: str, result: Any) -> None:
    """Attach a segment, read a byte, detach and return normally."""
    shm = attach_segment(segment)
    result.put(int(shm.buf[0]))
    shm.close()


def session_and_hang(names: list[str], forget_tracker: bool, result: Any) -> None:
    """Create a session with ``names`` segments, report its id, wait to be killed.

    ``forget_tracker`` unregisters the segments from the (shared) resource tracker: it
    simulates a crash that also took the tracker down, which is when segments stay in
    /dev/shm.
    """
    memory = SessionMemory(register_atexit=False)
    for name in names:
        shm = memory.create(name, 4096)
        if forget_tracker:
            resource_tracker.unregister(shm._name, "shared_memory")  # type: ignore[attr-defined]
    result.put(memory.session_id)
    time.sleep(600)
