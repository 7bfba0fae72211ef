"""The frontend ``magscope run`` calls: show the start-up, then the window, run Qt.

``run(hub, plan, args)`` runs in the main thread of the main process, next to the hub
(docs/decisions/0009-gui-process-model.md). Given a hub that is not started yet, it
shows the start-up window at once and starts the session in a thread (see
:mod:`magscope_gui._launch`); the main window replaces it when the session is up. It
returns when the window closes, when ``args.duration`` seconds have passed since the
main window appeared (or since a start-up failure was shown), or when the session is
asked to stop (Ctrl-C, SIGTERM, a ``Shutdown`` command, a fatal error).

Optional attributes of ``args`` it honours:

``duration`` (float)
    Close after this many seconds (demos, screenshots).
``panels`` (str ``"id,id"`` or list)
    Panels to load; overrides the ``gui.panels`` setting (empty: every panel).
``plugins`` / ``settings_store`` (or ``store``)
    The PluginSet and SettingsStore the CLI already loaded (loaded again otherwise).
``start_session`` (callable)
    Starts the session (the hub and the CLI's start-up work); default ``hub.start``.
``protocol_file`` (path)
    A protocol to run (``magscope script run FILE``): the Script panel is loaded (added
    to ``panels`` if needed) and shown, loads the file and runs it once the window is
    up; ``args.protocol_runner`` is then its :class:`~magscope_core.ProtocolRunner`
    (None when the file did not pass the check), for the caller's exit code.
``screenshot`` (path)
    Save a PNG of the window (also ``$MAGSCOPE_GUI_SCREENSHOT``) once the video is live
    (at the latest just before the window closes), or of the start-up window when the
    start-up failed; ``<path>.json`` next to it says what the picture shows.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QEventLoop, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

from magscope_core import Hub, PluginSet, SettingsStore
from magscope_gui._launch import SessionLauncher
from magscope_gui._layout import LayoutError, default_layout_path, read_layout
from magscope_gui._settings import GUI_NAMESPACE, GuiSettings
from magscope_gui._startup_view import StartupWindow
from magscope_gui._theme import apply_theme, theme_for

if TYPE_CHECKING:  # imported when the main window is built: the start-up window first
    from magscope_gui._context import PanelContext
    from magscope_gui._window import MainWindow

__all__ = ["SCREENSHOT_ENV", "build_window", "run", "with_script_panel"]

SCREENSHOT_ENV = "MAGSCOPE_GUI_SCREENSHOT"
"""Environment variable: save a PNG of the window to this path before closing."""

log = logging.getLogger("magscope.gui")

_STOP_POLL_MS = 250  # how often the window checks whether the session must end
_SCREENSHOT_POLL_MS = 100  # how often a pending screenshot checks that the video is live
_SCREENSHOT_MIN_FRAMES = 10  # the video is live: this many frames shown, every ROI drawn


def _plugins_and_settings(args: Any) -> tuple[PluginSet, SettingsStore]:
    plugins = getattr(args, "plugins", None)
    store = getattr(args, "settings_store", None) or getattr(args, "store", None)
    if isinstance(plugins, PluginSet) and isinstance(store, SettingsStore):
        return plugins, store
    from magscope_core.cli._common import load_everything

    return load_everything(args if args is not None else argparse.Namespace())


def with_script_panel(panels: str | list[str] | None, store: SettingsStore
                      ) -> str | list[str] | None:
    """The panel list to load (``--panels``, else ``gui.panels``) with ``script`` in it.

    None or empty (every panel) stays as it is.
    """
    from magscope_gui._panels import parse_panel_list

    wanted = parse_panel_list(panels)
    if wanted is None:
        try:
            wanted = parse_panel_list(str(getattr(store.get(GUI_NAMESPACE), "panels", "")))
        except Exception:
            wanted = None
    if wanted is None or "script" in wanted:
        return panels
    return [*wanted, "script"]


def _ensure_gui_settings(store: SettingsStore) -> None:
    if GUI_NAMESPACE not in store.namespaces:
        store.register(GUI_NAMESPACE, GuiSettings, owner="gui (magscope-gui)")


def build_window(hub: Hub, plugins: PluginSet, store: SettingsStore,
                 panels: str | list[str] | None = None,
                 layout_path: Path | None = None) -> MainWindow:
    """Create the context and the window (the QApplication must exist).

    Parameters
    ----------
    hub
        The running hub.
    plugins, store
        Loaded plugins and settings.
    panels
        Panel ids to load (None: the ``gui.panels`` setting, empty meaning all).
    layout_path
        Layout file (default: ``<config dir>/gui-layout.json``).
    """
    from magscope_gui._context import PanelContext
    from magscope_gui._panels import parse_panel_list, select_panels
    from magscope_gui._window import MainWindow

    _ensure_gui_settings(store)
    context = PanelContext(hub, store, plugins)
    wanted = parse_panel_list(panels) or parse_panel_list(
        str(context.gui_setting("panels", "") or ""))
    chosen, unknown = select_panels(plugins, wanted, hub.registry)
    window = MainWindow(context, chosen, layout_path or default_layout_path())
    if unknown:
        context.notify("warning", f"unknown panel id(s) {', '.join(unknown)}; installed "
                       f"panels: {', '.join(sorted(plugins.panels))}")
    _select_first_bead(context)
    loaded = [pid for pid, r in window.records.items() if r.widget is not None]
    context.notify("info", f"window ready: {len(loaded)} panels ({', '.join(loaded)}); "
                   f"{len(window.failed_panels)} not loaded")
    return window


def _select_first_bead(context: PanelContext) -> None:
    """Select the first bead (if any), so that the plots show something from the start."""
    if context.selected_bead >= 0:
        return
    try:
        snapshot = context.resources.rois().snapshot()
    except Exception:
        return
    if snapshot is not None and len(snapshot.ids):
        context.selected_bead = int(min(snapshot.ids))


def _place(window: QMainWindow) -> None:
    """Fill the screen (up to 1600 x 1000) from its top-left corner.

    Used when no saved layout gives the geometry; there is no window manager to place
    windows under Xvfb.
    """
    screen = window.screen() or QApplication.primaryScreen()
    if screen is None:
        window.resize(1400, 900)
        return
    avail = screen.availableGeometry()
    window.resize(min(1600, avail.width()), min(1000, avail.height()))
    window.move(avail.topLeft())


def _live_view(window: MainWindow) -> dict[str, Any]:
    """What the video shows now: frames shown, ROIs drawn, beads in the session."""
    video = window.panel("video")
    try:
        beads = len(window.context.resources.rois().snapshot().ids)
    except Exception:
        beads = -1
    if video is None:
        return {"frames_shown": 0, "rois_drawn": 0, "beads": beads, "live": True}
    shown = int(getattr(video, "frames_shown", 0))
    drawn = int(getattr(video, "rois_drawn", 0))
    return {"frames_shown": shown, "rois_drawn": drawn, "beads": beads,
            "live": shown >= _SCREENSHOT_MIN_FRAMES and drawn == beads}


def _save_screenshot(window: MainWindow, path: str) -> None:
    """Save a PNG of the window, and next to it ``<name>.json``: where each dock is."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    ok = window.grab().save(str(target))
    if not ok:
        log.warning("could not save the screenshot to %s", target)
        return
    docks = {key: [d.geometry().x(), d.geometry().y(), d.geometry().width(),
                   d.geometry().height()]
             for key, d in window.docks.items() if d.isVisible() and not d.isFloating()}
    sidecar = {"window": [window.width(), window.height()], "docks": docks,
               "failed_panels": window.failed_panels, "video": _live_view(window)}
    target.with_suffix(".json").write_text(json.dumps(sidecar, indent=1), encoding="utf-8")
    log.info("screenshot saved to %s", target)


