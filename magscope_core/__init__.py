"""MagScope core: processes, commands, shared buffers and plugins for magnetic tweezers.

The public API is flat: everything a plugin author or a script needs is importable from
``magscope_core``. Each name lives in one private module (one concept per module):

==========================  ===============================================
concept                     module
==========================  ===============================================
commands and routes         ``_commands`` (:class:`Command`, :class:`Route`)
command registry            ``_registry``
manager processes           ``_manager`` (:class:`ManagerProcess`, :func:`handles`),
                            ``_manager_child`` (the child process's start and end)
hub and supervision         ``_hub`` (:class:`Hub`), ``_hub_handlers`` (the hub's own
                            commands), ``_router``, ``_supervisor``, ``_hub_child``
shared buffers              ``_buffers`` (video ring, tracks, ROIs, profile, counters)
plugin hooks and loading    ``_hookspecs``, ``_plugins``, ``_specs``, ``_import_path``
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
from magscope_core._bead_search import (
    CancelBeadSearch,
    FindSimilarBeads,
    GetBeadSearch,
    find_similar_beads,
)
from magscope_core._beadfind import find_beads
from magscope_core._beads import (
    AddBead,
    AddRandomBeads,
    ClearBeads,
    GetBeads,
    MoveBead,
    ReassignBead,
    RemoveBead,
    SetDefaultRoiSize,
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
    HoldRamp,
    MoveFocus,
    MoveMagnet,
    RampForce,
    RampMagnet,
    RotateMagnet,
    SetForce,
)
from magscope_core._hookspecs import hookimpl, hookspec
from magscope_core._hub import Hub, HubConfig
from magscope_core._hub_child import ManagerEntry
from magscope_core._import_path import (
    ImportPathError,
    LazyFactory,
    lazy_exports,
    load_import_path,
)
from magscope_core._live_settings import SetTrackerOptions, apply_live
from magscope_core._lock_control import XYLockParams, ZLockParams
from magscope_core._locks import GetLocks, LockManager, SetXYLock, SetZLock
from magscope_core._manager import ManagerProcess, handles
from magscope_core._messages import CommandError, RemoteError
from magscope_core._motion import MotionModel, motion_models
from magscope_core._options import check_option, check_options
from magscope_core._pipeline import PipelineManager
from magscope_core._plugins import (
    Contribution,
    PluginError,
    PluginRecord,
    PluginSet,
    load_plugins,
)
from magscope_core._protocol_load import PlanRow, Protocol, ProtocolError, load_protocol
from magscope_core._protocol_record import ProtocolEnded, ProtocolStarted, ProtocolStepStarted
from magscope_core._protocol_runner import ProtocolRunner, RunProgress, StepFailed
from magscope_core._protocol_settings import ProtocolSettings
from magscope_core._protocol_steps import (
    CommandStep,
    Sleep,
    Step,
    WaitAcquisition,
    WaitMotor,
    WaitTracks,
    WaitZLutSweep,
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
    "AddRandomBeads",
    "BeadRoiTable",
    "Camera",
    "CameraConnected",
    "CameraError",
    "CameraInfo",
    "CameraManager",
    "CameraSpec",
    "CancelBeadSearch",
    "CancelZLutSweep",
    "ClearBeads",
    "Command",
    "CommandConflictError",
    "CommandError",
    "CommandRegistry",
    "CommandSpec",
    "CommandStep",
    "CommandValidationError",
    "ConfigurationError",
    "Contribution",
    "CorePlugin",
    "CoreSettings",
    "FilesWritten",
    "FindBeads",
    "FindSimilarBeads",
    "FrontendSpec",
    "GetAcquisition",
    "GetBeadSearch",
    "GetBeads",
    "GetCameraSettings",
    "GetCapture",
    "GetFocus",
    "GetLocks",
    "GetMagnet",
    "GetPipelineStats",
    "GetStatus",
    "GetZLut",
    "GetZLutProfiles",
    "GetZLutSweep",
    "HardwareManager",
    "HealthCheckSpec",
    "HealthResult",
    "HoldRamp",
    "Hub",
    "HubConfig",
    "ImportPathError",
    "LazyFactory",
    "LiveProfile",
    "LoadZLut",
    "LockManager",
    "ManagerEntry",
    "ManagerProcess",
    "ManagerSpec",
    "ManagerState",
    "MotionModel",
    "MoveBead",
    "MoveFocus",
    "MoveMagnet",
    "NewRecording",
    "PanelSpec",
    "Ping",
    "PipelineManager",
    "PlanRow",
    "PluginError",
    "PluginRecord",
    "PluginSet",
    "Protocol",
    "ProtocolEnded",
    "ProtocolError",
    "ProtocolRunner",
    "ProtocolSettings",
    "ProtocolStarted",
    "ProtocolStepStarted",
    "Quit",
    "RampForce",
    "RampMagnet",
    "ReassignBead",
    "RegisteredCommand",
    "RemoteError",
    "RemoveBead",
    "RestartPolicy",
    "RoiBatch",
    "RotateMagnet",
    "Route",
    "RunProgress",
    "SaveZLutCandidate",
    "SessionMemory",
    "SessionPlan",
    "SetAcquisition",
    "SetAcquisitionMode",
    "SetCameraSetting",
    "SetDefaultRoiSize",
    "SetForce",
    "SetOutputFolder",
    "SetSaving",
    "SetTrackerOptions",
    "SetXYLock",
    "SetZLock",
    "SettingInfo",
    "SettingsError",
    "SettingsProblem",
    "SettingsSpec",
    "SettingsStore",
    "SetupError",
    "SharedCounters",
    "SharedResources",
    "Shutdown",
    "Sleep",
    "StartCapture",
    "StartZLutSweep",
    "StartupStep",
    "Step",
    "StepFailed",
    "TrackOutput",
    "Tracker",
    "TrackerSpec",
    "TracksBatch",
    "TracksMatrix",
    "UnknownCommandError",
    "UnloadZLut",
    "VideoRing",
    "WaitAcquisition",
    "WaitMotor",
    "WaitTracks",
    "WaitZLutSweep",
    "Writer",
    "WriterBase",
    "WriterSpec",
    "XYLockParams",
    "ZLockParams",
    "__version__",
    "apply_live",
    "check_option",
    "check_options",
    "choose_camera",
    "choose_tracker",
    "cleanup_stale_segments",
    "default_config_dir",
    "default_settings_path",
    "describe",
    "find_beads",
    "find_similar_beads",
    "handles",
    "hookimpl",
    "hookspec",
    "lazy_exports",
    "load_import_path",
    "load_plugins",
    "load_protocol",
    "motion_models",
    "plan_session",
    "setting",
]
