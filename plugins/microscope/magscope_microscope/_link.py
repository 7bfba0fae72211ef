"""A link to one python-microscope device: built in this process or served by a device server.

A device is configured in one of two ways:

- in-process: ``device="package.module:Name"`` (a device class, or any function that
  returns a device) and ``args``, a JSON object of its keyword arguments;
- remote: ``uri="PYRO:Name@host:port"``, a device served by python-microscope's
  ``device-server`` (the lab's usual set-up: one server process per machine with devices).

The link reports a device that stops answering once (one log line), retries on a fixed
period, and reports once more when it answers again: :meth:`DeviceLink.lost` and
:meth:`DeviceLink.reconnect`.
"""

from __future__ import annotations

import importlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import Pyro4
import Pyro4.errors

from magscope_core import ConfigurationError

__all__ = ["COMMUNICATION_ERRORS", "DeviceLink", "load_factory", "parse_args"]

log = logging.getLogger("magscope.microscope")

COMMUNICATION_ERRORS: tuple[type[BaseException], ...] = (
    Pyro4.errors.CommunicationError,  # includes ConnectionClosedError and TimeoutError
    ConnectionError,
    OSError,
)
"""What a device server that went away raises on a call."""

# python-microscope serialises numpy frames with pickle (its device server accepts it)
Pyro4.config.SERIALIZERS_ACCEPTED.add("pickle")


def load_factory(path: str, where: str) -> Callable[..., Any]:
    """Import ``"package.module:Name"`` (or ``"package.module.Name"``).

    Raises
    ------
    ConfigurationError
        One line naming the option, the value and what is allowed.
    """
    module_name, sep, attr = path.partition(":")
    if not sep:
        module_name, _, attr = path.rpartition(".")
    allowed = ("Allowed: an importable python-microscope device class or function, as "
               "'package.module:Name' (e.g. 'microscope.simulators:SimulatedCamera').")
    if not module_name or not attr:
        raise ConfigurationError(f"{where} device = {path!r} rejected: no module and name. "
                                 f"{allowed}")
    try:
        target: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(f"{where} device = {path!r} rejected: {exc}. {allowed}"
                                 ) from None
    if not callable(target):
        raise ConfigurationError(f"{where} device = {path!r} rejected: not callable. "
                                 f"{allowed}")
    return target  # type: ignore[no-any-return]


def parse_args(args: str | Mapping[str, Any], where: str) -> dict[str, Any]:
    """The device's keyword arguments from a JSON object (or a mapping).

    Raises
    ------
    ConfigurationError
        For text that is not a JSON object.
    """
    if isinstance(args, Mapping):
        return dict(args)
    text = args.strip()
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigurationError(f"{where} args = {args!r} rejected: not JSON ({exc.msg} at "
                                 f"column {exc.colno}). Allowed: a JSON object of keyword "
                                 "arguments, e.g. '{\"sensor_shape\": [512, 512]}'.") from None
    if not isinstance(value, dict):
        raise ConfigurationError(f"{where} args = {args!r} rejected: a JSON "
                                 f"{type(value).__name__}. Allowed: a JSON object of keyword "
                                 "arguments.")
    return value


