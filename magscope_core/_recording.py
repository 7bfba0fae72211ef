"""A recording: the writers of the pipeline, opened, fed, rotated and closed safely."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from magscope_core._camera import CameraInfo
from magscope_core._disk_space import (
    ESSENTIAL_KINDS,
    DiskSpace,
    WriterRate,
    is_no_space,
    payload_bytes,
    writer_kind,
)
from magscope_core._writer import WriterBase

__all__ = ["Recording"]

log = logging.getLogger("magscope.pipeline")

_MB = 1e6


class Recording:
    """The pipeline's writers.

    Writers are opened when saving first turns on. A writer that raises is reported
    (naming the writer and what it was doing) and keeps getting data; after
    :attr:`max_failures` failures (forgiven only after :attr:`forgive_after` good calls in
    a row) it is closed, so its files stay valid, and disabled for the rest of the run,
    while the others carry on.

    Free space is watched (see :mod:`magscope_core._disk_space`): when it runs low, video
    and other non-essential writers are stopped first (one message each), tracking data
    and telemetry keep going into the reserve; a writer whose write no longer fits is
    closed cleanly. Stopped writers resume by themselves, with new files, when space is
    free again. Files are reported to the hub (``FilesWritten``) as soon as a writer has
    put data in them (writers that implement ``files()``), and again when they close.
    """

    max_failures = 3
    """Failures after which a writer is closed and disabled."""
    forgive_after = 50
    """Successful calls in a row that clear a writer's failure count."""
    resume_check_s = 0.5
    """Seconds between checks of whether stopped writers can resume."""

    def __init__(self, writers: list[tuple[str, Callable[..., Any], dict[str, Any]]],
                 out_dir: Path | None, metadata: dict[str, Any],
                 space: DiskSpace | None = None) -> None:
        self._specs = writers
        self.out_dir = out_dir
        self.metadata = metadata
        self.space = space if space is not None else DiskSpace()
        self.writers: dict[str, Any] = {}
        self.failed: dict[str, str] = {}
        self.errors: list[str] = []
        self.stopped: dict[str, str] = {}
        """Writers stopped for lack of disk space now, with the reason."""
        self.space_stops: dict[str, list[str]] = {}
        """Every stop for lack of space in the run, per writer (kept after it resumes)."""
        self._idle: dict[str, Any] = {}
        self._kinds: dict[str, str] = {}
        self._rates: dict[str, WriterRate] = {}
        self._strikes: dict[str, int] = {}
        self.provenance: dict[str, Any] = {}
        """Added to the ``stats`` of every writer closed (e.g. ``"protocols"``, the
        protocol runs: see :mod:`magscope_core._protocol_record`)."""
        self._streak: dict[str, int] = {}
        self._reported: dict[str, set[str]] = {}
        self._timing: dict[str, tuple[int, float]] = {}
        self._next_resume_check = 0.0
        self._last_frame: dict[str, int] = {}
        self.gap_before: dict[str, Any] | None = None
        """Where saving stopped before this recording (set by a restarted pipeline): given
        to the writers opened next as ``metadata["resumed"]``, so files record the gap."""
        self.info: CameraInfo | None = None
        self._open_now = False
        self._report: Callable[[str, list[Path]], None] = lambda name, paths: None

    def start(self, info: CameraInfo | None, saving: bool,
              report: Callable[[str, list[Path]], None]) -> None:
        """Remember the camera and how to report files; open the writers if saving is on."""
        self.info = info
        self._report = report
        if saving:
            self._open()

    def _open(self) -> None:
        if self._open_now or not self._specs:
            return
        if self.out_dir is None:
            raise ValueError("writers are configured but no output folder was given")
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._open_now = True
        self._idle.clear()
        self.stopped.clear()
        metadata = self._metadata(self.gap_before)
        self.gap_before = None
        for name, factory, options in self._specs:
            if name in self.failed:
                continue
            try:
                writer = factory(**options)
                self._kinds[name] = writer_kind(writer)
                writer.open(self.out_dir, self.info, metadata)
            except Exception as exc:
                self.failed[name] = f"opening: {type(exc).__name__}: {exc}"
                log.error("writer %r failed while opening in %s: %s", name, self.out_dir, exc)
                continue
            self.writers[name] = writer

    def _metadata(self, gap: dict[str, Any] | None) -> dict[str, Any]:
        return self.metadata if gap is None else {**self.metadata, "resumed": gap}

    # ------------------------------------------------------------------ writing
    def write(self, method: str, *args: Any) -> None:
        """Call ``method`` on every writer that has it.

        A failing call is reported; the writer keeps getting data (writers roll back a
        failed batch and stay usable) until it has failed :attr:`max_failures` times.
        A call that fails for lack of disk space, or would eat into the reserve kept for
        tracking data, stops the writer instead (see the class notes).
        """
        now = time.monotonic()
        if self.stopped and now >= self._next_resume_check:
            self._try_resume(now)
        payload = -1
        free: int | None = None
        checked = False
        for name, writer in list(self.writers.items()):
            fn = _method(writer, method)
            if fn is None:
                continue
            if payload < 0:
                payload = payload_bytes(args)
            if not self.essential(name):
                if not checked:
                    free, checked = self.space.free(self.out_dir), True
                reserve = self.space.reserve(self.essential_rate())
                if free is not None and free - payload < reserve:
                    self._stop_for_space(name, f"{free / _MB:.1f} MB free, {reserve / _MB:.1f} "
                                         "MB kept for tracking data")
                    continue
            t0 = time.perf_counter()
            try:
                fn(*args)
            except Exception as exc:
                if is_no_space(exc):
                    self._stop_for_space(name, f"{type(exc).__name__}: {exc}")
                else:
                    self._strike(name, f"writer {name!r} failed in {method}: "
                                 f"{type(exc).__name__}: {exc}")
            else:
                self._streak[name] = self._streak.get(name, 0) + 1
                if self._streak[name] >= self.forgive_after:
                    self._strikes.pop(name, None)
                self._rates.setdefault(name, WriterRate()).add(payload, now)
                last = _last_frame(method, args)
                if last is not None:
                    self._last_frame[name] = last
                if free is not None:
                    free -= payload
                self._report_new(name, writer)
            finally:
                calls, seconds = self._timing.get(name, (0, 0.0))
                self._timing[name] = (calls + 1, seconds + time.perf_counter() - t0)

    def _strike(self, name: str, message: str) -> None:
        self._strikes[name] = self._strikes.get(name, 0) + 1
        self._streak[name] = 0
        self.errors.append(message)
        if self._strikes[name] >= self.max_failures:
            self._fail(name, f"{message} (failure {self._strikes[name]})")
        else:
            log.error("%s (failure %d of %d before it is disabled)", message,
                      self._strikes[name], self.max_failures)

    def essential(self, name: str) -> bool:
        """Whether writer ``name`` keeps writing into the reserve (tracks, telemetry)."""
        return self._kinds.get(name, "other") in ESSENTIAL_KINDS

    def essential_rate(self) -> float:
        """Bytes per second handed to the essential writers (running or stopped)."""
        return sum(r.per_second() for n, r in self._rates.items() if self.essential(n))

    def timing_ms(self) -> dict[str, float]:
        """Mean milliseconds per call of each writer so far (for the status display)."""
        return {name: 1e3 * seconds / calls for name, (calls, seconds) in self._timing.items()
                if calls}

    # ------------------------------------------------------------------ disk space
    def _stop_for_space(self, name: str, reason: str) -> None:
        writer = self.writers.pop(name)
        essential = self.essential(name)
        kind = self._kinds.get(name, "other")
        self.stopped[name] = reason
        self.space_stops.setdefault(name, []).append(reason)
        self._idle[name] = writer
        try:
            self._report_paths(name, list(writer.close({"stopped": f"disk full: {reason}"})))
        except Exception as exc:
            log.warning("writer %r: closing its files after the disk filled up: %s", name, exc)
        rate = self._rates.get(name, WriterRate()).per_second()
        resume = self.space.resume_at(essential, rate, self.essential_rate())
        if essential:
            log.error("disk full in %s: %s writer %r stopped (%s); its files are closed and "
                      "valid; it resumes by itself when %.1f MB are free", self.out_dir, kind,
                      name, reason, resume / _MB)
        else:
            log.warning("disk space low in %s: %s writer %r stopped so that tracking data can "
                        "still be saved (%s); it resumes by itself when %.1f MB are free",
                        self.out_dir, kind, name, reason, resume / _MB)

    def _try_resume(self, now: float) -> None:
        self._next_resume_check = now + self.resume_check_s
        free = self.space.free(self.out_dir)
        if free is None:
            return
        for name in sorted(self.stopped, key=lambda n: not self.essential(n)):
            rate = self._rates.get(name, WriterRate()).per_second()
            need = self.space.resume_at(self.essential(name), rate, self.essential_rate())
            if free < need:
                continue
            writer = self._idle.pop(name)
            last = self._last_frame.get(name)
            gap = None if last is None else {
                "last_frame_before": last,
                "cause": "the disk was full; the writer was stopped until space came back"}
            try:
                writer.open(self.out_dir, self.info, self._metadata(gap))
            except Exception as exc:
                self._idle[name] = writer
                if not is_no_space(exc):
                    del self.stopped[name]
                    self._idle.pop(name)
                    self.failed[name] = f"reopening: {type(exc).__name__}: {exc}"
                    log.error("writer %r failed while reopening in %s: %s", name,
                              self.out_dir, exc)
                continue
            del self.stopped[name]
            self.writers[name] = writer
            free -= need
            log.warning("writer %r resumed: %.1f MB free in %s", name,
                        (free + need) / _MB, self.out_dir)

    def problems(self) -> dict[str, str]:
        """Writers that stopped (disk full) or were disabled, with why: for the summary."""
        out: dict[str, str] = {}
        for name, reasons in self.space_stops.items():
            state = ("still stopped at the end" if name in self.stopped
                     else "resumed when space came back")
            times = "once" if len(reasons) == 1 else f"{len(reasons)} times"
            out[name] = (f"stopped for lack of disk space {times} ({state}); first: "
                         f"{reasons[0]}")
        out.update(self.failed)
        return out

    # ------------------------------------------------------------------ files
    def _report_new(self, name: str, writer: Any) -> None:
        files = getattr(writer, "files", None)
        if files is None:
            return
        try:
            paths = list(files())
        except Exception as exc:
            log.warning("could not list the files of writer %r: %s", name, exc)
            return
        self._report_paths(name, paths)

    def _report_paths(self, name: str, paths: list[Path]) -> None:
        seen = self._reported.setdefault(name, set())
        new = [Path(p) for p in paths if str(p) not in seen]
        if not new:
            return
        seen.update(str(p) for p in new)
        try:
            self._report(name, new)
        except Exception as exc:
            log.warning("could not report the files of %s: %s", name, exc)

    def _fail(self, name: str, message: str) -> None:
        self.failed[name] = message
        log.error("%s; it is disabled for the rest of the run", message)
        writer = self.writers.pop(name, None)
        if writer is not None:
            self._close_one(name, writer, {"failed": message})

    def _close_one(self, name: str, writer: Any, stats: dict[str, Any]) -> list[Path]:
        try:
            paths = list(writer.close({**stats, **self.provenance}))
        except Exception as exc:
            if is_no_space(exc):
                self.space_stops.setdefault(name, []).append(f"closing: {exc}")
                log.error("writer %r: closing its files on a full disk: %s", name, exc)
            else:
                self.failed[name] = f"closing: {type(exc).__name__}: {exc}"
                log.error("writer %r failed while closing: %s", name, exc)
            self._report_new(name, writer)
            return []
        self._report_paths(name, paths)
        return paths

    # ------------------------------------------------------------------ lifecycle
    def saving_changed(self, on: bool) -> None:
        """Saving on opens the writers (once); off keeps the files open for later."""
        if on:
            self._open()

    def stop(self, stats: dict[str, Any]) -> list[Path]:
        """Close every writer; return the paths written."""
        paths: list[Path] = []
        for name, writer in list(self.writers.items()):
            paths += self._close_one(name, writer, stats)
        self.writers.clear()
        self._idle.clear()
        self._open_now = False
        return paths

    def restart(self, stats: dict[str, Any]) -> list[Path]:
        """Close the files and open new ones (if they were open)."""
        was_open = self._open_now
        paths = self.stop(stats)
        if was_open:
            self._open()
        return paths

    def new_folder(self, path: Path) -> list[Path]:
        """Write new files into ``path``."""
        self.out_dir = path
        return self.restart({})


