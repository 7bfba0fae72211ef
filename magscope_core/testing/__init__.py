"""The plugin author's test kit: contract tests, real sessions, recorders, synthetic beads.

Installed with ``magscope-core`` and registered as a pytest plugin (entry point
``pytest11``), so its fixtures work in any plugin's test suite:

==============================  ==========================================================
fixture                         what it gives
==============================  ==========================================================
``magscope_hub``                a :class:`HubFactory`: real sessions, stopped after the test
``command_recorder``            a :class:`CommandRecorder`
``magscope_panel_context``      builds ``magscope_gui.PanelContext`` objects (Qt; skips
                                without PySide6)
==============================  ==========================================================

Contract tests, each fed by one fixture of the subclass:

==============================  ==========================  ================================
class                           fixture                     checks
==============================  ==========================  ================================
:class:`CameraContract`         ``camera_spec``             info, frames, timestamps,
                                                            timeouts, settings, no Qt, session
:class:`FocusMotorContract`     ``focus_manager``           MoveFocus/GetFocus, limits,
                                                            telemetry, session
:class:`MagnetMotorContract`    ``magnet_manager``          MoveMagnet/SetForce/GetMagnet,
                                                            rotation, ramps, session
:class:`TrackerContract`        ``tracker_spec``            API, shapes, XY/Z accuracy, NaN,
                                                            Z-LUT files, no shared state
:class:`WriterContract`         ``writer_spec``             every mode's calls, one close,
                                                            files valid
:class:`PanelContract`          ``panel_specs``             builds offscreen, JSON state,
                                                            survives the session stopping
==============================  ==========================  ================================

Importing this package never imports Qt; the panel parts import it inside the tests.
See ``docs/testing-kit.md``.
"""

from __future__ import annotations

from magscope_core.testing._camera_contract import CameraContract
from magscope_core.testing._harness import ManagerHarness
from magscope_core.testing._hubs import HubFactory, camera_entries, pattern_camera_spec, start_hub
from magscope_core.testing._images import bead_image, bead_profile, bead_stack
from magscope_core.testing._motor_contract import (
    FocusMotorContract,
    MagnetMotorContract,
    settle,
)
from magscope_core.testing._panel_contract import PanelContract, load_panel_factory
from magscope_core.testing._panel_kit import (
    installed_plugins,
    make_panel_context,
    make_store,
    show_widget,
    tick_for,
    wait_ticking,
)
from magscope_core.testing._pattern_camera import PatternCamera
from magscope_core.testing._plugin_objects import make_plugin, noop_factory, stub_camera_spec
from magscope_core.testing._recorder import CommandRecorder, Recorded, RecordingHub
from magscope_core.testing._spawned import qt_modules_loaded, run_spawned
from magscope_core.testing._tracker_contract import TrackerContract
from magscope_core.testing._writer_contract import WriterContract, WriterFeed, feed_writer

__all__ = [
    "CameraContract",
    "CommandRecorder",
    "FocusMotorContract",
    "HubFactory",
    "MagnetMotorContract",
    "ManagerHarness",
    "PanelContract",
    "PatternCamera",
    "Recorded",
    "RecordingHub",
    "TrackerContract",
    "WriterContract",
    "WriterFeed",
    "bead_image",
    "bead_profile",
    "bead_stack",
    "camera_entries",
    "feed_writer",
    "installed_plugins",
    "load_panel_factory",
    "make_panel_context",
    "make_plugin",
    "make_store",
    "noop_factory",
    "pattern_camera_spec",
    "qt_modules_loaded",
    "run_spawned",
    "settle",
    "show_widget",
    "start_hub",
    "stub_camera_spec",
    "tick_for",
    "wait_ticking",
]
