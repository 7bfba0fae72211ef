"""The writer contract: every acquisition mode's calls, one close, valid files.

Subclass :class:`WriterContract` and give it one fixture, ``writer_spec``, returning your
:class:`~magscope_core.WriterSpec`. Override :meth:`WriterContract.check_files` to read
your files back and compare them with what was written (the kit only knows that they
exist, are not empty and lie in the output folder)::

    class TestCsvWriter(WriterContract):
        @pytest.fixture
        def writer_spec(self):
            return WriterSpec(name="csv", factory=CsvWriter)

        def check_files(self, mode, paths, feed):
            if feed.tracks:
                rows = np.loadtxt(paths[0], delimiter=",")
                ...

The writer is driven as the pipeline drives it: ``open``, then for each batch only the
calls the mode makes (:data:`~magscope_core.MODES`), telemetry in every mode, then
``close`` exactly once. Everything runs in-process.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any, ClassVar

import attrs
import numpy as np
import pytest

from magscope_core._acquisition import MODES, mode_parts
from magscope_core._camera import CameraInfo
from magscope_core._import_path import resolve_factory
from magscope_core._specs import WriterSpec
from magscope_core._writer import RoiBatch, TracksBatch, Writer

__all__ = ["WriterContract", "WriterFeed", "feed_writer"]

T0 = 1_764_075_520.25
"""Time of the first frame fed (epoch seconds, with a fraction)."""
INFO = CameraInfo(width=64, height=48, dtype="uint16", bits=12, nm_per_px=100.0, fps=100.0,
                  model="contract-camera", serial="K1")
"""The camera the fed data comes from."""


@attrs.define
class WriterFeed:
    """What the contract gave the writer, for :meth:`WriterContract.check_files`.

    Attributes
    ----------
    mode
        The acquisition mode.
    info, metadata
        What ``open`` got.
    tracks, rois
        The batches given to ``write_tracks`` and ``write_rois``.
    stacks
        ``(frames, timestamps, first_frame)`` given to ``write_stack``.
    telemetry
        ``(source, columns, rows)`` given to ``write_telemetry``.
    """

    mode: str
    info: CameraInfo
    metadata: dict[str, Any]
    tracks: list[TracksBatch] = attrs.field(factory=list)
    rois: list[RoiBatch] = attrs.field(factory=list)
    stacks: list[tuple[np.ndarray, np.ndarray, int]] = attrs.field(factory=list)
    telemetry: list[tuple[str, tuple[str, ...], np.ndarray]] = attrs.field(factory=list)


def _batch(seq: int, n_frames: int, ids: np.ndarray) -> dict[str, np.ndarray]:
    frames = seq * n_frames + np.arange(n_frames)
    return {"frame_numbers": frames, "timestamps": T0 + 0.01 * frames, "bead_ids": ids,
            "roi_x0": ids * 16, "roi_y0": ids * 8}


def feed_writer(writer: Any, mode: str, out_dir: Path, *, n_batches: int = 3,
                n_frames: int = 5, n_beads: int = 3) -> WriterFeed:
    """Open ``writer`` and make the calls the pipeline makes in ``mode`` (no close).

    Values are distinct per item (bead, frame, pixel) so a reader can check each one:
    ``x_nm = 1000 * bead + frame + 0.25``, ``y_nm = -x_nm``, ``z_nm = 10 * frame + bead / 8``;
    ROI pixels ``100 * bead + frame``; full-frame pixels ``frame + row``; telemetry rows
    ``(t, frame, 2 * frame)``.
    """
    tracks_on, video = mode_parts(mode)
    metadata: dict[str, Any] = {"camera": "contract-camera", "acquisition_mode": mode}
    feed = WriterFeed(mode, INFO, metadata)
    writer.open(out_dir, INFO, dict(metadata))
    ids = np.arange(n_beads, dtype=np.int64)
    for seq in range(n_batches):
        common = _batch(seq, n_frames, ids)
        frames = common["frame_numbers"]
        if tracks_on:
            x = 1000.0 * ids[None, :] + frames[:, None] + 0.25
            tb = TracksBatch(sequence=seq, x_nm=x, y_nm=-x,
                             z_nm=10.0 * frames[:, None] + ids[None, :] / 8.0, **common)
            writer.write_tracks(tb)
            feed.tracks.append(tb)
        if video == "rois":
            crops = (100 * ids[None, :, None, None] + frames[:, None, None, None]
                     + np.zeros((1, 1, 16, 16), np.int64)).astype(np.uint16)
            rb = RoiBatch(sequence=seq, crops=crops, **common)
            writer.write_rois(rb)
            feed.rois.append(rb)
        elif video == "full":
            stack = (frames[:, None, None] + np.arange(INFO.height)[None, :, None]
                     + np.zeros((1, 1, INFO.width), np.int64)).astype(np.uint16)
            writer.write_stack(stack, common["timestamps"], int(frames[0]))
            feed.stacks.append((stack, common["timestamps"], int(frames[0])))
        rows = np.column_stack([common["timestamps"], frames, 2.0 * frames])
        writer.write_telemetry("focus", ("t", "z_nm", "target_nm"), rows)
        feed.telemetry.append(("focus", ("t", "z_nm", "target_nm"), rows))
    return feed


class WriterContract:
    """Contract tests of a writer plugin; subclass it and provide ``writer_spec``.

    Attributes
    ----------
    modes
        The acquisition modes to drive the writer in.
    """

    modes: ClassVar[tuple[str, ...]] = tuple(MODES)

    @pytest.fixture
    def writer_spec(self) -> WriterSpec:
        """Override: your writer's spec."""
        raise NotImplementedError("define a writer_spec fixture returning a WriterSpec")

    def check_files(self, mode: str, paths: list[Path], feed: WriterFeed) -> None:
        """Override: read the files back and compare them with ``feed`` (default: nothing)."""

    def _new(self, spec: WriterSpec) -> Any:
        return spec.factory(**spec.options)

    def test_spec_and_options_pickle(self, writer_spec: WriterSpec) -> None:
        """The factory by reference and options as plain data (the pipeline process)."""
        assert isinstance(writer_spec, WriterSpec), type(writer_spec)
        restored = pickle.loads(pickle.dumps(writer_spec.factory))
        # a class or function pickles by reference; an import path as its path
        assert resolve_factory(restored) is resolve_factory(writer_spec.factory)
        options = dict(writer_spec.options)
        assert pickle.loads(pickle.dumps(options)) == options

    def test_object_follows_the_writer_protocol(self, writer_spec: WriterSpec) -> None:
        """open, write_stack, write_rois, write_tracks, write_telemetry and close exist."""
        writer = self._new(writer_spec)
        assert isinstance(writer, Writer), f"{type(writer).__name__} misses Writer methods"
        assert getattr(writer, "kind", "other") in ("tracks", "telemetry", "video", "other")

    def test_every_mode_writes_valid_files(self, writer_spec: WriterSpec,
                                           tmp_path: Path) -> None:
        """In each mode: the mode's calls, close once -> existing, non-empty files."""
        for mode in self.modes:
            out = tmp_path / mode
            out.mkdir()
            writer = self._new(writer_spec)
            feed = feed_writer(writer, mode, out)
            reported = [Path(p) for p in (writer.files() if hasattr(writer, "files") else [])]
            paths = [Path(p) for p in writer.close({"frames_dropped": 0})]
            for p in paths:
                assert p.is_file(), f"{mode}: close() returned {p}, which does not exist"
                assert p.stat().st_size > 0, f"{mode}: {p.name} is empty"
                assert p.resolve().is_relative_to(out.resolve()), f"{mode}: {p} outside {out}"
            missing = [p.name for p in reported if p not in paths]
            assert not missing, f"{mode}: files() listed {missing} that close() did not return"
            self.check_files(mode, paths, feed)

    def test_close_without_data_leaves_no_empty_file(self, writer_spec: WriterSpec,
                                                     tmp_path: Path) -> None:
        """Opened and closed with nothing written: no empty or temporary file is left."""
        writer = self._new(writer_spec)
        writer.open(tmp_path, INFO, {})
        paths = [Path(p) for p in writer.close({})]
        empty = [p.name for p in tmp_path.rglob("*") if p.is_file() and p.stat().st_size == 0]
        assert not empty, f"empty files left: {empty}"
        assert all(p.is_file() for p in paths), paths
