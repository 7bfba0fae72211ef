"""Protocols against the simulated microscope: the examples, waits, pause, resume, stop.

One small session (256 x 256 px, 50 fps, 3 beads) is shared by the in-process runner
tests; ``magscope script run`` gets a session of its own. Ground truth: the magnet
manager's telemetry (its own record of position, target and force), the simulator's
bead positions (``GetSimTruth``) and the protocol file itself (lines, text).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import attrs
import numpy as np
import pytest
from support import wait_for

from magscope_core import (
    AddBead,
    CommandStep,
    FindBeads,
    GetMagnet,
    GetZLut,
    Hub,
    ProtocolRunner,
    SetAcquisition,
    SetForce,
    Sleep,
    load_protocol,
    plan_session,
)
from magscope_core._protocol_load import parse_protocol

pytest.importorskip("magscope_sim")
pytest.importorskip("magscope_tracker")
writers = pytest.importorskip("magscope_writers")

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples" / "protocols"
CAMERA = {"width": 256, "height": 256, "fps": 50.0, "n_fixed": 1, "n_tethered": 2,
          "min_separation_px": 80, "seed": 5}


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory, warm_tracker: None) -> Iterator[Hub]:
    from magscope_core.cli._common import load_everything

    plugins, store = load_everything(None)
    out = tmp_path_factory.mktemp("protocol-run")
    plan = plan_session(plugins, store, camera="sim", out_dir=out, writers=["telemetry"],
                        tracker="cpu", mode="track", n_workers=1, camera_options=dict(CAMERA))
    h = Hub(plan.managers, plan.commands, attrs.evolve(plan.config, start_timeout_s=120.0))
    h.start()
    try:
        for x, y in h.call(FindBeads(n=3, size=64), timeout=10.0):
            h.call(AddBead(x=float(x), y=float(y), size=64))
        yield h
    finally:
        h.stop()


def _run(hub: Hub, protocol, safe: float | None = 0.1) -> ProtocolRunner:
    runner = ProtocolRunner(hub, protocol, safe_force_pn=safe, poll_s=0.02)
    runner.start()
    assert runner.wait(120), runner.progress()
    return runner


def _magnet_rows(hub: Hub, since: float) -> np.ndarray:
    return hub.resources.telemetry("magnet").rows_newer_than(since)  # t, mm, target, pN


def test_force_extension_example_reaches_every_force(hub: Hub) -> None:
    protocol = load_protocol(EXAMPLES / "force_extension.py", hub.registry)
    runner = _run(hub, protocol)
    assert runner.state == "done", runner.progress().error
    times = [*runner.step_times, float("inf")]
    forces = []
    for i, step in enumerate(protocol.steps):
        if isinstance(step, CommandStep) and isinstance(step.command, SetForce):
            target = step.command.force_pn
            forces.append(target)
            # from the wait's start to the end of the plateau: the magnet's own record
            rows = _magnet_rows(hub, times[i + 1])
            rows = rows[rows[:, 0] <= times[i + 3]]
            assert rows.shape[0] >= 1, f"no telemetry while holding {target} pN"
            assert rows[-1, 3] == pytest.approx(target, rel=1e-3), (target, rows[-1])
            plateau = rows[rows[:, 0] >= times[i + 2]]
            assert np.allclose(plateau[:, 3], target, rtol=1e-3), (target, plateau)
    assert forces[0] == pytest.approx(0.1) and max(forces) == pytest.approx(10.0)
    assert len(forces) == 9  # 5 up, 4 back down


def test_zlut_sweep_then_recording_example_gives_z(hub: Hub, tmp_path: Path) -> None:
    text = (EXAMPLES / "zlut_then_record.py").read_text()
    lut = tmp_path / "zlut.txt"
    assert '"zlut-protocol.txt"' in text
    protocol = parse_protocol(text.replace('"zlut-protocol.txt"', repr(str(lut))),
                              EXAMPLES / "zlut_then_record.py", hub.registry)
    runner = _run(hub, protocol)
    assert runner.state == "done", runner.progress().error
    assert lut.is_file()
    assert hub.call(GetZLut())["planes"] == 21
    # the swept bead, during the recording's sleep: Z in every frame, near the sweep's
    # reference (its height when the sweep began; beads far from it may leave the LUT)
    tracks = hub.resources.tracks()
    rows = tracks.rows_of_bead(0, newer_than=runner.step_times[-1])
    assert rows.shape[0] >= 50  # 2 s at 50 fps, less what is still in the pipeline
    z = rows[:, tracks.column("z")]
    assert np.isfinite(z).all(), f"Z is NaN in {np.isnan(z).sum()} of {z.size} frames"
    assert abs(float(np.median(z))) < 500.0, np.median(z)


def test_rotation_extension_example_follows_the_hat_curve_for_every_bead(
        hub: Hub) -> None:
    """Per tethered bead, its true height over each hold: flat near 0 turns, lower past
    buckling by the model's slope (the simulator's ground truth, sampled while it runs).

    The example turns -20..+20 in steps of 4 with 2 s holds; here -12..+12 in steps of 6
    with 0.6 s holds (the same file, its two constants replaced) to keep the test short.
    """
    from magscope_sim._managers import GetSimTruth
    from magscope_sim._twist import buckling_turns, plectoneme_slope_nm_per_turn

    text = (EXAMPLES / "rotation_extension.py").read_text()
    for old, new in (("np.arange(-20, 21, 4)", "np.arange(-12, 13, 6)"),
                     ("HOLD = 2 * s", "HOLD = 0.6 * s")):
        assert old in text
        text = text.replace(old, new)
    protocol = parse_protocol(text, EXAMPLES / "rotation_extension.py", hub.registry)
    runner = ProtocolRunner(hub, protocol, safe_force_pn=None, poll_s=0.02)
    samples: dict[int, tuple[float, float, np.ndarray]] = {}  # frame -> t, turns, z
    runner.start()
    while not runner.wait(0.02):
        truth = hub.call(GetSimTruth())
        samples[truth["frame"]] = (truth["timestamp"], truth["turns"],
                                   np.asarray(truth["z_nm"]))
    assert runner.state == "done", runner.progress().error
    tethered = np.asarray(hub.call(GetSimTruth())["tethered"], dtype=bool)
    force, contour = 0.5, 2000.0  # the example's force, the simulator's default tether
    nb = buckling_turns(force, contour)
    slope = plectoneme_slope_nm_per_turn(force)
    times = [*runner.step_times, float("inf")]
    heights: dict[float, np.ndarray] = {}  # turns -> mean true Z of every bead
    for i, step in enumerate(protocol.steps):
        if isinstance(step, Sleep):  # a hold: rotation done, from its start to its end
            n = protocol.steps[i - 2].command.turns
            held = [z for t, turns, z in samples.values()
                    if times[i] <= t <= times[i + 1] and turns == n]
            assert len(held) >= 10, (n, len(held))
            heights[n] = np.mean(held, axis=0)
    assert sorted(heights) == [-12, -6, 0, 6, 12] and 6 < nb < 12
    for b in np.flatnonzero(tethered):
        flat = heights[0][b]
        curve = {n: round(float(h[b] - flat)) for n, h in sorted(heights.items())}
        print(f"bead {b}: extension vs 0 turns {curve} nm; model past buckling "
              f"{-slope * (12 - nb):.0f} nm at +-12 turns (buckling at {nb:.1f} turns)")
        for n in (-6, 6):  # the flat top
            assert abs(heights[n][b] - flat) < 40, (b, n, curve)
        for n in (-12, 12):  # past buckling: lower, by the slope
            assert flat - heights[n][b] == pytest.approx(slope * (12 - nb), abs=60), (b, curve)
    assert hub.call(GetMagnet())["turns"] == 0  # back where it began


def test_pause_freezes_a_sleep_and_resume_finishes_it(hub: Hub, tmp_path: Path) -> None:
    path = tmp_path / "pause.py"
    path.write_text("steps = [SetForce(force_pn=1.0), sleep(1.0), SetForce(force_pn=2.0),"
                    " wait_motor('magnet')]\n")
    runner = ProtocolRunner(hub, load_protocol(path, hub.registry), poll_s=0.02)
    runner.start()
    assert wait_for(lambda: runner.progress().step == 2, timeout=10)
    runner.pause()
    assert runner.progress().state == "paused"
    assert not runner.wait(1.5)  # the sleep does not run out while paused
    assert runner.progress().step == 2
    runner.resume()
    assert runner.wait(30) and runner.state == "done"
    slept = runner.step_times[2] - runner.step_times[1]
    assert slept >= 1.0 + 1.5  # the sleep's own second plus the pause
    assert hub.call(GetMagnet())["force_pn"] == pytest.approx(2.0, rel=1e-3)


def test_pause_holds_a_ramp_and_resume_finishes_it(hub: Hub, tmp_path: Path) -> None:
    path = tmp_path / "hold.py"
    path.write_text("steps = [SetForce(force_pn=1.0), wait_motor('magnet'),\n"
                    "         RampForce(stop_pn=3.0, rate_pn_s=1.0)]\n")
    runner = ProtocolRunner(hub, load_protocol(path, hub.registry), poll_s=0.02)
    runner.start()
    # pause once the ramp has visibly left its start (1 pN), so a hold can be told apart
    assert wait_for(lambda: runner.progress().step == 3
                    and hub.call(GetMagnet()).get("ramping", False)
                    and hub.call(GetMagnet())["force_pn"] > 1.1, timeout=30)
    runner.pause()
    assert wait_for(lambda: hub.call(GetMagnet())["ramp_held"]
                    and not hub.call(GetMagnet())["moving"], timeout=10)
    held = hub.call(GetMagnet())["force_pn"]
    assert 1.0 < held < 3.0
    assert not runner.wait(1.0)
    assert hub.call(GetMagnet())["force_pn"] == held  # the magnet did not move while held
    runner.resume()
    assert runner.wait(30) and runner.state == "done"
    assert hub.call(GetMagnet())["force_pn"] == pytest.approx(3.0, rel=1e-3)
    rows = _magnet_rows(hub, runner.step_times[2])
    reached = rows[rows[:, 3] >= 3.0 * (1 - 1e-3), 0]
    assert reached.size and reached[0] >= runner.step_times[2] + 2.0 + 1.0 - 0.1


def test_stop_aborts_a_ramp_and_leaves_the_safe_force(hub: Hub, tmp_path: Path) -> None:
    path = tmp_path / "stop.py"
    path.write_text("steps = [SetForce(force_pn=4.0), wait_motor('magnet'),\n"
                    "         RampForce(stop_pn=0.2, rate_pn_s=0.02), sleep(5)]\n")
    runner = ProtocolRunner(hub, load_protocol(path, hub.registry), safe_force_pn=0.3,
                            poll_s=0.02)
    runner.start()
    assert wait_for(lambda: runner.progress().step == 3
                    and hub.call(GetMagnet()).get("ramping", False), timeout=30)
    left = runner.progress()
    assert left.time_left_s > 150 and left.exact  # 190 s ramp + 5 s, known once started
    runner.stop()
    assert runner.wait(10) and runner.state == "stopped"
    assert runner.progress().error == "stopped by the user"
    assert wait_for(lambda: not hub.call(GetMagnet())["moving"], timeout=30)
    state = hub.call(GetMagnet())
    assert not state["ramping"]
    assert state["force_pn"] == pytest.approx(0.3, rel=1e-3)
    assert len(runner.step_times) == 3  # the sleep never began


def test_wait_tracks_crossing_and_timeout(hub: Hub, tmp_path: Path) -> None:
    from magscope_core import GetBeads

    bead = hub.call(GetBeads())[0][0]
    tracks = hub.resources.tracks()
    assert wait_for(lambda: tracks.rows_of_bead(bead).shape[0] > 0, timeout=10)
    x_now = float(tracks.rows_of_bead(bead)[-1, tracks.column("x")])
    met = tmp_path / "met.py"
    met.write_text(f"steps = [wait_tracks(bead={bead}, column='x', below={x_now + 2000.0},"
                   " frames=5, timeout=10)]\n")
    assert _run(hub, load_protocol(met, hub.registry)).state == "done"
    never = tmp_path / "never.py"
    never.write_text(f"steps = [SetForce(force_pn=1.0), wait_tracks(bead={bead}, column='x',"
                     f" above={x_now + 1e6}, timeout=0.5)]\n")
    runner = _run(hub, load_protocol(never, hub.registry), safe=0.5)
    assert runner.state == "failed"
    assert runner.progress().error.startswith("step 2 (line 1): timed out after 0.5 s")
    assert wait_for(lambda: not hub.call(GetMagnet())["moving"], timeout=30)
    assert hub.call(GetMagnet())["force_pn"] == pytest.approx(0.5, rel=1e-3)  # made safe
    goes_on = tmp_path / "goes_on.py"
    goes_on.write_text(f"steps = [wait_tracks(bead={bead}, above={x_now + 1e6}, column='x',"
                       " timeout=0.3, on_timeout='continue'), sleep(0)]\n")
    assert _run(hub, load_protocol(goes_on, hub.registry)).state == "done"


def test_wait_acquisition(hub: Hub, tmp_path: Path) -> None:
    hub.send(SetAcquisition(on=False))
    assert wait_for(lambda: not hub.acquiring, timeout=20)
    path = tmp_path / "acq.py"
    path.write_text("steps = [SetAcquisition(on=True), wait_acquisition(timeout=5)]\n")
    assert _run(hub, load_protocol(path, hub.registry)).state == "done"
    assert hub.acquiring


def test_script_run_headless_records_the_protocol_and_runs_the_ramps(
        tmp_path: Path, isolated_config: Path, warm_tracker: None) -> None:
    example = EXAMPLES / "force_ramp.py"
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "magscope_core.cli", "script", "run", str(example),
         "--headless", "--out", str(out), "--camera", "sim", "-O", "width=256",
         "-O", "height=256", "-O", "n_fixed=1", "-O", "n_tethered=2", "-O", "fps=50",
         "--workers", "1", "--writers", "hdf5,telemetry"],
        capture_output=True, text=True, timeout=180, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "protocol force_ramp.py done" in proc.stderr
    (h5,) = out.glob("*.h5")
    (run,) = writers.read_protocols(h5)
    assert run["text"] == example.read_text() and run["state"] == "done"
    lines = [s["line"] for s in run["steps"]]
    assert lines == [10, 11, 12, 13, 14, 15, 16]
    t = np.array([s["t"] for s in run["steps"]])
    assert np.all(np.diff(t) >= 0) and run["started"] <= t[0] and t[-1] <= run["ended"]
    magnet = np.loadtxt(out / "magnet.txt")  # t, position_mm, target_mm, force_pn
    # linear ramp 0.5 -> 5 pN at 2 pN/s between steps 5 and 6: the manager's own record
    up = magnet[(magnet[:, 0] > t[4] + 0.2) & (magnet[:, 0] < t[4] + 2.0)]
    assert up.shape[0] >= 10, "the ramp was not a series of small moves"
    assert np.all(np.diff(up[:, 3]) >= 0) and up[-1, 3] > up[0, 3] + 2.0
    slope = np.polyfit(up[:, 0], up[:, 3], 1)[0]
    assert slope == pytest.approx(2.0, rel=0.1)
    # log ramp 5 -> 0.5 pN over 2.25 s: log(force) falls linearly
    down = magnet[(magnet[:, 0] > t[6] + 0.2) & (magnet[:, 0] < t[6] + 2.0)]
    assert down.shape[0] >= 10
    log_slope = np.polyfit(down[:, 0], np.log(down[:, 3]), 1)[0]
    assert log_slope == pytest.approx(np.log(0.1) / 2.25, rel=0.1)
    assert magnet[-1, 3] == pytest.approx(0.5, rel=1e-3)


def test_script_errors_are_one_line_and_start_nothing(tmp_path: Path,
                                                      isolated_config: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("steps = [\n    SetForce(force_pn='strong'),\n]\n")
    for action in ("check", "run"):
        proc = subprocess.run(
            [sys.executable, "-m", "magscope_core.cli", "script", action, str(bad),
             *(["--out", str(tmp_path / "o")] if action == "run" else [])],
            capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert lines == [f"error: {bad}:2: SetForce: SetForce.force_pn: expected float, "
                         "got str 'strong'"]
        assert not (tmp_path / "o").exists()
