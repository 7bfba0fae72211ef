"""The tracker contract: API, shapes, accuracy on synthetic beads, NaN handling, no shared state.

Subclass :class:`TrackerContract` and give it one fixture, ``tracker_spec``, returning
your :class:`~magscope_core.TrackerSpec`::

    class TestMyTracker(TrackerContract):
        @pytest.fixture
        def tracker_spec(self):
            return TrackerSpec(name="mine", factory=MyTracker)

The images are the kit's synthetic beads (:func:`~magscope_core.testing.bead_stack`),
whose centres and heights are known exactly. Every test runs in-process except
``test_spawned_process_gives_the_same_result`` (one spawned process, as a tracker worker).
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from magscope_core._import_path import resolve_factory
from magscope_core._specs import TrackerSpec
from magscope_core._tracker import Tracker
from magscope_core.testing._images import bead_stack
from magscope_core.testing._optional import drop_inapplicable_tests
from magscope_core.testing._spawned import run_spawned

__all__ = ["TrackerContract", "track_in_fresh_process"]


def track_in_fresh_process(spec: TrackerSpec, rois: np.ndarray
                           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Build the tracker from its (pickled) spec and track ``rois`` (no Z-LUT)."""
    out = spec.create().track(rois)
    return np.asarray(out.x), np.asarray(out.y), np.asarray(out.z)


