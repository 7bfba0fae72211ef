"""A tracks writer that raises on purpose (fault-injection tests; put on the path, never
installed): the real HDF5 writer, failing ``failures`` calls in a row after
``good_batches`` good ones."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from magscope_writers import Hdf5TracksWriter

from magscope_core import WriterSpec, hookimpl
from magscope_core._writer import TracksBatch


class FlakyTracksWriter(Hdf5TracksWriter):
    """Writes ``good_batches`` calls, then raises ``failures`` times, then writes again."""

    def __init__(self, good_batches: int = 5, failures: int = 3, **options: Any) -> None:
        super().__init__(**options)
        self.good_batches = good_batches
        self.failures = failures
        self.calls = 0

    def write_tracks(self, batch: TracksBatch) -> None:
        self.write_tracks_many([batch])

    def write_tracks_many(self, batches: Sequence[TracksBatch]) -> None:
        # the pipeline hands a writer its batches in groups: a call is one group
        self.calls += 1
        if self.good_batches < self.calls <= self.good_batches + self.failures:
            raise RuntimeError(f"injected fault on call {self.calls}")
        super().write_tracks_many(batches)


@hookimpl
def magscope_writers() -> list[WriterSpec]:
    return [WriterSpec(name="flaky", factory=FlakyTracksWriter, default_enabled=False,
                       description="HDF5 tracks that fail 3 times after 5 batches (tests)")]
