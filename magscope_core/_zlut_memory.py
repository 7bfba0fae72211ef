"""Z-LUTs remembered between sessions: the last one loaded per camera, and the automatic one.

Everything lives in the user data folder (:func:`~magscope_core.default_data_dir`,
``$MAGSCOPE_DATA_DIR`` overrides it), under ``zluts/``:

* ``remembered.json`` maps a camera name to the Z-LUT file last loaded with it; the next
  session with that camera loads it at start (when it still fits);
* ``<camera>-auto.zlut.txt`` is the Z-LUT a camera that declares ``auto_zlut`` (the
  simulator, which knows its optics) made by a focus sweep in its first session.

A real camera never gets a Z-LUT it did not ask for: only a camera plugin's
``CameraSpec(auto_zlut=True)`` starts the automatic sweep.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

import attrs

from magscope_core._config_errors import ConfigurationError
from magscope_core._settings import default_data_dir

__all__ = [
    "AUTO_ZLUT_ENV",
    "AutoSweep",
    "auto_sweep_settings",
    "auto_zlut_path",
    "remember_zlut",
    "remembered_zlut",
    "zlut_dir",
]

log = logging.getLogger("magscope")

AUTO_ZLUT_ENV = "MAGSCOPE_AUTO_ZLUT"
"""``0``/``off`` turns the automatic first-session sweep off; ``START:STOP:STEP[:IMAGES]``
(nm) sets its planes (default ``-3000:3000:100:5``)."""


@attrs.frozen
class AutoSweep:
    """Planes of the automatic sweep (nm, relative to the focus at start)."""

    start_nm: float = -3000.0
    stop_nm: float = 3000.0
    step_nm: float = 100.0
    images_per_step: int = 5


def zlut_dir() -> Path:
    """The folder of remembered and automatic Z-LUTs (not created)."""
    return default_data_dir() / "zluts"


def _index() -> Path:
    return zlut_dir() / "remembered.json"


def auto_zlut_path(camera: str) -> Path:
    """Where the automatic Z-LUT of ``camera`` is saved."""
    return zlut_dir() / f"{camera}-auto.zlut.txt"


def _read_index() -> dict[str, dict[str, str]]:
    try:
        data = json.loads(_index().read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("remembered Z-LUTs: %s cannot be read (%s); starting afresh", _index(), exc)
        return {}
    return {k: v for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) else {}


def remembered_zlut(camera: str) -> Path | None:
    """The Z-LUT file last loaded with ``camera`` (None if none or it is gone)."""
    entry = _read_index().get(camera)
    if not entry or not entry.get("path"):
        return None
    path = Path(entry["path"])
    if not path.is_file():
        log.warning("the Z-LUT remembered for camera %r, %s, no longer exists", camera, path)
        return None
    return path


def remember_zlut(camera: str, path: str | Path) -> None:
    """Remember ``path`` as the last Z-LUT loaded with ``camera`` (never raises)."""
    try:
        index = _read_index()
        index[camera] = {"path": str(Path(path).absolute()),
                         "loaded": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        folder = zlut_dir()
        folder.mkdir(parents=True, exist_ok=True)
        part = _index().with_name(f"remembered.json.{os.getpid()}.part")
        part.write_text(json.dumps(index, indent=2) + "\n", encoding="utf-8")
        os.replace(part, _index())
    except OSError as exc:
        log.warning("could not remember the Z-LUT %s for camera %r: %s", path, camera, exc)


def auto_sweep_settings() -> AutoSweep | None:
    """The automatic sweep's planes, or None when ``$MAGSCOPE_AUTO_ZLUT`` turns it off.

    Raises
    ------
    ConfigurationError
        If the variable is neither off nor ``START:STOP:STEP[:IMAGES]``.
    """
    text = os.environ.get(AUTO_ZLUT_ENV, "").strip()
    if not text:
        return AutoSweep()
    if text.lower() in ("0", "off", "no", "false"):
        return None
    parts = text.split(":")
    try:
        if len(parts) not in (3, 4):
            raise ValueError
        start, stop, step = (float(p) for p in parts[:3])
        images = int(parts[3]) if len(parts) == 4 else 5
        if not (step > 0 and stop > start and images >= 1):
            raise ValueError
    except ValueError:
        raise ConfigurationError(
            f"{AUTO_ZLUT_ENV}={text!r} is not valid: expected 0/off or START:STOP:STEP[:IMAGES] "
            "in nm with START < STOP, STEP > 0 and IMAGES >= 1 (e.g. -3000:3000:100:5)"
        ) from None
    return AutoSweep(start, stop, step, images)
