"""Re-tracking a live recording: the tracks equal the live run's, per bead and per frame.

One module-scoped live session (simulated microscope, CPU tracker, HDF5 with ROI
positions, full-frame TIFF video) is re-tracked with the same Z-LUT and tracker options:
by ``magscope retrack`` on this machine (a session with the replay camera), then on a
Dask ``LocalCluster`` of 2 workers with one task made to fail once. A second live session
records a ROI video (our ImageJ hyperstack of the bead ROIs) instead, and ``magscope
retrack`` of that video gives the live tracks too.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("magscope_sim")
pytest.importorskip("magscope_tracker")
from magscope_writers import read_tracking

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FRAMES = 120  # live frames to wait for (3 stacks of 40)


def _make_zlut(path: Path) -> None:
    """A Z-LUT of the simulator's bead, by stepping its focus (in this process)."""
    from magscope_sim import SimulatedCamera, focus_sweep
    from magscope_tracker import create_tracker

    cam = SimulatedCamera(width=128, height=128, n_fixed=1, n_tethered=0, seed=5)
    focus_sweep(cam, np.arange(-2000.0, 2001.0, 200.0)).save_zlut(create_tracker(), path)


def _env(root: Path) -> dict[str, str]:
    import os

    return {**os.environ, "MAGSCOPE_CONFIG_DIR": str(root / "config"),
            "MAGSCOPE_DATA_DIR": str(root / "data"), "MAGSCOPE_AUTO_ZLUT": "0"}


def _per_bead(path: Path) -> dict[tuple[int, int], np.ndarray]:
    """``(bead, frame timestamp ns) -> (x, y, z)`` of every record of a tracking file."""
    data = read_tracking(path)
    return {(int(b), int(t)): p for b, t, p in zip(data.bead_ids, data.timestamps_ns,
                                                    data.positions_nm, strict=True)}


def _live_run(root: Path, mode: str, frames: int, fps: float) -> dict[str, Any]:
    """A live run of the simulator in ``mode``, tracked with a Z-LUT, recorded in ``root``.

    The environment (``MAGSCOPE_*``) must point into ``root``.
    """
    from magscope_core import AddBead, FindBeads, Hub, plan_session
    from magscope_core.cli._common import load_everything

    lut = root / "zlut.txt"
    _make_zlut(lut)
    plugins, store = load_everything(None)
    store.set("writer.hdf5", "save_roi_positions", True)
    store.save()
    plugins, store = load_everything(None)
    plan = plan_session(
        plugins, store, camera="sim", out_dir=root / "live", writers=["hdf5", "tiff"],
        with_managers=False, tracker="cpu", mode=mode, zlut=lut, n_workers=1,
        camera_options={"width": 256, "height": 256, "n_fixed": 2, "n_tethered": 1,
                        "fps": fps, "seed": 3})
    with Hub(plan.managers, plan.commands, plan.config) as hub:
        for x, y in hub.call(FindBeads(n=3, size=64)):
            hub.call(AddBead(x=x, y=y, size=64))
        ring = hub.resources.ring()
        deadline = time.monotonic() + 30
        while (ring.frames_written - ring.frames_live_only < frames
               and time.monotonic() < deadline):
            hub.wait(0.1)
    return {"root": root, "lut": lut, "h5": next((root / "live").glob("*.h5"))}


