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

from magscope_core._acquisition import (
    MODES,
    GetAcquisition,
    GetCapture,
    GetZLut,
    LoadZLut,
    NewRecording,
    SetAcquisitionMode,
    SetOutputFolder,
    SetSaving,
    StartCapture,
    UnloadZLut,
)
from magscope_core._app import (
    SessionPlan,
    SetupError,
    choose_camera,
    choose_tracker,
    plan_session,
)
from magscope_core._beadfind import find_beads
from magscope_core._beads import (
    AddBead,
    ClearBeads,
    GetBeads,
    MoveBead,
    ReassignBead,
    RemoveBead,
)
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
    FindBeads,
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
from magscope_core._config_errors import ConfigurationError
from magscope_core._core_plugin import CORE_COMMANDS, CorePlugin
from magscope_core._hardware import (
    GetFocus,
    GetMagnet,
    HardwareManager,
    MoveFocus,
    MoveMagnet,
    SetForce,
)
from magscope_core._hookspecs import hookimpl, hookspec
from magscope_core._hub import Hub, HubConfig
from magscope_core._hub_child import ManagerEntry
from magscope_core._manager import ManagerProcess, handles
from magscope_core._messages import CommandError, RemoteError
from magscope_core._options import check_option, check_options
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
    default_config_dir,
    default_settings_path,
    describe,
    setting,
)
from magscope_core._specs import (
    CameraSpec,
    FrontendSpec,
    HealthCheckSpec,
    HealthResult,
    ManagerSpec,
    PanelSpec,
    RestartPolicy,
    SettingsSpec,
    TrackerSpec,
    WriterSpec,
)
from magscope_core._startup import StartupStep
from magscope_core._status import ManagerState
from magscope_core._tracker import Tracker, TrackOutput
from magscope_core._version import __version__
from magscope_core._writer import RoiBatch, TracksBatch, Writer, WriterBase
from magscope_core._zlut_sweep import (
    CancelZLutSweep,
    GetZLutProfiles,
    GetZLutSweep,
    SaveZLutCandidate,
    StartZLutSweep,
)

__all__ = [
    "CORE_COMMANDS",
    "MODES",
    "AddBead",
    "BeadRoiTable",
    "Camera",
    "CameraConnected",
    "CameraError",
    "CameraInfo",
    "CameraManager",
    "CameraSpec",
    "CancelZLutSweep",
    "ClearBeads",
    "Command",
    "CommandConflictError",
    "CommandError",
    "CommandRegistry",
    "CommandSpec",
    "CommandValidationError",
    "ConfigurationError",
    "Contribution",
    "CorePlugin",
    "CoreSettings",
    "FilesWritten",
    "FindBeads",
    "FrontendSpec",
    "GetAcquisition",
    "GetBeads",
    "GetCameraSettings",
    "GetCapture",
    "GetFocus",
    "GetMagnet",
    "GetPipelineStats",
    "GetStatus",
    "GetZLut",
    "GetZLutProfiles",
    "GetZLutSweep",
    "HardwareManager",
    "HealthCheckSpec",
    "HealthResult",
    "Hub",
    "HubConfig",
    "LiveProfile",
    "LoadZLut",
    "ManagerEntry",
    "ManagerProcess",
    "ManagerSpec",
    "ManagerState",
    "MoveBead",
    "MoveFocus",
    "MoveMagnet",
    "NewRecording",
    "PanelSpec",
    "Ping",
    "PipelineManager",
    "PluginError",
    "PluginRecord",
    "PluginSet",
    "Quit",
    "ReassignBead",
    "RegisteredCommand",
    "RemoteError",
    "RemoveBead",
    "RestartPolicy",
    "RoiBatch",
    "Route",
    "SaveZLutCandidate",
    "SessionMemory",
    "SessionPlan",
    "SetAcquisition",
    "SetAcquisitionMode",
    "SetCameraSetting",
    "SetForce",
    "SetOutputFolder",
    "SetSaving",
    "SettingInfo",
    "SettingsError",
    "SettingsProblem",
    "SettingsSpec",
    "SettingsStore",
    "SetupError",
    "SharedCounters",
    "SharedResources",
    "Shutdown",
    "StartCapture",
    "StartZLutSweep",
    "StartupStep",
    "TrackOutput",
    "Tracker",
    "TrackerSpec",
    "TracksBatch",
    "TracksMatrix",
    "UnknownCommandError",
    "UnloadZLut",
    "VideoRing",
    "Writer",
    "WriterBase",
    "WriterSpec",
    "__version__",
    "check_option",
    "check_options",
    "choose_camera",
    "choose_tracker",
    "cleanup_stale_segments",
    "default_config_dir",
    "default_settings_path",
    "describe",
    "find_beads",
    "handles",
    "hookimpl",
    "hookspec",
    "load_plugins",
    "plan_session",
    "setting",
]
