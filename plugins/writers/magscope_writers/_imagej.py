"""One ImageJ hyperstack TIFF written frame by frame, valid after every committed stack.

tifffile writes an ImageJ series *contiguously*: the first page's IFD (with the ImageJ
description) comes first, then the pixels of every frame back to back; the IFDs of the
other pages are only written by ``TiffWriter.close``. ImageJ, tifffile and Fiji read such
a file from the first IFD and the description's ``images=`` count alone (a "virtual"
hyperstack). So after each stack we rewrite the description *in place* with the new frame
count: if the process dies, the file is a valid hyperstack of every stack committed so
far. Space for that is reserved by a padding key in the first description.

At :meth:`ImageJStackFile.close` tifffile writes the remaining IFDs, then the description
(without padding) and the ImageJ ``Labels`` (one per plane) and ``Info`` are rewritten.
Frames are written as ``(1, C, Y, X)`` (ROI videos, axes TCYX) or ``(1, 1, Y, X)``
(full frames, axes TYX) so tifffile counts them as time points.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import tifffile

__all__ = ["MAX_PIXEL_BYTES", "ImageJStackFile"]

MAX_PIXEL_BYTES = 3_500_000_000
"""Bytes of pixels and IFDs per file, so classic TIFF offsets of every IFD stay below 4 GiB."""

_RESERVE_KEY = "magscope_reserve"
_RESERVE = "-" * 64


class ImageJStackFile:
    """An ImageJ TIFF being written: :meth:`create`, :meth:`append` stacks, :meth:`close`.

    Parameters
    ----------
    path, fh
        The new file and its open binary handle (this object closes it).
    channels
        ROI videos: number of bead ROIs (axes TCYX); full-frame videos: 0 (axes TYX).
    px_per_unit, unit
        Spatial calibration: ``px_per_unit`` pixels per ``unit`` (``"um"`` or ``"nm"``).
    finterval
        Frame interval in seconds (ImageJ calibration), or None.
    """

    def __init__(self, path: Path, fh: BinaryIO, *, channels: int, px_per_unit: float,
                 unit: str, finterval: float | None) -> None:
        self.path = path
        self._fh = fh
        self._tw = tifffile.TiffWriter(fh, imagej=True)
        self.channels = channels
        self.px_per_unit = px_per_unit
        self._meta: dict[str, Any] = {"unit": unit}
        if finterval:
            self._meta["finterval"] = finterval
        self.frames = 0
        """Frames committed (on disk and counted by the description)."""
        self._written = 0
        self._plane = (0, 0)
        self._desc_offset = 0
        self._desc_size = 0
        self.broken = False

    @classmethod
    def create(cls, path: Path, *, channels: int, px_per_unit: float, unit: str,
               finterval: float | None) -> ImageJStackFile:
        """Create ``path`` (raises FileExistsError if it exists) and return the writer."""
        fh = open(path, "xb")  # noqa: SIM115 - owned and closed by the object
        try:
            return cls(path, fh, channels=channels, px_per_unit=px_per_unit, unit=unit,
                       finterval=finterval)
        except BaseException:
            fh.close()
            raise

    @property
    def axes(self) -> str:
        """Axes as ImageJ and tifffile read them: ``"TCYX"``, or ``"TYX"`` for one channel."""
        return "TCYX" if self.channels > 1 else "TYX"

    def _shape(self, frames: int, plane: tuple[int, int]) -> tuple[int, ...]:
        return (frames, 1, max(self.channels, 1), *plane)

    def append(self, frames: np.ndarray, first_label: str) -> None:
        """Write ``frames`` (``(n, C, Y, X)`` or ``(n, Y, X)``) and commit them.

        On return the file on disk is a valid hyperstack including these frames. If this
        raises, the file keeps the frames committed before and must be abandoned
        (:meth:`abandon`).
        """
        if self.broken:
            raise RuntimeError("the file was abandoned after an earlier failure")
        plane = (int(frames.shape[-2]), int(frames.shape[-1]))
        try:
            for frame in frames:
                data = np.ascontiguousarray(frame).reshape(self._shape(1, plane)[1:])
                if self._written == 0:
                    labels = [first_label] * max(self.channels, 1)
                    self._tw.write(
                        data, contiguous=True, photometric="minisblack",
                        resolution=(self.px_per_unit, self.px_per_unit),
                        metadata={**self._meta, "Labels": labels, "Info": "{}",
                                  _RESERVE_KEY: _RESERVE},
                    )
                    self._locate_description()
                else:
                    self._tw.write(data, contiguous=True)
                self._written += 1
            self._plane = plane
            self._rewrite_description(self._written)
        except BaseException:
            self.broken = True
            raise
        self.frames = self._written

    def _locate_description(self) -> None:
        self._tw.filehandle.flush()
        with tifffile.TiffFile(self.path) as tf:
            tag = tf.pages.first.tags["ImageDescription"]
            self._desc_offset, self._desc_size = int(tag.valueoffset), int(tag.count)

    def description(self, frames: int | None = None) -> str:
        """The ImageJ description for ``frames`` frames (default: those written)."""
        n = self.frames if frames is None else frames
        return str(tifffile.imagej_description(self._shape(n, self._plane), rgb=False,
                                               **self._meta))

    def _rewrite_description(self, frames: int) -> None:
        text = self.description(frames).encode("ascii")
        if len(text) >= self._desc_size:  # cannot happen with the reserve; never append
            raise RuntimeError(f"ImageJ description grew past its reserved {self._desc_size} "
                               "bytes")
        fh = self._tw.filehandle
        end = fh.tell()
        fh.seek(self._desc_offset)
        fh.write(text.ljust(self._desc_size, b"\0"))
        fh.seek(end)
        fh.flush()

    def close(self, labels: list[str], info: str) -> None:
        """Write the remaining IFDs, the final description, ``Labels`` and ``Info``."""
        if self.broken:
            self.abandon()
            return
        try:
            self._tw.close()
        finally:
            self._fh.close()
        if self.frames == 0:
            return
        with tifffile.TiffFile(self.path, mode="r+") as tf:
            page = tf.pages.first
            page.tags["ImageDescription"].overwrite(self.description())
            tags = tifffile.imagej_metadata_tag({"Info": info, "Labels": labels}, tf.byteorder)
            for code, _dtype, _count, value, _once in tags:
                page.tags[code].overwrite(value)

    def abandon(self) -> None:
        """Close the handle without finishing: the file keeps its committed frames."""
        self.broken = True
        if not self._fh.closed:
            try:
                self._fh.close()
            except OSError:
                pass  # flushing the uncommitted rest failed (disk full); the handle is closed
