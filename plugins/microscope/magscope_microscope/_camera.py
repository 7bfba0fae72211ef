"""A python-microscope camera as a MagScope camera (the :class:`magscope_core.Camera` protocol).

python-microscope cameras push frames to a *client*: the device calls
``client.receiveData(data, timestamp)`` from its own dispatch thread. Our client is a
small receiver with a bounded queue; in-process it is passed as an object, for a device
server it is served by a Pyro daemon of our own on the interface that reaches the server.
A software-triggered camera gets one trigger ahead (the next frame is exposed while we
copy the last one into the ring); a camera on a hardware trigger just streams.

The frame size and pixel type are learnt from a first frame when connecting
(python-microscope has no pixel-type query): they are what the ring is sized for.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import Pyro4

from magscope_core import CameraError, CameraInfo
from magscope_microscope._camera_settings import EXPOSURE, SettingMap
from magscope_microscope._link import COMMUNICATION_ERRORS, DeviceLink

__all__ = ["FrameReceiver", "MicroscopeCamera"]

log = logging.getLogger("magscope.microscope")

_DTYPES = {np.dtype(np.uint8): 8, np.dtype(np.uint16): 16, np.dtype(np.uint32): 32}


class FrameReceiver:
    """The client python-microscope sends frames to (a bounded queue; oldest kept)."""

    def __init__(self, capacity: int = 32) -> None:
        self.frames: queue.Queue[tuple[Any, float]] = queue.Queue(maxsize=capacity)
        self.overflow = 0

    def receiveData(self, data: Any, timestamp: float, *args: Any) -> None:
        """python-microscope's client call (its name is fixed by the library)."""
        try:
            self.frames.put_nowait((data, float(timestamp)))
        except queue.Full:
            self.overflow += 1


Pyro4.expose(FrameReceiver)  # served to a device server (receiveData only: public methods)


