"""Whole sessions replaying HDF5 and NumPy stacks: every frame tracked, loops, at_end=pause.

Real sessions (the replay camera's manager, the pipeline, one tracker worker, the HDF5
writer, shared memory between them) play one video of the simulated microscope (2 beads,
55 frames: five stacks of 10 and a partial one), written once as an HDF5 dataset with
its timestamps and once as a ``.npy`` array. Each frame's tracks are compared with the
session's own tracker (same plugin, same options) run in this process on the file's
frames, bead by bead.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import h5py
import numpy as np
import pytest
from magscope_writers import read_tracking
from support import wait_for

pytest.importorskip("magscope_sim")
pytest.importorskip("magscope_tracker")

pytestmark = [pytest.mark.integration, pytest.mark.slow]

N = 55  # frames in the video
RATE = 100.0  # its recorded rate (frames/s)
T0 = 1_764_075_520.25
CAMERA: dict[str, Any] = {"width": 160, "height": 96, "bits": 12, "seed": 11, "fps": RATE}
ROIS = [[0, 8, 16, 64], [1, 88, 16, 64]]  # bead id, x0, y0, size: a fixed and a tethered bead


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The video (HDF5, .npy), its ROIs, a Z-LUT and the reference tracks of every frame."""
    from magscope_sim import SimulatedCamera, focus_sweep
    from magscope_tracker import create_tracker

    from magscope_core import plan_session
    from magscope_core._workers import crop_rois, warm_up_tracker
    from magscope_core.cli._common import load_everything

    root = tmp_path_factory.mktemp("replay-sessions")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MAGSCOPE_CONFIG_DIR", str(root / "config"))
        mp.setenv("MAGSCOPE_DATA_DIR", str(root / "data"))
        mp.setenv("MAGSCOPE_AUTO_ZLUT", "0")
        cam = SimulatedCamera(**CAMERA, fixed_xy_px=[(40, 48)], tethered_xy_px=[(120, 48)])
        info = cam.connect()
        frames = np.empty((N, *info.shape), info.dtype)
        for i in range(N):
            cam.render_into(frames[i])
        stamps_ns = np.int64(T0 * 1e9) + np.arange(N, dtype=np.int64) * int(1e9 / RATE)
        h5 = root / "video.h5"
        with h5py.File(h5, "w") as f:
            f.create_dataset("frames", data=frames)
            f.create_dataset("timestamps_ns", data=stamps_ns)
            f.attrs["nm_per_px"] = info.nm_per_px
        npy = root / "video.npy"
        np.save(npy, frames)
        rois = root / "rois.json"
        rois.write_text(json.dumps(ROIS))
        lut = focus_sweep(SimulatedCamera(**CAMERA, fixed_xy_px=[(80, 48)]),
                          np.arange(-1000.0, 2501.0, 125.0)).save_zlut(create_tracker(),
                                                                        root / "zlut.txt")
        plugins, store = load_everything(None)
        plan = plan_session(plugins, store, camera="replay", out_dir=root / "plan",
                            writers=["hdf5"], with_managers=False, tracker="cpu",
                            mode="track", zlut=lut, camera_options={"path": str(npy),
                                                                    "fps": 0.0})
        pipeline = next(e for e in plan.managers if "writers" in e.spec.options)
        _, factory, options = pipeline.spec.options["tracker"]
        tracker = factory(**options)  # the session's tracker, with the session's options
        warm_up_tracker(tracker, info.dtype)
        xywh = np.array([r[1:] for r in ROIS], np.int64)
        res = tracker.track(crop_rois(frames, xywh).reshape(N * 2, 64, 64),
                            tracker.load_zlut(lut))
        x = (np.asarray(res.x, np.float64).reshape(N, 2) + xywh[:, 0]) * info.nm_per_px
        y = (np.asarray(res.y, np.float64).reshape(N, 2) + xywh[:, 1]) * info.nm_per_px
        z = np.asarray(res.z, np.float64).reshape(N, 2)
        yield {"root": root, "frames": frames, "stamps": stamps_ns / 1e9, "h5": h5,
               "npy": npy, "rois": rois, "lut": lut, "tracks": np.stack([x, y, z], -1),
               "plugins": plugins, "store": store}


@contextmanager
def _session(video: dict[str, Any], name: str, **camera: Any) -> Iterator[Any]:
    """A headless session replaying with ``camera`` options (the video's ROIs added)."""
    import attrs

    from magscope_core import Hub, plan_session

    plan = plan_session(video["plugins"], video["store"], camera="replay",
                        out_dir=video["root"] / name, writers=["hdf5"], with_managers=False,
                        tracker="cpu", mode="track", saving=True, zlut=video["lut"],
                        n_workers=1,
                        camera_options={"wait_when_full": True, "rois": str(video["rois"]),
                                        **camera})
    config = attrs.evolve(plan.config, start_timeout_s=max(plan.config.start_timeout_s, 60.0))
    with Hub(plan.managers, plan.commands, config) as hub:
        yield hub


