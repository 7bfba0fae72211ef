"""MagScope core: processes, commands, shared buffers and plugins for magnetic tweezers.

The public API is flat: everything a plugin author or a script needs is importable from
``magscope_core``. Each name lives in one private module (one concept per module):

==========================  ===============================================
concept                     module
==========================  ===============================================
commands and routes         ``_commands`` (:class:`Command`, :class:`Route`)
command registry            ``_registry``
manager processes           ``_manager`` (:class:`ManagerProcess`, :func:`handles`)
hub and supervision         ``_hub`` (:class:`Hub`), ``_hub_child``
shared buffers              ``_buffers`` (video ring, tracks, ROIs, profile, counters)
plugin hooks and loading    ``_hookspecs``, ``_plugins``, ``_specs``
camera and writer contracts ``_camera``, ``_writer``
settings                    ``_settings``
session assembly            ``_app``, ``_session``, ``_pipeline``, ``_camera_manager``
==========================  ===============================================
"""

from __future__ import annotations

from magscope_core._app import SessionPlan, SetupError, choose_camera, plan_session
from magscope_core._buffers import (
    BeadRoiTable,
    LiveProfile,
    SessionMemory,
    SharedCounters,
    TracksMatrix,
    VideoRing,
    cleanup_stale_segments,
)
from magscope_core._builtin import (
    CameraConnected,
    FilesWritten,
    GetCameraSettings,
    GetPipelineStats,
    GetStatus,
    Ping,
    Quit,
    SetAcquisition,
    SetCameraSetting,
    Shutdown,
)
from magscope_core._camera import Camera, CameraError, CameraInfo
from magscope_core._camera_manager import CameraManager
from magscope_core._commands import Command, CommandSpec, CommandValidationError, Route
from magscope_core._hookspecs import hookimpl, hookspec
from magscope_core._hub import Hub, HubConfig
from magscope_core._hub_child import ManagerEntry
from magscope_core._manager import ManagerProcess, handles
from magscope_core._messages import CommandError, RemoteError
from magscope_core._pipeline import PipelineManager
from magscope_core._plugins import (
    Contribution,
    PluginError,
    PluginRecord,
    PluginSet,
    load_plugins,
)
from magscope_core._registry import (
    CommandConflictError,
    CommandRegistry,
    RegisteredCommand,
    UnknownCommandError,
)
from magscope_core._resources import SharedResources
from magscope_core._settings import (
    CoreSettings,
    SettingInfo,
    SettingsError,
    SettingsProblem,
    SettingsStore,
    describe,
    setting,
)
from magscope_core._specs import (
    CameraSpec,
    HealthCheckSpec,
    HealthResult,
    ManagerSpec,
    PanelSpec,
    RestartPolicy,
    SettingsSpec,
    TrackerSpec,
    WriterSpec,
)
from magscope_core._status import ManagerState
from magscope_core._version import __version__
from magscope_core._writer import Writer

__all__ = [
    "BeadRoiTable",
    "Camera",
    "CameraConnected",
    "CameraError",
    "CameraInfo",
    "CameraManager",
    "CameraSpec",
    "Command",
    "CommandConflictError",
    "CommandError",
    "CommandRegistry",
    "CommandSpec",
    "CommandValidationError",
    "Contribution",
    "CoreSettings",
    "FilesWritten",
    "GetCameraSettings",
    "GetPipelineStats",
    "GetStatus",
    "HealthCheckSpec",
    "HealthResult",
    "Hub",
    "HubConfig",
    "LiveProfile",
    "ManagerEntry",
    "ManagerProcess",
    "ManagerSpec",
    "ManagerState",
    "PanelSpec",
    "Ping",
    "PipelineManager",
    "PluginError",
    "PluginRecord",
    "PluginSet",
    "Quit",
    "RegisteredCommand",
    "RemoteError",
    "RestartPolicy",
    "Route",
    "SessionMemory",
    "SessionPlan",
    "SetAcquisition",
    "SetCameraSetting",
    "SettingInfo",
    "SettingsError",
    "SettingsProblem",
    "SettingsSpec",
    "SettingsStore",
    "SetupError",
    "SharedCounters",
    "SharedResources",
    "Shutdown",
    "TrackerSpec",
    "TracksMatrix",
    "UnknownCommandError",
    "VideoRing",
    "Writer",
    "WriterSpec",
    "__version__",
    "choose_camera",
    "cleanup_stale_segments",
    "describe",
    "handles",
    "hookimpl",
    "hookspec",
    "load_plugins",
    "plan_session",
    "setting",
]
