"""A recorded video opened for replay: frames, timestamps, pixel size and bead ROIs.

:func:`open_video` reads the metadata of a file (or of every file a glob pattern or a
folder names) and maps its frames without reading them: TIFF and NumPy files are
memory-mapped, HDF5 datasets too when they are stored contiguous and uncompressed; other
layouts are read into memory once. :meth:`VideoSource.frame` then costs an index.

Two kinds of video:

``full``
    Whole camera frames, ``(n, height, width)``.
``rois``
    Bead ROI crops, ``(n, beads, size, size)``; with their origins in the camera frame
    when the file records them (our TIFF writer does), without them otherwise
    (MagScope 1.0's ``Video <time>.tiff``).
"""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from magscope_core import ConfigurationError

__all__ = ["CAMERA_DTYPES", "VideoSource", "ns_to_seconds", "open_video", "video_files"]

CAMERA_DTYPES = ("uint8", "uint16", "uint32")
"""Pixel types a camera can publish (:class:`magscope_core.CameraInfo`)."""

_TIFF = (".tif", ".tiff")
_FORMATS = "a TIFF (.tif, .tiff), HDF5 (.h5, .hdf5) or NumPy (.npy, .npz) file"


def ns_to_seconds(ns: np.ndarray) -> np.ndarray:
    """Epoch nanoseconds -> the nearest float epoch seconds (whole and fraction apart)."""
    a = np.asarray(ns, dtype=np.int64)
    whole, frac = np.divmod(a, 1_000_000_000)
    return whole.astype(np.float64) + frac.astype(np.float64) / 1e9


@attrs.frozen(eq=False)
class VideoSource:
    """Frames and metadata of a recorded video (see :func:`open_video`).

    Attributes
    ----------
    paths
        The files, in playing order.
    format
        What was recognised, e.g. ``"magscope TIFF"`` or ``"MagScope 1.0 TIFF"``.
    kind
        ``"full"`` or ``"rois"``.
    parts
        One array per file: ``(n_i, height, width)`` or ``(n_i, beads, size, size)``,
        memory-mapped where the layout allows it.
    timestamps
        ``(n,)`` epoch seconds of every frame, or None when the file has none.
    frame_interval_s
        The nominal frame interval the file states (ImageJ ``finterval``), or None.
    nm_per_px
        Pixel size from the file, or None.
    bead_ids, roi_origins
        ROI videos: bead id per channel and ``(beads, 2)`` origins ``(x0, y0)`` in the
        camera frame, when recorded; full-frame videos: ROIs recorded with them, if any.
    frame_size
        ``(height, width)`` of the camera frame the ROIs were cut from, when recorded.
    roi_size
        Full-frame videos: side (px) of the ROIs recorded with them (``bead_ids``,
        ``roi_origins``), if any.
    mapped
        Whether every part is memory-mapped (else read into memory).
    source_dtype
        The camera's pixel type when the file stores another (uint32 as float32).
    notes
        Things the reader noticed (shown in the log): ROIs that moved during the file.
    """

    paths: tuple[Path, ...]
    format: str
    kind: str
    parts: tuple[np.ndarray, ...]
    timestamps: np.ndarray | None = None
    frame_interval_s: float | None = None
    nm_per_px: float | None = None
    bead_ids: np.ndarray | None = None
    roi_origins: np.ndarray | None = None
    frame_size: tuple[int, int] | None = None
    roi_size: int | None = None
    mapped: bool = False
    source_dtype: str | None = None
    notes: tuple[str, ...] = ()
    starts: np.ndarray = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        counts = [int(p.shape[0]) for p in self.parts]
        object.__setattr__(self, "starts", np.concatenate([[0], np.cumsum(counts)]))
        if self.timestamps is not None and self.timestamps.shape != (self.n_frames,):
            raise ConfigurationError(
                f"video {self.paths[0]}: {self.timestamps.shape[0]} timestamps for "
                f"{self.n_frames} frames")

    @property
    def n_frames(self) -> int:
        """Frames in the video."""
        return int(self.starts[-1])

    @property
    def frame_shape(self) -> tuple[int, ...]:
        """Shape of one stored frame: ``(height, width)`` or ``(beads, size, size)``."""
        return tuple(int(s) for s in self.parts[0].shape[1:])

    @property
    def dtype(self) -> np.dtype[Any]:
        """Pixel type the camera publishes (the stored one, or the camera's original)."""
        return np.dtype(self.source_dtype or self.parts[0].dtype)

    @property
    def name(self) -> str:
        """The first file's name (for messages)."""
        return self.paths[0].name if len(self.paths) == 1 else f"{self.paths[0].name} (+" \
            f"{len(self.paths) - 1} files)"

    def frame(self, i: int) -> np.ndarray:
        """Frame ``i`` (a view into the mapped file where possible)."""
        part = int(np.searchsorted(self.starts, i, side="right")) - 1
        frame: np.ndarray = self.parts[part][i - int(self.starts[part])]
        return frame

    def chunk(self, start: int, stop: int) -> np.ndarray:
        """Frames ``start`` to ``stop`` as one array (copied only across file borders)."""
        out = [self.parts[p][max(start, a) - a:min(stop, b) - a]
               for p, (a, b) in enumerate(zip(self.starts[:-1].tolist(),
                                              self.starts[1:].tolist(), strict=True))
               if a < stop and b > start]
        return out[0] if len(out) == 1 else np.concatenate(out)

    def loaded(self) -> VideoSource:
        """The same video with every frame read into memory (one array)."""
        whole = np.concatenate([np.asarray(p) for p in self.parts]) if len(self.parts) > 1 \
            else np.array(self.parts[0])
        return attrs.evolve(self, parts=(whole,), mapped=False)

    def recorded_fps(self) -> float | None:
        """The rate the video was recorded at: from its timestamps, else its frame interval."""
        if self.timestamps is not None and self.n_frames > 1:
            steps = np.diff(self.timestamps)
            steps = steps[steps > 0]
            if steps.size:
                return float(1.0 / np.median(steps))
        if self.frame_interval_s:
            return 1.0 / self.frame_interval_s
        return None