def _tracks(hub: Any) -> tuple[np.ndarray, np.ndarray]:
    """Frame timestamps (s) and ``(frames, beads, xyz)`` of the session's tracking file."""
    files = sorted(set(hub.files.get("hdf5", [])))
    assert len(files) == 1, files
    data = read_tracking(files[0])
    n = data.frame_timestamps_ns.shape[0]
    ids = data.bead_ids.reshape(n, 2)
    assert (ids == [0, 1]).all()
    return data.frame_timestamps_ns / 1e9, data.positions_nm.reshape(n, 2, 3)


def test_an_hdf5_stack_played_once_tracks_every_frame_and_ends_the_session(
        video: dict[str, Any]) -> None:
    with _session(video, "h5-once", path=str(video["h5"]), fps=0.0) as hub:
        assert hub.wait(30), "the session did not end by itself"
        reason = hub.stop_reason
    assert f"replay finished: {N} frames of video.h5" in reason
    stamps, tracks = _tracks(hub)
    assert tracks.shape[0] == N  # every frame once, the live-only filler of the last stack not
    np.testing.assert_allclose(stamps, video["stamps"], rtol=0, atol=1e-6)  # the file's own
    np.testing.assert_array_equal(tracks, video["tracks"])
    assert np.isfinite(tracks).all()


def test_a_npy_stack_with_at_end_pause_waits_without_frames_until_loop_is_on(
        video: dict[str, Any]) -> None:
    from magscope_core import GetCameraSettings, SetCameraSetting

    with _session(video, "npy-pause", path=str(video["npy"]), fps=0.0,
                  at_end="pause") as hub:
        assert wait_for(lambda: hub.call(GetCameraSettings())["ended"], 30)
        assert wait_for(lambda: hub.status()["counters"].get("tracks_rows") == 2 * N, 30)
        ring = hub.resources.ring()
        before = (ring.frames_written, hub.status()["counters"]["camera_frames"])
        assert ring.frames_written - ring.frames_live_only == N
        assert not hub.wait(0.5), f"the session ended: {hub.stop_reason}"
        assert (ring.frames_written, hub.status()["counters"]["camera_frames"]) == before
        settings = hub.call(GetCameraSettings())
        assert (settings["position"], settings["loops"], settings["ended"]) == (N, 0, True)
        hub.call(SetCameraSetting(name="loop", value=True))  # plays it again
        assert wait_for(lambda: ring.frames_written - ring.frames_live_only >= N + 10, 30)
        hub.call(SetCameraSetting(name="at_end", value="stop"))
        hub.call(SetCameraSetting(name="loop", value=False))  # ends with the pass playing
        assert hub.wait(30) and "replay finished" in hub.stop_reason
    stamps, tracks = _tracks(hub)
    passes = tracks.shape[0] // N
    assert passes >= 2 and tracks.shape[0] == passes * N
    assert np.all(np.diff(stamps) > 0)  # a .npy has no timestamps: the replay's clock
    for p in range(passes):  # every pass is the whole video, tracked the same
        np.testing.assert_array_equal(tracks[p * N:(p + 1) * N], video["tracks"])


def test_a_looping_replay_goes_past_the_end_with_increasing_numbers_and_timestamps(
        video: dict[str, Any]) -> None:
    period = N / RATE  # the recorded span plus one frame interval
    seen: dict[int, tuple[float, np.ndarray]] = {}
    with _session(video, "h5-loop", path=str(video["h5"]), fps=500.0, loop=True) as hub:
        ring = hub.resources.ring()

        def sample() -> bool:
            latest = ring.peek_latest()
            if latest is None:
                return False
            seen.setdefault(latest.frame_number, (latest.timestamp, latest.frame))
            return latest.frame_number >= 2 * N + 10

        assert wait_for(sample, 30, step=0.005)
        assert wait_for(lambda: hub.status()["counters"].get("tracks_rows", 0)
                        >= 2 * (2 * N + 10), 30)
        assert not hub.stop_requested  # a loop never ends the session
    numbers = sorted(seen)
    assert len(numbers) >= 5 and numbers[-1] >= 2 * N + 10
    stamps_seen = [seen[k][0] for k in numbers]
    assert np.all(np.diff(stamps_seen) > 0)
    for k in numbers:  # ring frame k is video frame k mod N, stamped a period later per loop
        stamp, frame = seen[k]
        np.testing.assert_array_equal(frame, video["frames"][k % N], err_msg=str(k))
        assert stamp == pytest.approx(video["stamps"][k % N] + (k // N) * period, abs=1e-6)
    stamps, tracks = _tracks(hub)
    n = tracks.shape[0]
    assert n >= 2 * N + 10 and np.all(np.diff(stamps) > 0)
    k = np.arange(n)
    np.testing.assert_allclose(stamps, video["stamps"][k % N] + (k // N) * period, rtol=0,
                               atol=1e-6)
    np.testing.assert_array_equal(tracks, video["tracks"][k % N])  # each pass tracked alike
