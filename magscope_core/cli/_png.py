"""A tiny PNG writer (numpy + zlib) and a colour map, for plots without matplotlib."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

__all__ = ["colour_map", "write_png"]

# A perceptually ordered dark-blue -> teal -> yellow ramp (anchors, linearly interpolated).
_ANCHORS = np.array([[48, 18, 59], [40, 110, 200], [30, 180, 160], [150, 215, 70],
                     [250, 230, 40]], dtype=np.float64)


def colour_map(values: np.ndarray) -> np.ndarray:
    """Map values in ``[0, 1]`` (NaN: grey) to ``(..., 3)`` uint8 RGB."""
    v = np.clip(np.nan_to_num(values, nan=0.0), 0.0, 1.0) * (len(_ANCHORS) - 1)
    lo = np.minimum(v.astype(np.int64), len(_ANCHORS) - 2)
    frac = (v - lo)[..., None]
    rgb = _ANCHORS[lo] * (1.0 - frac) + _ANCHORS[lo + 1] * frac
    rgb[np.isnan(values)] = 128.0
    out: np.ndarray = np.round(rgb).astype(np.uint8)
    return out


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(
        ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def write_png(path: str | Path, rgb: np.ndarray) -> None:
    """Write an ``(h, w, 3)`` uint8 image as an 8-bit RGB PNG."""
    img = np.ascontiguousarray(rgb, dtype=np.uint8)
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"expected an (h, w, 3) image, got shape {img.shape}")
    h, w, _ = img.shape
    raw = b"".join(b"\x00" + img[row].tobytes() for row in range(h))  # filter 0 per row
    png = (b"\x89PNG\r\n\x1a\n"
           + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
           + _chunk(b"IDAT", zlib.compress(raw, 6)) + _chunk(b"IEND", b""))
    Path(path).write_bytes(png)