class MicroscopeCamera:
    """Any python-microscope camera: in this process or behind a device server.

    Parameters
    ----------
    device, args
        In-process camera: its class (``"microscope.simulators:SimulatedCamera"``) and a
        JSON object of keyword arguments.
    uri
        Remote camera: the Pyro URI a ``device-server`` serves it at.
    nm_per_px
        Pixel pitch in the sample plane (python-microscope does not know it).
    fps
        Nominal frame rate for the metadata; 0: from the camera's cycle time.
    exposure_ms
        Exposure set when connecting; 0: leave the camera's.
    bits
        Significant bits per pixel; 0: all bits of the pixel type.
    timeout_s, reconnect_s
        Longest remote call; period of reconnection attempts after the camera was lost.
    """

    def __init__(self, device: str = "", args: str | Mapping[str, Any] = "", uri: str = "",
                 nm_per_px: float = 100.0, fps: float = 0.0, exposure_ms: float = 0.0,
                 bits: int = 0, timeout_s: float = 5.0, reconnect_s: float = 1.0) -> None:
        self.link = DeviceLink("camera", device=device, args=args, uri=uri,
                               timeout_s=timeout_s, reconnect_s=reconnect_s)
        self.nm_per_px = float(nm_per_px)
        self.fps = float(fps)
        self.exposure_ms = float(exposure_ms)
        self.bits = int(bits)
        self.info: CameraInfo | None = None
        self.settings: SettingMap | None = None
        self.receiver = FrameReceiver()
        self._daemon: Any = None
        self._client: Any = self.receiver
        self._software = True
        self._triggered_at: float | None = None
        self._cycle_s = 0.1
        self._wake = threading.Event()  # never set: a bounded sleep while the camera is lost

    # -- connection --------------------------------------------------------------------
    def connect(self) -> CameraInfo:
        """Open the camera, start it, learn the frame size and type from a first frame."""
        try:
            self.link.open()
            if self.link.remote:
                self._serve_receiver()
            self._prepare(self.link.device)
            if self.exposure_ms > 0:
                self.link.device.set_exposure_time(self.exposure_ms / 1000.0)
            self._cycle_s = max(float(self.link.device.get_cycle_time()), 1e-4)
            first = self._first_frame()
        except COMMUNICATION_ERRORS as exc:
            raise CameraError(f"python-microscope camera at {self.link.where} not reachable: "
                              f"{type(exc).__name__}: {exc}") from None
        dtype = first.dtype
        if first.ndim != 2 or dtype not in _DTYPES:
            raise CameraError(
                f"python-microscope camera {self.link.where} delivers {dtype} frames of shape "
                f"{first.shape}; MagScope takes 2-D uint8, uint16 or uint32 frames (set the "
                "camera's pixel type, e.g. its 'image data type' setting)")
        height, width = (int(n) for n in first.shape)
        model = type(self.link.device).__name__ if not self.link.remote else self.link.uri
        self.info = CameraInfo(width=width, height=height, dtype=str(dtype),
                               bits=self.bits or _DTYPES[dtype], nm_per_px=self.nm_per_px,
                               fps=self.fps or 1.0 / self._cycle_s,
                               model=f"python-microscope {model}", serial=self.link.where)
        return self.info

    def _serve_receiver(self) -> None:
        """Serve our receiver on the interface the device server reaches us by."""
        if self._daemon is not None:
            return
        host = Pyro4.core.URI(self.link.uri).host
        local = host in ("localhost", "127.0.0.1", "::1")
        daemon = Pyro4.Daemon(host="127.0.0.1" if local else Pyro4.socketutil.getIpAddress(
            host, workaround127=True))
        uri = daemon.register(self.receiver)
        threading.Thread(target=daemon.requestLoop, name="magscope-microscope-receiver",
                         daemon=True).start()
        self._daemon = daemon
        self._client = str(uri)

    def _prepare(self, device: Any) -> None:
        """Point the camera at our receiver and start it (also after a reconnection)."""
        device.set_client(self._client)
        device.enable()
        self._software = str(getattr(device.trigger_type, "name", "SOFTWARE")) == "SOFTWARE"
        self._triggered_at = None
        self.settings = SettingMap(list(device.describe_settings()), self.link.where)

    def _first_frame(self) -> np.ndarray:
        deadline = time.monotonic() + max(self.link.timeout_s, 5 * self._cycle_s)
        while time.monotonic() < deadline:
            frame = self._next(deadline - time.monotonic())
            if frame is not None:
                return np.asarray(frame[0])
        raise CameraError(f"python-microscope camera {self.link.where} sent no frame within "
                          f"{max(self.link.timeout_s, 5 * self._cycle_s):g} s of being enabled")

    def disconnect(self) -> None:
        """Stop the camera and release it (a served camera stays with its server)."""
        device = self.link.device
        if device is not None:
            try:
                device.disable()
                if self.link.remote:
                    device.set_client(None)
            except Exception as exc:
                log.debug("python-microscope camera %s: disable failed: %s",
                          self.link.where, exc)
        self.link.close()
        if self._daemon is not None:
            self._daemon.shutdown()
            self._daemon = None

    # -- frames ------------------------------------------------------------------------
    def _next(self, timeout: float) -> tuple[Any, float] | None:
        """One frame from the receiver (triggering when needed), or None after ``timeout``."""
        now = time.monotonic()
        if self._software and (self._triggered_at is None
                               or now - self._triggered_at > max(2.0, 10 * self._cycle_s)):
            self.link.device.trigger()  # none outstanding, or it was lost with the server
            self._triggered_at = now
        try:
            item = self.receiver.frames.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return None
        self._triggered_at = None
        if self._software:  # the next exposure runs while this frame is copied
            self.link.device.trigger()
            self._triggered_at = time.monotonic()
        data, timestamp = item
        if isinstance(data, Exception):
            log.warning("python-microscope camera %s: %s", self.link.where, data)
            return None
        return data, timestamp

    def grab_into(self, out: np.ndarray, timeout: float) -> float | None:
        """Wait up to ``timeout`` s for the next frame, copy it into ``out``, return its time.

        While the camera is lost, waits (without spinning) and retries the connection.
        """
        assert self.info is not None, "connect() first"
        if not self.link.connected and not self.link.reconnect(self._prepare):
            self._wake.wait(min(timeout, self.link.due() or timeout))
            return None
        try:
            frame = self._next(timeout)
        except COMMUNICATION_ERRORS as exc:
            self.link.lost(exc)
            return None
        if frame is None:
            return None
        data, timestamp = frame
        image = np.asarray(data)
        if image.shape != self.info.shape or str(image.dtype) != self.info.dtype:
            raise CameraError(
                f"python-microscope camera {self.link.where} now sends {image.dtype} frames of "
                f"shape {image.shape}, not the {self.info.dtype} {self.info.shape} the session "
                "was sized for: a setting changed the image geometry; restart the session")
        np.copyto(out, image)
        return timestamp

    # -- settings ----------------------------------------------------------------------
    def get_settings(self) -> dict[str, Any]:
        """``exposure_ms`` and every setting of the device (an enum by its label)."""
        device, settings = self.link.device, self.settings
        if device is None or settings is None:
            raise CameraError(f"python-microscope camera {self.link.where} is not connected")
        try:
            values = dict(device.get_all_settings())
            exposure = float(device.get_exposure_time()) * 1000.0
        except COMMUNICATION_ERRORS as exc:
            self.link.lost(exc)
            raise CameraError(f"python-microscope camera {self.link.where} not reachable: "
                              f"{exc}") from None
        return {EXPOSURE: exposure,
                **{name: settings.shown(name, values.get(name)) for name in settings.descriptions}}

    def set_setting(self, name: str, value: Any) -> None:
        """Apply one setting (``exposure_ms`` or one of the device's own)."""
        device, settings = self.link.device, self.settings
        if device is None or settings is None:
            raise CameraError(f"python-microscope camera {self.link.where} is not connected")
        try:
            if name == EXPOSURE:
                try:
                    ms = float(value)
                except (TypeError, ValueError):
                    ms = float("nan")
                if not 0 < ms < 1e7:
                    raise ValueError(f"python-microscope camera {self.link.where}: setting "
                                     f"{EXPOSURE!r} = {value!r} rejected. Allowed: a number of "
                                     "milliseconds > 0.")
                device.set_exposure_time(ms / 1000.0)
                self._cycle_s = max(float(device.get_cycle_time()), 1e-4)
                return
            device.set_setting(name, settings.for_device(name, value))
        except COMMUNICATION_ERRORS as exc:
            self.link.lost(exc)
            raise CameraError(f"python-microscope camera {self.link.where} not reachable: "
                              f"{exc}") from None
