"""Acquisition off keeps the live view running; only tracking and saving stop.

A real session (simulated camera, CPU tracker, HDF5 writer): with acquisition off the
frame the GUI reads (``VideoRing.peek_latest``) keeps advancing, while no tracks rows
are added and none of those frames reaches the file; turned on again, tracking resumes.
"""

from __future__ import annotations

from pathlib import Path

import attrs
import numpy as np
import pytest
from support import wait_for

pytest.importorskip("magscope_sim")
pytest.importorskip("magscope_tracker")
writers = pytest.importorskip("magscope_writers")

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CAMERA = {"width": 256, "height": 256, "fps": 100.0, "n_fixed": 2, "n_tethered": 2,
          "seed": 4}


def _session(tmp_path: Path) -> object:
    from magscope_core import Hub, plan_session
    from magscope_core.cli._common import load_everything

    plugins, store = load_everything(None)
    plan = plan_session(plugins, store, camera="sim", out_dir=tmp_path / "out",
                        writers=["hdf5"], tracker="cpu", mode="track", n_workers=1,
                        camera_options=dict(CAMERA))
    return Hub(plan.managers, plan.commands, attrs.evolve(plan.config, start_timeout_s=120.0))


def test_acquisition_off_keeps_the_live_view_and_stops_tracking(
        tmp_path: Path, isolated_config: Path, warm_tracker: None) -> None:
    from magscope_core import AddBead, FindBeads, GetPipelineStats, SetAcquisition

    hub = _session(tmp_path)
    with hub:  # type: ignore[attr-defined]
        ring = hub.resources.ring()
        counters = hub.resources.counters()
        for x, y in hub.call(FindBeads(n=4, size=64)):
            hub.call(AddBead(x=x, y=y, size=64))
        assert wait_for(lambda: counters.get("tracks_rows") > 0, timeout=30)

        live_at_start = hub.call(GetPipelineStats())["live_only_frames"]  # before "on"
        hub.send(SetAcquisition(on=False))
        # in-flight stacks of acquired frames finish; then the pipeline sees only
        # live-only frames (it counts them) and adds no rows
        def settled() -> bool:
            stats = hub.call(GetPipelineStats())
            return (stats["live_only_frames"] >= live_at_start + 20
                    and stats["stacks_in_flight"] == 0)

        assert wait_for(settled, timeout=20)
        rows_off = counters.get("tracks_rows")
        frames_off = hub.call(GetPipelineStats())["frames"]
        seen: dict[int, float] = {}

        def live_advanced() -> bool:
            latest = ring.peek_latest()
            if latest is not None:
                seen[latest.frame_number] = latest.timestamp
            return len(seen) >= 20

        assert wait_for(live_advanced, timeout=20, step=0.02), "live view froze"
        live_before = hub.call(GetPipelineStats())["live_only_frames"]
        last_seen = max(seen)
        # the pipeline has handled every stack up to the frames just seen
        assert wait_for(lambda: hub.call(GetPipelineStats())["live_only_frames"]
                        >= live_before + 20, timeout=20)
        assert counters.get("tracks_rows") == rows_off
        assert hub.call(GetPipelineStats())["frames"] == frames_off

        hub.send(SetAcquisition(on=True))
        assert wait_for(lambda: counters.get("tracks_rows") > rows_off, timeout=30)
        assert ring.peek_latest().frame_number > last_seen
    files = [Path(p) for p in hub.files.get("hdf5", []) if p.endswith(".h5")]  # type: ignore[attr-defined]
    assert len(files) == 1
    data = writers.read_tracking(files[0])
    saved = np.unique(np.concatenate([np.asarray(data.bead(int(b))[0], np.int64)
                                      for b in np.unique(data.bead_ids)]))
    assert saved.size, "nothing was tracked"
    for t in seen.values():  # each frame seen while off, one by one (1 us tolerance)
        i = int(np.searchsorted(saved, round(t * 1e9)))
        near = saved[max(0, i - 1):i + 1]
        assert not np.any(np.abs(near - round(t * 1e9)) < 1000), \
            f"the frame at t={t:.6f} s, taken with acquisition off, was saved"
    print(f"live view with acquisition off: {len(seen)} distinct frames seen, "
          f"none tracked or saved; {saved.size} frames saved in all")
