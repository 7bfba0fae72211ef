"""Tracker worker processes: a pool the pipeline hands stacks to, no lock between them.

Each worker attaches the video ring, builds its own tracker from the tracker spec's
factory and waits on its pipe. A task names a *claimed* stack and the bead ROIs; the
worker crops the ROIs straight from the shared ring (the only copy), tracks them and
sends back small result arrays. Whichever worker is idle gets the next stack, so
workers run in parallel.

Faults: a worker that dies is restarted and its stack given to another worker (once; a
stack that kills two workers counts as failed). A stack that takes longer than its
timeout (see :meth:`WorkerPool.task_timeout`) is counted as failed and its worker killed
and replaced: a hung tracker cannot hold a stack, or the pipeline, forever.
"""

from __future__ import annotations

import inspect
import logging
import multiprocessing as mp
import os
import signal
import time
import traceback
from collections import deque
from collections.abc import Callable
from typing import Any

import attrs
import numpy as np

from magscope_core._proctitle import set_process_title

__all__ = ["Task", "TaskResult", "WorkerPool", "crop_rois", "warm_up_tracker"]

log = logging.getLogger("magscope.pipeline")

#: A worker's first stacks get a generous timeout (a kernel compiled on first use, caches
#: still cold, a machine busy starting the session).
FIRST_STACKS = 3
FIRST_STACK_TIMEOUT_S = 60.0
#: The automatic timeout afterwards: this many times the slowest recent stack, at least
#: ``AUTO_TIMEOUT_MIN_S``.
AUTO_TIMEOUT_FACTOR = 20.0
AUTO_TIMEOUT_MIN_S = 5.0


def crop_rois(frames: np.ndarray, rois: np.ndarray) -> np.ndarray:
    """Crop square ROIs out of a stack: ``(n_frames, h, w)`` -> ``(n_frames, n_beads, s, s)``.

    ``rois`` is ``(n_beads, 3)`` rows ``(x0, y0, size)``; all sizes must be equal.

    Raises
    ------
    ValueError
        If the ROI sizes differ or an ROI leaves the frame.
    """
    sizes = np.unique(rois[:, 2])
    if sizes.size != 1:
        raise ValueError(f"bead ROIs must all have one size, got sizes {sizes.tolist()}")
    s = int(sizes[0])
    n, h, w = frames.shape
    out = np.empty((n, rois.shape[0], s, s), dtype=frames.dtype)
    for j, (x0, y0, _) in enumerate(rois.tolist()):
        if x0 < 0 or y0 < 0 or x0 + s > w or y0 + s > h:
            raise ValueError(f"ROI ({x0}, {y0}, {s}) leaves the {w}x{h} frame")
        out[:, j] = frames[:, y0:y0 + s, x0:x0 + s]
    return out


@attrs.frozen
class Task:
    """Track the bead ROIs of one claimed stack."""

    seq: int
    stack: int
    rois: np.ndarray = attrs.field(eq=False)
    profile_column: int = -1
    """Index (in ``rois``) of the bead whose radial profile to return, -1 for none."""


@attrs.frozen
class TaskResult:
    """What a worker sends back (``error`` set when tracking failed)."""

    seq: int
    worker: int
    x: np.ndarray | None = attrs.field(default=None, eq=False)
    y: np.ndarray | None = attrs.field(default=None, eq=False)
    z: np.ndarray | None = attrs.field(default=None, eq=False)
    seconds: float = 0.0
    error: str | None = None
    profile: np.ndarray | None = attrs.field(default=None, eq=False)
    """Radial profile of the requested bead in the stack's last frame."""


def _gives_profiles(tracker: Any) -> bool:
    """Whether ``tracker.track`` accepts ``return_profiles`` (an optional extra)."""
    try:
        return "return_profiles" in inspect.signature(tracker.track).parameters
    except (TypeError, ValueError):
        return False


def _profile_of(tracker: Any, roi: np.ndarray, zlut: Any) -> np.ndarray | None:
    """The radial profile of one ROI (the tracker must accept ``return_profiles``)."""
    res = tracker.track(roi[None], zlut, return_profiles=True)
    profiles = getattr(res, "profiles", None)
    return None if profiles is None else np.asarray(profiles[0], np.float64)