class _SessionWatch(QObject):
    """Closes the window when the session must stop; saves the screenshot.

    The screenshot is taken once the video shows live frames with every bead's ROI
    (polled), or, at the latest, just before the window closes (its sidecar then says
    ``"live": false``). A child of the window whose slots are bound methods: a lambda or
    closure holding the window, connected to a child's signal, can crash PySide6 6.11
    when the window is deleted.
    """

    def __init__(self, window: MainWindow, hub: Hub, screenshot: str) -> None:
        super().__init__(window)
        self.window = window
        self.hub = hub
        self.screenshot = screenshot
        self.timer = QTimer(self)
        self.timer.setInterval(_STOP_POLL_MS)  # also lets Python run its signal handlers
        self.timer.timeout.connect(self.check_stop)
        self.shot_timer = QTimer(self)
        self.shot_timer.setInterval(_SCREENSHOT_POLL_MS)
        self.shot_timer.timeout.connect(self.screenshot_when_live)

    def check_stop(self) -> None:
        """Close the window if the session is stopping."""
        if self.hub.stop_requested:
            log.info("session stopping (%s): closing the window",
                     self.hub.stop_reason or "stop")
            self.window.close()

    def screenshot_when_live(self) -> None:
        """Save the screenshot as soon as the video is live (polled by ``shot_timer``)."""
        if _live_view(self.window)["live"]:
            self.save_screenshot()

    def save_screenshot(self) -> None:
        """Save the screenshot (if one was asked for and not saved yet)."""
        self.shot_timer.stop()
        if self.screenshot:
            _save_screenshot(self.window, self.screenshot)
            self.screenshot = ""

    def close_window(self) -> None:
        """End of ``--duration``: save a pending screenshot, then close."""
        self.save_screenshot()
        log.info("duration reached: closing the window")
        self.window.close()


