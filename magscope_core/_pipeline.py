"""The pipeline manager: claims full stacks from the video ring and feeds the writers.

It is the single *dispatcher* of the ring: it claims ready stacks in order, hands them
to every writer (and, once trackers are added, to the tracker workers), then releases
them. It sleeps until the camera manager pokes it that a stack is ready.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from magscope_core._builtin import FilesWritten, GetPipelineStats, PipelineFinished
from magscope_core._manager import ManagerProcess, handles

__all__ = ["PipelineManager"]


class PipelineManager(ManagerProcess):
    """Dispatch ring stacks to writers.

    Parameters
    ----------
    writers
        ``(name, factory, options)`` for each writer; ``factory(**options)`` returns a
        :class:`~magscope_core.Writer`.
    out_dir
        Folder for the files (created).
    metadata
        Extra metadata handed to every writer (settings, plugin versions, ...).
    """

    tick_interval = 0.25  # catch up even if a poke was lost

    def __init__(
        self,
        writers: list[tuple[str, Callable[..., Any], dict[str, Any]]] | None = None,
        out_dir: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self._writer_specs = list(writers or [])
        self._out_dir = Path(out_dir) if out_dir else None
        self._metadata = dict(metadata or {})
        self._writers: dict[str, Any] = {}
        self._failed: dict[str, str] = {}
        self.stacks = 0
        self.frames = 0

    def setup(self) -> None:
        """Attach the ring and open every writer."""
        self.ring = self.resources.ring()
        self.counters = self.resources.counters()
        self._notify = self.resources.stack_notify_recv
        info = self.resources.camera_info
        if self._writer_specs:
            if self._out_dir is None:
                raise ValueError("writers are configured but no output folder was given")
            self._out_dir.mkdir(parents=True, exist_ok=True)
        for name, factory, options in self._writer_specs:
            try:
                writer = factory(**options)
                writer.open(self._out_dir, info, self._metadata)
            except Exception as exc:
                self._writer_failed(name, exc, "opening")
                continue
            self._writers[name] = writer

    def wait_objects(self) -> list[Any]:
        """Wake up when the camera manager pokes."""
        return [self._notify]

    def on_ready(self, obj: Any) -> None:
        """Drain the pokes and process every ready stack."""
        try:
            while obj.poll():
                obj.recv_bytes()
        except (EOFError, OSError):
            pass
        self._process_ready()

    def tick(self) -> None:
        """Process ready stacks (in case a poke was missed)."""
        self._process_ready()

    def _process_ready(self) -> None:
        while not self.quitting:
            view = self.ring.claim_next()
            if view is None:
                return
            try:
                self.counters.add("reserved_stacks", 1)
                for name, writer in list(self._writers.items()):
                    try:
                        writer.write_stack(view.frames, view.timestamps, view.first_frame)
                    except Exception as exc:
                        self._writer_failed(name, exc, f"writing stack {view.index}")
            finally:
                self.ring.release(view.index)
                self.counters.add("completed_stacks", 1)
            self.stacks += 1
            self.frames += int(view.frames.shape[0])

    def _writer_failed(self, name: str, exc: Exception, what: str) -> None:
        """A failing writer is reported and disabled; the others keep going."""
        message = f"writer {name!r} failed while {what}: {type(exc).__name__}: {exc}"
        self._failed[name] = message
        writer = self._writers.pop(name, None)
        self.log.error("%s; it is disabled for the rest of the run", message)
        if writer is not None:
            try:
                paths = writer.close()
                self._report_files(name, paths)
            except Exception as close_exc:
                self.log.error("writer %r could not close: %s", name, close_exc)

    def _report_files(self, name: str, paths: list[Path]) -> None:
        try:
            self.send(FilesWritten(writer=name, paths=tuple(str(p) for p in paths)))
        except Exception as exc:
            self.log.warning("could not report files of %s: %s", name, exc)

    @handles(GetPipelineStats)
    def stats(self, cmd: GetPipelineStats) -> dict[str, Any]:
        """Stacks and frames processed so far, and failed writers."""
        return {"stacks": self.stacks, "frames": self.frames, "failed_writers": dict(self._failed)}

    def teardown(self) -> None:
        """Process what is left in the ring, then close every writer."""
        if hasattr(self, "ring"):
            self._quitting_saved = self._quitting
            self._quitting = False
            try:
                self._process_ready()
            finally:
                self._quitting = self._quitting_saved
        summary = {"stacks": self.stacks, "frames": self.frames, "failed": self._failed,
                   "closed_at": time.time()}
        for name, writer in list(self._writers.items()):
            try:
                paths = writer.close()
            except Exception as exc:
                self._failed[name] = f"closing: {exc}"
                self.log.error("writer %r failed while closing: %s", name, exc)
                continue
            self._report_files(name, paths)
        self._writers.clear()
        try:
            self.send(PipelineFinished(self.stacks, self.frames, dict(self._failed)))
        except Exception as exc:
            self.log.warning("could not report the final counts: %s", exc)
        self.log.info("pipeline done: %s", json.dumps(summary, default=str))