def warm_up_tracker(tracker: Any, dtype: str | None = None) -> None:
    """Run a tracker's optional ``warm_up()`` (compile kernels, fill caches).

    ``dtype`` (the camera's) is passed as ``dtypes=(dtype,)`` when ``warm_up`` accepts a
    ``dtypes`` keyword, so only what the session will use is prepared.
    """
    warm_up = getattr(tracker, "warm_up", None)
    if not callable(warm_up):
        return
    try:
        takes_dtypes = "dtypes" in inspect.signature(warm_up).parameters
    except (TypeError, ValueError):
        takes_dtypes = False
    if takes_dtypes and dtype is not None:
        warm_up(dtypes=(dtype,))
    else:
        warm_up()


def _worker_main(conn: Any, ring_handle: Any, factory: Callable[..., Any],
                 options: dict[str, Any], index: int, dtype: str | None = None) -> None:
    from magscope_core._buffers import VideoRing

    set_process_title(f"tracker {index + 1}")  # ps/top: "magscope: tracker 1"
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # die with the pipeline (Linux)
    except Exception:
        pass
    from logging.handlers import QueueHandler

    class _PipeQueue:  # QueueHandler's "queue": records go to the pipeline over the pipe
        def put_nowait(self, record: logging.LogRecord) -> None:
            try:
                conn.send(record)
            except (OSError, ValueError):
                pass

    root = logging.getLogger()
    root.handlers[:] = [QueueHandler(_PipeQueue())]  # type: ignore[arg-type]
    root.setLevel(logging.INFO)
    ring = VideoRing.attach(ring_handle)
    tracker = factory(**options)
    try:
        warm_up_tracker(tracker, dtype)  # load cached kernels before the first stack
    except Exception:
        log.warning("tracker warm-up failed:\n%s", traceback.format_exc())
    zlut: Any = None
    gives_profiles = _gives_profiles(tracker)
    conn.send(("ready", index))
    try:
        while True:
            try:
                msg = conn.recv()
            except (EOFError, OSError):
                return
            if msg is None:
                return
            if isinstance(msg, tuple) and msg[0] == "zlut":
                zlut = msg[1]
                continue
            if isinstance(msg, tuple) and msg[0] == "options":  # settings applied live
                try:
                    tracker = factory(**msg[1])
                    gives_profiles = _gives_profiles(tracker)
                    conn.send(("options", index, dict(msg[1])))
                except Exception:
                    log.error("tracker options %r rejected, keeping the previous ones:\n%s",
                              msg[1], traceback.format_exc())
                continue
            task: Task = msg
            t0 = time.perf_counter()
            try:
                frames = ring.view(task.stack).frames
                crops = crop_rois(frames, task.rois)
                nf, nb, s, _ = crops.shape
                flat = crops.reshape(nf * nb, s, s)
                res = tracker.track(flat, zlut)
                shape = (nf, nb)
                profile = None
                if gives_profiles and 0 <= task.profile_column < nb:
                    profile = _profile_of(tracker, crops[-1, task.profile_column], zlut)
                conn.send(TaskResult(
                    task.seq, index,
                    np.asarray(res.x, np.float64).reshape(shape),
                    np.asarray(res.y, np.float64).reshape(shape),
                    np.asarray(res.z, np.float64).reshape(shape),
                    time.perf_counter() - t0,
                    profile=profile,
                ))
            except Exception:
                conn.send(TaskResult(task.seq, index, error=traceback.format_exc()))
    finally:
        ring.close()


