"""A growable ring of time-ordered rows kept to a time window (for the live plots).

Plots append the few rows that arrived since the last display tick and drop the rows
that left the window; both are amortised O(new rows). Nothing is sorted or copied as a
whole per tick, whatever the size of the shared tracks matrix.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SeriesBuffer"]


class SeriesBuffer:
    """Rows ``(t, v1, v2, ...)`` in time order, oldest dropped by :meth:`trim`.

    Parameters
    ----------
    ncols
        Values per row, the time column (column 0) included.
    capacity
        Initial number of rows (the buffer grows by doubling when needed).
    """

    def __init__(self, ncols: int, capacity: int = 4096) -> None:
        if ncols < 1 or capacity < 1:
            raise ValueError(f"SeriesBuffer needs ncols >= 1 and capacity >= 1, got "
                             f"{ncols} and {capacity}")
        self._data = np.empty((capacity, ncols))
        self._start = 0
        self._end = 0

    def __len__(self) -> int:
        return self._end - self._start

    @property
    def ncols(self) -> int:
        """Values per row."""
        return int(self._data.shape[1])

    def append(self, rows: np.ndarray) -> None:
        """Append ``(n, ncols)`` rows, newer than the rows held (older ones are skipped)."""
        rows = np.asarray(rows, np.float64).reshape(-1, self.ncols)
        if len(self) and rows.shape[0]:
            rows = rows[rows[:, 0] > self._data[self._end - 1, 0]]
        n = rows.shape[0]
        if not n:
            return
        if self._end + n > self._data.shape[0]:
            live = len(self)
            if live + n > self._data.shape[0] // 2:  # grow, leaving room to compact rarely
                bigger = np.empty((max(2 * (live + n), 16), self.ncols))
                bigger[:live] = self._data[self._start:self._end]
                self._data = bigger
            else:
                self._data[:live] = self._data[self._start:self._end]
            self._start, self._end = 0, live
        self._data[self._end:self._end + n] = rows
        self._end += n

    def trim(self, t_min: float) -> None:
        """Drop the rows whose time is ``< t_min``."""
        view = self._data[self._start:self._end, 0]
        self._start += int(np.searchsorted(view, t_min, side="left"))

    def clear(self) -> None:
        """Drop every row."""
        self._start = self._end = 0

    def rows(self) -> np.ndarray:
        """The rows held, oldest first (a view: valid until the next append)."""
        return self._data[self._start:self._end]

    def first_time(self) -> float | None:
        """Time of the oldest row, or None when empty."""
        return float(self._data[self._start, 0]) if len(self) else None

    def last_time(self) -> float | None:
        """Time of the newest row, or None when empty."""
        return float(self._data[self._end - 1, 0]) if len(self) else None
