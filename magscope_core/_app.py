"""Assemble a session from plugins and settings: which managers run, with what options."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from magscope_core._acquisition import MODES, mode_parts
from magscope_core._camera_manager import CameraManager
from magscope_core._commands import CommandSpec, Route
from magscope_core._config_errors import (
    ConfigurationError,
    check_call,
    unknown_name,
)
from magscope_core._hub import HubConfig
from magscope_core._hub_child import ManagerEntry
from magscope_core._import_path import resolve_factory
from magscope_core._locks import LOCKS_MANAGER
from magscope_core._options import check_options, settings_for
from magscope_core._pipeline import PipelineManager
from magscope_core._plugins import Contribution, PluginSet
from magscope_core._settings import CoreSettings, SettingsStore, default_output_dir
from magscope_core._specs import CameraSpec, ManagerSpec, RestartPolicy, TrackerSpec
from magscope_core._version import __version__
from magscope_core._zlut_check import check_zlut, usable_remembered_zlut
from magscope_core._zlut_memory import auto_sweep_settings

__all__ = [
    "SessionPlan",
    "SetupError",
    "choose_camera",
    "choose_tracker",
    "plan_session",
    "plugin_managers",
    "prepare_out_dir",
]

log = logging.getLogger("magscope")

CAMERA_MANAGER = "camera"
PIPELINE_MANAGER = "pipeline"
RESERVED_NAMES = frozenset({CAMERA_MANAGER, PIPELINE_MANAGER, "hub", "zlut"})


class SetupError(ConfigurationError, RuntimeError):
    """The session cannot be assembled (no camera, unknown writer, ...).

    A :class:`~magscope_core.ConfigurationError`: ``magscope run`` shows it as one line
    and exits with code 2.
    """


@attrs.frozen
class SessionPlan:
    """What a run starts: manager entries, command specs, hub configuration, outputs."""

    managers: tuple[ManagerEntry, ...]
    commands: tuple[tuple[CommandSpec, str, str], ...]
    config: HubConfig
    out_dir: Path
    camera: str
    writers: tuple[str, ...]
    tracker: str | None = None
    mode: str = "track"
    zlut: str | None = None
    """The Z-LUT file loaded at start, if any."""
    zlut_origin: str = ""
    """Where it comes from: ``"given"`` (``--zlut``) or ``"remembered"`` (this camera's
    last one)."""
    auto_zlut: bool = False
    """No Z-LUT yet and the camera declares ``auto_zlut``: sweep one after the beads are in
    (:func:`~magscope_core._zlut_run.sweep_at_start`)."""


def choose_camera(plugins: PluginSet, name: str | None) -> Contribution[CameraSpec]:
    """The camera named ``name``, or the installed camera with the highest priority.

    Raises
    ------
    SetupError
        If no camera plugin is installed or ``name`` is not one of them.
    """
    cameras = dict(plugins.cameras)
    if not cameras:
        raise SetupError(
            "no camera plugin is installed: install one (e.g. 'pip install -e plugins/sim') "
            "and check 'magscope plugins'"
        )
    if name:
        if name not in cameras:
            raise SetupError(str(unknown_name("camera", name, cameras,
                                              plural="installed cameras")))
        return cameras[name]
    return max(cameras.values(), key=lambda c: (c.spec.priority, c.spec.name))


def choose_tracker(plugins: PluginSet, name: str | None) -> Contribution[TrackerSpec] | None:
    """The tracker named ``name``, or the installed one with the highest priority.

    Returns None when no tracker plugin is installed (frames are still recorded).

    Raises
    ------
    SetupError
        If ``name`` is given but not installed.
    """
    trackers = dict(plugins.trackers)
    if name:
        if name not in trackers:
            raise SetupError(str(unknown_name("tracker", name, trackers,
                                              plural="installed trackers")))
        return trackers[name]
    if not trackers:
        return None
    return max(trackers.values(), key=lambda c: (c.spec.priority, c.spec.name))


def _camera_options(cam: Contribution[CameraSpec], given: dict[str, Any]) -> dict[str, Any]:
    """The user's camera options, converted and checked when the camera declares them."""
    if not given or cam.spec.settings is None:
        return dict(given)
    return check_options(cam.spec.settings, given, f"camera {cam.spec.name!r}")


def prepare_out_dir(path: Path) -> Path:
    """Create the output folder (and its parents) and check it is writable.

    Raises
    ------
    ConfigurationError
        Naming the folder and why it cannot be used.
    """
    hint = "choose another folder with --out (or the core.output_dir setting)"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        blocker = next((p for p in (path, *path.parents) if p.exists()), None)
        why = exc.strerror or str(exc)
        if blocker is not None and not blocker.is_dir():
            why = f"{blocker} is a file, not a folder"
        raise ConfigurationError(f"output folder {path} cannot be created: {why}; "
                                 f"{hint}") from exc
    if not os.access(path, os.W_OK | os.X_OK):
        raise ConfigurationError(f"output folder {path} is not writable; {hint}")
    return path


