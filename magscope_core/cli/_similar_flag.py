"""``--similar-to X,Y[,SIZE]``: bead ROIs on every bead like the one at (X, Y), at start.

Headless seed-based bead selection: instead of adding every bead the camera finds
(``--beads``), the session searches the first frames for beads that look like the seed
bead centred on pixel (X, Y) (:class:`~magscope_core.FindSimilarBeads`: normalised
cross-correlation, non-overlapping peaks, the proposed threshold) and adds them, the
seed included, before tracking starts.
"""

from __future__ import annotations

import argparse
import math
from typing import Any

from rich.console import Console

from magscope_core._bead_search import find_similar_beads
from magscope_core._messages import CommandError

__all__ = ["SimilarTo", "add_similar_argument", "add_similar_beads", "similar_to"]

SimilarTo = tuple[float, float, int | None]
"""``(x, y, size)``; size None: the ``core.roi_size`` setting."""


def similar_to(text: str) -> SimilarTo:
    """``"120,80"`` -> (120.0, 80.0, None); ``"120,80,48"`` -> (120.0, 80.0, 48).

    Raises
    ------
    argparse.ArgumentTypeError
        Naming the value and what is allowed (argparse prints it in one line, exit 2).
    """
    parts = [p.strip() for p in text.split(",")]
    try:
        if len(parts) not in (2, 3):
            raise ValueError
        x, y = float(parts[0]), float(parts[1])
        size = int(parts[2]) if len(parts) == 3 else None
        if not (math.isfinite(x) and math.isfinite(y) and x >= 0 and y >= 0):
            raise ValueError
        if size is not None and size < 4:
            raise ValueError
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} rejected; allowed: X,Y or X,Y,SIZE: the seed bead's centre in pixels "
            "(numbers >= 0) and its ROI side (an integer >= 4, default core.roi_size)"
        ) from None
    return x, y, size


def add_similar_argument(p: argparse.ArgumentParser) -> None:
    """Add ``--similar-to`` to a parser that has ``--beads``."""
    p.add_argument("--similar-to", type=similar_to, default=None, metavar="X,Y[,SIZE]",
                   help="add bead ROIs on every bead similar to the one centred on pixel "
                   "(X, Y) (a search seeded on it, before tracking starts), instead of "
                   "every bead found (--beads)")


def add_similar_beads(hub: Any, seed: SimilarTo, roi_size: int, err: Console) -> str | None:
    """Search for beads like the seed and add them; print how many.

    Returns
    -------
    str or None
        One line saying why the search could not run (the run then ends with it).
    """
    x, y, size = seed[0], seed[1], seed[2] or roi_size
    flag = f"--similar-to {x:g},{y:g}" + (f",{seed[2]}" if seed[2] else "")
    try:
        result = find_similar_beads(hub, x, y, size, timeout=120.0)
    except CommandError as exc:
        return f"{flag}: {exc.remote.message if exc.remote is not None else exc}"
    except (RuntimeError, TimeoutError) as exc:
        return f"{flag}: {exc}"
    added = len(result.get("added") or [])
    err.print(f"{flag}: added {added} bead ROI(s) of {size} px like the one at ({x:g}, "
              f"{y:g}) ({len(result.get('score', []))} candidates, threshold "
              f"{result.get('threshold', float('nan')):.3f})", highlight=False)
    return None