class WorkerPool:
    """Tracker worker processes with their pipes; the pipeline's event loop drives it.

    Parameters
    ----------
    n
        Number of workers.
    ring_handle
        Handle of the video ring to attach.
    factory, options
        The tracker spec's factory and options.
    startup_timeout
        Seconds to wait for the workers to build their trackers.
    task_timeout_s
        Seconds after which a stack counts as hung (its worker is killed and replaced);
        0 for automatic (see :meth:`task_timeout`).
    dtype
        The camera's dtype, passed to the tracker's ``warm_up`` (see
        :func:`warm_up_tracker`).
    """

    def __init__(self, n: int, ring_handle: Any, factory: Callable[..., Any],
                 options: dict[str, Any], startup_timeout: float = 120.0, *,
                 task_timeout_s: float = 0.0, dtype: str | None = None) -> None:
        self._ctx = mp.get_context("spawn")
        self._ring_handle = ring_handle
        self._factory = factory
        self._options = options
        self._dtype = dtype
        self.task_timeout_s = float(task_timeout_s)
        self._procs: list[Any] = [None] * n
        self._conns: list[Any] = [None] * n
        self._busy: dict[int, tuple[Task, float]] = {}
        self._ready: set[int] = set()
        self._stacks_done = [0] * n  # by the current process of each worker
        self._recent: deque[float] = deque(maxlen=50)  # seconds per stack, latest
        self._lost: set[int] = set()  # seqs already lost once with a dead worker
        self.queue: deque[Task] = deque()
        self.zlut: Any = None
        self.applied_options: dict[int, dict[str, Any]] = {}  # worker -> its tracker's options
        self.restarts = 0
        self.timeouts = 0
        for i in range(n):
            self._start(i)
        self._wait_ready(startup_timeout)

    def _wait_ready(self, timeout: float) -> None:
        """Wait until every worker built its tracker (and compiled its kernels)."""
        from multiprocessing.connection import wait

        deadline = time.monotonic() + timeout
        while len(self._ready) < self.size and time.monotonic() < deadline:
            waiting = [self._conns[i] for i in range(self.size) if i not in self._ready]
            for ready in wait(waiting, deadline - time.monotonic()):
                i = self._conns.index(ready)
                try:
                    self._take(i)
                except (EOFError, OSError):
                    raise RuntimeError(
                        f"tracker worker {i} died while starting (exit code "
                        f"{self._procs[i].exitcode})"
                    ) from None
        if len(self._ready) < self.size:
            log.warning("tracker workers %s not ready after %.0f s",
                        sorted(set(range(self.size)) - self._ready), timeout)

    def _start(self, i: int) -> None:
        parent, child = self._ctx.Pipe(duplex=True)
        proc = self._ctx.Process(
            target=_worker_main,
            args=(child, self._ring_handle, self._factory, self._options, i, self._dtype),
            name=f"magscope:tracker-{i}",
        )
        proc.start()
        child.close()
        self._procs[i], self._conns[i] = proc, parent
        self.applied_options[i] = dict(self._options)
        self._ready.discard(i)
        self._stacks_done[i] = 0
        if self.zlut is not None:
            parent.send(("zlut", self.zlut))

    def _replace(self, i: int) -> None:
        """Kill worker ``i`` (if still alive) and start a new one in its place."""
        proc = self._procs[i]
        if proc.is_alive():
            proc.kill()
        proc.join(2.0)
        self._conns[i].close()
        self.restarts += 1
        self._start(i)

    def _take(self, i: int) -> TaskResult | None:
        """Read one message from worker ``i``: a log record, ``ready`` or a result."""
        msg = self._conns[i].recv()
        if isinstance(msg, logging.LogRecord):
            logging.getLogger(msg.name).handle(msg)
        elif isinstance(msg, tuple) and msg[0] == "ready":
            self._ready.add(i)
        elif isinstance(msg, tuple) and msg[0] == "options":
            self.applied_options[i] = msg[2]
        elif isinstance(msg, TaskResult):
            self._busy.pop(i, None)
            self._lost.discard(msg.seq)
            if msg.error is None:
                self._stacks_done[i] += 1
                self._recent.append(msg.seconds)
            return msg
        return None

    @property
    def size(self) -> int:
        """Number of workers."""
        return len(self._procs)

    @property
    def busy(self) -> int:
        """Workers tracking a stack right now."""
        return len(self._busy)

    def wait_objects(self) -> list[Any]:
        """Pipes and process sentinels for the pipeline's ``wait``."""
        return [*self._conns, *(p.sentinel for p in self._procs)]

    def set_options(self, options: dict[str, Any]) -> None:
        """Rebuild every worker's tracker with ``options`` (workers started later too).

        Each worker rebuilds between two stacks and acknowledges
        (:attr:`applied_options`); the Z-LUT stays loaded.
        """
        self._options = dict(options)
        for conn in self._conns:
            conn.send(("options", dict(options)))

    def set_zlut(self, zlut: Any) -> None:
        """Give every worker the Z-LUT (None to unload)."""
        self.zlut = zlut
        for conn in self._conns:
            conn.send(("zlut", zlut))

    def submit(self, task: Task) -> None:
        """Queue a task; it starts as soon as a worker is idle."""
        self.queue.append(task)
        self.dispatch()

    def dispatch(self) -> None:
        """Give queued tasks to idle workers that are ready."""
        for i in range(self.size):
            if not self.queue:
                return
            if i not in self._busy and i in self._ready:
                task = self.queue.popleft()
                self._busy[i] = (task, time.monotonic())
                self._conns[i].send(task)

    def task_timeout(self, worker: int) -> float:
        """Seconds a stack may take on ``worker`` before it counts as hung.

        A worker's first :data:`FIRST_STACKS` stacks get at least
        :data:`FIRST_STACK_TIMEOUT_S`; afterwards ``task_timeout_s`` if set, else
        :data:`AUTO_TIMEOUT_FACTOR` times the slowest of the last 50 stacks, at least
        :data:`AUTO_TIMEOUT_MIN_S`.
        """
        if self._stacks_done[worker] < FIRST_STACKS:
            return max(FIRST_STACK_TIMEOUT_S, self.task_timeout_s)
        if self.task_timeout_s > 0:
            return self.task_timeout_s
        return max(AUTO_TIMEOUT_MIN_S, AUTO_TIMEOUT_FACTOR * max(self._recent, default=0.0))

    def check_timeouts(self) -> list[TaskResult]:
        """Fail the stacks that ran past their timeout; kill and replace their workers."""
        now = time.monotonic()
        out: list[TaskResult] = []
        for i, (task, since) in list(self._busy.items()):
            limit = self.task_timeout(i)
            if now - since <= limit:
                continue
            log.error("tracker worker %d: stack %d took more than %.1f s; killing the worker "
                      "and starting a new one", i, task.seq, limit)
            self.timeouts += 1
            del self._busy[i]
            self._replace(i)
            out.append(TaskResult(task.seq, i, error=f"timed out after {limit:.1f} s; worker "
                                  "replaced"))
        self.dispatch()
        return out

    def _take_all(self, i: int) -> list[TaskResult | Task]:
        """Every result waiting on worker ``i``'s pipe (nothing once the pipe is gone)."""
        out: list[TaskResult | Task] = []
        try:
            while self._conns[i].poll():
                result = self._take(i)
                if result is not None:
                    out.append(result)
        except (EOFError, OSError):
            pass
        return out

    def collect(self, obj: Any) -> list[TaskResult | Task]:
        """Handle a ready pipe or sentinel.

        Returns the results (a failed one for a stack lost with a second dead worker),
        and the tasks of a dead worker that were re-queued (for the record).
        """
        out: list[TaskResult | Task] = []
        for i, conn in enumerate(self._conns):
            if obj is conn:
                out += self._take_all(i)
            elif obj is self._procs[i].sentinel:
                self._procs[i].join(0.1)
                out += self._take_all(i)  # what it sent before it died
                entry = self._busy.pop(i, None)
                log.error("tracker worker %d died (exit code %s); restarting it",
                          i, self._procs[i].exitcode)
                self._replace(i)
                if entry is None:
                    continue
                lost = entry[0]
                if lost.seq in self._lost:
                    self._lost.discard(lost.seq)
                    out.append(TaskResult(lost.seq, i, error="two tracker workers died on "
                                          "this stack; given up"))
                else:
                    self._lost.add(lost.seq)
                    self.queue.appendleft(lost)
                    out.append(lost)
        self.dispatch()
        return out

    def close(self, timeout: float = 3.0) -> None:
        """Stop every worker (end of the pipe, then terminate, then kill)."""
        for conn in self._conns:
            try:
                conn.send(None)
            except (OSError, ValueError):
                pass
        deadline = time.monotonic() + timeout
        for p in self._procs:
            p.join(max(0.0, deadline - time.monotonic()))
        for p in self._procs:
            if p.is_alive():
                p.terminate()
                p.join(1.0)
            if p.is_alive():
                os.kill(p.pid, signal.SIGKILL)
                p.join(1.0)
        for conn in self._conns:
            conn.close()
