"""TIFF videos: ours (ImageJ hyperstack + JSON sidecar), MagScope 1.0's, any ImageJ or TIFF.

What each kind of file tells, and where:

==================  ==========================  ==========================================
file                timestamps                  ROIs, pixel size
==================  ==========================  ==========================================
ours                sidecar ``timestamps_ns``   sidecar (or ImageJ ``Info``) ``bead_ids``,
                    (else ImageJ ``Labels``)    ``roi_origins``, ``nm_per_px``, camera size
MagScope 1.0        ImageJ ``Labels``, one per  none (channels are ROIs, origins unknown);
(``Video <t>.tiff``)plane: epoch seconds        resolution in px per nm
other ImageJ/TIFF   ``Labels`` if they are      resolution and unit if present
                    numbers
==================  ==========================  ==========================================

Frames are memory-mapped (``tifffile.memmap``) when the file stores them contiguous and
uncompressed, which ImageJ hyperstacks written by tifffile are; otherwise read once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import tifffile

from magscope_core import ConfigurationError
from magscope_replay._source import VideoSource, ns_to_seconds, rois_from_meta

__all__ = ["open_tiffs"]

_NM_PER_UNIT = {"nm": 1.0, "um": 1000.0, "micron": 1000.0, "\u00b5m": 1000.0,
                "\\u00B5m": 1000.0, "mm": 1e6}


def open_tiffs(files: list[Path]) -> VideoSource:
    """Open one TIFF file or several of one recording (played in time order)."""
    sources = [_open_one(f) for f in files]
    first = sources[0]
    for other in sources[1:]:
        if (other.kind, other.frame_shape, other.dtype) != (first.kind, first.frame_shape,
                                                            first.dtype):
            raise ConfigurationError(
                f"replay: {other.paths[0].name} is {_describe(other)} but "
                f"{first.paths[0].name} is {_describe(first)}; play one kind of video at a "
                "time (name one file, or a glob pattern such as 'Video ROIs *.tif')")
    if len(sources) == 1:
        return first
    if all(s.timestamps is not None for s in sources):
        sources.sort(key=lambda s: float(s.timestamps[0]))  # type: ignore[index]
        stamps: np.ndarray | None = np.concatenate(
            [s.timestamps for s in sources if s.timestamps is not None])
    else:
        stamps = None
    notes = [n for s in sources for n in s.notes]
    for s in sources[1:]:
        if (s.roi_origins is not None and first.roi_origins is not None
                and not np.array_equal(s.roi_origins, first.roi_origins)):
            notes.append(f"the ROIs of {s.paths[0].name} differ from the first file's: "
                         "replayed at the first file's positions")
    return attrs.evolve(first, paths=tuple(s.paths[0] for s in sources),
                        parts=tuple(s.parts[0] for s in sources), timestamps=stamps,
                        mapped=all(s.mapped for s in sources), notes=tuple(notes))


def _describe(s: VideoSource) -> str:
    if s.kind == "rois":
        n, size, _ = s.frame_shape
        return f"a ROI video ({n} beads of {size} px, {s.dtype.name})"
    h, w = s.frame_shape
    return f"a full-frame video ({w} x {h} px, {s.dtype.name})"


def _sidecar(path: Path) -> dict[str, Any] | None:
    side = path.with_suffix(".json")
    if not side.is_file():
        return None
    try:
        data = json.loads(side.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == "magscope-video" else None


def _read(path: Path) -> tuple[np.ndarray, str, dict[str, Any], float | None, bool]:
    """Pixels (mapped if possible), axes, ImageJ metadata, px per unit, mapped."""
    with tifffile.TiffFile(path) as tf:
        series = tf.series[0]
        axes = str(series.axes)
        ij = dict(tf.imagej_metadata or {})
        tag = tf.pages.first.tags.get("XResolution")
        res = None
        if tag is not None:
            num, den = tag.value
            res = num / den if den else None
        try:
            data = tifffile.memmap(path, mode="r")
            mapped = True
        except (ValueError, OSError):
            data = series.asarray()
            mapped = False
    if data.shape != tuple(series.shape):  # some layouts map flat: use the series' shape
        data = data.reshape(series.shape)
    return data, axes, ij, res, mapped


def _open_one(path: Path) -> VideoSource:
    data, axes, ij, px_per_unit, mapped = _read(path)
    if "S" in axes:
        raise ConfigurationError(f"replay: {path} is a colour (RGB) TIFF; a camera "
                                 "publishes one grey channel")
    side = _sidecar(path)
    info = _info(ij)
    meta = side if side is not None else info
    ids_meta = meta.get("bead_ids") if meta else None
    channels = len(ids_meta) if ids_meta else 0
    y, x = int(data.shape[-2]), int(data.shape[-1])
    frames: np.ndarray
    if channels >= 1 or (meta is None and "C" in axes):
        c = channels or int(data.shape[axes.index("C")])
        frames = data.reshape(-1, c, y, x)
        kind = "rois"
    else:
        frames = data.reshape(-1, y, x)
        kind = "full"
    notes: list[str] = []
    stamps = None
    if side is not None and len(side.get("timestamps_ns") or []) == frames.shape[0]:
        stamps = ns_to_seconds(np.asarray(side["timestamps_ns"], np.int64))
    if stamps is None:
        stamps = _labels(ij.get("Labels"), frames.shape[0])
    ids = origins = None
    size = roi_size = None
    if meta is not None and kind == "full" and meta.get("rois"):
        first = meta["rois"][0]  # the ROIs recorded with a full-frame video (ours)
        ids, origins = rois_from_meta(first.get("bead_ids"), first.get("x0"), first.get("y0"))
        roi_size = int(first.get("size") or 0) or None
        if len(meta["rois"]) > 1:
            notes.append(f"{path.name}: the ROIs changed {len(meta['rois']) - 1} time(s) "
                         "during the file; replayed with the first ones")
    elif meta is not None:
        changes = meta.get("roi_origins") or []
        first = changes[0] if changes else {}
        ids, origins = rois_from_meta(meta.get("bead_ids"), first.get("x0"), first.get("y0"))
        if len(changes) > 1:
            notes.append(f"{path.name}: the ROIs moved {len(changes) - 1} time(s) during the "
                         "file; replayed at their first positions")
        cam = meta.get("camera") or {}
        if isinstance(cam, dict) and cam.get("width") and cam.get("height"):
            size = (int(cam["height"]), int(cam["width"]))
    nm = None
    if meta is not None and meta.get("nm_per_px"):
        nm = float(meta["nm_per_px"])
    elif px_per_unit:
        unit = str(ij.get("unit", "")).strip()
        if unit in _NM_PER_UNIT:
            nm = _NM_PER_UNIT[unit] / px_per_unit
    finterval = ij.get("finterval")
    if side is not None or info is not None:
        fmt = "magscope TIFF"
    elif ij.get("Labels") is not None and path.name.startswith("Video ") and stamps is not None:
        fmt = "MagScope 1.0 TIFF"
    else:
        fmt = "ImageJ TIFF" if ij else "TIFF"
    source_dtype = None
    if side is not None and side.get("source_dtype") == "uint32" and frames.dtype == np.float32:
        source_dtype = "uint32"
    return VideoSource(
        paths=(path,), format=fmt, kind=kind, parts=(frames,), timestamps=stamps,
        frame_interval_s=float(finterval) if finterval else None, nm_per_px=nm,
        bead_ids=ids, roi_origins=origins, frame_size=size, roi_size=roi_size, mapped=mapped,
        source_dtype=source_dtype, notes=tuple(notes))


def _info(ij: dict[str, Any]) -> dict[str, Any] | None:
    """Our ImageJ ``Info`` JSON (written at close), or None."""
    text = ij.get("Info")
    if not isinstance(text, str) or not text.startswith("{"):
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) and data.get("format") == "magscope-video" else None


def _labels(labels: Any, n_frames: int) -> np.ndarray | None:
    """Per-frame epoch seconds from ImageJ labels (one per plane or per frame), or None."""
    if not isinstance(labels, (list, tuple)) or not labels or len(labels) % n_frames:
        return None
    step = len(labels) // n_frames
    try:
        stamps = np.array([float(str(v).strip()) for v in labels[::step]], np.float64)
    except ValueError:
        return None
    return stamps if np.all(np.isfinite(stamps)) else None