def run(hub: Hub, plan: Any, args: Any) -> int:
    """Show the window for a session and return when it closes.

    Parameters
    ----------
    hub
        The hub. Not started yet (the GUI's :class:`~magscope_core.FrontendSpec` says
        ``starts_session``): the start-up window appears at once and lists the start-up
        steps while ``args.start_session()`` (default ``hub.start``) runs in a thread;
        the main window replaces it when the session is up. Already started: the main
        window appears at once.
    plan
        The session plan (shown in the title: camera, output folder).
    args
        The parsed command line (see the module docstring for the attributes used).

    Returns
    -------
    int
        0; 1 when the session could not start (the window said why).
    """
    _application()
    plugins, store = _plugins_and_settings(args)
    _ensure_gui_settings(store)
    panels = getattr(args, "panels", None)
    protocol = getattr(args, "protocol_file", None)
    if protocol is not None:
        panels = with_script_panel(panels, store)
    if hub.session is not None:  # started by the caller
        window = build_window(hub, plugins, store, panels)
        _title(window, plan)
        if not window.layout_path or not window.layout_path.exists():
            _place(window)
        window.show()
        _start_protocol(window, args)
        return _run_window(window, hub, args)
    startup = _startup_window(plan, store)
    launcher = SessionLauncher(hub, startup, getattr(args, "start_session", None))
    duration = getattr(args, "duration", None)
    if duration is not None:
        launcher.close_failure_after_ms = max(1, round(float(duration) * 1000))
    shot = getattr(args, "screenshot", None) or os.environ.get(SCREENSHOT_ENV, "").strip()
    saver = _StartupShot(startup, str(shot) if shot else "")
    launcher.failure_shown.connect(saver.save)
    loop = QEventLoop()
    launcher.finished.connect(loop.quit)
    startup.show()
    log.info("start-up window shown")
    launcher.begin()
    loop.exec()
    launcher.wait_started()
    launcher.stop_listening()
    if launcher.outcome != "ready":
        if startup.isVisible():
            startup.close()
        startup.deleteLater()
        return 1 if launcher.error is not None or startup.failure else 0
    window = build_window(hub, plugins, store, panels)
    _title(window, plan)
    if not window.layout_path or not window.layout_path.exists():
        window.setGeometry(startup.geometry())
    window.show()
    startup.close()
    startup.deleteLater()
    _start_protocol(window, args)
    return _run_window(window, hub, args)