class TrackerContract:
    """Contract tests of a tracker plugin; subclass it and provide ``tracker_spec``.

    Attributes
    ----------
    roi_size
        ROI size in pixels.
    xy_tolerance_px
        Largest XY error allowed on noise-free synthetic beads.
    supports_z
        Whether the tracker measures Z from a Z-LUT (False: the Z tests are not collected).
    z_tolerance_nm
        Largest Z error allowed between Z-LUT planes.
    """

    roi_size: ClassVar[int] = 64
    xy_tolerance_px: ClassVar[float] = 0.2
    supports_z: ClassVar[bool] = True
    z_tolerance_nm: ClassVar[float] = 50.0

    @pytest.fixture
    def tracker_spec(self) -> TrackerSpec:
        """Override: your tracker's spec."""
        raise NotImplementedError("define a tracker_spec fixture returning a TrackerSpec")

    @pytest.fixture
    def tracker(self, tracker_spec: TrackerSpec) -> Any:
        """A tracker built as a worker builds it: ``spec.create()``."""
        return tracker_spec.create()

    def _truth(self, n: int = 8, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(seed)
        centre = (self.roi_size - 1) / 2
        return centre + rng.uniform(-2, 2, n), centre + rng.uniform(-2, 2, n)

    def _zlut(self, tracker: Any) -> tuple[Any, np.ndarray]:
        z = np.arange(-3000.0, 3000.1, 100.0)
        c = (self.roi_size - 1) / 2
        return tracker.make_zlut(bead_stack(self.roi_size, c, c, z), z), z

    # ------------------------------------------------------------------ API
    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        drop_inapplicable_tests(cls, {"supports_z": (
            "test_z_from_a_zlut_between_its_planes", "test_zlut_file_round_trip",
            "test_a_bad_zlut_file_is_a_clear_error")})

    def test_spec_pickles_to_the_workers(self, tracker_spec: TrackerSpec) -> None:
        """Factory by reference and options as plain data (they go to every worker)."""
        assert isinstance(tracker_spec, TrackerSpec), type(tracker_spec)
        restored = pickle.loads(pickle.dumps(tracker_spec.factory))
        # a class or function pickles by reference; an import path as its path
        assert resolve_factory(restored) is resolve_factory(tracker_spec.factory)
        options = dict(tracker_spec.options)
        assert pickle.loads(pickle.dumps(options)) == options

    def test_object_follows_the_tracker_protocol(self, tracker: Any) -> None:
        """track, make_zlut, load_zlut and save_zlut exist."""
        assert isinstance(tracker, Tracker), f"{type(tracker).__name__} misses Tracker methods"

    @pytest.mark.parametrize("dtype", ["uint8", "uint16", "float32"])
    def test_xy_of_synthetic_beads(self, tracker: Any, dtype: str) -> None:
        """(n,) x and y in ROI pixels within ``xy_tolerance_px`` of the truth; z NaN."""
        x, y = self._truth()
        out = tracker.track(bead_stack(self.roi_size, x, y, 0.0, dtype=dtype))
        for name in ("x", "y", "z"):
            assert np.shape(getattr(out, name)) == (x.size,), (name, np.shape(getattr(out, name)))
        np.testing.assert_allclose(out.x, x, atol=self.xy_tolerance_px)
        np.testing.assert_allclose(out.y, y, atol=self.xy_tolerance_px)
        assert np.all(np.isnan(out.z)), "z must be NaN without a Z-LUT"

    def test_an_empty_batch_gives_empty_results(self, tracker: Any) -> None:
        """(0, h, w) ROIs give (0,) arrays, no error."""
        out = tracker.track(np.zeros((0, self.roi_size, self.roi_size), np.float32))
        assert np.shape(out.x) == np.shape(out.y) == np.shape(out.z) == (0,)

    def test_nan_and_flat_rois_do_not_spoil_the_others(self, tracker: Any) -> None:
        """A NaN ROI gives NaN; a flat one gives NaN or a point inside; others unchanged."""
        x, y = self._truth(3)
        rois = bead_stack(self.roi_size, x, y, 0.0)
        alone = tracker.track(rois)
        mixed = np.concatenate([rois[:1], np.full_like(rois[:1], np.nan),
                                np.full_like(rois[:1], 100.0), rois[1:]])
        out = tracker.track(mixed)
        assert np.isnan(out.x[1]) and np.isnan(out.y[1]), (out.x[1], out.y[1])
        for v in (out.x[2], out.y[2]):
            assert np.isnan(v) or 0 <= v <= self.roi_size - 1, v
        np.testing.assert_allclose(np.asarray(out.x)[[0, 3, 4]], alone.x, atol=1e-9)
        np.testing.assert_allclose(np.asarray(out.y)[[0, 3, 4]], alone.y, atol=1e-9)

    # ------------------------------------------------------------------ Z-LUT
    def test_z_from_a_zlut_between_its_planes(self, tracker: Any) -> None:
        """With a Z-LUT of planes 100 nm apart, z between planes within ``z_tolerance_nm``."""
        zlut, _ = self._zlut(tracker)
        z = np.linspace(-2500.0, 2500.0, 11) + 37.0
        x, y = self._truth(z.size, seed=1)
        out = tracker.track(bead_stack(self.roi_size, x, y, z), zlut)
        np.testing.assert_allclose(out.z, z, atol=self.z_tolerance_nm)

    def test_zlut_file_round_trip(self, tracker: Any, tmp_path: Path) -> None:
        """save_zlut then load_zlut gives a Z-LUT that tracks the same."""
        zlut, _ = self._zlut(tracker)
        path = tmp_path / "bead.zlut"
        tracker.save_zlut(zlut, path)
        loaded = tracker.load_zlut(path)
        rois = bead_stack(self.roi_size, *self._truth(4), np.array([-800.0, 0.0, 450.0, 1200.0]))
        np.testing.assert_allclose(tracker.track(rois, loaded).z, tracker.track(rois, zlut).z,
                                   atol=1e-6)

    def test_a_bad_zlut_file_is_a_clear_error(self, tracker: Any, tmp_path: Path) -> None:
        """load_zlut of a file that is no Z-LUT raises an error naming the file."""
        path = tmp_path / "not-a-zlut.txt"
        path.write_text("this is not a Z-LUT\n", encoding="utf-8")
        with pytest.raises(Exception) as caught:
            tracker.load_zlut(path)
        assert "not-a-zlut.txt" in str(caught.value), str(caught.value)

    # ------------------------------------------------------------------ state
    def test_instances_share_no_state(self, tracker_spec: TrackerSpec) -> None:
        """Two instances, calls interleaved, give what each gives alone."""
        a, b = tracker_spec.create(), tracker_spec.create()
        r1 = bead_stack(self.roi_size, *self._truth(4, seed=2), 0.0)
        r2 = bead_stack(self.roi_size, *self._truth(4, seed=3), 0.0, dtype="uint16")
        first = a.track(r1)
        b.track(r2)
        again = a.track(r1)
        np.testing.assert_array_equal(first.x, again.x)
        np.testing.assert_array_equal(first.y, again.y)

    def test_spawned_process_gives_the_same_result(self, tracker_spec: TrackerSpec) -> None:
        """A tracker built in a spawned process (a worker) tracks exactly as this one."""
        rois = bead_stack(self.roi_size, *self._truth(4, seed=4), 0.0)
        here = tracker_spec.create().track(rois)
        x, y, _ = run_spawned(track_in_fresh_process, tracker_spec, rois)
        np.testing.assert_allclose(x, here.x, atol=1e-9)
        np.testing.assert_allclose(y, here.y, atol=1e-9)
