"""Tracks batches held briefly and handed to the writers together.

At kHz frame rates a stack is tracked every few milliseconds; writing each one as its own
HDF5 transaction (resize every dataset, flush) costs more than everything else the
pipeline does. :class:`TracksCoalescer` keeps the batches, in stack order, until the
oldest is ``max_age_s`` old (or ``max_batches`` are held) and then hands them all over in
one ``write_tracks_many`` call; each batch stays a batch of its own in the files (its
sequence number, its frames), only the transaction is shared. A crash of the pipeline
loses at most ``max_age_s`` of tracks more than before; the shared tracks matrix (plots,
locks, scripts) is not delayed at all. ``max_age_s = 0`` writes every batch at once (the
behaviour before ADR 0015).
"""

from __future__ import annotations

import time

from magscope_core._writer import TracksBatch

__all__ = ["TracksCoalescer"]


class TracksCoalescer:
    """Hold :class:`TracksBatch` records, in order, until they are due for the writers.

    Parameters
    ----------
    max_age_s
        Seconds the oldest held batch may wait (0: none is held).
    max_batches
        Most batches held (a flush when reached).
    """

    def __init__(self, max_age_s: float = 0.1, max_batches: int = 256) -> None:
        if max_age_s < 0 or max_batches < 1:
            raise ValueError(f"max_age_s must be >= 0 and max_batches >= 1, got "
                             f"{max_age_s} and {max_batches}")
        self.max_age_s = float(max_age_s)
        self.max_batches = int(max_batches)
        self._held: list[TracksBatch] = []
        self._since = 0.0

    def __len__(self) -> int:
        return len(self._held)

    def add(self, batch: TracksBatch, now: float | None = None) -> list[TracksBatch]:
        """Hold ``batch``; return the batches due now (all held ones, or none)."""
        now = time.monotonic() if now is None else now
        if not self._held:
            self._since = now
        self._held.append(batch)
        return self.due(now)

    def due(self, now: float | None = None) -> list[TracksBatch]:
        """The held batches if the oldest is ``max_age_s`` old or too many are held."""
        if not self._held:
            return []
        now = time.monotonic() if now is None else now
        if len(self._held) >= self.max_batches or now - self._since >= self.max_age_s:
            return self.flush()
        return []

    def seconds_left(self, now: float | None = None) -> float | None:
        """Seconds until the held batches are due (None: nothing held)."""
        if not self._held:
            return None
        now = time.monotonic() if now is None else now
        return max(0.0, self._since + self.max_age_s - now)

    def flush(self) -> list[TracksBatch]:
        """Every held batch, in order (the holder is empty afterwards)."""
        out, self._held = self._held, []
        return out
