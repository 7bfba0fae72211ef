"""MagTrack 1.0 (the reference system's tracker) behind MagScope's tracker contract.

GPL-3.0 (it imports the GPL MagTrack); the core and the other plugins never import it.
The tracker names are imported on first use, so that loading the plugin's hooks (``magscope
plugins``) does not import MagTrack and SciPy.
"""

from __future__ import annotations

import importlib
from importlib.metadata import version as _version
from typing import TYPE_CHECKING, Any

from magscope_magtrack._options import MagTrackSettings
from magscope_magtrack._zlut import MagTrackZLut

if TYPE_CHECKING:
    from magscope_magtrack._tracker import MagTrackResult, MagTrackTracker, create_tracker

__all__ = ["MagTrackResult", "MagTrackSettings", "MagTrackTracker", "MagTrackZLut",
           "create_tracker"]

_LAZY = {"MagTrackResult", "MagTrackTracker", "create_tracker"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module("magscope_magtrack._tracker"), name)
    raise AttributeError(f"module 'magscope_magtrack' has no attribute {name!r}")

__version__ = _version("magscope-magtrack")
"""The distribution's version (from its metadata: pyproject.toml is the one source)."""
