"""Assemble a session from plugins and settings: which managers run, with what options."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from magscope_core._camera_manager import CameraManager
from magscope_core._commands import CommandSpec
from magscope_core._hub import HubConfig
from magscope_core._hub_child import ManagerEntry
from magscope_core._pipeline import PipelineManager
from magscope_core._plugins import Contribution, PluginSet
from magscope_core._settings import CoreSettings, SettingsStore, default_output_dir
from magscope_core._specs import CameraSpec, ManagerSpec, RestartPolicy
from magscope_core._version import __version__

__all__ = ["SessionPlan", "SetupError", "choose_camera", "plan_session"]

log = logging.getLogger("magscope")

CAMERA_MANAGER = "camera"
PIPELINE_MANAGER = "pipeline"


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


def _settings_for(store: SettingsStore | None, namespace: str) -> dict[str, Any]:
    if store is None:
        return {}
    try:
        return dict(attrs.asdict(store.get(namespace)))
    except Exception:
        return {}


def plan_session(
    plugins: PluginSet,
    store: SettingsStore | None = None,
    *,
    camera: str | None = None,
    out_dir: Path | None = None,
    writers: Sequence[str] | None = None,
    with_managers: bool = True,
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
    """
    core: CoreSettings = store.get("core") if store is not None else CoreSettings()
    cam = choose_camera(plugins, camera or core.default_camera or None)
    cam_options = {**cam.spec.options, **_settings_for(store, cam.spec.name)}
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
        "plugins": {p.name: p.version for p in plugins.loaded},
        "settings": store.to_dict() if store is not None else {},
    }
    writer_list = [
        (
            name,
            available[name].spec.factory,
            {**available[name].spec.options, **_settings_for(store, name)},
        )
        for name in chosen
    ]
    entries = [
        ManagerEntry(
            ManagerSpec(
                CAMERA_MANAGER,
                CameraManager,
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
                options={"writers": writer_list, "out_dir": str(out_dir), "metadata": metadata},
                restart=RestartPolicy("restart"),
                description="stack dispatcher and writers",
            )
        ),
    ]
    if with_managers:
        for name, contrib in sorted(plugins.managers.items()):
            if contrib.spec.autostart and name not in (CAMERA_MANAGER, PIPELINE_MANAGER):
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
    )
    return SessionPlan(
        managers=tuple(entries),
        commands=commands,
        config=config,
        out_dir=out_dir,
        camera=cam.spec.name,
        writers=tuple(chosen),
    )
