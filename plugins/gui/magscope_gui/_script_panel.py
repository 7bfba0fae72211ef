"""Script panel: load a protocol, check it, run, pause, resume and stop it.

The protocol runs in the core's :class:`~magscope_core.ProtocolRunner` (a thread of the
main process that talks to the managers through the hub); the panel only starts it,
forwards the buttons and shows :meth:`~magscope_core.ProtocolRunner.progress` on the
display tick: step n/N, the current command and the time left. Stop aborts at once and
leaves the magnet at the ``protocol.safe_force_pn`` setting.

``magscope script run FILE`` (with a display) opens the window with this panel shown,
the file loaded and running: :func:`run_in_window`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from magscope_core import (
    GetFocus,
    GetMagnet,
    MotionModel,
    Protocol,
    ProtocolError,
    ProtocolRunner,
    ProtocolSettings,
    load_protocol,
    motion_models,
)
from magscope_gui._context import PanelContext

if TYPE_CHECKING:
    from magscope_gui._window import MainWindow

__all__ = ["ScriptPanel", "run_in_window"]

log = logging.getLogger("magscope.gui")

_ENDED = ("done", "stopped", "failed")


class ScriptPanel(QWidget):
    """Load, check, run, pause, resume and stop a protocol; show its progress.

    Attributes
    ----------
    protocol
        The last protocol checked without error (None before).
    runner
        The runner of the current or last run (None before the first).
    """

    def __init__(self, context: PanelContext) -> None:
        super().__init__()
        self.context = context
        self.path: Path | None = None
        self.protocol: Protocol | None = None
        self.runner: ProtocolRunner | None = None
        self._shown: tuple[int, str] = (-1, "")
        self.file = QLineEdit()
        self.file.setReadOnly(True)
        self.file.setPlaceholderText("no protocol loaded")
        browse = QPushButton("Load…")
        browse.clicked.connect(self.choose_file)
        self.check_button = QPushButton("Check")
        self.check_button.clicked.connect(self.check)
        self.run_button = QPushButton("Run")
        self.run_button.clicked.connect(self.run)
        self.pause_button = QPushButton("Pause")
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Abort now; the magnet goes to the safe force")
        self.stop_button.clicked.connect(self.stop)
        self.status = QLabel("Load a protocol (a .py file of steps)")
        self.status.setWordWrap(True)
        self.left = QLabel("")
        self.left.setProperty("role", "muted")
        self.bar = QProgressBar()
        self.bar.setFormat("step %v/%m")
        self.bar.setValue(0)
        self.plan = QTableWidget(0, 4)
        self.plan.setHorizontalHeaderLabels(["line", "step", "duration", "starts"])
        self.plan.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.plan.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.plan.verticalHeader().setVisible(True)
        self.plan.horizontalHeader().setStretchLastSection(True)
        top = QHBoxLayout()
        top.addWidget(self.file, 1)
        top.addWidget(browse)
        buttons = QHBoxLayout()
        for b in (self.check_button, self.run_button, self.pause_button, self.stop_button):
            b.setMinimumWidth(56)  # narrower than their hint: the side dock is narrow
            buttons.addWidget(b)
        self.safe = QLabel(f"Stop leaves the magnet at {self._safe_text()}")
        self.safe.setProperty("role", "muted")
        self.safe.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(buttons)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        layout.addWidget(self.left)
        layout.addWidget(self.plan, 1)
        layout.addWidget(self.safe)
        context.events.refresh.connect(self._on_refresh)
        self._update_buttons()

    # ------------------------------------------------------------------ settings
    def _settings(self) -> ProtocolSettings:
        try:
            value = self.context.settings.get("protocol")
        except Exception:
            return ProtocolSettings()
        return value if isinstance(value, ProtocolSettings) else ProtocolSettings()

    def _safe_text(self) -> str:
        safe = self._settings().safe_force
        return "where it is (no safe force set)" if safe is None else f"{safe:g} pN"

    # ------------------------------------------------------------------ actions
    def choose_file(self) -> None:
        """Pick a protocol file, then check it."""
        name, _ = QFileDialog.getOpenFileName(self, "Load a protocol", "",
                                              "Protocols (*.py);;All files (*)")
        if name:
            self.load(Path(name))

    def load(self, path: Path) -> bool:
        """Load ``path`` and check it; returns whether it is valid."""
        self.path = Path(path)
        self.file.setText(str(self.path))
        return self.check()

    def check(self) -> bool:
        """Check every step of the loaded file and show the plan (or the error's line)."""
        if self.path is None:
            self.status.setText("Load a protocol first")
            return False
        try:
            protocol = load_protocol(self.path, self.context.hub.registry)
        except ProtocolError as exc:
            self.protocol = None
            self.plan.setRowCount(0)
            self.status.setText(f"Error: {exc}")
            self.context.notify("error", f"protocol check failed: {exc}")
            self._update_buttons()
            return False
        self.protocol = protocol
        self._fill_plan(protocol)
        total, exact = protocol.duration_s(self._motion())
        self.status.setText(f"{protocol.title}: {len(protocol.steps)} steps, "
                            f"{'' if exact else 'at least '}{total:.4g} s")
        self.bar.setMaximum(len(protocol.steps))
        self.bar.setValue(0)
        self._update_buttons()
        return True

    def run(self) -> None:
        """Check the file again (it may have changed), then run it."""
        if self.running or not self.check() or self.protocol is None:
            return
        settings = self._settings()
        self.safe.setText(f"Stop leaves the magnet at {self._safe_text()}")
        self.runner = ProtocolRunner(self.context.hub, self.protocol,
                                     safe_force_pn=settings.safe_force,
                                     poll_s=settings.poll_interval_s, motion=self._motion())
        self._shown = (-1, "")
        self.runner.start()
        self.context.notify("info", f"protocol {self.protocol.name} started")
        self._on_refresh()

    def toggle_pause(self) -> None:
        """Pause, or resume a paused run."""
        if self.runner is None:
            return
        if self.runner.state == "paused":
            self.runner.resume()
        else:
            self.runner.pause()
        self._on_refresh()

    def stop(self) -> None:
        """Abort the run now (the magnet goes to the safe force)."""
        if self.runner is not None and self.running:
            self.runner.stop()
            self._on_refresh()

    @property
    def running(self) -> bool:
        """Whether a run is under way (paused included)."""
        return self.runner is not None and self.runner.state not in (*_ENDED, "ready")

    def close_panel(self) -> None:
        """The window closes: stop a running protocol (safe force) and the display ticks."""
        if self.runner is not None and self.running:
            self.runner.stop()
            self.runner.wait(10.0)
        try:
            self.context.events.refresh.disconnect(self._on_refresh)
        except (RuntimeError, TypeError):
            pass

    # ------------------------------------------------------------------ display
    def _motion(self) -> dict[str, MotionModel]:
        """The motors' models for the plan's motor moves, starting where the motors are."""
        try:
            models = motion_models(self.context.plugins, self.context.settings)
        except Exception as exc:
            log.warning("no motor models for the protocol plan: %s", exc)
            return {}
        here: dict[str, float] = {}
        try:
            if "magnet" in models or "rotation" in models:
                magnet = self.context.hub.call(GetMagnet(), timeout=1.0)
                here["magnet"] = float(magnet["target_mm"])
                here["rotation"] = float(magnet.get("target_turns", 0.0))
            if "focus" in models:
                here["focus"] = float(self.context.hub.call(GetFocus(), timeout=1.0)["target_nm"])
        except Exception as exc:  # a motor not answering: its configured start is used
            log.debug("motor positions for the plan: %s", exc)
        return {axis: attrs.evolve(m, position=here.get(axis, m.position))
                for axis, m in models.items()}

    def _fill_plan(self, protocol: Protocol) -> None:
        rows = protocol.plan(self._motion())
        self.plan.setRowCount(len(rows))
        for r, row in enumerate(rows):
            cells = (str(row.line or "-"), row.text,
                     "?" if row.duration_s is None else f"{row.duration_s:.4g} s",
                     f"{row.start_s:.4g} s")
            for c, text in enumerate(cells):
                self.plan.setItem(r, c, QTableWidgetItem(text))
        self.plan.resizeColumnsToContents()

    def _on_refresh(self) -> None:
        if self.runner is None:
            return
        p = self.runner.progress()
        self.bar.setMaximum(p.n_steps)
        self.bar.setValue(p.step)
        key = (p.step, p.state)
        if key != self._shown:
            self._shown = key
            where = f" (line {p.line})" if p.line else ""
            text = f"{p.state}: step {p.step}/{p.n_steps}{where}: {p.text}"
            if p.error:
                text += f"\n{p.error}"
            self.status.setText(text)
            if 0 < p.step <= self.plan.rowCount():
                self.plan.selectRow(p.step - 1)
            if p.state in _ENDED:
                level = "info" if p.state == "done" else "warning"
                self.context.notify(level, f"protocol {self.runner.protocol.name} {p.state}"
                                    + (f": {p.error}" if p.error else ""))
            self._update_buttons()
        self.left.setText(f"time left: {'' if p.exact else '≥ '}{p.time_left_s:.0f} s, "
                          f"elapsed {p.elapsed_s:.0f} s")

    def _update_buttons(self) -> None:
        running = self.running
        self.check_button.setEnabled(self.path is not None and not running)
        self.run_button.setEnabled(self.protocol is not None and not running)
        self.pause_button.setEnabled(running)
        self.stop_button.setEnabled(running)
        paused = self.runner is not None and self.runner.state == "paused"
        self.pause_button.setText("Resume" if paused else "Pause")


def run_in_window(window: MainWindow, path: Path) -> ProtocolRunner | None:
    """Show the window's Script panel, load ``path`` in it and run it.

    Returns
    -------
    ProtocolRunner or None
        The run's runner; None when the panel is not loaded or the file fails its check
        (the panel and the log say why).
    """
    panel = window.panel("script")
    if not isinstance(panel, ScriptPanel):
        log.error("protocol %s not run: the Script panel is not loaded (%s)", path,
                  window.failed_panels.get("script", "not among the panels"))
        return None
    window.set_panel_visible("script", True)
    if not panel.load(path):
        return None
    panel.run()
    log.info("Script panel: protocol %s loaded and started", path)
    return panel.runner
