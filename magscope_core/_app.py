"""Assemble a session from plugins and settings: which managers run, with what options."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from magscope_core._acquisition import mode_parts
from magscope_core._camera_manager import CameraManager
from magscope_core._commands import CommandSpec
from magscope_core._hub import HubConfig
from magscope_core._hub_child import ManagerEntry
from magscope_core._pipeline import PipelineManager
from magscope_core._plugins import Contribution, PluginSet
from magscope_core._settings import CoreSettings, SettingsStore, default_output_dir
from magscope_core._specs import CameraSpec, ManagerSpec, RestartPolicy, TrackerSpec
from magscope_core._version import __version__

__all__ = ["SessionPlan", "SetupError", "choose_camera", "choose_tracker", "plan_session"]

log = logging.getLogger("magscope")

CAMERA_MANAGER = "camera"
PIPELINE_MANAGER = "pipeline"
RESERVED_NAMES = frozenset({CAMERA_MANAGER, PIPELINE_MANAGER, "hub", "zlut"})


class SetupError(RuntimeError):
    """The session cannot be assembled (no camera, unknown writer, ...)."""


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
            raise SetupError(
                f"unknown camera {name!r}; installed cameras: {', '.join(sorted(cameras))}"
            )
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
            raise SetupError(
                f"unknown tracker {name!r}; installed trackers: "
                f"{', '.join(sorted(trackers)) or 'none'}"
            )
        return trackers[name]
    if not trackers:
        return None
    return max(trackers.values(), key=lambda c: (c.spec.priority, c.spec.name))


def _settings_for(store: SettingsStore | None, spec: Any) -> dict[str, Any]:
    """Factory keyword arguments from the settings namespace of a spec.

    That is the namespace whose schema is ``spec.settings`` or, without a schema, the
    namespace named like the spec.
    """
    if store is None:
        return {}
    schema = getattr(spec, "settings", None)
    for namespace in store.namespaces:
        if (schema is not None and store.schema(namespace) is schema) or (
            schema is None and namespace == spec.name
        ):
            return dict(attrs.asdict(store.get(namespace)))
    return {}


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
        Options for the camera factory, over the spec's and the settings' values.
    """
    core: CoreSettings = store.get("core") if store is not None else CoreSettings()
    cam = choose_camera(plugins, camera or core.default_camera or None)
    cam_options = {**cam.spec.options, **_settings_for(store, cam.spec),
                   **(camera_options or {})}
    trk = choose_tracker(plugins, tracker or core.default_tracker or None)
    mode = mode or core.acquisition_mode
    try:
        mode_parts(mode)
    except ValueError as exc:
        raise SetupError(str(exc)) from None
    if out_dir is None:
        out_dir = Path(core.output_dir) if core.output_dir else default_output_dir()
        out_dir = out_dir / time.strftime("%Y-%m-%d_%H-%M-%S")
    available = dict(plugins.writers)
    if writers is None:
        chosen = [n for n, c in sorted(available.items()) if c.spec.default_enabled]
    else:
        unknown = [w for w in writers if w not in available]
        if unknown:
            raise SetupError(
                f"unknown writer(s) {', '.join(unknown)}; installed writers: "
                f"{', '.join(sorted(available)) or 'none'}"
            )
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
            {**available[name].spec.options, **_settings_for(store, available[name].spec)},
        )
        for name in chosen
    ]
    entries = [
        ManagerEntry(
            ManagerSpec(
                CAMERA_MANAGER,
                cam.spec.manager or CameraManager,
                options={"camera_factory": cam.spec.factory, "camera_options": cam_options},
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
                         {**trk.spec.options, **_settings_for(store, trk.spec)})
                        if trk is not None else None
                    ),
                    "n_workers": n_workers or core.tracker_workers,
                    "task_timeout_s": core.tracker_task_timeout_s,
                    "mode": mode,
                    "saving": saving,
                    "zlut_path": str(zlut) if zlut else None,
                },
                restart=RestartPolicy("restart"),
                description="stack dispatcher and writers",
            )
        ),
    ]
    if with_managers:
        for name, contrib in sorted(plugins.managers.items()):
            if name in RESERVED_NAMES:
                raise SetupError(
                    f"plugin {contrib.plugin!r} ({contrib.distribution}) contributes a manager "
                    f"named {name!r}, a name reserved by the core "
                    f"({', '.join(sorted(RESERVED_NAMES))}); rename it or disable the plugin "
                    "with MAGSCOPE_DISABLE_PLUGINS"
                )
            if contrib.spec.autostart:
                entries.append(ManagerEntry(contrib.spec, contrib.plugin, contrib.distribution))
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
    )
