"""HDF5 and NumPy videos.

HDF5: the frames are a 3-D ``(n, height, width)`` dataset (or 4-D ``(n, beads, size,
size)`` of ROIs), by default the first one named ``frames``, ``images``, ``video`` or
``data``, else the first one found; timestamps come from a 1-D dataset next
to it named ``timestamps`` (seconds) or ``timestamps_ns`` (nanoseconds), the pixel size
from an attribute ``nm_per_px`` of the dataset or the file, ROI origins from attributes
``roi_x0``, ``roi_y0`` (and ``bead_ids``). A contiguous, uncompressed dataset is
memory-mapped; a chunked or compressed one is read into memory once.

NumPy: a ``.npy`` array (memory-mapped) or a ``.npz`` archive with ``frames`` and
optionally ``timestamps``, ``timestamps_ns``, ``nm_per_px``, ``bead_ids``, ``roi_x0``,
``roi_y0`` (read into memory).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from magscope_core import ConfigurationError
from magscope_replay._source import VideoSource, ns_to_seconds, rois_from_meta

__all__ = ["open_hdf5", "open_npy"]


def _kind(frames: np.ndarray | h5py.Dataset, where: str) -> str:
    if frames.ndim == 3:
        return "full"
    if frames.ndim == 4:
        return "rois"
    raise ConfigurationError(f"replay: {where} has shape {frames.shape}; expected (frames, "
                             "height, width) or (frames, beads, size, size)")


def _meta(values: Mapping[str, Any], n: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "timestamps_ns" in values:
        out["timestamps"] = ns_to_seconds(np.asarray(values["timestamps_ns"]).reshape(-1))
    elif "timestamps" in values:
        out["timestamps"] = np.asarray(values["timestamps"], np.float64).reshape(-1)
    if out.get("timestamps") is not None and out["timestamps"].shape[0] != n:
        out["timestamps"] = None
    if "nm_per_px" in values:
        out["nm_per_px"] = float(np.asarray(values["nm_per_px"]))
    get = values.get
    out["bead_ids"], out["roi_origins"] = rois_from_meta(get("bead_ids"), get("roi_x0"),
                                                         get("roi_y0"))
    return out


def open_npy(path: Path) -> VideoSource:
    """A ``.npy`` (memory-mapped) or ``.npz`` video."""
    if path.suffix.lower() == ".npy":
        frames = np.load(path, mmap_mode="r", allow_pickle=False)
        return VideoSource(paths=(path,), format="NumPy", kind=_kind(frames, str(path)),
                           parts=(frames,), mapped=True)
    with np.load(path, allow_pickle=False) as npz:
        if "frames" not in npz:
            raise ConfigurationError(f"replay: {path} has no array 'frames' (it has: "
                                     f"{', '.join(npz.files) or 'none'})")
        values = {k: npz[k] for k in npz.files}
    frames = values.pop("frames")
    meta = _meta(values, int(frames.shape[0]))
    return VideoSource(paths=(path,), format="NumPy archive", kind=_kind(frames, str(path)),
                       parts=(frames,), **meta)


_NAMES = ("frames", "images", "video", "data")


def _find_dataset(f: h5py.File) -> h5py.Dataset | None:
    """The frames: a 3-D or 4-D numeric dataset, one named like frames first."""
    found: list[h5py.Dataset] = []

    def visit(_name: str, obj: Any) -> None:
        if isinstance(obj, h5py.Dataset) and obj.ndim in (3, 4) and obj.dtype.kind in "uif":
            found.append(obj)

    f.visititems(visit)
    named = [d for d in found if str(d.name).rsplit("/", 1)[-1].lower() in _NAMES]
    return (named or found or [None])[0]


def open_hdf5(path: Path, dataset: str = "") -> VideoSource:
    """An HDF5 video (see the module notes)."""
    with h5py.File(path, "r") as f:
        if dataset:
            obj = f.get(dataset)
            if not isinstance(obj, h5py.Dataset):
                raise ConfigurationError(f"replay: {path} has no dataset {dataset!r}")
            ds = obj
        else:
            found = _find_dataset(f)
            if found is None:
                raise ConfigurationError(
                    f"replay: {path} holds no 3-D or 4-D numeric dataset (frames); name it "
                    "with -O dataset=NAME")
            ds = found
        kind = _kind(ds, f"{path}:{ds.name}")
        values: dict[str, Any] = {**dict(f.attrs), **dict(ds.attrs)}
        parent = ds.parent
        for key in ("timestamps", "timestamps_ns"):
            if key in parent and isinstance(parent[key], h5py.Dataset):
                values[key] = parent[key][()]
        meta = _meta(values, int(ds.shape[0]))
        offset = ds.id.get_offset()
        mapped = ds.chunks is None and ds.compression is None and offset is not None
        if mapped:
            frames = np.memmap(path, dtype=ds.dtype, mode="r", offset=int(offset),
                               shape=ds.shape)
        else:
            frames = ds[()]
    return VideoSource(paths=(path,), format="HDF5", kind=kind, parts=(frames,),
                       mapped=mapped, **meta)