def _direct_commands(spec: ManagerSpec, routes: dict[type, Route]) -> set[type]:
    """The command types ``spec``'s manager handles that have a single owner."""
    handlers = getattr(resolve_factory(spec.factory), "handlers", None)
    handled = {cmd for cmd, _ in handlers()} if callable(handlers) else set()
    return {cmd for cmd in handled if routes.get(cmd, Route.DIRECT) is not Route.BROADCAST}


def plugin_managers(plugins: PluginSet, store: SettingsStore | None,
                    requested: Sequence[str] = (), *,
                    autostart: bool = True) -> list[ManagerEntry]:
    """The plugins' managers a session starts: the ``autostart`` ones and ``requested``.

    With ``autostart`` false only the requested ones (``--no-managers`` with a frontend
    that needs the locks manager, for instance).

    A requested manager (one with ``autostart=False``, e.g. a stage that must be
    configured first) replaces an autostarted one that handles one of the same direct
    commands: naming a real focus stage leaves the simulator's focus motor out. A settings
    namespace named like a manager supplies its options.

    Raises
    ------
    SetupError
        An unknown requested name, or a manager that takes a name the core reserves.
    """
    available = dict(plugins.managers)
    for name in requested:
        if name not in available:
            raise SetupError(str(unknown_name("manager", name, available,
                                              plural="installed managers")))
    routes = {c.spec.command: c.spec.route for c in plugins.commands.values()}
    taken: set[type] = set()
    for name in requested:
        taken |= _direct_commands(available[name].spec, routes)
    entries: list[ManagerEntry] = []
    for name, contrib in sorted(available.items()):
        if name in RESERVED_NAMES:
            raise SetupError(
                f"plugin {contrib.plugin!r} ({contrib.distribution}) contributes a manager "
                f"named {name!r}, a name reserved by the core "
                f"({', '.join(sorted(RESERVED_NAMES))}); rename it or disable the plugin "
                "with MAGSCOPE_DISABLE_PLUGINS"
            )
        spec = contrib.spec
        if name not in requested:
            if not (autostart and spec.autostart):
                continue
            clash = _direct_commands(spec, routes) & taken
            if clash:
                log.info("manager %s left out: %s handle(s) %s", name,
                         ", ".join(requested), ", ".join(sorted(c.__name__ for c in clash)))
                continue
        configured = settings_for(store, spec)
        if configured:
            spec = attrs.evolve(spec, options={**spec.options, **configured})
        entries.append(ManagerEntry(spec, contrib.plugin, contrib.distribution))
    return entries


