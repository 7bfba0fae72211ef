"""Hook implementations: the GUI frontend, its panels and the ``gui`` settings.

Panels are listed by import path, so loading this plugin (``magscope plugins``) never
imports Qt; a panel's module is only imported when a window creates it.
"""

from __future__ import annotations

from magscope_core import FrontendSpec, PanelSpec, SettingsSpec, hookimpl
from magscope_gui._settings import GUI_NAMESPACE, GuiSettings

__all__ = ["PANELS", "magscope_frontends", "magscope_panels", "magscope_settings"]

_M = "magscope_gui."

PANELS: tuple[PanelSpec, ...] = (
    PanelSpec(id="video", title="Live Camera", factory=_M + "_video_panel:VideoPanel",
              area="video", order=0, description="live video with bead ROIs"),
    PanelSpec(id="plots", title="Live Plots", factory=_M + "_plots_panel:PlotsPanel",
              area="plots", order=0, description="X, Y, Z of the selected bead over time"),
    PanelSpec(id="status", title="Status", factory=_M + "_status_panel:StatusPanel",
              area="Run", order=10, description="rates, buffers, workers and managers"),
    PanelSpec(id="recording", title="Recording and Saving",
              factory=_M + "_recording_panel:RecordingPanel", area="Run", order=20,
              description="acquisition, mode, saving, output folder"),
    PanelSpec(id="camera", title="Camera Settings", factory=_M + "_camera_panel:CameraPanel",
              area="Run", order=30, description="the camera's own settings"),
    PanelSpec(id="histogram", title="Histogram",
              factory=_M + "_histogram_panel:HistogramPanel", area="Analysis", order=10,
              description="intensity histogram of the live image"),
    PanelSpec(id="profile", title="Radial Profile",
              factory=_M + "_profile_panel:ProfilePanel", area="Analysis", order=20,
              description="live radial profile of the selected bead"),
    PanelSpec(id="script", title="Script", factory=_M + "_script_panel:ScriptPanel",
              area="Run", order=40, description="load, check and run a protocol"),
    PanelSpec(id="xy_lock", title="XY-Lock", factory=_M + "_xy_lock_panel:XYLockPanel",
              area="Locking", order=10, description="keep every bead centred in its ROI"),
    PanelSpec(id="z_lock", title="Z-Lock", factory=_M + "_z_lock_panel:ZLockPanel",
              area="Locking", order=20, description="hold a reference bead's Z with the focus"),
    PanelSpec(id="focus", title="Focus Motor", factory=_M + "_focus_panel:FocusPanel",
              area="Hardware", order=10, requires=("MoveFocus", "GetFocus"),
              description="any focus motor: position, move, jog (sessions with one)"),
    PanelSpec(id="magnet", title="Magnet Motor", factory=_M + "_magnet_panel:MagnetPanel",
              area="Hardware", order=20, requires=("MoveMagnet", "GetMagnet"),
              description="any magnet motor: position, force, move, jog, rotate (sessions "
              "with one)"),
    PanelSpec(id="analysis", title="Force and Allan Deviation",
              factory=_M + "_analysis_panel:AnalysisPanel", area="Analysis", order=30,
              description="force from Brownian motion and Allan deviation of the selected "
              "bead (minus the reference)"),
)
"""Every panel of the GUI plugin (the log is the bottom notification dock, not a panel)."""


@hookimpl
def magscope_panels() -> list[PanelSpec]:
    """The GUI's own panels."""
    return list(PANELS)


@hookimpl
def magscope_frontends() -> list[FrontendSpec]:
    """The Qt desktop interface."""
    return [FrontendSpec(name="gui", run=_M + "_frontend:run", needs_display=True, priority=10,
                         starts_session=True, managers=("locks",),
                         description="Qt desktop interface (docks, panels, preferences)")]


@hookimpl
def magscope_settings() -> list[SettingsSpec]:
    """The ``gui`` settings namespace."""
    return [SettingsSpec(namespace=GUI_NAMESPACE, schema=GuiSettings)]