def _ignores(writer: Any, method: str) -> bool:
    """Whether ``writer`` keeps the do-nothing ``method`` of :class:`WriterBase`.

    Such calls are skipped, so a writer's data rate counts only what it writes.
    """
    base = getattr(WriterBase, method, None)
    return base is not None and getattr(type(writer), method, None) is base


def _method(writer: Any, method: str) -> Callable[..., Any] | None:
    """What to call for ``method`` on ``writer`` (None: it does not take such data).

    ``write_tracks_many`` falls back to ``write_tracks`` per batch for writers that do
    not have it (writers that do not subclass :class:`WriterBase`).
    """
    if method == "write_tracks_many":
        many = getattr(writer, method, None)
        if many is not None and not _ignores(writer, method):
            return many  # type: ignore[no-any-return]
        one = getattr(writer, "write_tracks", None)
        if one is None or _ignores(writer, "write_tracks"):
            return None

        def each(batches: list[Any]) -> None:
            for batch in batches:
                one(batch)

        return each
    fn = getattr(writer, method, None)
    return None if fn is None or _ignores(writer, method) else fn  # type: ignore[no-any-return]


def _last_frame(method: str, args: tuple[Any, ...]) -> int | None:
    """Number of the last frame in a writer call (batches, or ``write_stack``), if any."""
    if method == "write_stack" and len(args) == 3:
        return int(args[2]) + len(args[0]) - 1 if len(args[0]) else None
    if method == "write_tracks_many":
        return _last_frame("write_tracks", (args[0][-1],)) if args and args[0] else None
    numbers = getattr(args[0], "frame_numbers", None) if args else None
    if numbers is not None and len(numbers):
        return int(numbers[-1])
    return None