class DeviceLink:
    """Open, watch and re-open one python-microscope device.

    Parameters
    ----------
    kind
        What the device is to us, for messages (``"camera"``, ``"focus stage"``).
    device, args
        In-process device: import path of its class (or a function returning it) and a
        JSON object of keyword arguments.
    uri
        Remote device: its Pyro URI (exclusive with ``device``).
    timeout_s
        Longest wait for one call to a remote device.
    reconnect_s
        Period of reconnection attempts after the device was lost.
    """

    def __init__(self, kind: str, *, device: str = "", args: str | Mapping[str, Any] = "",
                 uri: str = "", timeout_s: float = 5.0, reconnect_s: float = 1.0) -> None:
        where = f"python-microscope {kind}:"
        if bool(device) == bool(uri):
            raise ConfigurationError(
                f"{where} device = {device!r}, uri = {uri!r} rejected: give exactly one. "
                "Allowed: device='package.module:Class' (in this process, with args) or "
                "uri='PYRO:Name@host:port' (a running device-server).")
        if uri:
            try:
                Pyro4.core.URI(uri)
            except Pyro4.errors.PyroError as exc:
                raise ConfigurationError(f"{where} uri = {uri!r} rejected: {exc}. Allowed: "
                                         "'PYRO:Name@host:port'.") from None
            if args:
                raise ConfigurationError(f"{where} args = {args!r} rejected with a uri: the "
                                         "device server builds the device. Allowed: '' .")
        self.kind = kind
        self.uri = uri
        self.remote = bool(uri)
        self._factory = None if uri else load_factory(device, where)
        self._kwargs = {} if uri else parse_args(args, where)
        self.where = uri or device
        self.timeout_s = float(timeout_s)
        self.reconnect_s = float(reconnect_s)
        self.device: Any = None
        self.lost_since: float | None = None
        self._next_try = 0.0

    @property
    def connected(self) -> bool:
        """Whether the device is open and was answering at the last call."""
        return self.device is not None and self.lost_since is None

    def open(self) -> Any:
        """Build (in-process) or connect to (remote) the device and return it.

        Raises
        ------
        ConfigurationError
            An in-process device whose class refused its arguments.
        Exception
            What the device or the connection raised (see :data:`COMMUNICATION_ERRORS`).
        """
        if self._factory is not None:
            # python-microscope logs every frame at INFO: keep its own chatter out of ours
            logging.getLogger("microscope").setLevel(logging.WARNING)
            try:
                self.device = self._factory(**self._kwargs)
            except TypeError as exc:
                raise ConfigurationError(
                    f"python-microscope {self.kind}: device = {self.where!r} with args "
                    f"{self._kwargs!r} rejected: {exc}. Allowed: the keyword arguments of "
                    "that class.") from None
        else:
            proxy = Pyro4.Proxy(self.uri)
            proxy._pyroSerializer = "pickle"
            proxy._pyroTimeout = self.timeout_s
            proxy._pyroBind()  # connects now: an absent server fails here, not later
            self.device = proxy
        return self.device

    def lost(self, exc: BaseException) -> None:
        """Note that the device stopped answering (logged once until it is back)."""
        if self.lost_since is None:
            self.lost_since = time.monotonic()
            self._next_try = self.lost_since + self.reconnect_s
            log.warning("python-microscope %s at %s lost (%s: %s); reconnecting every %g s",
                        self.kind, self.where, type(exc).__name__, exc, self.reconnect_s)
        self._release()

    def due(self) -> float:
        """Seconds until the next reconnection attempt (0: now)."""
        return max(0.0, self._next_try - time.monotonic())

    def reconnect(self, prepare: Callable[[Any], None]) -> bool:
        """Try to open the lost device again (when due); ``prepare(device)`` sets it up.

        Returns True when the device answers again (logged once).
        """
        if self.lost_since is None:
            return True
        if self.due() > 0:
            return False
        self._next_try = time.monotonic() + self.reconnect_s
        try:
            device = self.open()
            prepare(device)
        except COMMUNICATION_ERRORS:
            self._release()
            return False
        log.warning("python-microscope %s at %s reconnected after %.1f s", self.kind,
                    self.where, time.monotonic() - self.lost_since)
        self.lost_since = None
        return True

    def _release(self) -> None:
        if self.remote and self.device is not None:
            try:
                self.device._pyroRelease()
            except Exception:
                pass
        if self.remote:
            self.device = None

    def close(self) -> None:
        """Forget the device: a remote one stays served, an in-process one is shut down."""
        device, self.device = self.device, None
        if device is None:
            return
        if self.remote:
            try:
                device._pyroRelease()
            except Exception:
                pass
            return
        try:
            device.shutdown()
        except Exception as exc:
            log.warning("python-microscope %s %s: shutdown failed: %s", self.kind,
                        self.where, exc)
