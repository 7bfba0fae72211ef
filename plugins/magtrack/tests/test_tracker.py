"""MagTrack behind our tracker contract, against the simulator's ground truth per bead."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest
from magscope_magtrack import MagTrackSettings, MagTrackTracker, MagTrackZLut, create_tracker
from magscope_magtrack.plugin import create, magscope_trackers

from magscope_core import Tracker, TrackOutput

sim = pytest.importorskip("magscope_sim")

NM_PER_PX = 100.0
SIZE = 64
CENTRE = (SIZE - 1) / 2
LUT_Z = np.arange(-4000.0, 4000.1, 100.0)
OPTICS = dict(wavelength_nm=630.0, numerical_aperture=1.1, bead_radius_nm=1400.0,
              nm_per_px=NM_PER_PX)


def render(xyz: np.ndarray, noise: bool, seed: int = 0, size: int = SIZE) -> np.ndarray:
    stack = sim.render_rois(np.asarray(xyz, float), size, optics=sim.OpticsParams(**OPTICS),
                            background_photons=1000.0, noise=noise, seed=seed)
    return np.asarray(stack.images)


@pytest.fixture(scope="module")
def tracker() -> MagTrackTracker:
    return create_tracker()


@pytest.fixture(scope="module")
def zlut(tracker: MagTrackTracker) -> MagTrackZLut:
    n = LUT_Z.size
    images = render(np.column_stack([np.full(n, CENTRE), np.full(n, CENTRE), LUT_Z]), False)
    return tracker.make_zlut(images, LUT_Z, nm_per_px=NM_PER_PX, source="noise-free sweep")


def test_the_plugin_declares_magtrack_with_its_settings() -> None:
    (spec,) = magscope_trackers()
    assert (spec.name, spec.settings) == ("magtrack", MagTrackSettings)
    tracker = create(subpixel_iterations=3, profile="fft")
    assert isinstance(tracker, Tracker)
    assert tracker.options.pipeline_kwargs()["n auto_conv_multiline_sub_pixel"] == 3
    assert pickle.loads(pickle.dumps(tracker)) == tracker  # options only: safe per worker
    with pytest.raises(TypeError, match=r"unknown option.*n_iterations.*valid options"):
        create(n_iterations=3)


def test_listing_the_plugin_does_not_import_magtrack_or_qt() -> None:
    code = ("import sys, magscope_magtrack.plugin as p; p.magscope_trackers(); "
            "bad = [m for m in ('magtrack', 'scipy', 'PySide6') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_each_bead_is_found_where_the_simulator_put_it(tracker, zlut) -> None:
    rng = np.random.default_rng(7)
    n = 60
    truth = np.column_stack([CENTRE + rng.uniform(-2, 2, n), CENTRE + rng.uniform(-2, 2, n),
                             rng.uniform(-3500, 3500, n)])
    rois = render(truth, noise=True, seed=3)
    result = tracker.track(rois, zlut)
    assert isinstance(result, TrackOutput)
    ex = (result.x - truth[:, 0]) * NM_PER_PX
    ey = (result.y - truth[:, 1]) * NM_PER_PX
    ez = result.z - truth[:, 2]
    # every bead, not an average: MagTrack is ~1 nm in XY and ~45 nm RMS in Z here
    assert np.all(np.abs(ex) < 10) and np.all(np.abs(ey) < 10), (ex, ey)
    assert np.all(np.abs(ez) < 250), ez
    assert np.sqrt(np.mean(ez ** 2)) < 100


def test_dtypes_give_the_same_positions(tracker) -> None:
    rois = render([[CENTRE + 0.3, CENTRE - 0.6, 0.0]] * 2, noise=True, seed=1)
    as_u16 = np.clip(np.round(rois), 0, 65535).astype(np.uint16)
    r16 = tracker.track(as_u16)
    r32 = tracker.track(as_u16.astype(np.float32))
    np.testing.assert_allclose(r16.x, r32.x)
    assert np.all(np.isnan(r16.z))  # no Z-LUT: z is NaN
    one = tracker.track(as_u16[0])  # one ROI alone
    assert one.x.shape == (1,) and one.x[0] == pytest.approx(r16.x[0])


def test_rois_magtrack_cannot_take_are_nan_and_do_not_spoil_the_others(tracker, zlut) -> None:
    good = render([[CENTRE + 1.0, CENTRE - 1.0, 1000.0]] * 3, noise=True, seed=5).astype(np.float32)
    blank = np.zeros((SIZE, SIZE), np.float32)
    holed = good[0].copy()
    holed[10, 10] = np.nan
    flat = np.full((SIZE, SIZE), 300.0, np.float32)
    rois = np.stack([good[0], blank, good[1], holed, flat, good[2]])
    result = tracker.track(rois, zlut, return_profiles=True)
    assert result.x.shape == result.y.shape == result.z.shape == (6,)
    assert result.profiles is not None and result.profiles.shape == (6, tracker.n_bins(SIZE))
    bad = [1, 3, 4]
    assert np.all(np.isnan(result.x[bad])) and np.all(np.isnan(result.z[bad]))
    assert np.all(np.isnan(result.profiles[bad]))
    ok = [0, 2, 5]
    np.testing.assert_allclose(result.x[ok], CENTRE + 1.0, atol=0.1)
    np.testing.assert_allclose(result.z[ok], 1000.0, atol=250)
    assert result.ok.tolist() == [True, False, True, False, False, True]


def test_shapes_and_zluts_that_do_not_fit_are_refused(tracker, zlut) -> None:
    with pytest.raises(ValueError, match="square ROIs"):
        tracker.track(np.zeros((2, 64, 48), np.uint8))
    with pytest.raises(ValueError, match=r"\(n, height, width\)"):
        tracker.track(np.zeros((2, 2, 64, 64), np.uint8))
    with pytest.raises(TypeError, match="dtype"):
        tracker.track(np.zeros((1, 64, 64), bool))
    with pytest.raises(ValueError, match="32 profile bins, but MagTrack makes 25 for 50 x 50"):
        tracker.track(np.zeros((1, 50, 50), np.uint8), zlut)


def test_zlut_round_trips_through_magscope_1_text_files(tracker, zlut, tmp_path) -> None:
    path = tmp_path / "zlut.txt"
    tracker.save_zlut(zlut, path)
    table = np.loadtxt(path)  # what MagScope 1.0 does with it
    assert table.shape == (1 + 32, LUT_Z.size) and np.array_equal(table[0], LUT_Z)
    again = tracker.load_zlut(path)
    np.testing.assert_allclose(again.profiles, zlut.profiles)
    assert again.metadata["roi_shape"] == [SIZE, SIZE]
    bad = tmp_path / "bad.txt"
    bad.write_text("1 2 3\nx y z\n")
    with pytest.raises(ValueError, match=r"bad\.txt: not a table of numbers"):
        tracker.load_zlut(bad)


def test_a_zlut_is_used_only_by_the_tracker_that_made_it(tracker, zlut, tmp_path) -> None:
    from magscope_core import ConfigurationError, CorePlugin, load_plugins
    from magscope_core._zlut_check import check_zlut

    path = tmp_path / "magtrack.zlut.txt"
    tracker.save_zlut(zlut, path)
    assert tracker.load_zlut(path).metadata["tracker"] == "magtrack"
    trackers = load_plugins(builtins=[(CorePlugin(), "core", "magscope-core")]).trackers
    assert check_zlut(trackers["magtrack"], path).n_bins == 32
    if "cpu" in trackers:  # a cpu tracker's Z-LUT: MagTrack reads the file, but the
        # profiles are another tracker's: its heights would be wrong without an error
        cpu = trackers["cpu"].spec.create()
        n = LUT_Z.size
        images = render(np.column_stack([np.full(n, CENTRE), np.full(n, CENTRE), LUT_Z]), False)
        cpu_path = tmp_path / "cpu.zlut.txt"
        made = cpu.make_zlut(images, LUT_Z)
        cpu.save_zlut(made, cpu_path)
        assert tracker.load_zlut(cpu_path).n_bins == made.n_bins  # the file itself reads
        with pytest.raises(ConfigurationError, match="made by tracker 'cpu'; the session "
                           "tracks with 'magtrack'"):
            check_zlut(trackers["magtrack"], cpu_path)
        with pytest.raises(ConfigurationError):
            check_zlut(trackers["cpu"], path)
