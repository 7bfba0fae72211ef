"""Tracker faults, each a whole session: a killed worker, a tracker that raises, one that hangs.

Real processes and shared memory: the simulated camera, the pipeline, two tracker
workers and the HDF5 writer, planned the way ``magscope run`` plans them. The
misbehaving tracker is a plugin (``trackerplugin/magscope_faulttracker``) wrapping the
CPU tracker; it fails on one stack per session and leaves a marker file saying so.
Each test checks the counts the pipeline reports and the HDF5 file itself: which
stacks hold tracks, and that a failed stack is named in the file's metadata.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from support import wait_for

pytest.importorskip("magscope_sim")
pytest.importorskip("magscope_tracker")
writers = pytest.importorskip("magscope_writers")
psutil = pytest.importorskip("psutil")

from magscope_core import (  # noqa: E402
    AddBead,
    CorePlugin,
    FindBeads,
    GetPipelineStats,
    Hub,
    SettingsStore,
    load_plugins,
    plan_session,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PLUGIN_DIR = Path(__file__).parent / "trackerplugin"
CAMERA = {"width": "256", "height": "256", "n_fixed": "2", "n_tethered": "2", "fps": "50",
          "seed": "3"}


@pytest.fixture
def faultplugin(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The fault tracker plugin module (its folder on sys.path, so workers import it)."""
    monkeypatch.syspath_prepend(str(PLUGIN_DIR))
    import magscope_faulttracker

    yield magscope_faulttracker
    sys.modules.pop("magscope_faulttracker", None)


def _session(tmp_path: Path, plugin: Any, tracker: str, fault: dict[str, Any],
             task_timeout_s: float = 0.0) -> Hub:
    plugins = load_plugins(strict=False, builtins=[
        (CorePlugin(), "core", "magscope-core"),
        (plugin, "faulttracker", "magscope-faulttracker (tests)"),
    ])
    store = SettingsStore({ns: c.spec.schema for ns, c in plugins.settings.items()},
                          tmp_path / "settings.toml")
    for key, value in fault.items():
        store.set("tracker.faulty", key, value)
    store.set("core", "tracker_task_timeout_s", task_timeout_s)
    plan = plan_session(plugins, store, camera="sim", out_dir=tmp_path / "out",
                        writers=["hdf5"], with_managers=False, tracker=tracker, mode="track",
                        n_workers=2, camera_options=dict(CAMERA))
    return Hub(plan.managers, plan.commands, plan.config)


@pytest.fixture
def running() -> Iterator[list[Hub]]:
    """Stops whatever hub a test left running, even when it fails."""
    hubs: list[Hub] = []
    yield hubs
    for hub in hubs:
        hub.stop()


def _start(hub: Hub, running: list[Hub]) -> int:
    """Start the session and add a ROI on every bead found; return how many."""
    running.append(hub)
    hub.start()
    centres = hub.call(FindBeads(n=4, size=64), timeout=10.0)
    for x, y in centres:
        hub.call(AddBead(x=float(x), y=float(y), size=64))
    assert centres
    return len(centres)


def _workers(hub: Hub) -> list[Any]:
    """The pipeline's tracker worker processes (not multiprocessing's resource tracker)."""
    kids = psutil.Process(hub.pid("pipeline")).children()
    return [p for p in kids if p.is_running() and p.status() != psutil.STATUS_ZOMBIE
            and "resource_tracker" not in " ".join(p.cmdline())]


def _tracked(hub: Hub) -> int:
    return int(hub.call(GetPipelineStats(), timeout=5.0)["stacks_tracked"])


def _stop(hub: Hub) -> tuple[dict[str, Any], Any]:
    """Stop the session; return the pipeline's final counts and the HDF5 file read back."""
    hub.stop()
    final = hub.pipeline_final
    assert final is not None, "the pipeline did not report its final counts"
    h5 = [p for p in hub.files.get("hdf5", []) if p.endswith(".h5")]
    assert len(h5) == 1, hub.files
    return final, writers.read_tracking(h5[0])


