"""Finding beads that look like a seed bead: normalised cross-correlation over a frame.

The seed is the ``size`` x ``size`` patch of the frame centred on a bead the user
picked. Its normalised cross-correlation (NCC, -1..1) with every same-sized window of the
frame is computed band by band (so a long search reports progress and can be cancelled),
then peaks are taken greedily, each suppressing a ``size`` box around it so that the
ROIs of two peaks never overlap. A threshold is proposed in the largest gap between
consecutive peak scores (below the seed itself), where true beads end and background
begins; a GUI may move it and preview which peaks pass.

:class:`SimilarSearch` follows one search from a thread: in that thread itself, or in a
:class:`~magscope_core._search_worker.SearchWorker` process (what the camera manager
does, so that its grab loop never shares an interpreter with the search).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol

import attrs
import numpy as np

__all__ = [
    "SearchCancelled",
    "SimilarPeaks",
    "SimilarSearch",
    "find_similar",
    "ncc_map",
    "propose_threshold",
]

MIN_SCORE = 0.2
"""Peaks scoring below this are never candidates (background correlates near 0)."""


class SearchCancelled(Exception):
    """The search was cancelled before it finished."""


class _Flag(Protocol):
    def is_set(self) -> bool: ...


class _Worker(Protocol):
    @property
    def progress(self) -> float: ...

    def search(self, frame: np.ndarray, x: float, y: float, size: int) -> SimilarPeaks: ...

    def cancel(self) -> None: ...


@attrs.frozen
class SimilarPeaks:
    """Candidate beads of a search, best first.

    Attributes
    ----------
    x, y
        Peak centres in pixels (column, row); the seed is the first.
    score
        NCC of each peak (-1..1).
    threshold
        Proposed threshold (largest score gap); peaks with ``score >= threshold`` are
        proposed as beads.
    size
        ROI side used for the template and the non-overlap rule.
    """

    x: np.ndarray
    y: np.ndarray
    score: np.ndarray
    threshold: float
    size: int

    def selected(self, threshold: float | None = None) -> list[tuple[float, float]]:
        """Centres ``(x, y)`` of the peaks at or above ``threshold`` (default: proposed)."""
        t = self.threshold if threshold is None else threshold
        keep = self.score >= t
        return [(float(a), float(b)) for a, b in zip(self.x[keep], self.y[keep], strict=True)]

    def as_dict(self) -> dict[str, object]:
        """Plain data (for a command reply)."""
        return {"x": self.x.tolist(), "y": self.y.tolist(), "score": self.score.tolist(),
                "threshold": self.threshold, "size": self.size}


def _window_sums(img: np.ndarray, k: int) -> np.ndarray:
    """Sum over every ``k`` x ``k`` window (top-left indexed), shape ``(h-k+1, w-k+1)``."""
    c = np.zeros((img.shape[0] + 1, img.shape[1] + 1), dtype=np.float64)
    c[1:, 1:] = img.cumsum(0).cumsum(1)
    return np.asarray(c[k:, k:] - c[:-k, k:] - c[k:, :-k] + c[:-k, :-k])


def ncc_map(frame: np.ndarray, template: np.ndarray, *,
            progress: Callable[[float], None] | None = None,
            cancel: _Flag | None = None, band_rows: int = 256) -> np.ndarray:
    """NCC of ``template`` with every window of ``frame`` (valid positions only).

    Parameters
    ----------
    frame
        ``(h, w)`` image.
    template
        ``(k, k)`` patch, ``k <= min(h, w)``.
    progress
        Called with the fraction done after each band of rows.
    cancel
        When set, the search stops with :class:`SearchCancelled`.
    band_rows
        Output rows computed per band (one FFT each).

    Returns
    -------
    numpy.ndarray
        ``(h - k + 1, w - k + 1)`` scores; entry ``[i, j]`` is for the window whose
        top-left corner is ``(j, i)``. Flat windows score 0.
    """
    f = np.asarray(frame, dtype=np.float64)
    t = np.asarray(template, dtype=np.float64)
    k = t.shape[0]
    if t.ndim != 2 or t.shape[1] != k:
        raise ValueError(f"template must be square, got shape {t.shape}")
    h, w = f.shape
    if k > min(h, w):
        raise ValueError(f"a {k} px template does not fit in a {w}x{h} frame")
    t = t - t.mean()
    t_norm = float(np.sqrt((t * t).sum()))
    n = k * k
    s1 = _window_sums(f, k)
    s2 = _window_sums(f * f, k)
    var = np.maximum(s2 - s1 * s1 / n, 0.0)
    out_h, out_w = h - k + 1, w - k + 1
    out = np.zeros((out_h, out_w), dtype=np.float64)
    if t_norm == 0.0:
        return out
    flipped = t[::-1, ::-1]
    for r0 in range(0, out_h, band_rows):
        if cancel is not None and cancel.is_set():
            raise SearchCancelled("bead search cancelled")
        r1 = min(out_h, r0 + band_rows)
        band = f[r0:r1 + k - 1]
        shape = (band.shape[0] + k - 1, w + k - 1)
        corr = np.fft.irfft2(np.fft.rfft2(band, shape) * np.fft.rfft2(flipped, shape), shape)
        out[r0:r1] = corr[k - 1:k - 1 + (r1 - r0), k - 1:k - 1 + out_w]
        if progress is not None:
            progress(r1 / out_h)
    denom = np.sqrt(var) * t_norm
    flat = denom <= 1e-9 * max(1.0, float(denom.max()))
    out = np.where(flat, 0.0, out / np.where(flat, 1.0, denom))
    return np.clip(out, -1.0, 1.0)


def propose_threshold(scores: np.ndarray, floor: float = MIN_SCORE) -> float:
    """Threshold in the largest gap between consecutive sorted ``scores``.

    The best score (the seed itself, ~1) is left out of the gaps, so one bead that looks
    alike only to itself does not pull the threshold up; ``floor`` (the lowest score a
    candidate may have) closes the list, so when every candidate is a bead (a small
    frame with no background peak above the floor) the gap is the one to the floor.
    """
    s = np.sort(np.asarray(scores, dtype=float))[::-1]
    rest = np.append(s[1:], floor)
    if rest.size < 2:
        return float((floor + 1.0) / 2)
    gaps = rest[:-1] - rest[1:]
    i = int(np.argmax(gaps))
    return float((rest[i] + rest[i + 1]) / 2)


def find_similar(frame: np.ndarray, x: float, y: float, size: int, *,
                 max_peaks: int = 10_000, min_score: float = MIN_SCORE,
                 progress: Callable[[float], None] | None = None,
                 cancel: _Flag | None = None) -> SimilarPeaks:
    """Peaks of the NCC of the seed patch centred on ``(x, y)`` with ``frame``.

    Parameters
    ----------
    frame
        ``(h, w)`` image.
    x, y
        Seed bead centre in pixels (column, row).
    size
        ROI side in pixels; the seed patch and the non-overlap box.
    max_peaks
        Most candidates returned.
    min_score
        Lowest NCC kept as a candidate.

    Raises
    ------
    ValueError
        The seed's ROI does not fit in the frame, or ``size`` < 4.
    SearchCancelled
        ``cancel`` was set.
    """
    img = np.asarray(frame)
    h, w = img.shape
    if size < 4:
        raise ValueError(f"ROI size must be at least 4 px, got {size}")
    x0, y0 = round(x - size / 2), round(y - size / 2)
    if not (x0 >= 0 and y0 >= 0 and x0 + size <= w and y0 + size <= h):
        raise ValueError(f"a {size} px ROI centred on ({x:g}, {y:g}) does not fit in the "
                         f"{w}x{h} frame")
    template = img[y0:y0 + size, x0:x0 + size]
    scores = ncc_map(img, template, progress=progress, cancel=cancel)
    masked = scores.copy()
    xs: list[float] = []
    ys: list[float] = []
    vals: list[float] = []
    out_w = masked.shape[1]
    while len(vals) < max_peaks:
        idx = int(np.argmax(masked))
        r, c = divmod(idx, out_w)
        v = float(masked[r, c])
        if not v >= min_score:
            break
        xs.append(c + size / 2)
        ys.append(r + size / 2)
        vals.append(v)
        masked[max(0, r - size + 1):r + size, max(0, c - size + 1):c + size] = -np.inf
    score = np.asarray(vals)
    return SimilarPeaks(np.asarray(xs), np.asarray(ys), score,
                        propose_threshold(score, min_score), size)


class SimilarSearch:
    """One search followed by a background thread, with progress and cancel.

    Parameters
    ----------
    frame
        The frame to search (copied by the caller; the search only reads it).
    x, y, size
        Seed bead centre and ROI side (see :func:`find_similar`).
    worker
        A search process (:class:`~magscope_core._search_worker.SearchWorker`) to run
        it in; None runs it in the thread.
    """

    def __init__(self, frame: np.ndarray, x: float, y: float, size: int,
                 worker: _Worker | None = None) -> None:
        self._progress = 0.0
        self.result: SimilarPeaks | None = None
        self.error: str | None = None
        self.cancelled = False
        self._cancel = threading.Event()
        self._worker = worker
        self._thread = threading.Thread(target=self._run, args=(frame, x, y, size),
                                        name="magscope-bead-search", daemon=True)
        self._thread.start()

    @property
    def progress(self) -> float:
        """Fraction done (0-1)."""
        if self._worker is not None and not self.done:
            return self._worker.progress
        return self._progress

    def _run(self, frame: np.ndarray, x: float, y: float, size: int) -> None:
        def report(fraction: float) -> None:
            self._progress = fraction

        try:
            if self._worker is not None:
                self.result = self._worker.search(frame, x, y, size)
            else:
                self.result = find_similar(frame, x, y, size, progress=report,
                                           cancel=self._cancel)
        except SearchCancelled:
            self.cancelled = True
        except Exception as exc:
            self.error = f"{type(exc).__name__}: {exc}"
        self._progress = 1.0

    def cancel(self) -> None:
        """Ask the search to stop after its current band."""
        self._cancel.set()
        if self._worker is not None:
            self._worker.cancel()

    @property
    def done(self) -> bool:
        """Finished, failed or cancelled."""
        return not self._thread.is_alive()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the thread."""
        self._thread.join(timeout)

    @property
    def state(self) -> str:
        """``running``, ``done``, ``cancelled`` or ``failed``."""
        if not self.done:
            return "running"
        if self.cancelled:
            return "cancelled"
        return "failed" if self.error is not None else "done"