@contextlib.contextmanager
def _magscope_env(root: Path) -> Iterator[None]:
    """This test's MAGSCOPE_* environment while the block runs (restored afterwards)."""
    with pytest.MonkeyPatch.context() as mp:
        for k, v in _env(root).items():
            if k.startswith("MAGSCOPE"):
                mp.setenv(k, v)
        yield


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A live run: tracks (with ROI positions) and a full-frame video of the same frames."""
    root = tmp_path_factory.mktemp("retrack")
    with _magscope_env(root):
        run = _live_run(root, "track+video-full", FRAMES, 60.0)
        yield {**run, "video": next((root / "live").glob("Video *.tif"))}


def test_retrack_equals_the_live_tracks(live: dict[str, Any]) -> None:
    root = live["root"]
    out = root / "local"
    cmd = [sys.executable, "-m", "magscope_core.cli", "retrack", str(live["video"]),
           "--zlut", str(live["lut"]), "--out", str(out), "--rois", str(live["h5"]),
           "--workers", "1", "--json-summary"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_env(root), timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout)
    assert summary[0]["engine"] == "local" and summary[0]["beads"] == 3
    h5 = [Path(f) for f in summary[0]["files"]]
    assert len(h5) == 1
    live_rows, again = _per_bead(live["h5"]), _per_bead(h5[0])
    video_frames = summary[0]["frames"]
    assert video_frames >= FRAMES and len(again) == 3 * video_frames
    # every re-tracked record is a live record of the same bead and frame, equal
    assert set(again) <= set(live_rows)
    for key, pos in again.items():
        np.testing.assert_array_equal(pos, live_rows[key], err_msg=str(key))
    assert np.isfinite(np.stack(list(again.values()))[:, 2]).all()  # Z tracked
    # a second run finds it done and writes nothing
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_env(root), timeout=60)
    assert proc.returncode == 0 and json.loads(proc.stdout)[0]["skipped"]
    assert sorted(p.name for p in (out / h5[0].parent.name).glob("*.h5")) == [h5[0].name]
    live["local_h5"] = h5[0]


def test_dask_equals_local_and_retries_a_failed_task(live: dict[str, Any]) -> None:
    distributed = pytest.importorskip("distributed")
    from magscope_replay._retrack import plan_job
    from magscope_replay._retrack_dask import retrack_dask

    from magscope_core.cli._common import load_everything

    root = live["root"]
    local = live.get("local_h5")
    if local is None:
        pytest.skip("needs the local re-track of test_retrack_equals_the_live_tracks")
    with pytest.MonkeyPatch.context() as mp:
        for k, v in _env(root).items():
            if k.startswith("MAGSCOPE"):
                mp.setenv(k, v)
        plugins, store = load_everything(None)
        job = plan_job(str(live["video"]), root / "dask", rois_file=live["h5"], beads=None,
                       roi_size=64)
        fail = FailOnce(root / "fail-marker", chunk_start=40)
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                      dashboard_address=None) as cluster, \
                distributed.Client(cluster) as client:
            summary = retrack_dask(job, plugins, store, client, zlut=live["lut"],
                                   chunk_frames=40, task_fn=fail)
    assert [r["frames"] for r in summary["retried"]] == [[40, 80]]
    assert "injected failure" in summary["retried"][0]["error"]
    dask_rows, local_rows = _per_bead(Path(summary["files"][0])), _per_bead(local)
    assert dask_rows.keys() == local_rows.keys()  # each frame once: nothing written twice
    for key, pos in dask_rows.items():
        np.testing.assert_array_equal(pos, local_rows[key], err_msg=str(key))


class FailOnce:
    """A Dask task that fails the first time it gets the chunk starting at ``chunk_start``."""

    def __init__(self, marker: Path, chunk_start: int) -> None:
        self.marker, self.chunk_start = marker, chunk_start

    def __call__(self, task: Any) -> Any:
        from magscope_replay._retrack_dask import track_chunk

        if task.start == self.chunk_start:
            try:
                self.marker.open("x").close()
            except FileExistsError:
                pass
            else:
                raise RuntimeError("injected failure")
        return track_chunk(task)


def test_the_live_full_frame_video_records_the_session_rois(live: dict[str, Any]) -> None:
    """The pipeline gives the writers the bead ROIs in Video (Full) modes (ADR 0015)."""
    from magscope_replay import open_video
    from magscope_replay._retrack import plan_job

    src = open_video(str(live["video"]))
    data = read_tracking(live["h5"])
    first = data.frame_index == int(data.frame_index.min())
    assert src.kind == "full" and src.roi_size == 64
    np.testing.assert_array_equal(src.bead_ids, data.bead_ids[first])
    np.testing.assert_array_equal(src.roi_origins, data.roi_positions_px[first])
    job = plan_job(str(live["video"]), live["root"] / "plan", rois_file=None, beads=None,
                   roi_size=64)
    assert job.roi_source == "video" and len(job.rois) == 3


@pytest.fixture(scope="module")
def live_rois(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A live run recording a ROI video (our ImageJ hyperstack of the bead ROIs)."""
    root = tmp_path_factory.mktemp("retrack-rois")
    with _magscope_env(root):
        run = _live_run(root, "track+video-rois", ROI_FRAMES, 100.0)
        yield {**run, "videos": sorted((root / "live").glob("Video ROIs *.tif"))}


ROI_FRAMES = 80  # 2 stacks of 40


def test_retrack_of_a_roi_video_equals_the_live_tracks(live_rois: dict[str, Any]) -> None:
    """A ROI video carries its beads' ids and origins: retrack needs nothing else."""
    root = live_rois["root"]
    assert len(live_rois["videos"]) == 1
    video = live_rois["videos"][0]
    cmd = [sys.executable, "-m", "magscope_core.cli", "retrack", str(video),
           "--zlut", str(live_rois["lut"]), "--out", str(root / "again"), "--workers", "1",
           "--json-summary"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_env(root), timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout)[0]
    assert (summary["engine"], summary["beads"], summary["roi_source"]) == ("local", 3, "video")
    live_rows = _per_bead(live_rois["h5"])
    again = _per_bead(Path(summary["files"][0]))
    assert summary["frames"] >= ROI_FRAMES and len(again) == 3 * summary["frames"]
    # the same beads (the video's ids), and every frame of the video tracked as live
    live_ids = {b for b, _ in live_rows}
    assert {b for b, _ in again} == live_ids and len(live_ids) == 3
    assert set(again) <= set(live_rows)
    for key, pos in again.items():
        np.testing.assert_array_equal(pos, live_rows[key], err_msg=str(key))
    assert np.isfinite(np.stack(list(again.values()))).all()  # X, Y and Z tracked
