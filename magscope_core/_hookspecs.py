# mypy: disable-error-code="empty-body"
# (hook specifications are signatures only; pluggy never calls their bodies)
"""The hook set: what a MagScope plugin can contribute.

A plugin is a module (or object) that defines one or more of the functions below, each
decorated with :data:`hookimpl`, and is announced through the ``magscope`` entry-point group
in the ``pyproject.toml`` of the plugin distribution::

    [project]
    dependencies = ["magscope-core>=0.1,<0.2"]   # the plugin API you were written against

    [project.entry-points.magscope]
    my_camera = "my_camera_pkg.plugin"

The module the entry point names, ``my_camera_pkg/plugin.py``::

    from magscope_core import CameraSpec, hookimpl

    @hookimpl
    def magscope_cameras():
        return [CameraSpec(name="my-cam", factory="my_camera_pkg._camera:MyCamera",
                           priority=10)]

Every hook takes no arguments and returns a list (or tuple) of typed spec records, never bare
classes or dicts: the core validates each record, reports name conflicts and attributes each
record to the plugin and distribution that provided it (``magscope plugins`` shows them).

Rules common to every hook:

- Return ``[]`` to contribute nothing; returning ``None``, a single record, a dict or a
  generator is an error reported against your plugin.
- Hooks may be called in the main process and again in ``spawn``-ed worker processes. Keep them
  cheap and free of side effects: build records, do not open hardware, start threads or import
  Qt. Factories referenced by the records must be module-level (importable) callables.
- Keep the hook module light: ``magscope plugins`` and ``magscope settings`` import it just to
  list. Name factories by import path (``"package.module:Class"``, turned into a
  :class:`~magscope_core.LazyFactory` imported on first use) rather than importing the
  implementation, and keep the package's ``__init__`` from importing heavy modules
  (numba, h5py, scipy, Qt, a vendor SDK; :func:`~magscope_core.lazy_exports` helps). Only
  what the core needs as objects is imported: settings classes and command classes.
- Names are lower-case identifiers (``[a-z][a-z0-9_.-]*``), unique per kind across all installed
  plugins. On a conflict the plugin registered first keeps the name; the other record is
  dropped and reported, naming both plugins and their distributions.
- A hook that raises, or returns the wrong type, makes the whole plugin fail: none of its
  records are used and ``magscope plugins`` shows the traceback. The application carries on
  (unless run with ``--strict-plugins``).
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import pluggy

from magscope_core._commands import CommandSpec
from magscope_core._specs import (
    CameraSpec,
    FrontendSpec,
    HealthCheckSpec,
    ManagerSpec,
    PanelSpec,
    SettingsSpec,
    TrackerSpec,
    WriterSpec,
)

__all__ = [
    "HOOK_KINDS",
    "PROJECT_NAME",
    "HookKind",
    "hookimpl",
    "hookspec",
    "magscope_cameras",
    "magscope_commands",
    "magscope_frontends",
    "magscope_health_checks",
    "magscope_managers",
    "magscope_panels",
    "magscope_settings",
    "magscope_trackers",
    "magscope_writers",
]

PROJECT_NAME = "magscope"
"""The pluggy project name; also the entry-point group plugins register under."""

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
"""Marker for hook specifications (used by the core only)."""

hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
"""Decorator for a plugin's hook implementations: ``@hookimpl def magscope_cameras(): ...``."""


@hookspec
def magscope_cameras() -> Sequence[CameraSpec]:
    """Cameras this plugin provides.

    Returns
    -------
    Sequence[CameraSpec]
        One :class:`~magscope_core.CameraSpec` per camera model or driver. ``factory(**options)``
        is called in the camera manager's process and must return an object following the
        :class:`~magscope_core.Camera` protocol; name it by import path so that listing does
        not import the vendor SDK. ``priority`` decides which camera is used when
        the user configured none (the simulator uses 0; real cameras use more). ``settings`` is
        an optional attrs class describing the camera's user settings.

    Examples
    --------
    ::

        @hookimpl
        def magscope_cameras():
            return [CameraSpec(name="acme-gige", factory="acme_pkg._camera:AcmeCamera",
                               priority=10)]
    """


@hookspec
def magscope_managers() -> Sequence[ManagerSpec]:
    """Manager processes this plugin provides (hardware managers and any other process).

    Returns
    -------
    Sequence[ManagerSpec]
        One :class:`~magscope_core.ManagerSpec` per process. ``name`` is also the routing name
        commands are addressed to, so it must be unique across all plugins. ``factory`` is a
        module-level :class:`~magscope_core.ManagerProcess` subclass, started with the
        ``spawn`` context and supervised according to ``restart``.

    Examples
    --------
    ::

        @hookimpl
        def magscope_managers():
            return [ManagerSpec(name="focus", factory="acme_pkg._focus:PiezoFocusManager",
                                options={"port": "COM3"})]
    """


@hookspec
def magscope_trackers() -> Sequence[TrackerSpec]:
    """Bead trackers this plugin provides.

    Returns
    -------
    Sequence[TrackerSpec]
        One :class:`~magscope_core.TrackerSpec` per tracking algorithm. ``create(**options)``
        runs inside tracker worker processes and returns an object with
        ``make_zlut(stack, z_nm)`` and ``track(rois, zlut)``.

    Examples
    --------
    ::

        @hookimpl
        def magscope_trackers():
            return [TrackerSpec(name="qi", factory="acme_pkg._qi:QITracker", priority=5)]
    """


