"""Spec records: what plugins return from their hooks.

Every hook returns attrs records rather than bare classes, so the core can validate them,
detect name conflicts and attribute each one to the distribution that provided it.
Factories must be importable module-level callables (classes or functions): they are
pickled *by reference* into ``spawn``-ed processes. Every factory field also takes an import
path ``"package.module:attribute"`` (converted to a :class:`~magscope_core.LazyFactory`), so a
hook module can declare its specs without importing the implementation (numba, h5py, a
vendor SDK): listing plugins and settings then stays quick.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal

import attrs

from magscope_core._import_path import as_factory, as_optional_factory

__all__ = [
    "CameraSpec",
    "FrontendSpec",
    "HealthCheckSpec",
    "HealthResult",
    "ManagerSpec",
    "PanelSpec",
    "RestartPolicy",
    "SettingsSpec",
    "TrackerSpec",
    "WriterSpec",
]

_NAME = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")


def _check_name(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not _NAME.match(value):
        raise ValueError(
            f"{type(instance).__name__}.{attribute.name}={value!r}: expected a lower-case "
            "identifier (letters, digits, '_', '.', '-'; starting with a letter; <= 64 chars)"
        )


def _check_callable(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not callable(value):
        raise TypeError(
            f"{type(instance).__name__}.{attribute.name} must be callable, got {value!r}"
        )


def _check_import_path(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not re.match(r"^[\w.]+:[\w.]+$", value):
        raise ValueError(
            f"{type(instance).__name__}.{attribute.name}={value!r}: expected an import "
            "path 'package.module:attribute'"
        )


def _check_schema(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not (isinstance(value, type) and attrs.has(value)):
        raise TypeError(
            f"{type(instance).__name__}.{attribute.name} must be an attrs class or None, "
            f"got {value!r}"
        )


def _names(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        raise TypeError(f"expected a sequence of command names, not the string {value!r}")
    return tuple(value)


@attrs.frozen
class RestartPolicy:
    """What the hub does when a manager process dies unexpectedly.

    Parameters
    ----------
    on_failure
        ``"restart"`` (with exponential backoff), ``"leave"`` (report and leave it
        stopped) or ``"stop_all"`` (report and end the session).
    max_restarts
        Restarts allowed within ``window_s`` before giving up (then it is left stopped).
    backoff_s, backoff_max_s
        First delay before a restart, doubled each time up to ``backoff_max_s``.
    window_s
        Window in which restarts are counted.
    """

    on_failure: Literal["restart", "leave", "stop_all"] = attrs.field(
        default="restart", validator=attrs.validators.in_(("restart", "leave", "stop_all"))
    )
    max_restarts: int = attrs.field(default=3, validator=attrs.validators.ge(0))
    backoff_s: float = attrs.field(default=0.5, validator=attrs.validators.ge(0.0))
    backoff_max_s: float = attrs.field(default=10.0, validator=attrs.validators.ge(0.0))
    window_s: float = attrs.field(default=300.0, validator=attrs.validators.gt(0.0))

    def delay(self, attempt: int) -> float:
        """Backoff delay before restart number ``attempt`` (1-based)."""
        return float(min(self.backoff_max_s, self.backoff_s * 2 ** max(0, attempt - 1)))


@attrs.frozen
class ManagerSpec:
    """A manager process contributed by a plugin (hardware, a controller, ...).

    Parameters
    ----------
    name
        Unique manager name; also its routing name and process name.
    factory
        A :class:`~magscope_core.ManagerProcess` subclass (module level, importable), or
        its import path ``"package.module:Class"``.
    options
        Keyword arguments for the factory (plain, picklable data).
    restart
        Supervision policy.
    autostart
        Whether ``magscope run`` starts it by default.
    description
        One line for ``magscope plugins``.
    """

    name: str = attrs.field(validator=_check_name)
    factory: Callable[..., Any] = attrs.field(converter=as_factory, validator=_check_callable)
    options: Mapping[str, Any] = attrs.field(factory=dict)
    restart: RestartPolicy = attrs.field(factory=RestartPolicy)
    autostart: bool = True
    description: str = ""


@attrs.frozen
class CameraSpec:
    """A camera contributed by a plugin.

    ``factory(**options)`` runs in the camera manager's process and returns an object that
    follows the :class:`~magscope_core.Camera` protocol.
    """

    name: str = attrs.field(validator=_check_name)
    factory: Callable[..., Any] = attrs.field(converter=as_factory, validator=_check_callable)
    options: Mapping[str, Any] = attrs.field(factory=dict)
    settings: type | None = attrs.field(default=None, validator=_check_schema)
    priority: int = 0
    """Higher wins when no camera is configured (a simulator uses 0, real cameras more)."""
    description: str = ""
    manager: Callable[..., Any] | None = attrs.field(default=None, converter=as_optional_factory)
    """A :class:`~magscope_core.CameraManager` subclass to run this camera with, e.g. to
    handle camera-specific commands; None for the standard one."""
    auto_zlut: bool = False
    """The camera knows its optics (a simulator): its first session makes a Z-LUT by a
    focus sweep, saves it in the user data folder and reuses it. A real camera leaves
    this False and never gets a Z-LUT it did not ask for."""


@attrs.frozen
class TrackerSpec:
    """A bead tracker contributed by a plugin.

    ``create(**options)`` returns an object with ``make_zlut(stack, z_nm)`` and
    ``track(rois, zlut)``; it runs inside tracker worker processes.
    """

    name: str = attrs.field(validator=_check_name)
    factory: Callable[..., Any] = attrs.field(converter=as_factory, validator=_check_callable)
    options: Mapping[str, Any] = attrs.field(factory=dict)
    settings: type | None = attrs.field(default=None, validator=_check_schema)
    priority: int = 0
    description: str = ""

    def create(self, **options: Any) -> Any:
        """Build a tracker: the spec's options updated with ``options``."""
        return self.factory(**{**self.options, **options})


