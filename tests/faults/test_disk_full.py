"""A full disk loses nothing that could have been kept (issue 8, part 3).

Whole sessions through the real CLI on a real 3 MB filesystem (a tmpfs mounted for the
test; as a user other than root the tests skip and say why).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _disk import SIM, Run, fill, small_disk

writers = pytest.importorskip("magscope_writers")
pytest.importorskip("magscope_sim")
pytest.importorskip("magscope_tracker")

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _check_folder(out: Path, summary: dict[str, object], stderr: str) -> list[Path]:
    """No empty or temporary file; the summary lists every file; no traceback."""
    names = sorted(p.name for p in out.iterdir())
    assert not [n for n in names if n.endswith(".tmp")], names
    empty = [p.name for p in out.iterdir() if p.stat().st_size == 0]
    assert not empty, f"empty files left behind: {empty}"
    listed = {Path(p) for p in summary["files"]}  # type: ignore[attr-defined]
    on_disk = {p for p in out.iterdir() if p.name != "magscope.log"}
    assert on_disk == listed, (sorted(map(str, on_disk)), sorted(map(str, listed)))
    assert "Logging error" not in stderr and "Traceback" not in stderr, stderr[-4000:]
    return sorted(p for p in listed if p.suffix == ".h5")


def test_tracks_first_on_a_3_mb_disk(tmp_path: Path, isolated_config: Path) -> None:
    with small_disk(tmp_path / "disk", "3m") as disk:
        out = disk / "run"
        run = Run(["--duration", "6", "--out", str(out), "--mode", "track+video-rois", *SIM],
                  isolated_config)
        try:
            code, summary = run.finish(timeout=120)
        finally:
            run.kill()
        h5 = _check_folder(out, summary, run.stderr)
        # video stopped first, once, and the summary and exit code say so
        assert run.stderr.count("stopped so that tracking data can still be saved") == 1
        assert "lack of disk space" in summary["failed_writers"]["tiff"]
        assert code != 0
        # tracks of (nearly) every tracked stack are in one valid HDF5 file
        assert len(h5) == 1
        data = writers.read_tracking(h5[0])
        batches = np.unique(data.frame_batch_sequence).size
        assert summary["stacks_tracked"] > 10
        assert batches >= 0.9 * summary["stacks_tracked"], (batches, summary)
        assert np.unique(data.bead_ids).size == 10


def test_saving_resumes_when_space_comes_back(tmp_path: Path, isolated_config: Path) -> None:
    with small_disk(tmp_path / "disk", "3m") as disk:
        out = disk / "run"
        out.mkdir()
        ballast = fill(disk, 200 * 1024)  # too little for a tracking file
        run = Run(["--duration", "8", "--out", str(out), "--mode", "track", *SIM],
                  isolated_config)
        try:
            stop = run.wait_for_line("writer 'hdf5' stopped", timeout=90)
            assert "disk full" in stop
            ballast.unlink()
            run.wait_for_line("writer 'hdf5' resumed", timeout=30)
            code, summary = run.finish(timeout=60)
        finally:
            run.kill()
        h5 = _check_folder(out, summary, run.stderr)
        assert code != 0
        assert "resumed when space came back" in summary["failed_writers"]["hdf5"]
        assert len(h5) == 1
        data = writers.read_tracking(h5[0])
        assert data.frame_timestamps_ns.size >= 10
        assert data.magscope["closed"] == "close"