def _start_protocol(window: MainWindow, args: Any) -> None:
    """``args.protocol_file``: load it in the Script panel and run it (see the module doc)."""
    path = getattr(args, "protocol_file", None)
    if path is None:
        return
    from magscope_gui._script_panel import run_in_window

    args.protocol_runner = run_in_window(window, Path(path))


def _application() -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication([sys.argv[0] if sys.argv else "magscope"])
    app.setApplicationName("MagScope")
    return app


def _title(window: MainWindow, plan: Any) -> None:
    camera = getattr(plan, "camera", "")
    out_dir = getattr(plan, "out_dir", "")
    window.setWindowTitle(f"MagScope — camera {camera} — {out_dir}" if camera else "MagScope")


def _startup_window(plan: Any, store: SettingsStore) -> StartupWindow:
    """The start-up window, themed and placed where the main window will be."""
    app = QApplication.instance()
    if isinstance(app, QApplication):
        gui = store.get(GUI_NAMESPACE)
        apply_theme(app, theme_for(bool(getattr(gui, "dark_theme", True)),
                                   str(getattr(gui, "accent_color", ""))))
    bits = []
    if getattr(plan, "camera", ""):
        bits.append(f"camera {plan.camera}")
    if getattr(plan, "tracker", None):
        bits.append(f"tracker {plan.tracker}")
    if getattr(plan, "mode", ""):
        bits.append(f"mode {plan.mode}")
    if getattr(plan, "out_dir", ""):
        bits.append(f"output {plan.out_dir}")
    parts = [e.spec.name for e in getattr(plan, "managers", ())]
    window = StartupWindow(", ".join(bits), parts)
    placed = False
    layout_path = default_layout_path()
    try:
        saved = read_layout(layout_path) if layout_path.exists() else None
        placed = bool(saved and saved.geometry
                      and window.restoreGeometry(QByteArray(saved.geometry)))
    except LayoutError:
        placed = False  # the main window says so and resets it
    if not placed:
        _place(window)
    return window


class _StartupShot(QObject):
    """Saves the screenshot of a start-up that failed (the main window never came)."""

    def __init__(self, window: StartupWindow, path: str) -> None:
        super().__init__(window)
        self.window = window
        self.path = path

    def save(self) -> None:
        """Save ``<path>`` and ``<path>.json`` (what failed, the steps shown)."""
        if not self.path:
            return
        target = Path(self.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not self.window.grab().save(str(target)):
            log.warning("could not save the screenshot to %s", target)
            return
        sidecar = {"window": [self.window.width(), self.window.height()],
                   "startup": {"failure": self.window.failure,
                               "failed_parts": self.window.failed_parts,
                               "rows": self.window.rows()}}
        target.with_suffix(".json").write_text(json.dumps(sidecar, indent=1), encoding="utf-8")
        log.info("screenshot of the failed start-up saved to %s", target)


def _run_window(window: MainWindow, hub: Hub, args: Any) -> int:
    """Run the shown main window until it closes (or ``args.duration``); return 0."""
    shot = getattr(args, "screenshot", None) or os.environ.get(SCREENSHOT_ENV, "").strip()
    watch = _SessionWatch(window, hub, str(shot) if shot else "")
    # a local loop, not app.exec(): it ends with this window, and leaves the application
    # usable afterwards (QApplication.quit() would end every later event loop too)
    loop = QEventLoop()
    window.closed.connect(loop.quit)
    watch.timer.start()
    duration = getattr(args, "duration", None)
    if duration is not None:
        QTimer.singleShot(max(1, round(float(duration) * 1000)), watch.close_window)
    if shot:  # from then on, as soon as the video is live
        when = max(0.5, float(duration) - 1.0) if duration is not None else 5.0
        QTimer.singleShot(round(when * 1000), watch.shot_timer.start)
    loop.exec()
    watch.timer.stop()
    watch.shot_timer.stop()
    if window.isVisible():
        window.close()
    window.deleteLater()
    return 0
