"""The Z look-up table record and its text file format.

File format (the reference system's, readable by ``numpy.loadtxt``): a
whitespace-separated matrix with one column per plane; row 0 holds z in nm, rows
1.. hold the radial profile bins. We add leading ``#`` comment lines, one of them
``# metadata: {JSON}``; files without comments (reference files) load too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

__all__ = ["ZLut", "ZLutError"]

_FORMAT_LINE = (
    "# magscope-tracker Z-LUT, format 1. Row 0: z (nm); rows 1..n_bins: radial profile "
    "(bin b at radius b / profile_oversample px); one column per plane."
)
_METADATA_TAG = "metadata:"


class ZLutError(ValueError):
    """A Z-LUT is malformed or does not fit the tracker.

    Parameters
    ----------
    message : str
        What is wrong and what was expected.
    path : str or None
        The file concerned, if any.
    line : int or None
        1-based line number in that file, if known.
    source : str or None
        Description of a Z-LUT that does not come from a file (e.g. "bead 3 sweep").

    Attributes
    ----------
    path, line, source
        As given.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        source: str | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.source = source
        where = "Z-LUT"
        if path is not None:
            where += f" file {path!r}"
        elif source:
            where += f" {source!r}"
        if line is not None:
            where += f", line {line}"
        super().__init__(f"{where}: {message}")


def _matrix_problem(
    z: NDArray[np.float64], profiles: NDArray[np.float64]
) -> tuple[int, str] | None:
    """First problem of a ``(z, profiles)`` pair as ``(matrix_row, message)``, else None.

    Matrix rows follow the file layout: row 0 is z, row ``1 + b`` is bin ``b``; values
    are numbered from 1 (one per plane).
    """
    if z.ndim != 1 or profiles.ndim != 2 or profiles.shape[0] != z.size:
        return -1, (
            f"z has shape {z.shape} and profiles {profiles.shape}; expected z (n_planes,) "
            "and profiles (n_planes, n_bins)"
        )
    if z.size < 3:
        return -1, f"only {z.size} plane(s) (columns); at least 3 are needed"
    if profiles.shape[1] < 1:
        return -1, "no profile rows after the z row; at least one is needed"
    bad = np.flatnonzero(~np.isfinite(z))
    if bad.size:
        return 0, f"z value {bad[0] + 1} is {z[bad[0]]}; z must be finite"
    bad_p = np.argwhere(~np.isfinite(profiles))
    if bad_p.size:
        plane, b = (int(v) for v in bad_p[0])
        return 1 + b, (
            f"profile bin {b}, value {plane + 1} (plane {plane}) is {profiles[plane, b]}; "
            "profiles must be finite"
        )
    step = np.diff(z)
    sign = 1.0 if step[0] > 0 else -1.0
    wrong = np.flatnonzero(~(step * sign > 0))
    if wrong.size:
        i = int(wrong[0]) + 1
        return 0, (
            f"z is not strictly monotonic: value {i + 1} ({z[i]:g}) follows value {i} "
            f"({z[i - 1]:g})"
        )
    return None


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (np.ndarray, tuple, set, frozenset)):
        return list(value.tolist() if isinstance(value, np.ndarray) else value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"Z-LUT metadata value {value!r} ({type(value).__name__}) is not JSON")


def _as_array(value: Any) -> NDArray[np.float64]:
    return np.array(value, dtype=np.float64, copy=True)


