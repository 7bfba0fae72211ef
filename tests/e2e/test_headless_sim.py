"""End to end with the first-party plugins: simulated microscope -> tracker -> files.

These tests run the real application: spawned processes, shared memory, the simulated
camera, the CPU tracker and the writers, and compare the files with the simulator's
ground truth (``-O truth_file=``: per-frame bead positions, defocus and focus, and the
exact pixels of every N-th frame), bead by bead and frame by frame.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from support import wait_for

pytest.importorskip("magscope_sim")
pytest.importorskip("magscope_tracker")
writers = pytest.importorskip("magscope_writers")

pytestmark = [pytest.mark.integration, pytest.mark.slow]

NM_PER_PX = 100.0
FPS = 100.0


def _nearest(tracked: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Index of the truth bead nearest to each tracked bead (mean positions, px)."""
    d = np.linalg.norm(tracked[:, None, :] - truth[None, :, :], axis=2)
    return np.argmin(d, axis=1)


def _truth_rows(truth: np.lib.npyio.NpzFile, ts_ns: np.ndarray) -> np.ndarray:
    """Row of the truth file of each timestamp; every one must be a rendered frame."""
    t_truth = np.round(truth["timestamp"] * 1e9).astype(np.int64)
    ts = ts_ns.astype(np.int64)
    rows = np.clip(np.searchsorted(t_truth, ts - 1000), 0, t_truth.size - 1)
    assert np.all(np.abs(t_truth[rows] - ts) < 1000), "a tracked frame the camera never made"
    return rows


def _camera_frames(truth: np.lib.npyio.NpzFile, last_handed_on: int) -> int:
    """Frames the camera produced from its first recorded frame to ``last_handed_on``.

    Timestamps lie on the camera's 1/fps grid, so a frame the ring dropped or the
    simulator skipped (rendering fell behind) is a missing grid point: they all count.
    Frames after ``last_handed_on`` (the ring frame number ending the last complete
    stack) are the stack the camera was filling when the run stopped: a stack is the unit
    the pipeline hands on, so at most ``stack_size - 1`` frames are left there.
    """
    t = truth["timestamp"][truth["frame"] <= last_handed_on]
    return round(float(t[-1] - t[0]) * FPS) + 1


def _match_beads(data, truth) -> list[tuple[int, int]]:
    ids = np.unique(data.bead_ids)
    mean_tracked = np.array([data.bead(b)[1][:, :2].mean(0) for b in ids]) / NM_PER_PX
    mean_truth = np.column_stack([truth["x_px"].mean(0), truth["y_px"].mean(0)])
    match = _nearest(mean_tracked, mean_truth)
    assert len(set(match.tolist())) == ids.size, "two tracked beads matched one true bead"
    return list(zip(ids.tolist(), match.tolist(), strict=True))


def _tiff_planes(paths: list[Path]):
    """(frame number, bead ROI crops (C, s, s), ROI origins (x0, y0)) of every plane."""
    import tifffile

    for path in sorted(paths):
        side = json.loads(path.with_suffix(".json").read_text())
        with tifffile.TiffFile(path) as tf:
            assert tf.is_imagej and tf.imagej_metadata is not None
            arr = tf.asarray()
        assert arr.shape[0] == side["frames"] == len(side["frame_numbers"])
        origins = sorted(side["roi_origins"], key=lambda o: o["frame"])
        for t, number in enumerate(side["frame_numbers"]):
            o = [o for o in origins if o["frame"] <= t][-1]
            yield number, arr[t], (o["x0"], o["y0"])