@hookspec
def magscope_writers() -> Sequence[WriterSpec]:
    """Writers (track files, video files, telemetry, ...) this plugin provides.

    Returns
    -------
    Sequence[WriterSpec]
        One :class:`~magscope_core.WriterSpec` per output format. ``factory(**options)``
        returns a writer object driven by the core's recording pipeline;
        ``default_enabled`` says whether a new session records with it.

    Examples
    --------
    ::

        @hookimpl
        def magscope_writers():
            return [WriterSpec(name="tracks-csv", factory="acme_pkg._csv:CsvTrackWriter",
                               default_enabled=False)]
    """


@hookspec
def magscope_panels() -> Sequence[PanelSpec]:
    """GUI panels this plugin provides.

    Returns
    -------
    Sequence[PanelSpec]
        One :class:`~magscope_core.PanelSpec` per panel. ``factory`` is an import path
        ``"package.module:Class"`` (a string, so the Qt-free core never imports GUI code);
        ``id`` must be unique across all plugins; ``area`` and ``order`` place the panel.

    Examples
    --------
    ::

        @hookimpl
        def magscope_panels():
            return [PanelSpec(id="acme.focus", title="Focus",
                              factory="acme_pkg.panels.focus:FocusPanel")]
    """


@hookspec
def magscope_commands() -> Sequence[CommandSpec]:
    """Commands this plugin declares, with their routes.

    Returns
    -------
    Sequence[CommandSpec]
        One :class:`~magscope_core.CommandSpec` per command class the plugin defines (a frozen
        attrs subclass of :class:`~magscope_core.Command`), saying whether it goes to one owner,
        is broadcast, or goes to the hub. Declare each command once, in the plugin that defines
        it; command names (class names) must be unique across all plugins.

    Examples
    --------
    ::

        @hookimpl
        def magscope_commands():
            return [CommandSpec(command=MoveFocus, route=Route.DIRECT, scriptable=True)]
    """


@hookspec
def magscope_settings() -> Sequence[SettingsSpec]:
    """Settings namespaces this plugin owns.

    Returns
    -------
    Sequence[SettingsSpec]
        One :class:`~magscope_core.SettingsSpec` per namespace: a unique ``namespace`` (use
        your plugin's name) and an attrs class whose fields describe the settings, their
        defaults and validators.

    Examples
    --------
    ::

        @hookimpl
        def magscope_settings():
            return [SettingsSpec(namespace="acme", schema=AcmeSettings)]
    """


@hookspec
def magscope_frontends() -> Sequence[FrontendSpec]:
    """User interfaces this plugin provides (the GUI plugin returns its main window here).

    Returns
    -------
    Sequence[FrontendSpec]
        One :class:`~magscope_core.FrontendSpec` per interface. ``run`` is an import path
        ``"pkg.module:function"``; ``magscope run`` imports it only when it is about to
        use it and calls ``function(hub, plan, args)`` in the main process.

    Examples
    --------
    ::

        @hookimpl
        def magscope_frontends():
            return [FrontendSpec(name="gui", run="my_gui.app:run")]
    """


@hookspec
def magscope_health_checks() -> Sequence[HealthCheckSpec]:
    """Health checks this plugin provides, run by ``magscope doctor``.

    Returns
    -------
    Sequence[HealthCheckSpec]
        One :class:`~magscope_core.HealthCheckSpec` per check. ``check()`` returns a
        :class:`~magscope_core.HealthResult`; keep it quick (well under a second) and make its
        message say what to do when it fails (for example a missing driver).

    Examples
    --------
    ::

        @hookimpl
        def magscope_health_checks():
            return [HealthCheckSpec(name="acme-driver", check="acme_pkg._health:check_driver")]
    """


def _check_spec_type(instance: HookKind, attribute: attrs.Attribute[type], value: type) -> None:
    if not (isinstance(value, type) and attrs.has(value)):
        raise TypeError(f"HookKind.spec_type must be an attrs class, got {value!r}")


@attrs.frozen
class HookKind:
    """One row of the hook set: a hook, the record type it returns and the record's key.

    Parameters
    ----------
    hook
        Hook name, e.g. ``"magscope_cameras"``.
    kind
        Singular contribution kind shown to users, e.g. ``"camera"``.
    attribute
        Name of the per-kind lookup on :class:`~magscope_core.PluginSet`, e.g. ``"cameras"``.
    spec_type
        The attrs record every returned item must be an instance of.
    key
        The record attribute that must be unique across plugins (``"name"``, ``"id"``, ...).
    """

    hook: str
    kind: str
    attribute: str
    spec_type: type = attrs.field(validator=_check_spec_type)
    key: str

    @property
    def signature(self) -> str:
        """The expected implementation, as shown in error messages."""
        return f"def {self.hook}() -> Sequence[{self.spec_type.__name__}]"


HOOK_KINDS: tuple[HookKind, ...] = (
    HookKind("magscope_cameras", "camera", "cameras", CameraSpec, "name"),
    HookKind("magscope_managers", "manager", "managers", ManagerSpec, "name"),
    HookKind("magscope_trackers", "tracker", "trackers", TrackerSpec, "name"),
    HookKind("magscope_writers", "writer", "writers", WriterSpec, "name"),
    HookKind("magscope_panels", "panel", "panels", PanelSpec, "id"),
    HookKind("magscope_commands", "command", "commands", CommandSpec, "name"),
    HookKind("magscope_settings", "settings", "settings", SettingsSpec, "namespace"),
    HookKind("magscope_health_checks", "health_check", "health_checks", HealthCheckSpec, "name"),
    HookKind("magscope_frontends", "frontend", "frontends", FrontendSpec, "name"),
)
"""The hook set, in the order ``magscope plugins`` lists kinds."""
