from __future__ import annotations

import pickle
import time

import numpy as np
import pytest
from magscope_sim import SimulatedCamera, wlc_extension

from magscope_core import ConfigurationError
from magscope_core._camera import Camera, CameraError

SMALL = dict(width=256, height=256, n_fixed=2, n_tethered=3)


def _frame(cam):
    info = cam.info
    return np.zeros(info.shape, info.dtype)


def test_satisfies_the_camera_protocol_and_publishes_info():
    cam = SimulatedCamera(**SMALL)
    assert isinstance(cam, Camera)
    info = cam.connect()
    assert (info.width, info.height, info.dtype, info.bits) == (256, 256, "uint8", 8)
    assert info.nm_per_px == 100.0 and info.fps == 100.0
    cam.disconnect()


@pytest.mark.parametrize(("bits", "dtype"), [(8, np.uint8), (12, np.uint16), (16, np.uint16)])
def test_renders_into_a_provided_array_of_each_depth(bits, dtype):
    cam = SimulatedCamera(width=512, height=256, n_fixed=3, n_tethered=5, bits=bits)
    info = cam.connect()
    assert info.shape == (256, 512) and info.dtype == np.dtype(dtype).name
    out = np.zeros((256, 512), dtype)
    cam.render_into(out)
    full = 2**bits - 1
    assert out.max() <= full
    # auto gain puts the background at ~20% of full scale
    assert np.median(out) == pytest.approx(0.2 * full, rel=0.05)
    with pytest.raises(CameraError, match=r"\(256, 512\)"):
        cam.render_into(np.zeros((256, 512), np.float32))


def test_bit_depth_clipping_with_a_high_gain():
    cam = SimulatedCamera(**SMALL, bits=12, gain=5.0)
    cam.connect()
    out = _frame(cam)
    cam.render_into(out)
    assert out.max() == 4095 and np.mean(out == 4095) > 0.9


def test_grab_paces_frames_and_numbers_them():
    cam = SimulatedCamera(**SMALL, fps=200)
    cam.connect()
    out = _frame(cam)
    stamps, frames = [], []
    t0 = time.monotonic()
    for _ in range(10):
        ts = cam.grab_into(out, timeout=1.0)
        assert ts is not None
        stamps.append(ts)
        frames.append(cam.truth().frame)
    elapsed = time.monotonic() - t0
    assert frames == list(range(10))
    assert np.all(np.diff(stamps) > 0)
    assert elapsed >= 9 / 200 * 0.9  # it waited for the frames to be due
    assert abs(stamps[0] - time.time()) < 5.0  # epoch seconds
    assert cam.truth().timestamp == stamps[-1]


def test_grab_times_out_before_a_frame_is_due():
    cam = SimulatedCamera(**SMALL, fps=2)
    cam.connect()
    out = _frame(cam)
    assert cam.grab_into(out, timeout=1.0) is not None  # first frame is immediate
    t0 = time.monotonic()
    assert cam.grab_into(out, timeout=0.05) is None
    assert time.monotonic() - t0 >= 0.04
    cam.disconnect()
    with pytest.raises(CameraError, match="not connected"):
        cam.grab_into(out, timeout=0.1)


def test_bead_centre_in_the_frame_matches_truth():
    cam = SimulatedCamera(width=512, height=512, n_fixed=4, n_tethered=6, bits=16,
                          background_photons=1e6, gain=0.01, min_separation_px=100)
    cam.connect()
    out = _frame(cam)
    cam.render_into(out)
    truth = cam.truth()
    # some 96-px render boxes overlap, so the merged (cluster) path is exercised too
    x, y = truth.x_px, truth.y_px
    gap = np.maximum(np.abs(x[:, None] - x), np.abs(y[:, None] - y))
    assert np.any(gap[np.triu_indices(10, 1)] < 96)
    bg = float(np.median(out))
    yy, xx = np.mgrid[:512, :512]
    for x, y in zip(truth.x_px, truth.y_px, strict=True):
        disc = np.hypot(xx - x, yy - y) < 46  # the rendered (tapered) disc
        w = np.abs(out - bg) * disc
        assert (w * xx).sum() / w.sum() == pytest.approx(x, abs=0.05)
        assert (w * yy).sum() / w.sum() == pytest.approx(y, abs=0.05)


def test_set_focus_changes_image_and_defocus():
    cam = SimulatedCamera(**SMALL, read_noise_e=0.0)
    cam.connect()
    a, b = _frame(cam), _frame(cam)
    cam.render_into(a)
    dz_a = cam.truth().dz_nm
    cam.set_focus(-2000.0)
    cam.render_into(b)
    truth = cam.truth()
    assert truth.focus_nm == -2000.0
    np.testing.assert_allclose(truth.dz_nm - truth.z_nm, 2000.0)
    assert np.all(truth.dz_nm > dz_a + 1500)
    x, y = round(truth.x_px[0]), round(truth.y_px[0])  # a fixed bead: does not move
    patch = np.s_[y - 10 : y + 11, x - 10 : x + 11]
    diff = np.abs(a[patch].astype(float) - b[patch].astype(float))
    assert diff.mean() > 5 * np.abs(np.diff(a[:20, :20].astype(float), axis=0)).mean() / 2


