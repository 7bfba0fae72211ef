"""The Z-LUT of the MagTrack tracker, in MagScope 1.0's text format.

In memory it is an attrs record (heights and one profile per plane); on disk it is
MagTrack's own layout, written with ``numpy.savetxt``: row 0 holds the heights in nm,
each further row one profile bin across the planes. MagScope 1.0 loads these files as
they are; a ``# metadata: {JSON}`` comment (the convention of the cpu tracker's files)
records the tracker, the ROI size and the options the profiles were made with.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

__all__ = ["MagTrackZLut"]

_METADATA_TAG = "metadata:"  # the comment line the cpu tracker's Z-LUT files use too


def _frozen(a: Any) -> NDArray[np.float64]:
    arr = np.array(a, dtype=np.float64)
    arr.setflags(write=False)
    return arr


@attrs.frozen(eq=False)
class MagTrackZLut:
    """Reference profiles at known heights.

    Parameters
    ----------
    z_nm : ndarray, shape (n_planes,)
        Heights, increasing.
    profiles : ndarray, shape (n_planes, n_bins)
        One profile per height.
    metadata : dict
        ``roi_shape``, the tracker options, the source.
    """

    z_nm: NDArray[np.float64] = attrs.field(converter=_frozen)
    profiles: NDArray[np.float64] = attrs.field(converter=_frozen)
    metadata: dict[str, Any] = attrs.field(factory=dict)

    def __attrs_post_init__(self) -> None:
        if self.z_nm.ndim != 1 or self.z_nm.size < 3:
            raise ValueError(f"a Z-LUT needs at least 3 heights, got shape {self.z_nm.shape}")
        if self.profiles.shape[0] != self.z_nm.size or self.profiles.ndim != 2:
            raise ValueError(f"profiles have shape {self.profiles.shape}; expected "
                             f"({self.z_nm.size}, n_bins), one per height")
        if not (np.all(np.isfinite(self.z_nm)) and np.all(np.diff(self.z_nm) > 0)):
            raise ValueError("the heights must be finite and strictly increasing")

    @property
    def n_bins(self) -> int:
        """Profile length."""
        return int(self.profiles.shape[1])

    @property
    def table(self) -> NDArray[np.float64]:
        """MagTrack's layout ``(1 + n_bins, n_planes)``: row 0 the heights."""
        return np.vstack([self.z_nm[None, :], self.profiles.T])

    def save(self, path: str | Path) -> None:
        """Write the text file (MagTrack layout, a ``#`` metadata line first)."""
        meta = {k: v for k, v in self.metadata.items() if k != "source_file"}
        header = ("MagScope Z-LUT (MagTrack layout: row 0 z in nm, then one row per bin)\n"
                  f"{_METADATA_TAG} {json.dumps(meta, sort_keys=True, default=str)}")
        np.savetxt(Path(path), self.table, header=header)

    @classmethod
    def load(cls, path: str | Path) -> MagTrackZLut:
        """Read a Z-LUT text file (ours or MagScope 1.0's).

        Raises
        ------
        ValueError
            Naming the file and the problem.
        """
        path = Path(path)
        try:
            table = np.loadtxt(path, ndmin=2)
        except (OSError, ValueError) as exc:
            raise ValueError(f"Z-LUT file {path}: not a table of numbers ({exc})") from None
        if table.shape[0] < 2:
            raise ValueError(f"Z-LUT file {path}: {table.shape[0]} row(s); expected the "
                             "heights then at least one profile row")
        metadata: dict[str, Any] = {}
        with path.open(encoding="utf-8", errors="replace") as f:
            for line in f:
                if not line.startswith("#"):
                    break
                text = line.lstrip("#").strip()
                if text.startswith(_METADATA_TAG):
                    try:
                        metadata.update(json.loads(text[len(_METADATA_TAG):]))
                    except (ValueError, TypeError):
                        raise ValueError(f"Z-LUT file {path}: its metadata line is not a "
                                         "JSON object") from None
        z, profiles = table[0], table[1:].T
        order = np.argsort(z)
        try:
            return cls(z[order], profiles[order], {**metadata, "source_file": str(path)})
        except ValueError as exc:
            raise ValueError(f"Z-LUT file {path}: {exc}") from None
