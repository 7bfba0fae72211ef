"""Placing beads in a frame and compositing their render boxes.

Helpers of :class:`~magscope_sim.SimulatedCamera`: a random non-overlapping layout, the
grouping of beads whose render boxes overlap (their images must be merged before noise is
drawn), and a clipped copy of a box into the frame.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from magscope_core import ConfigurationError

__all__ = ["blit", "box_clusters", "random_layout"]

F64 = NDArray[np.float64]


def random_layout(
    n: int, width: int, height: int, min_sep: float, rng: np.random.Generator
) -> F64:
    """Random anchor positions (px) at least ``min_sep`` apart and ``min_sep/2`` from edges."""
    margin = min_sep / 2.0
    if n and (width - 2 * margin <= 0 or height - 2 * margin <= 0):
        raise ConfigurationError(f"SimulatedCamera: a {width}x{height} frame leaves no room "
                                 f"for beads with min_separation_px={min_sep:g}")
    placed: list[tuple[float, float]] = []
    for _ in range(2000 * max(n, 1)):
        if len(placed) == n:
            break
        x = rng.uniform(margin, width - 1 - margin)
        y = rng.uniform(margin, height - 1 - margin)
        if all((x - a) ** 2 + (y - b) ** 2 >= min_sep**2 for a, b in placed):
            placed.append((x, y))
    if len(placed) < n:  # the user's options do not fit: one line, never retried
        raise ConfigurationError(
            f"SimulatedCamera: could not place {n} beads at least {min_sep:g} px apart in a "
            f"{width}x{height} frame (placed {len(placed)}); lower n_fixed/n_tethered or "
            "min_separation_px"
        )
    return np.array(placed, dtype=np.float64).reshape(n, 2)


def box_clusters(x0: NDArray[np.int64], y0: NDArray[np.int64], size: int) -> list[list[int]]:
    """Group beads whose ``size`` boxes (top-left ``x0, y0``) overlap (union-find)."""
    n = x0.size
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    close = (np.abs(x0[:, None] - x0[None, :]) < size) & (np.abs(y0[:, None] - y0[None, :]) < size)
    for i, j in zip(*np.nonzero(np.triu(close, 1)), strict=True):
        parent[find(int(i))] = find(int(j))
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    return list(groups.values())


def blit(out: NDArray[Any], patch: NDArray[Any], x0: int, y0: int) -> None:
    """Write ``patch`` into ``out`` with its top-left at ``(x0, y0)``, clipped to ``out``."""
    h, w = patch.shape
    ys, ye = max(y0, 0), min(y0 + h, out.shape[0])
    xs, xe = max(x0, 0), min(x0 + w, out.shape[1])
    if ys < ye and xs < xe:
        out[ys:ye, xs:xe] = patch[ys - y0 : ye - y0, xs - x0 : xe - x0]