def test_headless_run_matches_ground_truth(tmp_path: Path, isolated_config: Path,
                                           warm_tracker: None) -> None:
    out = tmp_path / "run"
    truth_file = tmp_path / "truth.npz"
    env = {**os.environ, "MAGSCOPE_CONFIG_DIR": str(isolated_config)}
    proc = subprocess.run(
        [sys.executable, "-m", "magscope_core.cli", "run", "--headless", "--duration", "6",
         "--out", str(out), "--camera", "sim", "-O", "width=384", "-O", "height=384",
         "-O", "n_fixed=2", "-O", "n_tethered=2", "-O", f"fps={FPS:g}", "-O", "seed=7",
         "-O", f"truth_file={truth_file}", "-O", "truth_images_every=20",
         "--mode", "track+video-rois", "--json-summary"],
        env=env, capture_output=True, text=True, timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout)
    assert summary["beads"] == 4 and summary["errors"] == [], summary
    h5 = [Path(p) for p in summary["files"] if p.endswith(".h5")]
    tifs = [Path(p) for p in summary["files"] if p.endswith(".tif")]
    assert len(h5) == 1 and tifs
    assert {"focus.txt", "magnet.txt"} <= {Path(p).name for p in summary["files"]}

    data = writers.read_tracking(h5[0])
    truth = np.load(truth_file)

    # frames: >= 99 % of the camera's frames are tracked (and each is a rendered frame)
    rows = _truth_rows(truth, data.frame_timestamps_ns)
    last = int(truth["frame"][rows].max())
    tail = int((truth["frame"] > last).sum())
    assert tail < 10, f"{tail} frames after the last tracked stack (stack size 10)"
    made = _camera_frames(truth, last)
    print(f"camera frames {made} (+{tail} in the unfinished stack), tracked {data.n_frames}, "
          f"dropped {summary['dropped']}")
    assert data.n_frames >= 0.99 * made, (data.n_frames, made, summary)

    # XY, bead by bead: RMS <= 2 nm and |bias| <= 1 nm on each axis, every frame
    pairs = _match_beads(data, truth)
    assert len(pairs) == 4
    for bead, k in pairs:
        ts_ns, pos = data.bead(bead)
        rows = _truth_rows(truth, ts_ns)
        dx = pos[:, 0] - truth["x_px"][rows, k] * NM_PER_PX
        dy = pos[:, 1] - truth["y_px"][rows, k] * NM_PER_PX
        rms = float(np.sqrt(np.mean(dx**2 + dy**2)))
        bias = (float(dx.mean()), float(dy.mean()))
        print(f"bead {bead}: XY {rms:.2f} nm RMS, bias x {bias[0]:+.2f} y {bias[1]:+.2f} nm "
              f"over {rows.size} frames")
        assert rows.size >= 0.99 * made
        assert rms <= 2.0, (bead, rms)
        assert max(abs(b) for b in bias) <= 1.0, (bead, bias)
    assert np.isnan(data.z_nm).all()  # no Z-LUT loaded in this run

    # video: >= 99 % of the frames written, and the pixels are the camera's own pixels
    planes = {n: (crops, origin) for n, crops, origin in _tiff_planes(tifs)}
    assert len(planes) >= 0.99 * made, (len(planes), made)
    images = dict(zip(truth["image_frame"].tolist(), truth["image"], strict=True))
    checked = 0
    for number, image in images.items():
        if number > max(planes):
            continue  # the last, incomplete stack: never handed to the writers
        crops, (x0, y0) = planes[number]
        assert crops.shape[0] == 4
        for c in range(crops.shape[0]):
            s = crops.shape[-1]
            np.testing.assert_array_equal(crops[c], image[y0[c]:y0[c] + s, x0[c]:x0[c] + s],
                                          err_msg=f"frame {number}, ROI {c}")
        checked += 1
    assert checked >= len(images) - 1 and checked >= 25


def _hold(hub, ring, frames: int) -> None:
    """Let the camera make ``frames`` more frames (simulated time, not the wall clock)."""
    start = ring.peek_latest().frame_number
    assert wait_for(lambda: ring.peek_latest().frame_number >= start + frames, timeout=30)


