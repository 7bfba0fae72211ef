"""The camera contract: what every camera plugin must do, as tests to subclass.

Subclass :class:`CameraContract` in your plugin's tests and give it one fixture,
``camera_spec``, returning your :class:`~magscope_core.CameraSpec` (with options small and
fast enough for tests)::

    from magscope_core.testing import CameraContract

    class TestAcmeCamera(CameraContract):
        @pytest.fixture
        def camera_spec(self):
            return CameraSpec(name="acme", factory=AcmeCamera, options={"serial": "SIM"})

Every test but one runs in the test's process; ``test_runs_in_a_session`` starts a real
hub (camera manager and pipeline in spawned processes).
"""

from __future__ import annotations

import itertools
import math
import pickle
import time
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import numpy as np
import pytest

from magscope_core._camera import Camera, CameraError, CameraInfo
from magscope_core._commands import CommandSpec
from magscope_core._import_path import resolve_factory
from magscope_core._specs import CameraSpec
from magscope_core.testing._hubs import HubFactory
from magscope_core.testing._optional import drop_inapplicable_tests
from magscope_core.testing._spawned import qt_modules_loaded, run_spawned

__all__ = ["CameraContract", "check_camera_in_fresh_process"]

_SENTINEL = 0xA5


def check_camera_in_fresh_process(factory: Any, options: dict[str, Any]
                                  ) -> tuple[CameraInfo, list[str], tuple[int, ...]]:
    """Build, connect, grab one frame and disconnect; report the Qt packages imported.

    Runs in a spawned process (see :func:`run_spawned`): it proves that the factory and
    options survive the trip and that the camera never pulls a Qt binding in.
    """
    camera = factory(**options)
    info = camera.connect()
    try:
        out = np.zeros(info.shape, dtype=info.dtype)
        deadline = time.monotonic() + 10.0
        while camera.grab_into(out, 1.0) is None:
            if time.monotonic() > deadline:
                raise TimeoutError("no frame within 10 s")
    finally:
        camera.disconnect()
    return info, qt_modules_loaded(), tuple(out.shape)