@attrs.frozen(eq=False)
class ZLut:
    """Radial profiles of one bead at known heights: the Z look-up table.

    Parameters
    ----------
    z_nm : array_like
        Plane heights in nm, ``(n_planes,)``, strictly monotonic, at least 3.
    profiles : array_like
        Raw (not normalised) radial profiles, ``(n_planes, n_bins)``, finite.
    metadata : mapping
        Free JSON-compatible information. :meth:`CpuTracker.make_zlut
        <magscope_tracker.CpuTracker.make_zlut>` records ``roi_shape``, ``n_bins``,
        ``profile_oversample``, ``nm_per_px``, ``created``, ``source`` and
        ``tracker_options``.

    Raises
    ------
    ZLutError
        If the arrays do not form a valid Z-LUT.
    """

    z_nm: NDArray[np.float64] = attrs.field(converter=_as_array)
    profiles: NDArray[np.float64] = attrs.field(converter=_as_array)
    metadata: Mapping[str, Any] = attrs.field(factory=dict, converter=dict)

    def __attrs_post_init__(self) -> None:
        problem = _matrix_problem(self.z_nm, self.profiles)
        if problem is not None:
            raise self.error(problem[1])
        self.z_nm.setflags(write=False)
        self.profiles.setflags(write=False)

    @property
    def n_planes(self) -> int:
        """Number of planes (z positions)."""
        return int(self.z_nm.size)

    @property
    def n_bins(self) -> int:
        """Number of radial profile bins."""
        return int(self.profiles.shape[1])

    def error(self, message: str) -> ZLutError:
        """A :class:`ZLutError` about this LUT, naming its file or source."""
        path = self.metadata.get("file")
        source = self.metadata.get("source")
        return ZLutError(
            message, path=str(path) if path else None, source=str(source) if source else None
        )

    def summary(self) -> str:
        """One-line description: planes, z range, mean step and bins."""
        step = float(np.mean(np.diff(self.z_nm)))
        lo, hi = float(self.z_nm.min()), float(self.z_nm.max())
        return (
            f"{self.n_planes} planes, z {lo:g}..{hi:g} nm (mean step {step:g} nm), "
            f"{self.n_bins} bins"
        )

    def to_matrix(self) -> NDArray[np.float64]:
        """Return the file matrix ``(1 + n_bins, n_planes)``: z row, then one row per bin."""
        return np.vstack([self.z_nm[None, :], self.profiles.T])

    @classmethod
    def from_matrix(cls, matrix: Any, metadata: Mapping[str, Any] | None = None) -> ZLut:
        """Build a Z-LUT from a reference-layout matrix ``(1 + n_bins, n_planes)``."""
        m = np.asarray(matrix, dtype=np.float64)
        if m.ndim != 2 or m.shape[0] < 2:
            raise ZLutError(
                f"matrix has shape {m.shape}; expected (1 + n_bins, n_planes) with n_bins >= 1"
            )
        return cls(z_nm=m[0], profiles=m[1:].T, metadata=dict(metadata or {}))

    def save(self, path: str | Path) -> None:
        """Write the Z-LUT as text: metadata comments, then the reference matrix.

        Values are written with ``repr`` (shortest exact form), so :meth:`load` gives
        back identical arrays.
        """
        meta = {k: v for k, v in self.metadata.items() if k != "file"}
        lines = [_FORMAT_LINE, f"# {_METADATA_TAG} {json.dumps(meta, default=_json_default)}"]
        for row in self.to_matrix():
            lines.append(" ".join(repr(float(v)) for v in row))
        Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path, *, n_bins: int | Sequence[int] | None = None) -> ZLut:
        """Read a Z-LUT text file (ours, or a reference file without comments).

        Parameters
        ----------
        path : str or Path
            The file.
        n_bins : int, sequence of int, or None
            If given, the number(s) of profile bins the caller's tracker can use; a
            file with another profile length is rejected.

        Raises
        ------
        ZLutError
            Naming the file, the line and the problem when the file cannot be read,
            is not a numeric matrix, has rows of unequal length, non-finite values,
            fewer than 3 planes, non-monotonic z, or the wrong profile length.
        """
        name = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ZLutError(f"cannot be read: {exc}", path=name) from exc
        metadata: dict[str, Any] = {}
        rows: list[list[float]] = []
        row_lines: list[int] = []
        for lineno, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line:
                continue
            if line.startswith("#"):
                body = line[1:].strip()
                if body.startswith(_METADATA_TAG):
                    try:
                        loaded = json.loads(body[len(_METADATA_TAG) :])
                    except json.JSONDecodeError as exc:
                        raise ZLutError(
                            f"metadata comment is not valid JSON ({exc.msg})",
                            path=name,
                            line=lineno,
                        ) from exc
                    if not isinstance(loaded, dict):
                        raise ZLutError(
                            "metadata comment must hold a JSON object", path=name, line=lineno
                        )
                    metadata.update(loaded)
                continue
            values = []
            for col, token in enumerate(line.split(), start=1):
                try:
                    values.append(float(token))
                except ValueError:
                    raise ZLutError(
                        f"value {col} is {token!r}, not a number", path=name, line=lineno
                    ) from None
            if rows and len(values) != len(rows[0]):
                raise ZLutError(
                    f"{len(values)} values, expected {len(rows[0])} like line {row_lines[0]} "
                    "(one per plane)",
                    path=name,
                    line=lineno,
                )
            rows.append(values)
            row_lines.append(lineno)
        if not rows:
            raise ZLutError("no numeric rows (expected a z row and profile rows)", path=name)
        if len(rows) < 2:
            raise ZLutError(
                "only one numeric row (z); at least one profile row must follow",
                path=name,
                line=row_lines[0],
            )
        matrix = np.array(rows, dtype=np.float64)
        problem = _matrix_problem(matrix[0], matrix[1:].T)
        if problem is not None:
            row, message = problem
            raise ZLutError(message, path=name, line=row_lines[row] if row >= 0 else None)
        allowed = (n_bins,) if isinstance(n_bins, int) else tuple(n_bins or ())
        if allowed and matrix.shape[0] - 1 not in allowed:
            raise ZLutError(
                f"{matrix.shape[0] - 1} profile bins (rows after the z row), but the tracker "
                f"makes {' or '.join(str(b) for b in allowed)} bins for this ROI size and "
                "options",
                path=name,
            )
        metadata["file"] = name
        return cls.from_matrix(matrix, metadata)
