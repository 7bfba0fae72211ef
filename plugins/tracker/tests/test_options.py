from __future__ import annotations

from pathlib import Path

import attrs
import magscope_tracker
import numpy as np
import pytest
from magscope_tracker import TrackerOptions, create_tracker


def test_public_api() -> None:
    assert sorted(magscope_tracker.__all__) == [
        "CpuTracker",
        "TrackResult",
        "TrackerOptions",
        "ZLut",
        "ZLutError",
        "ZLutScore",
        "best_candidate",
        "create_tracker",
    ]
    tracker = create_tracker()
    assert tracker.options == TrackerOptions()
    assert tracker.backend in ("numba", "numpy")
    assert create_tracker(backend="numpy").backend == "numpy"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"n_xy_iterations": 0}, r"n_xy_iterations=0: expected an integer in \[1, 20\]"),
        ({"n_xy_iterations": 2.5}, "n_xy_iterations=2.5"),
        ({"profile_oversample": 9}, r"profile_oversample=9: expected an integer in \[1, 8\]"),
        ({"n_local": 4}, "n_local=4: expected an odd number"),
        ({"r_max_px": -3.0}, "r_max_px=-3.0: expected a positive finite number or None"),
        ({"band_sigma_px": float("nan")}, "band_sigma_px=nan"),
        ({"xy_max_frequency": 0.0}, r"xy_max_frequency=0.0: expected a number in \(0.0, 0.5\]"),
        ({"min_quality": 1.5}, r"min_quality=1.5: expected a number in \[-1.0, 1.0\]"),
    ],
)
def test_invalid_option_values(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TrackerOptions(**options)  # type: ignore[arg-type]


def test_invalid_choice_and_unknown_name() -> None:
    with pytest.raises(ValueError, match="background"):
        create_tracker(background="median")
    with pytest.raises(
        TypeError, match=r"unknown option.*n_iterations; valid options: backend, background"
    ):
        create_tracker(n_iterations=3)


def test_options_are_frozen_and_serialisable() -> None:
    options = TrackerOptions(n_xy_iterations=4, r_max_px=20.0)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        options.n_xy_iterations = 5  # type: ignore[misc]
    assert TrackerOptions(**options.to_dict()) == options


def test_profile_must_fit_the_roi() -> None:
    tracker = create_tracker(r_max_px=60.0)
    with pytest.raises(ValueError, match="does not fit a 64x64 ROI"):
        tracker.track(np.zeros((1, 64, 64), np.uint16))


def test_satisfies_the_core_tracker_contract(tmp_path: Path) -> None:
    import magscope_core

    protocol = getattr(magscope_core, "Tracker", None)
    if protocol is None:
        pytest.skip("magscope_core has no Tracker protocol yet")
    tracker = create_tracker()
    assert isinstance(tracker, protocol)
    z = np.arange(3) * 100.0
    zlut = magscope_tracker.ZLut(z_nm=z, profiles=np.random.default_rng(0).random((3, 32)))
    tracker.save_zlut(zlut, tmp_path / "lut.txt")
    loaded = tracker.load_zlut(tmp_path / "lut.txt")
    np.testing.assert_array_equal(loaded.profiles, zlut.profiles)
    result = tracker.track(np.zeros((2, 64, 64), np.uint16), loaded)
    assert isinstance(result, magscope_core.TrackOutput)
