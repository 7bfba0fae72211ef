"""How good is a Z-LUT? Scores of a candidate built from one bead's focus sweep.

A sweep records every selected bead at once, so it yields one candidate Z-LUT per bead.
Three figures tell a usable LUT from a poor one:

* **contrast**: how much the radial profile varies along the radius, relative to its
  level (median over planes of ``std / |mean|`` over the matched bins). A dim, blurred
  or missing bead has little contrast, so noise dominates its profiles.
* **distinctness**: how different neighbouring planes are (``1 - r`` of the Pearson
  correlation of consecutive normalised profiles; the *smallest* over the LUT, since one
  pair of look-alike planes makes z ambiguous there), and **monotonic**: the fraction of
  planes whose correlation with the planes beyond falls as the distance grows (1 to 3
  planes away), as it must for an unambiguous match.
* **self-consistency**: the sweep's own images looked up against the candidate, giving
  the RMS error in nm against the plane heights, and the fraction of images that found
  a height (not NaN); the two end planes are left out (half of their images lie beyond
  the LUT by nature).

They combine into one ``score`` in ``[0, 1]`` (higher is better) used to rank the
candidates: ``monotonic x found x 1 / (1 + rms / step)``, where ``found`` is the
fraction of images with a height and ``step`` the mean plane spacing; a candidate whose
contrast or distinctness is below the floors of :func:`score_zlut` is marked not
``usable``.
"""

from __future__ import annotations

import itertools
from typing import Any

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._lookup import normalise_rows
from ._zlut import ZLut

__all__ = ["ZLutScore", "best_candidate", "score_zlut"]

#: Floors below which a candidate is not proposed (see :func:`score_zlut`).
MIN_CONTRAST = 0.02
MIN_DISTINCTNESS = 1e-4


@attrs.frozen
class ZLutScore:
    """Scores of one candidate Z-LUT (see the module note).

    Attributes
    ----------
    contrast : float
        Median over planes of the profile's ``std / |mean|``.
    distinctness : float
        Smallest ``1 - r`` between neighbouring planes.
    monotonic : float
        Fraction of planes whose correlation falls with the distance to the next 3.
    self_rms_nm : float
        RMS error of the sweep's own images looked up against the LUT (nm; NaN when no
        image found a height).
    found : float
        Fraction of the sweep's images that found a height.
    score : float
        Combined rank in ``[0, 1]``.
    usable : bool
        Contrast and distinctness above their floors and at least half the images found.
    reason : str
        Why it is not usable ("" when it is).
    """

    contrast: float
    distinctness: float
    monotonic: float
    self_rms_nm: float
    found: float
    score: float
    usable: bool
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The scores as plain JSON values."""
        return attrs.asdict(self)


def _monotonic(corr: NDArray[np.float64], reach: int = 3) -> float:
    """Fraction of planes whose correlation with planes 1..reach away keeps falling."""
    m = corr.shape[0]
    good = total = 0
    for i in range(m):
        for direction in (1, -1):
            seq = [corr[i, i + direction * k] for k in range(1, reach + 1)
                   if 0 <= i + direction * k < m]
            if len(seq) >= 2:
                total += 1
                good += int(all(a > b for a, b in itertools.pairwise(seq)))
    return good / total if total else 0.0


def score_zlut(
    zlut: ZLut,
    z_nm: ArrayLike,
    images: ArrayLike,
    tracker: Any,
    *,
    used: NDArray[np.bool_] | None = None,
) -> ZLutScore:
    """Score a candidate Z-LUT against the sweep images it was built from.

    Parameters
    ----------
    zlut : ZLut
        The candidate.
    z_nm : array_like, shape (n_planes,)
        The true height of each plane of ``images`` (the LUT's own heights).
    images : array_like, shape (n_planes, n_images, h, w)
        The sweep's images of this bead.
    tracker : CpuTracker
        The tracker that looks the images up (same options as the one that built it).
    used : ndarray of bool or None
        The profile bins the tracker matches (default: every bin).

    Returns
    -------
    ZLutScore
    """
    z = np.asarray(z_nm, dtype=np.float64)
    arr = np.asarray(images)
    if arr.ndim == 3:
        arr = arr[:, None]
    n_planes, n_images, h, w = arr.shape
    prof = np.asarray(zlut.profiles, dtype=np.float64)
    if used is None:
        used = np.ones(prof.shape[1], bool)
    sel = prof[:, used]
    level = np.abs(sel.mean(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        contrast_per_plane = np.where(level > 0, sel.std(axis=1) / level, 0.0)
    contrast = float(np.median(contrast_per_plane))
    planes = normalise_rows(sel).astype(np.float64)
    planes = np.nan_to_num(planes)
    corr = planes @ planes.T
    neighbour = np.einsum("ij,ij->i", planes[:-1], planes[1:])
    distinctness = float(np.min(1.0 - neighbour)) if neighbour.size else 0.0
    monotonic = _monotonic(corr)
    result = tracker.track(arr.reshape(n_planes * n_images, h, w), zlut)
    found_z = np.asarray(result.z, dtype=np.float64).reshape(n_planes, n_images)
    err = found_z - z[:, None]
    if n_planes > 4:  # an end plane's images fall outside the LUT half the time
        err = err[1:-1]
    finite = np.isfinite(err)
    found = float(finite.mean())
    rms = float(np.sqrt(np.mean(err[finite] ** 2))) if finite.any() else float("nan")
    step = float(np.mean(np.abs(np.diff(z)))) if z.size > 1 else 1.0
    score = monotonic * found / (1.0 + (rms / step if np.isfinite(rms) else np.inf))
    reasons = []
    if contrast < MIN_CONTRAST:
        reasons.append(f"contrast {contrast:.3g} < {MIN_CONTRAST:g}")
    if distinctness < MIN_DISTINCTNESS:
        reasons.append(f"neighbouring planes alike (1 - r = {distinctness:.2g})")
    if found < 0.5:
        reasons.append(f"only {found:.0%} of its images found a height")
    return ZLutScore(
        contrast=contrast,
        distinctness=distinctness,
        monotonic=float(monotonic),
        self_rms_nm=rms,
        found=found,
        score=float(score) if np.isfinite(score) else 0.0,
        usable=not reasons,
        reason="; ".join(reasons),
    )


def best_candidate(scores: dict[int, ZLutScore]) -> int | None:
    """Key of the best candidate: the highest score among usable ones, else overall.

    Returns None for an empty mapping.
    """
    if not scores:
        return None
    usable = {k: s for k, s in scores.items() if s.usable}
    pool = usable or scores
    return max(pool, key=lambda k: (pool[k].score, -k))
