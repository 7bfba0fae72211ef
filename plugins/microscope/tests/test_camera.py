"""python-microscope's own SimulatedCamera as a MagScope camera, in this process."""

from __future__ import annotations

import pickle
import time

import numpy as np
import pytest
from magscope_microscope import MicroscopeCamera
from microscope_testkit import gradient_matches

from magscope_core import Camera, CameraError, ConfigurationError

SIM = "microscope.simulators:SimulatedCamera"


@pytest.fixture
def camera():
    cam = MicroscopeCamera(device=SIM, args='{"sensor_shape": [96, 64]}', exposure_ms=2,
                           nm_per_px=80.0)
    yield cam
    cam.disconnect()


def test_connect_publishes_the_frame_geometry_from_a_first_frame(camera) -> None:
    assert isinstance(camera, Camera)
    info = camera.connect()
    # python-microscope's sensor_shape is (width, height); frames are (height, width)
    assert (info.width, info.height, info.dtype, info.bits) == (96, 64, "uint8", 8)
    assert info.nm_per_px == 80.0
    assert info.fps == pytest.approx(500.0)  # 1 / the 2 ms cycle time
    assert info.model == "python-microscope SimulatedCamera"


def test_frames_are_the_devices_pixels_with_rising_timestamps(camera) -> None:
    info = camera.connect()
    camera.set_setting("image pattern", "gradient")
    camera.set_setting("display image number", "false")
    out = np.zeros(info.shape, info.dtype)
    stamps = []
    for _ in range(20):
        before = time.time()
        t = camera.grab_into(out, 2.0)
        assert t is not None and t <= time.time() + 1e-3 and t > before - 1.0
        stamps.append(t)
    assert np.all(np.diff(stamps) > 0)
    assert gradient_matches(out)
    camera.set_setting("image pattern", "black")
    for _ in range(3):  # a frame exposed before the change may still be on its way
        camera.grab_into(out, 2.0)
    assert not out.any()


def test_grab_returns_none_within_its_timeout_when_no_frame_comes(camera) -> None:
    info = camera.connect()
    camera.set_setting(EXPOSURE := "exposure_ms", 800)
    out = np.zeros(info.shape, info.dtype)
    camera.grab_into(out, 0.01)  # the frame exposed before the change, if any
    t0 = time.monotonic()
    assert camera.grab_into(out, 0.2) is None
    assert 0.15 < time.monotonic() - t0 < 1.0
    assert camera.get_settings()[EXPOSURE] == 800.0


def test_settings_map_both_ways(camera) -> None:
    camera.connect()
    device = camera.link.device
    camera.set_setting("exposure_ms", 20)
    assert device.get_exposure_time() == pytest.approx(0.020)
    device.set_exposure_time(0.035)
    assert camera.get_settings()["exposure_ms"] == pytest.approx(35.0)
    camera.set_setting("gain", "12")
    assert device.get_setting("gain") == 12
    device.set_setting("gain", 40)
    settings = camera.get_settings()
    assert settings["gain"] == 40
    camera.set_setting("image pattern", "sawtooth")  # an enum by its label ...
    assert device.get_setting("image pattern") == 2
    camera.set_setting("image pattern", 4)  # ... or its index
    assert camera.get_settings()["image pattern"] == "black"
    camera.set_setting("display image number", "off")
    assert device.get_setting("display image number") is False
    assert set(settings) >= {"exposure_ms", "gain", "image pattern", "image data type"}


@pytest.mark.parametrize(("name", "value", "error", "message"), [
    ("gian", 3, CameraError, "unknown setting 'gian' (did you mean 'gain'?)"),
    ("gain", 9000, ValueError, "setting 'gain' = 9000 rejected. Allowed: 0 to 8192."),
    ("gain", 2.5, ValueError, "setting 'gain' = 2.5 rejected. Allowed: an integer."),
    ("image pattern", "stripes", ValueError,
     "Allowed: one of noise, gradient, sawtooth, one_gaussian, black, white (or its index)"),
    ("display image number", "maybe", ValueError, "Allowed: true or false."),
    ("exposure_ms", -1, ValueError, "Allowed: a number of milliseconds > 0."),
    ("exposure_ms", "fast", ValueError, "Allowed: a number of milliseconds > 0."),
])
def test_bad_settings_are_refused_in_one_line(camera, name, value, error, message) -> None:
    camera.connect()
    with pytest.raises(error) as err:
        camera.set_setting(name, value)
    assert message in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize(("options", "message"), [
    ({}, "give exactly one"),
    ({"device": SIM, "uri": "PYRO:x@127.0.0.1:1"}, "give exactly one"),
    ({"device": "microscope.simulators:NoSuchCamera"}, "device = 'microscope.simulators:No"),
    ({"device": "nomodule"}, "no module and name"),
    ({"device": SIM, "args": "{sensor_shape: 1}"}, "not JSON"),
    ({"device": SIM, "args": "[1, 2]"}, "a JSON list"),
    ({"uri": "http://host"}, "uri = 'http://host' rejected"),
])
def test_bad_configuration_is_one_line(options, message) -> None:
    with pytest.raises(ConfigurationError) as err:
        MicroscopeCamera(**options)
    assert message in str(err.value) and "\n" not in str(err.value)


# python-microscope's DataDevice.__del__ fails on the half-built device (its own bug)
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_wrong_constructor_arguments_are_a_configuration_error() -> None:
    cam = MicroscopeCamera(device=SIM, args='{"sensor_size": [8, 8]}')
    with pytest.raises(ConfigurationError, match="sensor_size"):
        cam.connect()


def test_float_frames_are_refused_when_connecting() -> None:
    cam = MicroscopeCamera(device="microscope_testkit:float_camera")
    with pytest.raises(CameraError, match="delivers float64 frames"):
        cam.connect()
    cam.disconnect()


def test_options_are_picklable_and_no_qt_is_imported() -> None:
    import subprocess
    import sys

    code = ("import sys, magscope_microscope.plugin as p; "
            "[s.factory for s in p.magscope_cameras()]; "
            "bad = [m for m in ('PySide6', 'microscope', 'PIL') if m in sys.modules]; "
            "assert not bad, bad")  # listing plugins imports neither Qt nor python-microscope
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    import attrs
    from magscope_microscope import MicroscopeCameraOptions

    options = attrs.asdict(MicroscopeCameraOptions(device=SIM, args='{"sensor_shape": [8, 8]}'))
    factory, again = pickle.loads(pickle.dumps((MicroscopeCamera, options)))
    assert factory is MicroscopeCamera and again == options
