"""`Recording`: failure policy, files reported as they appear, and a real full disk."""

from __future__ import annotations

import errno
import logging
import shutil
from pathlib import Path
from typing import Any

import numpy as np
from _disk import fill, small_disk

from magscope_core import CameraInfo, WriterBase
from magscope_core._disk_space import DiskSpace, is_no_space, payload_bytes
from magscope_core._recording import Recording

INFO = CameraInfo(width=8, height=8, dtype="uint8", bits=8, nm_per_px=100.0, fps=100.0)
KB = 1024


class FileWriter(WriterBase):
    """Appends each ``write_stack`` payload to its own file (a new file per open)."""

    instances: list[FileWriter] = []

    def __init__(self, kind: str = "video", fail: str = "") -> None:
        self.kind = kind
        self.fail = fail  # "always", "alternate" or ""
        self.calls = 0
        self.paths: list[Path] = []
        self.closed_with: list[dict[str, Any]] = []
        self._fh: Any = None
        FileWriter.instances.append(self)

    def open(self, out_dir: Path, info: CameraInfo, metadata: dict[str, Any]) -> None:
        super().open(out_dir, info, metadata)
        self._fh = None

    def write_stack(self, frames: np.ndarray, timestamps: np.ndarray, first_frame: int) -> None:
        self.calls += 1
        if self.fail == "always" or (self.fail == "alternate" and self.calls % 2):
            raise RuntimeError(f"broken on call {self.calls}")
        if self._fh is None:
            path = self.out_dir / f"{self.kind} {len(self.paths)}.bin"
            self._fh = path.open("xb")
            self.paths.append(path)
        try:
            self._fh.write(frames.tobytes())
            self._fh.flush()
        except OSError:
            if self._fh.tell() == 0 or self.paths[-1].stat().st_size == 0:
                self._drop()
            raise

    def _drop(self) -> None:
        try:
            self._fh.close()
        except OSError:
            pass
        self.paths.pop().unlink()
        self._fh = None

    def files(self) -> list[Path]:
        return [p for p in self.paths if p.exists() and p.stat().st_size]

    def close(self, stats: dict[str, Any]) -> list[Path]:
        self.closed_with.append(stats)
        if self._fh is not None:
            try:
                self._fh.close()
            except OSError:
                pass
            self._fh = None
        return self.files()


def _recording(tmp: Path, *writers: tuple[str, str, str], space: DiskSpace | None = None
               ) -> tuple[Recording, list[tuple[str, list[Path]]]]:
    FileWriter.instances = []
    specs = [(name, FileWriter, {"kind": kind, "fail": fail}) for name, kind, fail in writers]
    rec = Recording(specs, tmp, {}, space=space)
    rec.resume_check_s = 0.0
    reports: list[tuple[str, list[Path]]] = []
    rec.start(INFO, True, lambda name, paths: reports.append((name, list(paths))))
    return rec, reports


def _frames(n_bytes: int) -> tuple[np.ndarray, np.ndarray, int]:
    return np.zeros((1, n_bytes), np.uint8), np.zeros(1), 0


def test_a_writer_failing_three_times_is_disabled_and_the_others_carry_on(tmp_path, caplog):
    rec, _ = _recording(tmp_path, ("bad", "video", "always"), ("good", "tracks", ""))
    bad, good = FileWriter.instances
    for _ in range(5):
        rec.write("write_stack", *_frames(100))
    assert bad.calls == 3 and good.calls == 5
    assert "bad" in rec.failed and "broken on call 3" in rec.failed["bad"]
    assert bad.closed_with == [{"failed": rec.failed["bad"]}]
    assert [r.getMessage() for r in caplog.records].count(
        f"{rec.failed['bad']}; it is disabled for the rest of the run") == 1
    assert rec.problems() == {"bad": rec.failed["bad"]}
    assert good.paths[0].stat().st_size == 500
    rec.stop({})