def test_zlut_sweep_then_z_matches_truth_and_telemetry_holds_the_moves(
        tmp_path: Path, isolated_config: Path, warm_tracker: None) -> None:
    """Sweep a Z-LUT, step the focus over +/-2 um: tracked Z against the truth, per bead."""
    import attrs

    from magscope_core import (
        AddBead,
        FindBeads,
        GetFocus,
        GetMagnet,
        GetZLut,
        GetZLutSweep,
        Hub,
        MoveFocus,
        SetForce,
        StartZLutSweep,
        plan_session,
    )
    from magscope_core.cli._common import load_everything

    plugins, store = load_everything(None)
    truth_file = tmp_path / "truth.npz"
    out = tmp_path / "run"
    plan = plan_session(
        plugins, store, camera="sim", out_dir=out, writers=["hdf5", "telemetry"],
        tracker="cpu", mode="track", n_workers=1,
        camera_options={"width": 320, "height": 320, "fps": FPS, "n_fixed": 3,
                        "n_tethered": 0, "seed": 2, "truth_file": str(truth_file)})
    config = attrs.evolve(plan.config, start_timeout_s=120.0)
    lut = tmp_path / "zlut.txt"
    steps = [-1950.0, -1300.0, -650.0, 0.0, 650.0, 1300.0, 1950.0]
    with Hub(plan.managers, plan.commands, config) as hub:
        ring = hub.resources.ring()
        centres = hub.call(FindBeads(n=3, size=64))
        beads = [hub.call(AddBead(x=x, y=y, size=64)) for x, y in centres]
        assert len(beads) == 3
        origin = hub.call(GetFocus())["z_nm"]
        hub.call(StartZLutSweep(start_nm=-2000, stop_nm=2000, step_nm=100, images_per_step=5,
                                bead_id=beads[0], path=str(lut)))
        assert wait_for(lambda: hub.call(GetZLutSweep())["state"] in ("done", "failed"),
                        timeout=120, step=0.2)
        status = hub.call(GetZLutSweep())
        assert status["state"] == "done", status
        assert hub.call(GetZLut())["planes"] == 41
        assert wait_for(lambda: hub.call(GetFocus())["at_target"])  # back at the origin
        sweep_end = ring.peek_latest().frame_number
        # focus steps: bead heights -1950 .. +1950 nm relative to the sweep's reference
        for d in steps:
            hub.call(MoveFocus(z_nm=origin - d))
            assert wait_for(lambda: hub.call(GetFocus())["at_target"], timeout=30)
            _hold(hub, ring, 30)
        force_target = 2.0
        magnet_mm = hub.call(SetForce(force_pn=force_target))
        assert wait_for(lambda: not hub.call(GetMagnet())["moving"], timeout=30)
        _hold(hub, ring, 10)

    truth = np.load(truth_file)
    h5 = sorted(out.glob("*.h5"))
    assert len(h5) == 1
    data = writers.read_tracking(h5[0])
    # the sweep's reference: z = dz - dz_ref, dz_ref the swept bead's defocus at the origin
    pairs = _match_beads(data, truth)
    ref_bead = dict(pairs)[beads[0]]
    at_origin = np.flatnonzero(np.isclose(truth["focus_nm"], origin))
    dz_ref = float(truth["dz_nm"][at_origin[0], ref_bead])
    after_sweep = truth["frame"] > sweep_end
    covered = []
    for bead, k in pairs:
        ts_ns, pos = data.bead(bead)
        rows = _truth_rows(truth, ts_ns)
        keep = after_sweep[rows]
        want = truth["dz_nm"][rows[keep], k] - dz_ref
        err = pos[keep, 2] - want
        assert np.isfinite(err).all(), f"bead {bead}: Z is NaN in {np.isnan(err).sum()} frames"
        rms, bias = float(np.sqrt(np.mean(err**2))), float(err.mean())
        covered.append((want.min(), want.max()))
        print(f"bead {bead}: Z {rms:.2f} nm RMS, bias {bias:+.2f} nm over {err.size} frames, "
              f"z {want.min():.0f}..{want.max():.0f} nm")
        assert rms <= 5.0, (bead, rms)
    assert all(lo < -1900 and hi > 1900 for lo, hi in covered), covered

    # telemetry: every move made is in the files, with its target and its arrival
    focus = np.loadtxt(out / "focus.txt")  # t, z_nm, target_nm, at_target
    assert np.all(np.diff(focus[:, 0]) >= 0)
    for d in steps:
        target = origin - d
        at = focus[np.isclose(focus[:, 2], target)]
        assert at.size, f"no telemetry row with focus target {target} nm"
        assert np.any(np.isclose(at[:, 1], target) & (at[:, 3] == 1)), target
    magnet = np.loadtxt(out / "magnet.txt")  # t, position_mm, target_mm, force_pn
    arrived = magnet[np.isclose(magnet[:, 2], magnet_mm)]
    assert arrived.size and np.isclose(arrived[-1, 1], magnet_mm)
    assert arrived[-1, 3] == pytest.approx(force_target, rel=1e-3)
