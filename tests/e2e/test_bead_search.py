"""Bead selection commands in a real session: ``FindSimilarBeads`` and ``AddRandomBeads``.

The simulated camera knows where its beads are (``FindBeads`` returns them); a search
seeded on one bead must give every other bead an ROI, bead by bead, and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pytest

pytest.importorskip("magscope_sim")

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CAMERA = {"width": 448, "height": 384, "fps": 50.0, "n_fixed": 0, "n_tethered": 8,
          "seed": 5, "min_separation_px": 92.0}
SIZE = 64


@pytest.fixture
def hub(tmp_path: Path, isolated_config: Path) -> Iterator[Any]:
    from magscope_core import Hub, plan_session
    from magscope_core.cli._common import load_everything

    plugins, store = load_everything(None)
    plan = plan_session(plugins, store, camera="sim", out_dir=tmp_path / "out",
                        writers=[], tracker=None, mode="track", n_workers=1,
                        camera_options=dict(CAMERA))
    with Hub(plan.managers, plan.commands, attrs.evolve(plan.config,
                                                        start_timeout_s=120.0)) as h:
        yield h


def _centres(hub: Any) -> np.ndarray:
    from magscope_core import GetBeads

    rows = hub.call(GetBeads())
    return np.array([(x0 + s / 2, y0 + s / 2) for _, x0, y0, s in rows]).reshape(-1, 2)


def test_find_similar_beads_gives_every_bead_one_roi(hub: Any) -> None:
    from magscope_core import AddBead, FindBeads
    from magscope_core._bead_search import GetBeadSearch, find_similar_beads

    truth = np.array(hub.call(FindBeads(n=100, size=SIZE)), dtype=float)
    assert len(truth) >= 5
    assert hub.call(GetBeadSearch())["state"] == "idle"
    hub.call(AddBead(x=truth[0, 0], y=truth[0, 1], size=SIZE))  # the user's seed bead
    result = find_similar_beads(hub, truth[0, 0], truth[0, 1], SIZE, timeout=30)
    assert result["state"] == "done" and result["progress"] == 1.0
    assert result["proposed_threshold"] == result["threshold"]
    centres = _centres(hub)
    assert len(result["added"]) == len(truth) - 1  # the seed had its ROI already
    # one ROI per true bead, none elsewhere. Tethered beads wander around their anchor
    # between FindBeads and the search (CI saw 17 px), so match within 40 px: beads are at
    # least min_separation_px = 92 apart, so no ROI can match two beads.
    for x, y in truth:
        assert np.sum(np.hypot(centres[:, 0] - x, centres[:, 1] - y) <= 40) == 1
    assert len(centres) == len(truth)
    print(f"\nFindSimilarBeads in a session: {len(truth)} beads, {len(centres)} ROIs, "
          f"threshold {result['threshold']:.3f}")

    # a second search adds nothing: every peak's ROI overlaps an existing one
    again = find_similar_beads(hub, truth[1, 0], truth[1, 1], SIZE, timeout=30)
    assert again["added"] == [] and len(_centres(hub)) == len(truth)
    # a given threshold above every score adds nothing either; no add leaves beads alone
    high = find_similar_beads(hub, truth[0, 0], truth[0, 1], SIZE, threshold=1.01,
                              timeout=30)
    assert high["threshold"] == 1.01 and high["added"] == []


def test_find_similar_beads_refuses_a_seed_outside_the_frame(hub: Any) -> None:
    from magscope_core._bead_search import FindSimilarBeads

    with pytest.raises(Exception, match="does not fit in the 448x384 frame"):
        hub.call(FindSimilarBeads(x=5.0, y=100.0, size=SIZE))


def test_add_random_beads(hub: Any) -> None:
    from magscope_core import AddBead, ClearBeads
    from magscope_core._beads import AddRandomBeads

    hub.call(AddBead(x=100.0, y=100.0, size=SIZE))
    ids = hub.call(AddRandomBeads(count=12, seed=7, size=SIZE))
    assert len(ids) == len(set(ids)) == 12
    centres = _centres(hub)
    assert len(centres) == 13
    for i in range(len(centres)):
        x, y = centres[i]
        assert SIZE / 2 <= x <= 448 - SIZE / 2 and SIZE / 2 <= y <= 384 - SIZE / 2
        for j in range(i):
            assert max(abs(x - centres[j, 0]), abs(y - centres[j, 1])) >= SIZE
    hub.call(ClearBeads())
    hub.call(AddBead(x=100.0, y=100.0, size=SIZE))
    hub.call(AddRandomBeads(count=12, seed=7, size=SIZE))
    assert np.array_equal(_centres(hub)[1:], centres[1:])  # same seed, same places
    with pytest.raises(Exception, match="could place only"):
        hub.call(AddRandomBeads(count=100, seed=1, size=SIZE))
    assert len(_centres(hub)) == 13  # nothing added by the refused command


def test_similar_to_adds_every_bead_like_the_seed_before_tracking(hub: Any) -> None:
    """``magscope run --similar-to X,Y`` (its start-up step, on a real session)."""
    import argparse
    import io

    from rich.console import Console

    from magscope_core import FindBeads
    from magscope_core.cli._run_cmd import session_beads
    from magscope_core.cli._similar_flag import similar_to

    truth = np.array(hub.call(FindBeads(n=100, size=SIZE)), dtype=float)
    x, y = truth[2]
    printed = io.StringIO()
    args = argparse.Namespace(similar_to=similar_to(f"{x:.0f},{y:.0f},{SIZE}"), beads=None)
    assert session_beads(hub, args, 48, Console(file=printed, width=200)) is None
    centres = _centres(hub)
    for bx, by in truth:  # one ROI per true bead (the seed's too), none elsewhere
        assert np.sum(np.hypot(centres[:, 0] - bx, centres[:, 1] - by) <= 40) == 1
    assert len(centres) == len(truth)
    line = printed.getvalue().strip()
    assert line.startswith(f"--similar-to {x:.0f},{y:.0f},{SIZE}: added {len(truth)} bead "
                           f"ROI(s) of {SIZE} px like the one at ({x:.0f}, {y:.0f})"), line
    # a seed whose ROI leaves the frame: one line naming the flag and the reason
    args = argparse.Namespace(similar_to=(2.0, 2.0, None), beads=None)
    problem = session_beads(hub, args, 48, Console(file=io.StringIO()))
    assert problem is not None and problem.startswith("--similar-to 2,2: ")
    assert "a 48 px ROI centred on (2, 2) does not fit in the 448x384 frame" in problem