def test_failures_count_per_writer_not_per_streak(tmp_path):
    """Failing every other call (a new file each time) still gets a writer disabled."""
    rec, _ = _recording(tmp_path, ("flaky", "video", "alternate"))
    for _ in range(10):
        rec.write("write_stack", *_frames(10))
    assert "flaky" in rec.failed and FileWriter.instances[0].calls == 5
    rec.stop({})


def test_files_are_reported_when_they_first_hold_data_and_once(tmp_path):
    rec, reports = _recording(tmp_path, ("v", "video", ""))
    assert reports == []
    rec.write("write_stack", *_frames(10))
    assert reports == [("v", [tmp_path / "video 0.bin"])]
    rec.write("write_stack", *_frames(10))
    rec.stop({})
    assert reports == [("v", [tmp_path / "video 0.bin"])]


def test_payload_and_no_space_detection():
    assert payload_bytes(_frames(123)) == 123 + 8
    assert is_no_space(OSError(errno.ENOSPC, "No space left on device"))
    try:
        try:
            raise OSError(errno.ENOSPC, "full")
        except OSError as exc:
            raise RuntimeError("writing failed") from exc
    except RuntimeError as wrapped:
        assert is_no_space(wrapped)
    assert not is_no_space(RuntimeError("broken"))


def test_video_stops_first_tracks_keep_the_reserve_and_both_resume(tmp_path, caplog):
    caplog.set_level(logging.INFO, "magscope")
    space = DiskSpace(reserve_seconds=1.0, reserve_floor=1024 * KB, resume_seconds=0.0,
                      resume_floor=512 * KB)
    with small_disk(tmp_path / "disk", "6m") as disk:
        ballast = fill(disk, 4096 * KB)
        rec, reports = _recording(disk, ("tiff", "video", ""), ("hdf5", "tracks", ""),
                                  space=space)
        video, tracks = FileWriter.instances
        rec.write("write_stack", *_frames(100 * KB))
        free_at_stop = tracks_at_stop = None
        for _ in range(60):  # 12 MB for both on a 4 MB disk
            rec.write("write_stack", *_frames(100 * KB))
            if "tiff" in rec.stopped and free_at_stop is None:
                free_at_stop = shutil.disk_usage(disk).free
                tracks_at_stop = "hdf5" in rec.writers
        # video stopped first, with the reserve still free, with one message
        assert tracks_at_stop is True
        assert free_at_stop is not None and free_at_stop >= 1024 * KB - 100 * KB
        stops = [r for r in caplog.records if "stopped so that tracking data" in r.getMessage()]
        assert len(stops) == 1 and "video writer 'tiff'" in stops[0].getMessage()
        assert video.closed_with and "disk full" in video.closed_with[0]["stopped"]
        # tracks kept writing into the reserve until their own write no longer fit
        assert "hdf5" in rec.stopped
        assert tracks.calls > video.calls
        assert any("disk full in" in r.getMessage() for r in caplog.records)
        assert shutil.disk_usage(disk).free < 100 * KB
        # nothing empty left behind, every file reported
        files = sorted(p for p in disk.iterdir() if p != ballast)
        assert all(p.stat().st_size > 0 for p in files)
        assert {str(p) for _, ps in reports for p in ps} == {str(p) for p in files}
        # space comes back: tracks resume first (they need less), then video; new files
        for p in files:
            if p.name.startswith("video"):
                p.unlink()
        rec.write("write_stack", *_frames(10 * KB))
        assert "hdf5" in rec.writers and "tiff" in rec.stopped
        ballast.unlink()
        rec.write("write_stack", *_frames(10 * KB))
        assert "hdf5" in rec.writers and "tiff" in rec.writers, rec.stopped
        assert (disk / "tracks 1.bin").stat().st_size == 20 * KB
        assert (disk / "video 1.bin").stat().st_size == 10 * KB
        # the new files know where saving stopped
        assert video.metadata["resumed"]["last_frame_before"] == 0
        assert "disk was full" in video.metadata["resumed"]["cause"]
        problems = rec.problems()
        assert "resumed when space came back" in problems["tiff"]
        assert "resumed when space came back" in problems["hdf5"]
        assert any("resumed" in r.getMessage() for r in caplog.records)
        rec.stop({})


