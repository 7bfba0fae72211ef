"""The one exception every writer in this package raises."""

from __future__ import annotations

from pathlib import Path

__all__ = ["WriterError"]


class WriterError(RuntimeError):
    """A writer could not do something: the message names the writer, the file and what failed.

    Parameters
    ----------
    writer
        Writer name as registered (``"hdf5"``, ``"tiff"``, ``"telemetry"``).
    action
        What was being done, e.g. ``"appending batch 12 (40 frames, 160 records) to"``.
    path
        The file concerned, if any.
    reason
        Why it failed (usually the underlying exception's text) and what happened next.
    no_space
        The disk is (nearly) full: the pipeline stops the writer and resumes it when
        space is free, instead of counting a failure.

    Attributes
    ----------
    writer, action, path, reason, no_space
        As given, for programs that report the failure themselves.
    """

    def __init__(self, writer: str, action: str, path: Path | None, reason: str,
                 no_space: bool = False) -> None:
        self.no_space = no_space
        self.writer = writer
        self.action = action
        self.path = path
        self.reason = reason
        where = f" {path}" if path is not None else ""
        super().__init__(f"{writer} writer: {action}{where} failed: {reason}")

    @classmethod
    def still_open(cls, writer: str, out_dir: Path) -> WriterError:
        """The error of ``open`` called again before ``close`` (to raise by the caller)."""
        return cls(writer, "opening a new recording in", Path(out_dir),
                   "the previous recording is still open; call close() first")
