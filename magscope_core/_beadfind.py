"""Finding beads in a frame, for adding bead ROIs automatically.

Cameras that know where their beads are (a simulator) may provide
``bead_positions()``; otherwise the camera manager looks for bright or dark blobs in
the newest frame with :func:`find_beads`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["find_beads"]


def _box_mean(img: np.ndarray, k: int) -> np.ndarray:
    """Mean over a ``k`` x ``k`` box around every pixel (edges use what is inside)."""
    pad = k // 2
    p = np.pad(img, pad + 1, mode="edge").cumsum(0).cumsum(1)
    h, w = img.shape
    a = p[k:k + h, k:k + w] - p[:h, k:k + w] - p[k:k + h, :w] + p[:h, :w]
    return np.asarray(a / (k * k))


def find_beads(frame: np.ndarray, n: int, size: int, *, min_snr: float = 6.0
               ) -> list[tuple[float, float]]:
    """Centres ``(x, y)`` of up to ``n`` beads whose ``size`` px ROI fits in the frame.

    A bead is a blob that differs from the background (its rings are bright and dark):
    the score is the local mean of ``|frame - median|``; peaks are taken greedily, each
    one suppressing a ``size`` box around it, while the score stays ``min_snr`` noise
    levels above the typical pixel.

    Parameters
    ----------
    frame
        ``(h, w)`` image.
    n
        Most beads to return.
    size
        ROI side in pixels; returned centres keep the ROI inside the frame and ROIs
        from overlapping.
    """
    img = np.asarray(frame, dtype=np.float32)
    dev = np.abs(img - np.median(img))
    score = _box_mean(dev, max(3, size // 4))
    h, w = score.shape
    half = size // 2
    valid = np.zeros_like(score, dtype=bool)
    valid[half:h - (size - half) + 1, half:w - (size - half) + 1] = True
    level = float(np.median(score))
    spread = float(np.median(np.abs(score - level))) * 1.4826 + 1e-6
    found: list[tuple[float, float]] = []
    masked = np.where(valid, score, -np.inf)
    while len(found) < n:
        idx = int(np.argmax(masked))
        y, x = divmod(idx, w)
        if not np.isfinite(masked[y, x]) or masked[y, x] < level + min_snr * spread:
            break
        found.append((float(x), float(y)))
        masked[max(0, y - size):y + size, max(0, x - size):x + size] = -np.inf
    return found