def _check_file(data: Any, failed_seqs: set[int], n_beads: int) -> np.ndarray:
    """Every stack from the first tracked to the last is in the file but the failed ones,
    each with its 10 frames (and every bead once the ROIs were all added); the file's
    stats name the failed stacks."""
    seqs = np.unique(data.frame_batch_sequence).astype(int)
    expected = set(range(int(seqs[0]), int(seqs[-1]) + 1)) - failed_seqs
    assert set(seqs.tolist()) == expected
    records = np.diff(data.frame_offsets)
    for seq in seqs:
        frames = data.frame_batch_sequence == seq
        assert np.count_nonzero(frames) == 10
        assert np.all(records[frames] == records[frames][0])
        assert 1 <= records[frames][0] <= n_beads
    assert np.all(records[data.frame_batch_sequence > min(failed_seqs, default=seqs[0])]
                  == n_beads)
    assert np.isfinite(data.positions_nm[:, :2]).all()
    stats = data.magscope["stats"]
    assert {int(s[0]) for s in stats["failed_stacks"]} == failed_seqs
    assert stats["stacks_failed"] == len(failed_seqs)
    return seqs


def test_sigkill_of_a_tracker_worker_mid_recording(
    tmp_path: Path, faultplugin: Any, running: list[Hub]
) -> None:
    hub = _session(tmp_path, faultplugin, "cpu", {})
    n_beads = _start(hub, running)
    assert wait_for(lambda: _tracked(hub) >= 5, timeout=30)
    workers = _workers(hub)
    assert len(workers) == 2
    victim = workers[0]
    victim.send_signal(signal.SIGKILL)
    before = _tracked(hub)
    # restarted: two live workers again, none of them the victim, and tracking goes on
    assert wait_for(lambda: len(_workers(hub)) == 2
                    and victim.pid not in {p.pid for p in _workers(hub)}, timeout=30)
    assert wait_for(lambda: _tracked(hub) >= before + 10, timeout=30)
    final, data = _stop(hub)
    assert final["worker_restarts"] == 1 and final["worker_timeouts"] == 0
    # the stack the victim held was given to the other worker: no gap at all
    assert final["stacks_failed"] == 0
    seqs = _check_file(data, set(), n_beads)
    assert seqs.size == final["stacks_tracked"]


@pytest.mark.parametrize("how", ["raise", "hang"])
def test_a_tracker_failing_on_one_stack_is_counted_and_tracking_goes_on(
    tmp_path: Path, faultplugin: Any, running: list[Hub], how: str
) -> None:
    marker = tmp_path / "failed-once"
    hub = _session(tmp_path, faultplugin, "faulty",
                   {"how": how, "fail_on": 5, "marker": str(marker)}, task_timeout_s=2.0)
    n_beads = _start(hub, running)
    assert wait_for(marker.exists, timeout=60), "no worker reached its 5th stack"
    culprit = faultplugin.marker_pid(marker)
    # the failed stack is reported (the hung one once its 2 s timeout has passed) ...
    assert wait_for(lambda: hub.call(GetPipelineStats())["stacks_failed"] == 1, timeout=30)
    stats = hub.call(GetPipelineStats())
    failed_seq = int(stats["failed_stacks"][0][0])
    before = stats["stacks_tracked"]
    # ... and tracking goes on, the stacks after it too
    assert wait_for(lambda: _tracked(hub) >= before + 10, timeout=30)
    alive = {p.pid for p in _workers(hub)}
    final, data = _stop(hub)
    assert final["stacks_failed"] == 1
    if how == "hang":
        # the hung worker was killed and replaced
        assert culprit not in alive and len(alive) == 2
        assert final["worker_timeouts"] == 1 and final["worker_restarts"] == 1
    else:
        # an exception leaves the worker healthy (trackers hold no state): it goes on
        assert culprit in alive
        assert final["worker_timeouts"] == 0 and final["worker_restarts"] == 0
    seqs = _check_file(data, {failed_seq}, n_beads)
    assert seqs[0] < failed_seq < seqs[-1]
