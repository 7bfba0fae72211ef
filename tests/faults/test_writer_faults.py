"""Writer faults and killed managers while recording (issue 8, part 4), whole sessions.

- a writer that raises 3 times: disabled with a message, the others carry on, its
  file stays valid;
- SIGKILL of the pipeline mid-recording: restarted, recording goes on, everything written
  before the kill is in a readable HDF5 listed in the summary, the new file records the gap;
- SIGKILL of the camera and of a motor mid-recording: restarted, recording goes on.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import h5py
import numpy as np
import pytest
from _disk import SIM, Run

writers = pytest.importorskip("magscope_writers")
pytest.importorskip("magscope_sim")
pytest.importorskip("magscope_tracker")

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FAULTPLUGIN = Path(__file__).parent / "faultplugin"


def _batches(path: Path) -> int:
    """Batches in a tracking file that another process is writing (0 if not readable yet)."""
    try:
        with h5py.File(path, "r", locking=False) as h5:
            return int(h5["tracking/batch_sequence"].shape[0])
    except Exception:
        return 0


def _h5(out: Path) -> list[Path]:
    return sorted(out.glob("Tracking Data*.h5"), key=lambda p: p.stat().st_mtime_ns)


def _tracks_run(out: Path, config: Path, *extra: str, plugin: Path | None = None) -> Run:
    return Run(["--duration", "60", "--out", str(out), "--mode", "track", *SIM, *extra],
               config, plugin)


def test_a_writer_that_raises_3_times_is_disabled_and_the_others_carry_on(
    tmp_path: Path, isolated_config: Path
) -> None:
    out = tmp_path / "run"
    run = _tracks_run(out, isolated_config, "--writers", "hdf5,telemetry,flaky",
                      plugin=FAULTPLUGIN)
    try:
        run.wait_for_line("it is disabled for the rest of the run", timeout=90)
        run.wait_until("the hdf5 writer going on after flaky was disabled",
                       lambda: len(_h5(out)) == 2 and max(map(_batches, _h5(out))) >= 15,
                       timeout=30)
        run.stop()
        code, summary = run.finish(timeout=60)
    finally:
        run.kill()
    disabled = [ln for ln in run.lines if "it is disabled for the rest of the run" in ln]
    assert len(disabled) == 1 and "writer 'flaky' failed in write_tracks" in disabled[0]
    assert "injected fault on call 8" in disabled[0]
    assert "injected fault on call 6" in run.stderr and "injected fault on call 7" in run.stderr
    assert "injected fault on call 8" in summary["failed_writers"]["flaky"]
    assert code != 0
    files = {Path(p) for p in summary["files"]}
    h5 = [p for p in files if p.suffix == ".h5"]
    assert len(h5) == 2 and {"focus.txt", "magnet.txt"} <= {p.name for p in files}
    data = {p: writers.read_tracking(p) for p in h5}
    flaky = [p for p, d in data.items() if "failed" in (d.magscope.get("stats") or {})]
    assert len(flaky) == 1
    good = data[next(p for p in h5 if p != flaky[0])]
    bad = data[flaky[0]]
    # its file is valid and holds exactly the batches of its 5 good calls (the pipeline
    # hands writers their batches in groups, so 5 calls hold 5 batches or more): the
    # first ones, without a gap, and none after the faults
    kept = np.unique(bad.frame_batch_sequence)
    assert kept.size >= 5 and np.array_equal(kept, np.arange(kept[0], kept[0] + kept.size))
    assert bad.magscope["closed"] == "close"
    # the other tracks writer carried on: it has those batches and many more
    assert set(np.unique(bad.frame_batch_sequence)) < set(np.unique(good.frame_batch_sequence))
    assert np.unique(good.frame_batch_sequence).size >= 15


def test_sigkill_of_the_pipeline_mid_recording(tmp_path: Path, isolated_config: Path) -> None:
    out = tmp_path / "run"
    run = _tracks_run(out, isolated_config)
    try:
        run.wait_until("a first tracking file with 5 batches",
                       lambda: len(_h5(out)) == 1 and _batches(_h5(out)[0]) >= 5, timeout=90)
        first_pid = run.pids("pipeline")[-1]
        os.kill(first_pid, signal.SIGKILL)
        run.wait_until("a restarted pipeline", lambda: len(run.pids("pipeline")) >= 2,
                       timeout=60)
        run.wait_until("a second tracking file with 5 batches",
                       lambda: len(_h5(out)) == 2 and _batches(_h5(out)[1]) >= 5, timeout=60)
        run.stop()
        _code, summary = run.finish(timeout=60)
    finally:
        run.kill()
    first, second = _h5(out)
    # the summary lists the file of the killed pipeline too
    assert {str(first), str(second)} <= set(summary["files"])
    before = writers.read_tracking(first)  # readable: every batch was flushed
    seq = np.unique(before.frame_batch_sequence)
    assert seq.size >= 5 and np.array_equal(seq, np.arange(seq[0], seq[0] + seq.size))
    assert before.magscope["closed"] == "open"  # it was never closed, and still reads
    after = writers.read_tracking(second)
    gap = after.magscope["gap"]
    assert gap["missing_frames"] == gap["first_frame"] - gap["last_frame_before"] - 1 >= 0
    assert gap["last_frame_before"] >= 5 * 10 - 1 and "pipeline restarted" in gap["cause"]
    # the frames the first file holds come before the gap; the second's after it
    assert before.frame_timestamps_ns.max() < after.frame_timestamps_ns.min()
    assert np.unique(after.frame_batch_sequence).size >= 5


@pytest.mark.parametrize("manager", ["camera", "focus"])
def test_sigkill_of_the_camera_or_a_motor_mid_recording(
    tmp_path: Path, isolated_config: Path, manager: str
) -> None:
    out = tmp_path / "run"
    run = _tracks_run(out, isolated_config)
    try:
        run.wait_until("a tracking file with 5 batches",
                       lambda: len(_h5(out)) == 1 and _batches(_h5(out)[0]) >= 5, timeout=90)
        os.kill(run.pids(manager)[-1], signal.SIGKILL)
        run.wait_until(f"a restarted {manager}", lambda: len(run.pids(manager)) >= 2,
                       timeout=60)
        at_restart = _batches(_h5(out)[0])
        run.wait_until("recording going on after the restart",
                       lambda: _batches(_h5(out)[0]) >= at_restart + 10, timeout=60)
        run.stop()
        _code, summary = run.finish(timeout=60)
    finally:
        run.kill()
    assert [Path(p) for p in summary["files"] if p.endswith(".h5")] == _h5(out)
    data = writers.read_tracking(_h5(out)[0])
    assert np.unique(data.frame_batch_sequence).size >= at_restart + 10
    assert np.all(np.diff(data.frame_timestamps_ns.astype(np.int64)) > 0)
    if manager == "focus":  # its telemetry goes on too, in the same file
        rows = np.loadtxt(out / "focus.txt")
        assert rows.ndim == 2 and rows.shape[0] >= 2
