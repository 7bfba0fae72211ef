"""Checking a Z-LUT file against the session's tracker, before any process starts.

The tracker plugin's own loader reads the file in the main process, so a file that does
not exist, does not load, was made by another tracker or (for the Z-LUT remembered for a
camera) for another ROI size is one clear line at start-up instead of a failing worker.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from magscope_core._config_errors import ConfigurationError, call_factory
from magscope_core._options import settings_for
from magscope_core._plugins import Contribution
from magscope_core._settings import SettingsStore
from magscope_core._specs import TrackerSpec
from magscope_core._zlut_memory import remembered_zlut

__all__ = ["check_zlut", "usable_remembered_zlut"]

log = logging.getLogger("magscope")


def check_zlut(tracker: Contribution[TrackerSpec] | None, path: Path,
               store: SettingsStore | None = None) -> Any:
    """Read a Z-LUT file with the tracker plugin's own loader, in this process.

    Returns the loaded Z-LUT object.

    Raises
    ------
    ConfigurationError
        If there is no tracker, the file does not exist, or the tracker cannot read it
        (the message names the file and the tracker's reason).
    """
    if tracker is None:
        raise ConfigurationError(f"Z-LUT file {path}: no tracker plugin is installed to "
                                 "use it (see 'magscope plugins')")
    if not path.is_file():
        raise ConfigurationError(f"Z-LUT file {path} does not exist (or is not a file)")
    options = {**tracker.spec.options, **settings_for(store, tracker.spec)}
    try:
        obj = call_factory(tracker.spec.factory, options, f"tracker {tracker.spec.name!r}")
    except ConfigurationError:
        raise
    except Exception as exc:
        raise ConfigurationError(
            f"tracker {tracker.spec.name!r} cannot be created to read the Z-LUT: {exc}"
        ) from exc
    loader = getattr(obj, "load_zlut", None)
    if loader is None:
        raise ConfigurationError(f"Z-LUT file {path}: tracker {tracker.spec.name!r} "
                                 "cannot load Z-LUT files")
    try:
        zlut = loader(path)
    except Exception as exc:
        log.debug("Z-LUT %s rejected", path, exc_info=True)
        raise ConfigurationError(
            f"Z-LUT file {path} cannot be used by tracker {tracker.spec.name!r}: {exc}"
        ) from exc
    # profiles of another tracker would give wrong heights without any error
    made_by = str((getattr(zlut, "metadata", None) or {}).get("tracker") or "").split(" ")[0]
    if made_by and made_by != tracker.spec.name:
        raise ConfigurationError(
            f"Z-LUT file {path} was made by tracker {made_by!r}; the session tracks with "
            f"{tracker.spec.name!r}, whose profiles differ: make a Z-LUT with it (or run "
            f"--tracker {made_by})")
    return zlut


def usable_remembered_zlut(camera: str, tracker: Contribution[TrackerSpec],
                     store: SettingsStore | None, roi_size: int) -> Path | None:
    """The Z-LUT last loaded with ``camera``, if it still loads and fits the ROI size."""
    path = remembered_zlut(camera)
    if path is None:
        return None
    try:
        zlut = check_zlut(tracker, path, store)
    except ConfigurationError as exc:
        log.warning("the Z-LUT remembered for camera %r is not used: %s", camera, exc)
        return None
    shape = (getattr(zlut, "metadata", None) or {}).get("roi_shape")
    if shape is not None and list(shape) != [roi_size, roi_size]:
        log.warning("the Z-LUT remembered for camera %r, %s, was made for %s ROIs, not %d x "
                    "%d (core.roi_size): not used", camera, path, "x".join(map(str, shape)),
                    roi_size, roi_size)
        return None
    return path