def test_force_changes_tether_extension():
    cam = SimulatedCamera(width=1024, height=1024, n_fixed=1, n_tethered=40, force_pn=0.1,
                          min_separation_px=60)
    cam.connect()
    out = _frame(cam)
    cam.render_into(out)
    t = cam.truth()
    low = t.z_nm[t.tethered].mean()
    cam.set_force(8.0)
    for _ in range(20):
        cam.render_into(out)
    t = cam.truth()
    high = t.z_nm[t.tethered].mean() - 500.0
    assert t.force_pn == 8.0 and high > low
    assert high == pytest.approx(float(wlc_extension(8.0, 2000.0)), rel=0.02)
    assert np.all(t.z_nm[~t.tethered] == 500.0)


def test_settings_round_trip_and_errors():
    cam = SimulatedCamera(**SMALL)
    s = cam.get_settings()
    assert {"width", "height", "fps", "exposure_ms", "gain", "bits", "background_photons",
            "read_noise_e", "n_fixed", "n_tethered", "seed"} <= set(s)
    cam.set_setting("fps", "50")
    cam.set_setting("exposure_ms", "5")  # half the light
    assert cam.get_settings()["background_photons"] == pytest.approx(500.0)
    cam.set_setting("fps", 400)  # exposure clipped to 2.5 ms
    s = cam.get_settings()
    assert s["exposure_ms"] == pytest.approx(2.5) and s["background_photons"] == pytest.approx(250)
    cam.set_setting("gain", 0.5)
    assert cam.get_settings()["gain"] == 0.5 and not cam.get_settings()["gain_auto"]
    cam.set_setting("gain", "auto")
    assert cam.get_settings()["gain_auto"]
    with pytest.raises(CameraError, match="unknown SimulatedCamera option 'colour'"):
        cam.set_setting("colour", 1)
    with pytest.raises(CameraError, match="did you mean 'fps'"):
        cam.set_setting("fsp", 1)
    with pytest.raises(ValueError, match="option bits = 24 rejected"):
        cam.set_setting("bits", 24)
    with pytest.raises(ValueError, match="option n_fixed = 'two' rejected"):
        cam.set_setting("n_fixed", "two")
    cam.connect()
    with pytest.raises(CameraError, match="while connected"):
        cam.set_setting("width", 512)
    cam.set_setting("n_tethered", 4)  # layout may change live
    assert len(cam.bead_positions()) == 6


def test_bead_positions_are_separated_roi_centres():
    cam = SimulatedCamera(min_separation_px=80)
    sites = cam.bead_positions()
    assert len(sites) == 20 and sum(s.tethered for s in sites) == 15
    xy = np.array([(s.x_px, s.y_px) for s in sites])
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    assert d[np.triu_indices(20, 1)].min() >= 80
    assert np.all((xy >= 40) & (xy <= 1024 - 41))
    cx, _ = sites[0].roi_center
    assert isinstance(cx, int) and abs(cx - sites[0].x_px) <= 0.5
    with pytest.raises(ValueError, match="could not place 50 beads"):
        SimulatedCamera(width=256, height=256, n_fixed=0, n_tethered=50).bead_positions()


def test_overlapping_beads_are_composited():
    cam = SimulatedCamera(width=128, height=128, fixed_xy_px=[[50.0, 60.0]],
                          tethered_xy_px=[[80.0, 60.0]])
    info = cam.connect()
    assert cam.get_settings()["n_fixed"] == 1 and cam.get_settings()["n_tethered"] == 1
    out = np.zeros(info.shape, info.dtype)
    cam.render_into(out)
    truth = cam.truth()
    assert truth.x_px[0] == 50.0 and truth.y_px[0] == 60.0
    assert out[60, 50] > 2 * np.median(out)  # the fixed bead's focus spot (dz = +500)


def test_seeded_and_picklable():
    a = SimulatedCamera(**SMALL, seed=9)
    b = pickle.loads(pickle.dumps(SimulatedCamera(**SMALL, seed=9)))
    frames = []
    for cam in (a, b):
        cam.connect()
        out = _frame(cam)
        cam.render_into(out)
        cam.render_into(out)
        frames.append(out)
    np.testing.assert_array_equal(frames[0], frames[1])
    with pytest.raises(CameraError, match="no frame"):
        SimulatedCamera(**SMALL).truth()


def test_constructor_settings_are_literal_and_order_free():
    a = SimulatedCamera(exposure_ms=20, fps=50, background_photons=800)
    b = SimulatedCamera(background_photons=800, fps=50, exposure_ms=20)
    assert a.get_settings() == b.get_settings()
    assert a.get_settings()["background_photons"] == 800.0
    assert SimulatedCamera(fps=400).get_settings()["exposure_ms"] == 2.5
    with pytest.raises(ValueError, match="frame period"):
        SimulatedCamera(fps=400, exposure_ms=10)
    with pytest.raises(ConfigurationError, match="unknown SimulatedCamera option 'framerate'"):
        SimulatedCamera(framerate=10)
    with pytest.raises(ConfigurationError, match=r"render_px = 33 rejected: odd"):
        SimulatedCamera(render_px=33)
    with pytest.raises(ConfigurationError, match=r"background_photons = inf rejected"):
        SimulatedCamera(background_photons=float("inf"))
    assert SimulatedCamera(gain=0).get_settings()["gain_auto"]  # 0 is auto
    assert not SimulatedCamera(gain=2).get_settings()["gain_auto"]