@attrs.frozen
class WriterSpec:
    """A writer (HDF5 tracks, TIFF video, telemetry, ...) contributed by a plugin.

    ``factory(**options)`` returns a writer object run by the core's pipeline.
    """

    name: str = attrs.field(validator=_check_name)
    factory: Callable[..., Any] = attrs.field(converter=as_factory, validator=_check_callable)
    options: Mapping[str, Any] = attrs.field(factory=dict)
    settings: type | None = attrs.field(default=None, validator=_check_schema)
    default_enabled: bool = True
    description: str = ""


@attrs.frozen
class PanelSpec:
    """A GUI panel contributed by a plugin.

    The factory is an import path (``"pkg.module:Class"``) so the Qt-free core never
    imports GUI code; the GUI plugin imports it when it builds the window.
    """

    id: str = attrs.field(validator=_check_name)
    title: str
    factory: str = attrs.field(validator=_check_import_path)
    area: str = "Run"
    order: int = 0
    description: str = ""
    requires: tuple[str, ...] = attrs.field(default=(), converter=_names,
                                            validator=attrs.validators.deep_iterable(
                                                attrs.validators.instance_of(str)))
    """Names of commands (``"MoveFocus"``) that a manager of the session must handle: a
    frontend leaves the panel out of sessions where one of them has no handler (a focus
    panel without a focus motor). Empty: the panel is always shown."""


@attrs.frozen
class FrontendSpec:
    """A user interface that can run a session (the GUI is one).

    ``run`` is an import path (``"pkg.module:function"``) so the core never imports GUI
    code; ``magscope run`` calls ``function(hub, plan, args) -> int`` in the main process
    when a display is available and ``--headless`` is not given. ``priority`` picks one
    when several are installed.

    With ``starts_session=False`` (the default) the hub is already started when
    ``function`` is called. With ``starts_session=True`` the hub is not started yet: the
    frontend shows itself first and calls ``args.start_session()`` (it starts the hub and
    does the CLI's start-up work, such as adding bead ROIs; it may raise) in a thread
    of its own, following the steps with :meth:`~magscope_core.Hub.add_startup_listener`.
    It must wait for that call to return before returning itself, whatever happens
    (window closed, Ctrl-C), so that the CLI can stop the hub.

    ``managers`` names managers that are not started by default (``autostart`` False,
    such as the core's ``locks``) that sessions run with this frontend start (unless
    ``magscope run --no-managers``): the GUI has lock panels, so it names ``locks``.
    """

    name: str = attrs.field(validator=_check_name)
    run: str = attrs.field(validator=_check_import_path)
    needs_display: bool = True
    priority: int = 0
    description: str = ""
    starts_session: bool = False
    managers: tuple[str, ...] = attrs.field(default=(), converter=_names)


@attrs.frozen
class SettingsSpec:
    """A settings namespace contributed by a plugin (an attrs class of ``setting`` fields)."""

    namespace: str = attrs.field(validator=_check_name)
    schema: type = attrs.field(validator=_check_schema)


@attrs.frozen
class HealthResult:
    """Outcome of a health check."""

    ok: bool
    message: str = ""


@attrs.frozen
class HealthCheckSpec:
    """A health check (``check()`` returns a :class:`HealthResult`), run by ``magscope doctor``."""

    name: str = attrs.field(validator=_check_name)
    check: Callable[[], HealthResult] = attrs.field(converter=as_factory,
                                                    validator=_check_callable)
    description: str = ""
