"""Time stamps and file names: one clock and one time-zone rule for every writer.

Every file name carries the **local** wall-clock time of the first frame it holds, taken
from the frame's own timestamp (epoch seconds from the camera) with :func:`time.localtime`,
so it follows the machine's time zone and daylight-saving rules. Nothing here reads the
current time or assumes an offset (the reference hard-coded UTC-5 for video names).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

__all__ = [
    "MAX_COLLISIONS",
    "create_unique",
    "local_iso",
    "local_stamp",
    "seconds_to_ns",
    "utc_offset_s",
]

_NS = 1_000_000_000
MAX_COLLISIONS = 10_000
"""Most `` (n)`` suffixes tried before giving up on a file name."""

T = TypeVar("T")


def seconds_to_ns(seconds: np.ndarray) -> np.ndarray:
    """Convert epoch seconds (float) to epoch nanoseconds (uint64), exactly to 1 ns.

    The whole and fractional seconds are converted separately, so the result is the
    nanosecond nearest to each float value (a plain ``seconds * 1e9`` would round to
    about 256 ns at today's epoch values).

    Parameters
    ----------
    seconds
        ``(n,)`` finite, non-negative epoch seconds.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` uint64 nanoseconds.

    Raises
    ------
    ValueError
        If a value is NaN, infinite or negative (the message gives the first bad index).
    """
    s = np.asarray(seconds, dtype=np.float64)
    bad = ~np.isfinite(s) | (s < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"timestamp {i} is {float(s.flat[i])!r}: expected finite, non-negative epoch seconds"
        )
    whole = np.floor(s)
    frac_ns = np.rint((s - whole) * _NS).astype(np.int64)
    return (whole.astype(np.int64) * _NS + frac_ns).astype(np.uint64)


def local_stamp(ns: int, digits: int = 6) -> str:
    """Format epoch nanoseconds as local time ``YYYY-MM-DD HH-MM-SS.fff...`` for a file name.

    Parameters
    ----------
    ns
        Epoch nanoseconds of the file's first frame.
    digits
        Digits of the fraction of a second: 6 for tracking files, 3 for videos, 0 for none.
        The time is first rounded to the microsecond (the precision of float epoch seconds,
        so ``...40.629624`` stored as ``...40.62962389`` still reads ``.629624``), then cut
        to ``digits`` (not rounded up, so a name never shows a time after its first frame
        by more than a microsecond).

    Returns
    -------
    str
        e.g. ``"2026-11-24 12-58-40.629624"``.
    """
    if not 0 <= digits <= 6:
        raise ValueError(f"digits={digits}: expected 0..6")
    sec, us = _split_us(ns)
    text = time.strftime("%Y-%m-%d %H-%M-%S", time.localtime(sec))
    if digits:
        text += "." + f"{us:06d}"[:digits]
    return text


def _split_us(ns: int) -> tuple[int, int]:
    """Whole seconds and microseconds of ``ns`` rounded to the nearest microsecond."""
    return divmod((int(ns) + 500) // 1000, 1_000_000)


def utc_offset_s(ns: int) -> int:
    """Local time-zone offset from UTC, in seconds, at epoch nanoseconds ``ns``."""
    return int(time.localtime(int(ns) // _NS).tm_gmtoff)


def local_iso(ns: int) -> str:
    """ISO 8601 local time with its UTC offset, e.g. ``2026-11-24T12:58:40.629624+01:00``.

    Stored next to the file name's stamp so the name's local time is unambiguous.
    """
    sec, us = _split_us(ns)
    tm = time.localtime(sec)
    off = int(tm.tm_gmtoff)
    sign = "+" if off >= 0 else "-"
    hh, mm = divmod(abs(off) // 60, 60)
    return time.strftime("%Y-%m-%dT%H:%M:%S", tm) + f".{us:06d}{sign}{hh:02d}:{mm:02d}"


def create_unique(
    directory: Path, stem: str, suffix: str, create: Callable[[Path], T]
) -> tuple[Path, T]:
    """Create ``<directory>/<stem><suffix>``, or ``<stem> (n)<suffix>`` if taken.

    Parameters
    ----------
    directory
        Folder (created if missing).
    stem, suffix
        File name parts, e.g. ``"Tracking Data 2026-11-24 12-58-40.629624"`` and ``".h5"``.
    create
        Creates the file at the given path and returns its handle; it must raise
        :class:`FileExistsError` when the path exists (open with mode ``"x"``), so two
        writers never share a name even if they race.

    Returns
    -------
    tuple of (Path, handle)

    Raises
    ------
    FileExistsError
        If :data:`MAX_COLLISIONS` names are all taken.
    """
    directory.mkdir(parents=True, exist_ok=True)
    for n in range(MAX_COLLISIONS):
        path = directory / (f"{stem}{suffix}" if n == 0 else f"{stem} ({n}){suffix}")
        try:
            return path, create(path)
        except FileExistsError:
            continue
    raise FileExistsError(
        f"{directory / (stem + suffix)} and {MAX_COLLISIONS - 1} numbered variants all exist"
    )
