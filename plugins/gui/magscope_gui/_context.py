"""What every panel gets: the hub, the shared buffers, settings, plugins and GUI events."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from magscope_core import Command, Hub, PluginSet, SettingsStore, SharedResources
from magscope_gui._settings import GUI_NAMESPACE

__all__ = ["LEVELS", "NOTIFIED", "GuiEvents", "PanelContext"]

log = logging.getLogger("magscope.gui")

LEVELS = ("info", "warning", "error")
"""Notification levels, mildest first."""

NOTIFIED = "magscope_gui_notified"
"""Attribute set on log records that :meth:`PanelContext.notify` already showed."""

_LOG_LEVEL = {"info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}
_BEAD_POLL_TICKS = 6  # check the ROI table's version every few display ticks (~5 Hz)


class GuiEvents(QObject):
    """Signals shared by all panels of one window.

    Attributes
    ----------
    refresh
        Display tick (``gui.display_fps``, default 30 Hz); panels repaint only on it.
    bead_selected
        Selected bead id (-1: none).
    reference_bead_changed
        Reference bead id (-1: none).
    beads_changed
        The bead ROI table changed (emitted by whoever changed it, and by the context
        when it sees the table's version change).
    notify
        ``(level, message)`` with level ``"info"``, ``"warning"`` or ``"error"``.
    settings_changed
        A settings namespace changed (for example ``"gui"``).
    session_stopped
        The session is ending (its hub was asked to stop): the display ticks stop, so
        no panel reads shared memory that is about to be released. Emitted once.
    """

    refresh = Signal()
    bead_selected = Signal(int)
    reference_bead_changed = Signal(int)
    beads_changed = Signal()
    notify = Signal(str, str)
    settings_changed = Signal(str)
    session_stopped = Signal()


class PanelContext:
    """Everything a panel needs, passed to ``Panel(context)``.

    Parameters
    ----------
    hub : magscope_core.Hub
        The running session's hub (``send``, ``call``, ``status()``, ``errors``, ``files``).
    settings : magscope_core.SettingsStore
        Settings of every namespace (the ``gui`` one included when registered).
    plugins : magscope_core.PluginSet
        The loaded plugins.
    resources : magscope_core.SharedResources, optional
        The session's shared buffers; default ``hub.resources``.
    start_timer : bool, optional
        Start the shared display timer now (default True).

    Notes
    -----
    One display timer per context drives ``events.refresh``; its rate follows the
    ``gui.display_fps`` setting. Call :meth:`close` when the window closes.
    """

    def __init__(
        self,
        hub: Hub,
        settings: SettingsStore,
        plugins: PluginSet,
        resources: SharedResources | None = None,
        *,
        start_timer: bool = True,
    ) -> None:
        self.hub = hub
        self.settings = settings
        self.plugins = plugins
        self.resources: SharedResources = resources if resources is not None else hub.resources
        self.events = GuiEvents()
        self._selected = -1
        self._reference = -1
        self._ticks = 0
        self._roi_version: int | None = None
        self._timer = QTimer(self.events)
        self._timer.setObjectName("magscope-display-timer")
        self._timer.timeout.connect(self._tick)
        self._timer.setInterval(self._interval_ms())
        self.events.settings_changed.connect(self._on_settings_changed)
        if start_timer:
            self._timer.start()

    # ------------------------------------------------------------------ beads
    @property
    def selected_bead(self) -> int:
        """The selected bead id (-1: none); setting it emits ``bead_selected``."""
        return self._selected

    @selected_bead.setter
    def selected_bead(self, bead_id: int) -> None:
        bead_id = int(bead_id)
        if bead_id != self._selected:
            self._selected = bead_id
            self.events.bead_selected.emit(bead_id)

    @property
    def reference_bead(self) -> int:
        """The reference bead id (-1: none); setting it emits ``reference_bead_changed``."""
        return self._reference

    @reference_bead.setter
    def reference_bead(self, bead_id: int) -> None:
        bead_id = int(bead_id)
        if bead_id != self._reference:
            self._reference = bead_id
            self.events.reference_bead_changed.emit(bead_id)

    # ------------------------------------------------------------------ talking
    def call(self, command: Command, timeout: float = 2.0) -> Any:
        """Send a request through the hub and return its answer, or None on failure.

        A failure (the receiver raised, is not running or did not answer in time) is
        shown as an error notification naming the command; it is never raised.
        """
        try:
            return self.hub.call(command, timeout=timeout)
        except Exception as exc:
            self.notify("error", f"{type(command).__name__} failed: {exc}")
            return None

    def send(self, command: Command) -> bool:
        """Send a command without waiting; return False (and notify) if it was refused."""
        try:
            self.hub.send(command)
        except Exception as exc:
            self.notify("error", f"{type(command).__name__} could not be sent: {exc}")
            return False
        return True

    def notify(self, level: str, message: str) -> None:
        """Show a message in the notification area (and write it to the log).

        Parameters
        ----------
        level : {"info", "warning", "error"}
            Severity; anything else is shown as ``"info"``.
        message : str
            One or two sentences naming what happened.
        """
        level = level if level in LEVELS else "info"
        log.log(_LOG_LEVEL[level], "%s", message, extra={NOTIFIED: True})
        self.events.notify.emit(level, message)

    # ------------------------------------------------------------------ settings
    def gui_setting(self, key: str, default: Any = None) -> Any:
        """Value of ``gui.<key>``, or ``default`` when the namespace is not registered."""
        if GUI_NAMESPACE not in self.settings.namespaces:
            return default
        try:
            return self.settings.value(GUI_NAMESPACE, key)
        except Exception:
            return default

    @property
    def display_fps(self) -> float:
        """Rate of the shared display timer (``gui.display_fps``)."""
        return float(self._timer_rate())

    def _timer_rate(self) -> int:
        return max(1, min(120, int(self.gui_setting("display_fps", 30))))

    def _interval_ms(self) -> int:
        return max(8, round(1000 / self._timer_rate()))

    def _on_settings_changed(self, namespace: str) -> None:
        if namespace == GUI_NAMESPACE:
            self._timer.setInterval(self._interval_ms())

    # ------------------------------------------------------------------ timer
    @property
    def timer_active(self) -> bool:
        """Whether the display timer runs."""
        return self._timer.isActive()

    def start(self) -> None:
        """Start (or restart) the shared display timer."""
        self._timer.start(self._interval_ms())

    def close(self) -> None:
        """Stop the display timer; panels must not expect ``refresh`` afterwards."""
        self._timer.stop()

    def _tick(self) -> None:
        if getattr(self.hub, "stop_requested", False):
            # the session is ending: its buffers go away, so no panel may read them now
            self._timer.stop()
            self.events.session_stopped.emit()
            return
        self._ticks += 1
        if self._ticks % _BEAD_POLL_TICKS == 0:
            self._check_beads()
        self.events.refresh.emit()

    @property
    def seen_roi_version(self) -> int | None:
        """The ROI table version the context saw last (None: not looked yet)."""
        return self._roi_version

    def _check_beads(self) -> None:
        try:
            version = int(self.resources.rois().version)
        except Exception:
            return  # buffers not there yet, or already released at shutdown
        if self._roi_version is not None and version != self._roi_version:
            self.events.beads_changed.emit()
        self._roi_version = version
