"""Settings changed while a session runs: applied live, or stored as "restart required".

A real session (simulated camera, pipeline, two tracker workers) with the faulty tracker
plugin of the fault tests (it wraps the CPU tracker and fails one stack when its options
say so): changing its options in the store and applying them makes the workers rebuild
their tracker, which then fails on purpose; ``core.roi_size`` applies to the next bead.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from support import wait_for

pytest.importorskip("magscope_sim")
pytest.importorskip("magscope_tracker")

from magscope_core import (
    AddBead,
    CorePlugin,
    FindBeads,
    GetBeads,
    GetPipelineStats,
    Hub,
    SettingsStore,
    apply_live,
    load_plugins,
    plan_session,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PLUGIN_DIR = Path(__file__).parents[1] / "faults" / "trackerplugin"
CAMERA = {"width": 256, "height": 256, "n_fixed": 2, "n_tethered": 2, "fps": 50, "seed": 3}


@pytest.fixture
def faultplugin(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.syspath_prepend(str(PLUGIN_DIR))
    monkeypatch.setenv("PYTHONPATH", str(PLUGIN_DIR))
    import magscope_faulttracker

    yield magscope_faulttracker
    sys.modules.pop("magscope_faulttracker", None)


def test_tracker_options_and_roi_size_apply_live(tmp_path: Path, faultplugin: Any,
                                                 isolated_config: Path) -> None:
    plugins = load_plugins(strict=False, builtins=[
        (CorePlugin(), "core", "magscope-core"),
        (faultplugin, "faulttracker", "magscope-faulttracker (tests)"),
    ])
    store = SettingsStore({ns: c.spec.schema for ns, c in plugins.settings.items()},
                          tmp_path / "settings.toml")
    store.set("tracker.faulty", "how", "none")
    plan = plan_session(plugins, store, camera="sim", out_dir=tmp_path / "out",
                        writers=[], with_managers=False, tracker="faulty", mode="track",
                        n_workers=2, camera_options=dict(CAMERA))
    marker = tmp_path / "failed.txt"
    with Hub(plan.managers, plan.commands,
             attrs.evolve(plan.config, start_timeout_s=120.0)) as hub:
        for x, y in hub.call(FindBeads(n=2, size=64)):
            hub.call(AddBead(x=x, y=y, size=64))
        assert wait_for(lambda: hub.call(GetPipelineStats())["stacks_tracked"] >= 3,
                        timeout=30)
        assert hub.call(GetPipelineStats())["stacks_failed"] == 0

        # the tracker's options, changed while running: live (no restart flag)
        for key, value in (("how", "raise"), ("fail_on", 1), ("marker", str(marker))):
            assert not store.set("tracker.faulty", key, value, running=True).restart_required
        sent = apply_live(hub, store, "tracker.faulty", ["how"])
        assert [type(c).__name__ for c in sent] == ["SetTrackerOptions"]
        want = {"how": "raise", "fail_on": 1, "marker": str(marker)}

        def rebuilt() -> bool:
            applied = hub.call(GetPipelineStats())["worker_tracker_options"]
            return len(applied) == 2 and all(
                {k: o.get(k) for k in want} == want for o in applied.values())

        assert wait_for(rebuilt, timeout=20), hub.call(GetPipelineStats())
        # a rebuilt tracker counts stacks from 0 again: its first stack fails, once
        assert wait_for(lambda: hub.call(GetPipelineStats())["stacks_failed"] == 1, timeout=30)
        assert marker.exists()
        tracked = hub.call(GetPipelineStats())["stacks_tracked"]
        assert wait_for(lambda: hub.call(GetPipelineStats())["stacks_tracked"] > tracked + 2,
                        timeout=30)  # and tracking goes on
        assert hub.call(GetPipelineStats())["tracker_options"]["how"] == "raise"

        # core.roi_size: live for the beads added afterwards
        assert not store.set("core", "roi_size", 40, running=True).restart_required
        sent = apply_live(hub, store, "core", ["roi_size"])
        assert [type(c).__name__ for c in sent] == ["SetDefaultRoiSize"]
        bead = hub.call(AddBead(x=128.0, y=128.0))
        sizes = {b: s for b, _, _, s in hub.call(GetBeads())}
        assert sizes[bead] == 40 and sorted(set(sizes.values())) == [40, 64]
