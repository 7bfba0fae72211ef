"""A recording: the writers of the pipeline, opened, fed, rotated and closed safely."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from magscope_core._camera import CameraInfo

__all__ = ["Recording"]

log = logging.getLogger("magscope.pipeline")


class Recording:
    """The pipeline's writers.

    Writers are opened when saving first turns on; a writer that raises is reported
    (naming the writer and what it was doing), closed so its files stay valid, and
    disabled for the rest of the run, while the others carry on. Files are
    reported to the hub (``FilesWritten``) whenever writers close.
    """

    def __init__(self, writers: list[tuple[str, Callable[..., Any], dict[str, Any]]],
                 out_dir: Path | None, metadata: dict[str, Any]) -> None:
        self._specs = writers
        self.out_dir = out_dir
        self.metadata = metadata
        self.writers: dict[str, Any] = {}
        self.failed: dict[str, str] = {}
        self.errors: list[str] = []
        self._strikes: dict[str, int] = {}
        self._timing: dict[str, tuple[int, float]] = {}
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
        for name, factory, options in self._specs:
            if name in self.failed:
                continue
            try:
                writer = factory(**options)
                writer.open(self.out_dir, self.info, self.metadata)
            except Exception as exc:
                self.failed[name] = f"opening: {type(exc).__name__}: {exc}"
                log.error("writer %r failed while opening in %s: %s", name, self.out_dir, exc)
                continue
            self.writers[name] = writer

    max_failures = 3
    """Consecutive failures after which a writer is closed and disabled."""

    def write(self, method: str, *args: Any) -> None:
        """Call ``method`` on every writer that has it.

        A failing call is reported; the writer keeps getting data (writers roll back a
        failed batch and stay usable) until it fails :attr:`max_failures` times in a row.
        """
        for name, writer in list(self.writers.items()):
            fn = getattr(writer, method, None)
            if fn is None:
                continue
            t0 = time.perf_counter()
            try:
                fn(*args)
            except Exception as exc:
                self._strikes[name] = self._strikes.get(name, 0) + 1
                message = f"writer {name!r} failed in {method}: {type(exc).__name__}: {exc}"
                self.errors.append(message)
                if self._strikes[name] >= self.max_failures:
                    self._fail(name, message)
                else:
                    log.error("%s (failure %d of %d before it is disabled)", message,
                              self._strikes[name], self.max_failures)
            else:
                self._strikes.pop(name, None)
            finally:
                calls, seconds = self._timing.get(name, (0, 0.0))
                self._timing[name] = (calls + 1, seconds + time.perf_counter() - t0)

    def timing_ms(self) -> dict[str, float]:
        """Mean milliseconds per call of each writer so far (for the status display)."""
        return {name: 1e3 * seconds / calls for name, (calls, seconds) in self._timing.items()
                if calls}

    def _fail(self, name: str, message: str) -> None:
        self.failed[name] = message
        log.error("%s; it is disabled for the rest of the run", message)
        writer = self.writers.pop(name, None)
        if writer is not None:
            self._close_one(name, writer, {"failed": message})

    def _close_one(self, name: str, writer: Any, stats: dict[str, Any]) -> list[Path]:
        try:
            paths = list(writer.close(stats))
        except Exception as exc:
            self.failed[name] = f"closing: {type(exc).__name__}: {exc}"
            log.error("writer %r failed while closing: %s", name, exc)
            return []
        if paths:
            try:
                self._report(name, paths)
            except Exception as exc:
                log.warning("could not report the files of %s: %s", name, exc)
        return paths

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
