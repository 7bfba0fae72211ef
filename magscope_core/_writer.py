"""The writer contract: what a writer plugin's object implements."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np

    from magscope_core._camera import CameraInfo

__all__ = ["Writer"]


@runtime_checkable
class Writer(Protocol):
    """A writer consumes stacks of frames (and, later, tracks) and writes files.

    Writers run inside the pipeline manager's process. ``write_stack`` receives
    zero-copy views into the video ring that are valid only during the call: copy what
    you keep. Flush per call so a crash loses at most the last batch.
    """

    def open(self, out_dir: Path, info: CameraInfo, metadata: dict[str, Any]) -> None:
        """Prepare to write into ``out_dir`` (created already)."""
        ...

    def write_stack(
        self, frames: np.ndarray, timestamps: np.ndarray, first_frame: int
    ) -> None:
        """Write one stack: ``frames`` ``(n, h, w)``, ``timestamps`` ``(n,)`` seconds."""
        ...

    def close(self) -> list[Path]:
        """Finish the files and return the paths written."""
        ...
