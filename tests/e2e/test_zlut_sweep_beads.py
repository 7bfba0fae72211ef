"""A sweep of several beads at once, in a real session: candidates, a lost bead, review."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest
from support import wait_for

pytest.importorskip("magscope_sim")
pytest.importorskip("magscope_tracker")

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_selected_beads_are_swept_at_once_and_a_removed_bead_is_named_not_fatal(
        tmp_path: Path, isolated_config: Path, isolated_data: Path) -> None:
    from magscope_core import (
        AddBead,
        FindBeads,
        GetZLut,
        GetZLutProfiles,
        GetZLutSweep,
        Hub,
        RemoveBead,
        SaveZLutCandidate,
        StartZLutSweep,
        plan_session,
    )
    from magscope_core.cli._common import load_everything

    plugins, store = load_everything(None)
    plan = plan_session(
        plugins, store, camera="sim", out_dir=tmp_path / "run", writers=[], tracker="cpu",
        n_workers=1, saving=False,
        camera_options={"width": 320, "height": 320, "fps": 100.0, "n_fixed": 4,
                        "n_tethered": 0, "seed": 8})
    config = attrs.evolve(plan.config, start_timeout_s=120.0)
    with Hub(plan.managers, plan.commands, config) as hub:
        beads = [hub.call(AddBead(x=x, y=y, size=64))
                 for x, y in hub.call(FindBeads(n=4, size=64))]
        assert len(beads) == 4
        chosen, lost = beads[:3], beads[2]  # bead 4 is not selected
        hub.call(StartZLutSweep(start_nm=-1500, stop_nm=1500, step_nm=250, images_per_step=2,
                                bead_ids=tuple(chosen)))
        assert wait_for(lambda: (hub.call(GetZLutSweep()) or {}).get("step", 0) >= 3,
                        timeout=60, step=0.05)
        hub.call(RemoveBead(bead_id=lost))  # its ROI goes away half-way through
        assert wait_for(lambda: hub.call(GetZLutSweep())["state"] not in (
            "moving", "settling", "capturing", "scoring"), timeout=90, step=0.2)
        status = hub.call(GetZLutSweep())
        assert status["state"] == "review", status  # no path: the user picks
        assert status["beads"] == sorted(chosen)
        by_bead = {c["bead_id"]: c for c in status["candidates"]}
        assert set(by_bead) == set(chosen)
        assert "its ROI was removed at plane" in by_bead[lost]["error"]
        kept = [b for b in chosen if b != lost]
        for bead in kept:
            c = by_bead[bead]
            assert c["error"] is None and c["usable"], c
            assert c["self_rms_nm"] < 30.0 and c["found"] == 1.0, c
        assert status["best"] in kept
        profiles = hub.call(GetZLutProfiles(bead_id=kept[0]))
        assert len(profiles["z_nm"]) == 13 and len(profiles["profiles"]) == 13
        with pytest.raises(Exception, match="no candidate Z-LUT for bead"):
            hub.call(SaveZLutCandidate(bead_id=lost, path=str(tmp_path / "x.txt")))
        assert not (tmp_path / "x.txt").exists()
        out = tmp_path / "pick.txt"
        meta = hub.call(SaveZLutCandidate(bead_id=kept[-1], path=str(out)), timeout=15)
        assert meta["path"] == str(out) and hub.call(GetZLut())["planes"] == 13
        assert f'"bead_id": {kept[-1]}' in out.read_text()
        assert hub.call(GetZLutSweep())["state"] == "done"
