"""Replay camera and offline re-tracking for MagScope.

- `ReplayCamera` (camera ``replay``, run by `ReplayCameraManager`): plays a recorded
  video as a camera, ``magscope run --camera replay -O path=FILE [-O fps=N] [-O loop=true]``.
  Options: `ReplayCameraOptions`.
- `open_video`: a recorded video's frames (memory-mapped) and metadata, as a
  `VideoSource`: our ImageJ TIFF hyperstacks (with their JSON sidecars), MagScope 1.0's
  ``Video <time>.tiff``, other TIFF, HDF5 datasets, ``.npy`` and ``.npz``.
- ``magscope retrack VIDEO... --zlut F --out DIR``: re-track recorded videos into new
  tracking files (`retrack_local`, `retrack_dask`); see ``docs/replay.md``.
"""

from __future__ import annotations

from importlib.metadata import version as _version

from magscope_replay._camera import ReplayCamera, ReplayFinished, RoiLayout, roi_layout
from magscope_replay._manager import ReplayCameraManager
from magscope_replay._settings import RATE_RECORDED, ReplayCameraOptions
from magscope_replay._source import VideoSource, open_video

__all__ = [
    "RATE_RECORDED",
    "ReplayCamera",
    "ReplayCameraManager",
    "ReplayCameraOptions",
    "ReplayFinished",
    "RoiLayout",
    "VideoSource",
    "__version__",
    "open_video",
    "roi_layout",
]

__version__ = _version("magscope-replay")
"""The distribution's version (from its metadata: pyproject.toml is the one source)."""