def plan_session(
    plugins: PluginSet,
    store: SettingsStore | None = None,
    *,
    camera: str | None = None,
    out_dir: Path | None = None,
    writers: Sequence[str] | None = None,
    with_managers: bool = True,
    tracker: str | None = None,
    mode: str | None = None,
    saving: bool = True,
    zlut: Path | None = None,
    n_workers: int | None = None,
    camera_options: dict[str, Any] | None = None,
    locks: bool = False,
    managers: Sequence[str] = (),
) -> SessionPlan:
    """Decide what a run starts.

    Parameters
    ----------
    plugins
        The loaded plugins.
    store
        Settings (``core`` and each plugin's namespace); defaults when ``None``.
    camera
        Camera name (default: the ``core.default_camera`` setting, else the highest
        priority installed camera).
    out_dir
        Output folder (default: ``core.output_dir``, else the user's data folder).
    writers
        Writer names to enable (default: every writer whose spec is enabled by default).
    with_managers
        Also start every ``autostart`` manager that plugins contribute.
    tracker
        Tracker name (default: ``core.default_tracker``, else the highest priority).
    mode
        Acquisition mode (default: ``core.acquisition_mode``).
    saving
        Whether writers get data from the start.
    zlut
        A Z-LUT file to load at start.
    n_workers
        Tracker worker processes (default: ``core.tracker_workers``).
    camera_options
        Options for the camera factory, over the spec's and the settings' values; text
        is converted to the declared types when the camera declares a settings schema.
    locks
        Start the ``locks`` manager (XY- and Z-lock), even with ``with_managers`` False.
        Without it a lock command is answered with one line saying how to enable locks.
    managers
        Names of plugin managers started on demand (``autostart`` False) to start too,
        even with ``with_managers`` False (a frontend's :attr:`FrontendSpec.managers`).

    Raises
    ------
    ConfigurationError
        Naming the thing, the value and what is allowed (with a "did you mean"): an
        unknown camera, tracker, writer or mode (a :class:`SetupError`), a camera option
        the camera does not declare or accept or whose value is out of range, or a Z-LUT
        file the tracker cannot read.
    """
    core: CoreSettings = store.get("core") if store is not None else CoreSettings()
    cam = choose_camera(plugins, camera or core.default_camera or None)
    cam_options = {**cam.spec.options, **settings_for(store, cam.spec),
                   **_camera_options(cam, camera_options or {})}
    if cam.spec.settings is None and cam.spec.manager is None:
        check_call(cam.spec.factory, cam_options, f"camera {cam.spec.name!r}")
    trk = choose_tracker(plugins, tracker or core.default_tracker or None)
    zlut_origin = ""
    if zlut is not None:
        check_zlut(trk, zlut, store)
        zlut_origin = "given"
    elif trk is not None:
        zlut = usable_remembered_zlut(cam.spec.name, trk, store, core.roi_size)
        zlut_origin = "remembered" if zlut is not None else ""
    auto = (zlut is None and trk is not None and cam.spec.auto_zlut
            and auto_sweep_settings() is not None)
    mode = mode or core.acquisition_mode
    try:
        mode_parts(mode)
    except ValueError:
        raise SetupError(str(unknown_name("acquisition mode", mode, MODES,
                                          plural="modes"))) from None
    if out_dir is None:
        out_dir = Path(core.output_dir) if core.output_dir else default_output_dir()
        out_dir = out_dir / time.strftime("%Y-%m-%d_%H-%M-%S")
    available = dict(plugins.writers)
    if writers is None:
        chosen = [n for n, c in sorted(available.items()) if c.spec.default_enabled]
    else:
        unknown = [w for w in writers if w not in available]
        if unknown:
            raise SetupError(str(unknown_name("writer", unknown[0], available,
                                              plural="installed writers")))
        chosen = list(writers)
    metadata = {
        "magscope_core_version": __version__,
        "camera": cam.spec.name,
        "camera_plugin": cam.origin,
        "tracker": trk.spec.name if trk is not None else None,
        "acquisition_mode": mode,
        "plugins": {p.name: p.version for p in plugins.loaded},
        "settings": store.to_dict() if store is not None else {},
    }
    writer_list = [
        (
            name,
            available[name].spec.factory,
            {**available[name].spec.options, **settings_for(store, available[name].spec)},
        )
        for name in chosen
    ]
    entries = [
        ManagerEntry(
            ManagerSpec(
                CAMERA_MANAGER,
                cam.spec.manager or CameraManager,
                options={"camera_factory": cam.spec.factory, "camera_options": cam_options,
                         "batch_frames": core.camera_batch_frames},
                restart=RestartPolicy("restart"),
                description=f"camera {cam.spec.name}",
            ),
            plugin=cam.plugin,
            distribution=cam.distribution,
            kind="camera",
        ),
        ManagerEntry(
            ManagerSpec(
                PIPELINE_MANAGER,
                PipelineManager,
                options={
                    "writers": writer_list,
                    "out_dir": str(out_dir),
                    "metadata": metadata,
                    "tracker": (
                        (trk.spec.name, trk.spec.factory,
                         {**trk.spec.options, **settings_for(store, trk.spec)})
                        if trk is not None else None
                    ),
                    "n_workers": n_workers or core.tracker_workers,
                    "task_timeout_s": core.tracker_task_timeout_s,
                    "writer_batch_s": core.writer_batch_s,
                    "mode": mode,
                    "saving": saving,
                    "zlut_path": str(zlut) if zlut else None,
                },
                restart=RestartPolicy("restart"),
                description="stack dispatcher and writers",
            )
        ),
    ]
    wanted = [*managers, *((LOCKS_MANAGER,) if locks and LOCKS_MANAGER not in managers
                           else ())]
    entries.extend(plugin_managers(plugins, store, wanted, autostart=with_managers))
    commands = tuple(
        (c.spec, c.plugin, c.distribution)
        for c in plugins.commands.values()
        if c.distribution != "magscope-core"
    )
    config = HubConfig(
        n_stacks=core.n_stacks,
        stack_size=core.stack_size,
        tracks_capacity=core.tracks_capacity,
        max_beads=core.max_beads,
        profile_length=core.profile_length,
        heartbeat_interval_s=core.heartbeat_interval_s,
        heartbeat_timeout_s=core.heartbeat_timeout_s,
        join_timeout_s=core.join_timeout_s,
        log_level=logging.getLevelName(core.log_level),
        roi_size=core.roi_size,
    )
    return SessionPlan(
        managers=tuple(entries),
        commands=commands,
        config=config,
        out_dir=out_dir,
        camera=cam.spec.name,
        writers=tuple(chosen),
        tracker=trk.spec.name if trk is not None else None,
        mode=mode,
        zlut=str(zlut) if zlut else None,
        zlut_origin=zlut_origin,
        auto_zlut=auto,
    )