class CameraContract:
    """Contract tests of a camera plugin; subclass it and provide ``camera_spec``.

    Attributes
    ----------
    grab_timeout_s
        Timeout given to ``grab_into`` when a frame is expected.
    timeout_slack_s
        How much longer than its timeout ``grab_into`` may take to return.
    writable_setting
        ``(name, value)`` of a setting the test may change (None: none is changed).
    run_session_test
        Whether to run the one test that starts a real session.
    commands
        The plugin's own command specs (what its ``magscope_commands`` returns), for a
        camera manager that handles commands of its own.
    """

    grab_timeout_s: ClassVar[float] = 2.0
    timeout_slack_s: ClassVar[float] = 0.25
    writable_setting: ClassVar[tuple[str, Any] | None] = None
    run_session_test: ClassVar[bool] = True
    reports_frames_lost: ClassVar[bool] = False
    commands: ClassVar[Sequence[CommandSpec]] = ()

    @pytest.fixture
    def camera_spec(self) -> CameraSpec:
        """Override: your camera's spec."""
        raise NotImplementedError("subclass CameraContract and define a camera_spec fixture")

    @pytest.fixture
    def camera(self, camera_spec: CameraSpec) -> Iterator[Any]:
        """The camera built from the spec, not connected (disconnected after the test)."""
        cam = camera_spec.factory(**camera_spec.options)
        yield cam
        cam.disconnect()

    @pytest.fixture
    def connected(self, camera: Any) -> tuple[Any, CameraInfo]:
        """The camera, connected, and its info."""
        return camera, camera.connect()

    def _grab(self, camera: Any, info: CameraInfo) -> tuple[np.ndarray, float]:
        out = np.full(info.shape, _SENTINEL, dtype=info.dtype)
        deadline = time.monotonic() + 5 * self.grab_timeout_s
        while True:
            t = camera.grab_into(out, self.grab_timeout_s)
            if t is not None:
                return out, float(t)
            assert time.monotonic() < deadline, "no frame within 5 grab timeouts"

    # ------------------------------------------------------------------ the spec
    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        drop_inapplicable_tests(cls, {
            "run_session_test": ("test_runs_in_a_session",),
            "reports_frames_lost": ("test_frames_lost_is_a_rising_count",),
            "writable_setting": ("test_a_writable_setting_reads_back",),
        })

    def test_spec_is_a_camera_spec(self, camera_spec: CameraSpec) -> None:
        """The fixture returns a CameraSpec whose factory the hub can pickle by reference."""
        assert isinstance(camera_spec, CameraSpec), type(camera_spec)
        restored = pickle.loads(pickle.dumps(camera_spec.factory))
        # a class or function pickles by reference; an import path as its path
        assert resolve_factory(restored) is resolve_factory(camera_spec.factory)

    def test_options_are_picklable(self, camera_spec: CameraSpec) -> None:
        """Options cross into the camera process by pickle: plain data only."""
        options = dict(camera_spec.options)
        assert pickle.loads(pickle.dumps(options)) == options

    def test_object_follows_the_camera_protocol(self, camera: Any) -> None:
        """connect, grab_into, disconnect, get_settings and set_setting exist."""
        assert isinstance(camera, Camera), f"{type(camera).__name__} misses Camera methods"

    # ------------------------------------------------------------------ frames
    def test_connect_returns_camera_info(self, connected: tuple[Any, CameraInfo]) -> None:
        """connect() returns a CameraInfo record (size, dtype, bits, nm/px, fps)."""
        _, info = connected
        assert isinstance(info, CameraInfo), f"connect() returned {type(info).__name__}"

    def test_frames_fill_the_buffer_with_the_declared_shape_and_range(
            self, connected: tuple[Any, CameraInfo]) -> None:
        """grab_into writes a (height, width) frame of the declared dtype within ``bits``."""
        camera, info = connected
        frame, _ = self._grab(camera, info)
        assert frame.shape == info.shape and frame.dtype == np.dtype(info.dtype)
        assert not np.all(frame == _SENTINEL), "grab_into returned a time but wrote nothing"
        assert int(frame.max()) <= 2**info.bits - 1, (
            f"pixel value {int(frame.max())} exceeds {info.bits} bits")

    def test_timestamps_are_epoch_seconds_and_rise(
            self, connected: tuple[Any, CameraInfo]) -> None:
        """Five frames: epoch-second timestamps (near now), strictly rising."""
        camera, info = connected
        stamps = [self._grab(camera, info)[1] for _ in range(5)]
        assert all(math.isfinite(t) for t in stamps), stamps
        assert abs(stamps[-1] - time.time()) < 3600, f"{stamps[-1]} is not epoch seconds"
        assert all(b > a for a, b in itertools.pairwise(stamps)), f"not rising: {stamps}"

    def test_grab_returns_within_its_timeout(self, connected: tuple[Any, CameraInfo]) -> None:
        """grab_into(out, timeout) returns a frame or None within timeout (+ slack)."""
        camera, info = connected
        out = np.zeros(info.shape, dtype=info.dtype)
        self._grab(camera, info)
        for timeout in (0.0, 0.01, 0.05):
            start = time.monotonic()
            t = camera.grab_into(out, timeout)
            took = time.monotonic() - start
            assert t is None or math.isfinite(float(t))
            assert took <= timeout + self.timeout_slack_s, (
                f"grab_into(timeout={timeout}) took {took:.3f} s")

    def test_frames_lost_is_a_rising_count(self, connected: tuple[Any, CameraInfo]) -> None:
        """If the camera reports ``frames_lost()``, it is an int >= 0 that never falls."""
        camera, info = connected
        assert callable(getattr(camera, "frames_lost", None)), (
            "reports_frames_lost = True but the camera has no frames_lost()")
        counts = []
        for _ in range(3):
            self._grab(camera, info)
            counts.append(camera.frames_lost())
        assert all(isinstance(c, int) and c >= 0 for c in counts), counts
        assert counts == sorted(counts), counts

    # ------------------------------------------------------------------ settings
    def test_settings_are_a_picklable_dict(self, connected: tuple[Any, CameraInfo]) -> None:
        """get_settings() returns {name: value} that can travel to the GUI by pickle."""
        camera, _ = connected
        settings = camera.get_settings()
        assert isinstance(settings, dict) and all(isinstance(k, str) for k in settings)
        assert pickle.loads(pickle.dumps(settings)) == settings

    def test_unknown_setting_is_a_clear_error(self, connected: tuple[Any, CameraInfo]) -> None:
        """set_setting of an unknown name raises CameraError/ValueError naming it."""
        camera, _ = connected
        with pytest.raises((CameraError, ValueError, KeyError)) as caught:
            camera.set_setting("no_such_setting_xyz", 1)
        assert "no_such_setting_xyz" in str(caught.value), str(caught.value)

    def test_a_writable_setting_reads_back(self, connected: tuple[Any, CameraInfo]) -> None:
        """The ``writable_setting`` (if declared) reads back from get_settings()."""
        assert self.writable_setting is not None
        camera, _ = connected
        name, value = self.writable_setting
        camera.set_setting(name, value)
        assert camera.get_settings()[name] == value

    # ------------------------------------------------------------------ processes
    def test_works_in_a_spawned_process_without_qt(self, camera_spec: CameraSpec) -> None:
        """Built from pickled factory and options in a fresh process, it grabs; no Qt."""
        info, qt, shape = run_spawned(check_camera_in_fresh_process, camera_spec.factory,
                                      dict(camera_spec.options))
        assert qt == [], f"the camera imported Qt: {qt}"
        assert shape == info.shape

    def test_runs_in_a_session(self, camera_spec: CameraSpec,
                               magscope_hub: HubFactory) -> None:
        """A real session: frames reach the shared ring, numbered, with rising times."""
        hub = magscope_hub.camera(
            camera_spec, commands=[(c, "under-test", "under-test") for c in self.commands])
        counters = hub.resources.counters()
        deadline = time.monotonic() + 20.0
        while counters.get("camera_frames") < 10:
            assert time.monotonic() < deadline, "fewer than 10 frames in 20 s"
            assert not hub.errors, [str(e.error) for e in hub.errors]
            time.sleep(0.05)
        ring = hub.resources.ring()
        first = ring.peek_latest()
        assert first is not None and first.frame.shape == hub.resources.camera_info.shape
        while (later := ring.peek_latest()) is None or later.frame_number <= first.frame_number:
            assert time.monotonic() < deadline, "the ring got no newer frame"
            time.sleep(0.02)
        assert later.timestamp > first.timestamp, (first.timestamp, later.timestamp)
        assert not hub.errors, [str(e.error) for e in hub.errors]