def test_a_disk_that_is_full_from_the_start_lets_only_tracks_write(tmp_path):
    with small_disk(tmp_path / "disk", "1m") as disk:
        fill(disk, 600 * KB)
        rec, _ = _recording(disk, ("tiff", "video", ""), ("hdf5", "tracks", ""))
        video, tracks = FileWriter.instances
        for _ in range(3):
            rec.write("write_stack", *_frames(KB))
        assert video.calls == 0 and tracks.calls == 3 and video.paths == []
        assert rec.problems()["tiff"].startswith("stopped for lack of disk space once "
                                                 "(still stopped at the end)")
        rec.stop({})


class TracksOnly(WriterBase):
    kind = "tracks"

    def write_tracks(self, batch: Any) -> None:
        pass


def test_data_rates_count_only_what_a_writer_writes(tmp_path):
    """A tracks writer is not charged for video it ignores (WriterBase's no-op methods)."""
    FileWriter.instances = []
    rec = Recording([("v", FileWriter, {}), ("t", TracksOnly, {})], tmp_path, {})
    rec.start(INFO, True, lambda name, paths: None)
    rec.write("write_stack", *_frames(100 * KB))
    assert rec._rates["v"].bytes == 100 * KB + 8
    assert "t" not in rec._rates and "t" not in rec.timing_ms()
    rec.stop({})


class _TracksOne:
    """A writer that is not a WriterBase and knows only ``write_tracks``."""

    kind = "tracks"

    def __init__(self) -> None:
        self.got: list[int] = []

    def open(self, out_dir: Path, info: CameraInfo, metadata: dict[str, Any]) -> None:
        pass

    def write_tracks(self, batch: Any) -> None:
        self.got.append(batch.sequence)

    def close(self, stats: dict[str, Any]) -> list[Path]:
        return []


class _TracksMany(WriterBase):
    kind = "tracks"
    instances: list[_TracksMany] = []

    def __init__(self) -> None:
        self.groups: list[list[int]] = []
        _TracksMany.instances.append(self)

    def write_tracks_many(self, batches: Any) -> None:
        self.groups.append([b.sequence for b in batches])


class _TracksEach(WriterBase):
    kind = "tracks"
    instances: list[_TracksEach] = []

    def __init__(self) -> None:
        self.got: list[int] = []
        _TracksEach.instances.append(self)

    def write_tracks(self, batch: Any) -> None:
        self.got.append(batch.sequence)


def test_a_group_of_tracks_batches_reaches_every_kind_of_writer_in_order(tmp_path):
    from magscope_core._writer import TracksBatch

    ones: list[_TracksOne] = []

    def one() -> _TracksOne:
        ones.append(_TracksOne())
        return ones[-1]

    z = np.zeros((2, 1))
    group = [TracksBatch(s, np.array([2 * s, 2 * s + 1]), np.zeros(2), np.array([3]), z, z,
                         z, np.array([0]), np.array([0])) for s in range(3)]
    specs = [("many", _TracksMany, {}), ("each", _TracksEach, {}), ("one", one, {}),
             ("video", FileWriter, {})]
    rec = Recording(specs, tmp_path, {})
    rec.start(INFO, True, lambda name, paths: None)
    rec.write("write_tracks_many", group)
    assert _TracksMany.instances[-1].groups == [[0, 1, 2]]  # one call for the group
    assert _TracksEach.instances[-1].got == [0, 1, 2]  # the default: one call each
    assert ones[-1].got == [0, 1, 2]  # not a WriterBase: write_tracks per batch
    assert "video" not in rec.timing_ms()  # a writer that ignores tracks is not called
    assert rec._last_frame == {"many": 5, "each": 5, "one": 5}
    assert payload_bytes((group,)) == sum(payload_bytes((b,)) for b in group)
