"""``/magscope/protocol``: the protocol runs of a recording, written when the writer closes."""

from __future__ import annotations

import json

import h5py
import pytest
from magscope_writers import Hdf5TracksWriter, read_protocols
from magscope_writers._protocol_h5 import runs_for_recording

T0 = 1_764_075_520.25


def run(run_id: str, started: float, ended: float | None, n_steps: int,
        text: str = "steps = [sleep(1)]\n") -> dict:
    return {"run_id": run_id, "name": f"{run_id}.py", "title": f"title {run_id}",
            "path": f"/p/{run_id}.py", "text": text, "started": started, "ended": ended,
            "state": "done" if ended else "running", "error": "",
            "steps": [{"index": i, "line": 10 + i, "t": started + i, "step": f"sleep {i} s"}
                      for i in range(n_steps)]}


def test_runs_that_overlap_the_recording_go_into_every_file(tmp_path, info, make_tracks) -> None:
    before = run("old", T0 - 100, T0 - 50, 2)  # ended before the first frame: left out
    during = run("fe", T0 - 5, T0 + 1, 3, text="# protocol\nsteps = [sleep(1 * s)] * 3\n")
    still = run("ramp", T0 + 2, None, 1)  # still running when the recording closed
    w = Hdf5TracksWriter(rotation_minutes=0.0001)  # rotate: every file gets the runs
    w.open(tmp_path, info, {})
    w.write_tracks(make_tracks(0, 3, [1, 2], t0=T0))
    w.write_tracks(make_tracks(1, 3, [1, 2], t0=T0 + 1, first_frame=3))
    paths = w.close({"frames_dropped": 0, "protocols": [before, during, still]})
    assert len(paths) == 2
    for path in paths:
        runs = read_protocols(path)
        assert [r["run_id"] for r in runs] == ["fe", "ramp"]
        fe, ramp = runs
        assert fe["text"] == during["text"] and fe["title"] == "title fe"
        assert fe["state"] == "done" and fe["started"] == during["started"]
        assert fe["ended"] == during["ended"] and ramp["ended"] is None
        assert fe["steps"] == during["steps"] and ramp["steps"] == still["steps"]
        with h5py.File(path, "r") as h5:
            m = h5["magscope"]
            assert set(m) >= {"protocol", "protocol_2"}
            assert m["protocol"].attrs["name"] == "fe.py"
            assert m["protocol/steps"].dtype.names == ("index", "line", "t", "step")
            stats = json.loads(m.attrs["stats"])
            assert stats == {"frames_dropped": 0}  # the runs are not repeated in stats


def test_no_protocol_no_group(tmp_path, info, make_tracks) -> None:
    w = Hdf5TracksWriter()
    w.open(tmp_path, info, {})
    w.write_tracks(make_tracks(0, 2, [1], t0=T0))
    (path,) = w.close({"protocols": []})
    assert read_protocols(path) == []
    with h5py.File(path, "r") as h5:
        assert "protocol" not in h5["magscope"]


@pytest.mark.parametrize(("start", "kept"), [(None, ["a", "b"]), (T0, ["b"]),
                                             (T0 - 60, ["a", "b"])])
def test_runs_for_recording(start: float | None, kept: list[str]) -> None:
    runs = [run("a", T0 - 100, T0 - 50, 1), run("b", T0 - 10, None, 1)]
    assert [r["run_id"] for r in runs_for_recording(runs, start)] == kept