def video_files(path: str | Path) -> list[Path]:
    """The files ``path`` names: a file, a folder's video files, or a glob pattern.

    Raises
    ------
    ConfigurationError
        Nothing matches, or a folder holds no video file.
    """
    text = str(path)
    if not text:
        raise ConfigurationError("replay: no video given; say which with -O path=FILE "
                                 f"({_FORMATS}, a folder of them or a glob pattern)")
    p = Path(text).expanduser()
    if p.is_dir():
        found = sorted(f for f in p.iterdir() if f.suffix.lower() in (*_TIFF, ".npy"))
        if not found:
            raise ConfigurationError(f"replay: folder {p} holds no video file (.tif, .tiff, "
                                     ".npy)")
        return found
    if p.is_file():
        return [p]
    if any(c in text for c in "*?["):
        found = sorted(Path(f) for f in glob.glob(str(p)) if Path(f).is_file())
        if found:
            return found
        raise ConfigurationError(f"replay: no file matches {text!r}")
    raise ConfigurationError(f"replay: video file {p} does not exist")


def open_video(path: str | Path, dataset: str = "") -> VideoSource:
    """Open a recorded video for replay (frames are mapped, not read).

    Parameters
    ----------
    path
        A file, a folder (its TIFF or NumPy files, in time order) or a glob pattern such
        as ``"out/Video ROIs *.tif"`` (files of one recording split by the writer).
    dataset
        HDF5 only: the dataset holding the frames (default: the first 3-D or 4-D one).

    Raises
    ------
    ConfigurationError
        The file is missing, of an unknown format, unreadable, holds no frames or a pixel
        type no camera publishes, or the files mix ROI and full-frame videos.
    """
    from magscope_replay._array_source import open_hdf5, open_npy
    from magscope_replay._tiff_source import open_tiffs

    files = video_files(path)
    suffixes = {f.suffix.lower() for f in files}
    try:
        if suffixes <= set(_TIFF):
            source = open_tiffs(files)
        elif len(files) == 1 and suffixes <= {".h5", ".hdf5"}:
            source = open_hdf5(files[0], dataset)
        elif len(files) == 1 and suffixes <= {".npy", ".npz"}:
            source = open_npy(files[0])
        else:
            what = ", ".join(sorted(suffixes))
            raise ConfigurationError(
                f"replay: cannot play {files[0]}: unknown format ({what}); expected "
                f"{_FORMATS} (one HDF5 or NumPy file at a time)")
    except ConfigurationError:
        raise
    except Exception as exc:  # a damaged or foreign file: say which and why, in one line
        raise ConfigurationError(f"replay: cannot read {files[0]}: {type(exc).__name__}: "
                                 f"{exc}") from exc
    return check_source(source)


def check_source(source: VideoSource) -> VideoSource:
    """Refuse a video no camera can publish (no frames, pixel type, shape)."""
    where = f"replay: video {source.paths[0]}"
    if source.n_frames == 0:
        raise ConfigurationError(f"{where} holds no frames")
    if source.dtype.name not in CAMERA_DTYPES:
        raise ConfigurationError(f"{where} has {source.dtype.name} pixels; a camera publishes "
                                 f"{', '.join(CAMERA_DTYPES)}")
    want = 2 if source.kind == "full" else 3
    if len(source.frame_shape) != want:
        raise ConfigurationError(f"{where}: frames of shape {source.frame_shape}; expected "
                                 + ("(height, width)" if want == 2 else "(beads, size, size)"))
    if source.kind == "rois" and source.frame_shape[1] != source.frame_shape[2]:
        raise ConfigurationError(f"{where}: ROIs of {source.frame_shape[1]} x "
                                 f"{source.frame_shape[2]} px; bead ROIs are square")
    return source


def rois_from_meta(ids: Any, x0: Any, y0: Any) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Bead ids and ``(n, 2)`` origins from metadata lists (None where absent)."""
    if x0 is None or y0 is None:
        return (None if ids is None else np.asarray(ids, np.int64)), None
    origins = np.column_stack([np.asarray(x0, np.int64), np.asarray(y0, np.int64)])
    bead_ids = (np.arange(len(origins), dtype=np.int64) if ids is None
                else np.asarray(ids, np.int64))
    return bead_ids, origins
