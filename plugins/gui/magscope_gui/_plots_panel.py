"""Live plots: X, Y, Z of the selected bead over time, and hardware telemetry.

On every display tick the panel reads only the rows added to the shared tracks matrix
since its cursor (``read_since``) and keeps, per bead of interest (the selected one and
the reference), a :class:`SeriesBuffer` of the displayed time window. A bead that becomes
selected is back-filled once with ``rows_of_bead`` (one vectorised pass). Every
telemetry ring of a hardware plugin (``resources.telemetry_handles``: focus position,
magnet position, force, ...) can be added as an extra plot from the "Plots" menu.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from magscope_gui._series import SeriesBuffer
from magscope_gui._toolbar import (
    compact_spin,
    control_row,
    menu_action,
    panel_toolbar,
    shrinkable_label,
)

if TYPE_CHECKING:
    from magscope_gui._context import PanelContext

__all__ = ["DEFAULT_WINDOW_S", "PlotsPanel"]

DEFAULT_WINDOW_S = 30.0
"""Seconds shown by default."""

TRACK_PLOTS: dict[str, str] = {"x": "X (nm)", "y": "Y (nm)", "z": "Z (nm)"}
"""The bead plots: key -> axis label."""

Z_HINT = "Z needs a Z-LUT (see the Z-LUT menu)"
"""Shown on the Z plot while the selected bead's Z is unknown (NaN)."""

_UNITS = {"nm": "nm", "mm": "mm", "um": "µm", "pn": "pN", "s": "s", "deg": "°"}


def telemetry_label(name: str, column: str) -> str:
    """Axis label of a telemetry column: ``("magnet", "force_pn")`` -> ``"magnet force (pN)"``."""
    head, _, unit = column.rpartition("_")
    if head and unit.lower() in _UNITS:
        return f"{name} {head.replace('_', ' ')} ({_UNITS[unit.lower()]})"
    return f"{name} {column.replace('_', ' ')}"


class PlotsPanel(QtWidgets.QWidget):
    """Time plots of the selected bead and of hardware telemetry (panel id ``plots``).

    Parameters
    ----------
    context
        The GUI's :class:`~magscope_gui._context.PanelContext`.
    """

    def __init__(self, context: PanelContext) -> None:
        super().__init__()
        self.context = context
        self._shown: list[str] = list(TRACK_PLOTS)
        self._limits: dict[str, tuple[float, float]] = {}
        self._series: dict[int, SeriesBuffer] = {}
        self._cursor = -1
        self._telemetry: dict[str, tuple[SeriesBuffer, int]] = {}
        self._dirty = True
        self._origin: float | None = None  # oldest time held since the buffers were reset
        self._z_hint: Any = None  # pg.TextItem on the Z plot while Z is unknown
        self.plots: dict[str, tuple[Any, Any]] = {}  # key -> (PlotItem, PlotDataItem)

        self.window_s = QtWidgets.QDoubleSpinBox()
        self.window_s.setRange(1.0, 86_400.0)
        self.window_s.setDecimals(1)
        self.window_s.setValue(DEFAULT_WINDOW_S)
        self.window_s.setSuffix(" s")
        self.window_s.setKeyboardTracking(False)
        self.window_s.setToolTip("Time window shown (until that much data has come, the "
                                 "time axis spans the data there is)")
        self.window_s.valueChanged.connect(self._window_changed)
        compact_spin(self.window_s, 84)
        self.toolbar = panel_toolbar("Plots")
        self.menu = QtWidgets.QMenu("Plots", self)
        self.menu.setToolTipsVisible(True)
        self.actions_by_key: dict[str, QtGui.QAction] = {}
        self.relative_time = QtGui.QAction("Relative time axis", self)
        self.relative_time.setCheckable(True)
        self.relative_time.setChecked(True)
        self.relative_time.setToolTip("Seconds before the newest point (else clock time)")
        self.relative_time.toggled.connect(self._build_plots)
        self._fill_menu()
        menu_action(self.toolbar, "Plots", self.menu, "Choose the plots shown (bead X, Y, Z "
                    "and hardware telemetry)")
        self.use_reference = self.toolbar.addAction("Minus reference")
        self.use_reference.setCheckable(True)
        self.use_reference.setToolTip("Plot the selected bead minus the reference bead "
                                      "(Z sign flipped: positive = further from the surface)")
        self.use_reference.toggled.connect(self._beads_of_interest_changed)

        self.limit_plot = QtWidgets.QComboBox()
        self.limit_plot.setToolTip("Plot whose Y limits are edited")
        self.limit_auto = QtWidgets.QCheckBox("Automatic")
        self.limit_auto.setChecked(True)
        self.limit_min = QtWidgets.QDoubleSpinBox()
        self.limit_max = QtWidgets.QDoubleSpinBox()
        for spin in (self.limit_min, self.limit_max):
            spin.setRange(-1e9, 1e9)
            spin.setDecimals(2)
            spin.setKeyboardTracking(False)
            spin.setEnabled(False)
            spin.valueChanged.connect(self._limits_edited)
            compact_spin(spin, 110, grow=True)
        self.limit_max.setValue(1000.0)
        self.limit_auto.toggled.connect(self._limits_edited)
        self.limit_plot.currentIndexChanged.connect(self._show_limits)
        self.limits_menu = QtWidgets.QMenu("Y limits", self)
        limits_form = QtWidgets.QWidget()
        form = QtWidgets.QFormLayout(limits_form)
        form.setContentsMargins(8, 6, 8, 6)
        form.addRow("Plot", self.limit_plot)
        form.addRow("", self.limit_auto)
        form.addRow("Low", self.limit_min)
        form.addRow("High", self.limit_max)
        limits_action = QtWidgets.QWidgetAction(self.limits_menu)
        limits_action.setDefaultWidget(limits_form)
        self.limits_menu.addAction(limits_action)
        menu_action(self.toolbar, "Y limits", self.limits_menu,
                    "Fixed or automatic Y range of each plot")
        self.info = shrinkable_label()
        self.info.setAlignment(QtCore.Qt.AlignmentFlag.AlignRight
                               | QtCore.Qt.AlignmentFlag.AlignVCenter)
        bar = control_row("Window", self.window_s, bar=self.toolbar, tail=self.info)
        self.graphics = pg.GraphicsLayoutWidget()
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(bar)
        layout.addWidget(self.graphics, 1)
        self._build_plots()
        self._update_info()

        ev = context.events
        ev.refresh.connect(self.refresh)
        ev.bead_selected.connect(self._beads_of_interest_changed)
        ev.reference_bead_changed.connect(self._beads_of_interest_changed)

    # -- plot set ------------------------------------------------------------------
    def telemetry_columns(self) -> dict[str, tuple[str, ...]]:
        """Telemetry rings of the session: manager name -> value columns (no ``t``)."""
        return {name: tuple(c for c in handle.columns if c != "t")
                for name, handle in sorted(self.context.resources.telemetry_handles.items())}

    def _fill_menu(self) -> None:
        self.menu.clear()
        self.actions_by_key.clear()
        entries = [(k, label) for k, label in TRACK_PLOTS.items()]
        tel = self.telemetry_columns()
        for name, columns in tel.items():
            entries += [(f"tel:{name}:{c}", telemetry_label(name, c)) for c in columns]
        for i, (key, label) in enumerate(entries):
            if i == len(TRACK_PLOTS) and tel:
                self.menu.addSeparator()
            action = self.menu.addAction(label)
            action.setCheckable(True)
            action.setChecked(key in self._shown)
            action.setData(key)
            action.toggled.connect(self._action_toggled)  # bound method: see _action_toggled
            self.actions_by_key[key] = action
        self.menu.addSeparator()
        self.menu.addAction(self.relative_time)

    def _action_toggled(self, on: bool) -> None:
        # the action is found with sender(): a lambda holding ``self`` connected to a
        # child's signal can crash PySide6 6.11 when the panel is deleted
        action = self.sender()
        if isinstance(action, QtGui.QAction):
            self.show_plot(str(action.data()), on)

    def show_plot(self, key: str, on: bool = True) -> None:
        """Show (or hide) the plot ``key`` (``"x"``, ``"y"``, ``"z"`` or ``"tel:name:col"``)."""
        if key not in self.actions_by_key:
            raise KeyError(f"no plot {key!r}; plots are {list(self.actions_by_key)}")
        if on and key not in self._shown:
            self._shown.append(key)
        elif not on and key in self._shown:
            self._shown.remove(key)
        else:
            return
        order = list(self.actions_by_key)
        self._shown.sort(key=order.index)
        action = self.actions_by_key[key]
        if action.isChecked() != on:
            action.setChecked(on)
        self._build_plots()

    def _label(self, key: str) -> str:
        return str(self.actions_by_key[key].text())

    def _build_plots(self) -> None:
        self.graphics.clear()
        self.plots.clear()
        pen = pg.mkPen(str(self.context.gui_setting("accent_color", "#3daee9")), width=1)
        first = None
        for i, key in enumerate(self._shown):
            axis = ({"bottom": pg.DateAxisItem(orientation="bottom")}
                    if not self.relative_time.isChecked() else None)
            plot = self.graphics.addPlot(row=i, col=0, axisItems=axis)
            plot.setLabel("left", self._label(key))
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.setMenuEnabled(False)
            plot.getAxis("left").setWidth(60)
            if i < len(self._shown) - 1:
                plot.getAxis("bottom").setStyle(showValues=False)
            elif self.relative_time.isChecked():
                plot.setLabel("bottom", "time (s)")
            curve = plot.plot(pen=pen)
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
            if first is None:
                first = plot
            else:
                plot.setXLink(first)
            self.plots[key] = (plot, curve)
            self._apply_limits(key)
        self._z_hint = None
        if "z" in self.plots:  # Z is NaN until a Z-LUT is loaded: say so on the plot
            hint = pg.TextItem(Z_HINT, color=self.palette().placeholderText().color(),
                               anchor=(0, 0))
            hint.setParentItem(self.plots["z"][0].getViewBox())  # fixed, not in data
            hint.setPos(8, 4)
            hint.hide()
            self._z_hint = hint
        current = self.limit_plot.currentText()
        self.limit_plot.blockSignals(True)
        self.limit_plot.clear()
        for key in self._shown:
            self.limit_plot.addItem(self._label(key), key)
        self.limit_plot.setCurrentIndex(max(0, self.limit_plot.findText(current)))
        self.limit_plot.blockSignals(False)
        self._show_limits()
        self._dirty = True

    # -- limits --------------------------------------------------------------------
    def set_limits(self, key: str, limits: tuple[float, float] | None) -> None:
        """Fixed Y limits ``(low, high)`` of plot ``key``, or None for automatic."""
        if limits is None:
            self._limits.pop(key, None)
        else:
            self._limits[key] = (float(limits[0]), float(limits[1]))
        self._apply_limits(key)
        self._show_limits()

    def _apply_limits(self, key: str) -> None:
        if key not in self.plots:
            return
        plot = self.plots[key][0]
        limits = self._limits.get(key)
        if limits is None:
            plot.enableAutoRange(y=True)
            plot.setAutoVisible(y=True)
        else:
            plot.enableAutoRange(y=False)
            plot.setYRange(*limits, padding=0)

    def _show_limits(self, *_: int) -> None:
        key = self.limit_plot.currentData()
        limits = self._limits.get(key) if key is not None else None
        widgets = (self.limit_auto, self.limit_min, self.limit_max)
        for w in widgets:
            w.blockSignals(True)
        self.limit_auto.setChecked(limits is None)
        if limits is not None:
            self.limit_min.setValue(limits[0])
            self.limit_max.setValue(limits[1])
        for w in widgets:
            w.blockSignals(False)
        self.limit_min.setEnabled(limits is not None)
        self.limit_max.setEnabled(limits is not None)

    def _limits_edited(self, *_: object) -> None:
        key = self.limit_plot.currentData()
        if key is None:
            return
        if self.limit_auto.isChecked():
            self.set_limits(str(key), None)
        else:
            lo, hi = self.limit_min.value(), self.limit_max.value()
            self.set_limits(str(key), (lo, hi) if hi > lo else (lo, lo + 1.0))

    # -- data ----------------------------------------------------------------------
    def _wanted(self) -> set[int]:
        ctx = self.context
        beads = {ctx.selected_bead}
        if self.use_reference.isChecked():
            beads.add(ctx.reference_bead)
        return {b for b in beads if b >= 0}

    def _beads_of_interest_changed(self, *_: object) -> None:
        wanted = self._wanted()
        for bead in list(self._series):
            if bead not in wanted:
                del self._series[bead]
        self._origin = None
        self._dirty = True
        self._update_info()

    def _window_changed(self) -> None:
        self._series.clear()  # back-filled for the new window on the next tick
        self._telemetry.clear()
        self._origin = None
        self._dirty = True

    def showEvent(self, event: Any) -> None:
        """Catch up in one pass after being hidden (no replay of what was missed)."""
        self._cursor = -1
        self._series.clear()
        self._telemetry.clear()
        self._origin = None
        super().showEvent(event)

    def _read_tracks(self, tracks: Any) -> None:
        cols = [tracks.column(c) for c in ("t", "x", "y", "z")]
        cb = tracks.column("bead")
        wanted = self._wanted()
        if self._cursor < 0:
            self._cursor = tracks.total_written
        else:
            read = tracks.read_since(self._cursor)
            self._cursor = read.cursor
            rows = read.rows
            if rows.shape[0]:
                for bead, series in self._series.items():
                    mine = rows[rows[:, cb] == bead]
                    if mine.shape[0]:
                        series.append(mine[:, cols])
                        self._dirty = True
        for bead in wanted - set(self._series):
            newest = tracks.latest(1)
            t_end = float(newest[0, cols[0]]) if newest.shape[0] else time.time()
            series = SeriesBuffer(4)
            series.append(tracks.rows_of_bead(bead, newer_than=t_end - self.window_s.value())
                          [:, cols])
            self._series[bead] = series
            self._dirty = True

    def _read_telemetry(self) -> None:
        names = {k.split(":")[1] for k in self._shown if k.startswith("tel:")}
        res = self.context.resources
        for name in names:
            ring = res.telemetry(name)
            state = self._telemetry.get(name)
            if state is None:
                series = SeriesBuffer(len(ring.columns), 1024)
                series.append(ring.rows_newer_than(time.time() - self.window_s.value()))
                self._telemetry[name] = (series, ring.total_written)
                self._dirty = True
                continue
            series, cursor = state
            read = ring.read_since(cursor)
            if read.rows.shape[0]:
                series.append(read.rows)
                self._dirty = True
            self._telemetry[name] = (series, read.cursor)

    def refresh(self) -> None:
        """Read what is new and redraw (called on every display tick while visible)."""
        if not self.isVisible():
            return
        res = self.context.resources
        if res.tracks_handle is not None:
            self._read_tracks(res.tracks())
        self._read_telemetry()
        if self._dirty:
            self._dirty = False
            self.redraw()

    def _bead_data(self) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Times and x/y/z of the selected bead (minus the reference when asked)."""
        ctx = self.context
        sel = self._series.get(ctx.selected_bead)
        if sel is None or not len(sel):
            return np.zeros(0), {}
        s = sel.rows()
        ref = self._series.get(ctx.reference_bead) if self.use_reference.isChecked() else None
        if ref is None or ctx.reference_bead == ctx.selected_bead:
            return s[:, 0].copy(), {"x": s[:, 1].copy(), "y": s[:, 2].copy(),
                                    "z": s[:, 3].copy()}
        r = ref.rows()
        t, i_s, i_r = np.intersect1d(s[:, 0], r[:, 0], assume_unique=True, return_indices=True)
        return t, {"x": s[i_s, 1] - r[i_r, 1], "y": s[i_s, 2] - r[i_r, 2],
                   "z": r[i_r, 3] - s[i_s, 3]}

    def redraw(self) -> None:
        """Put the buffered data into the curves and move the time window."""
        buffers = (*self._series.values(), *(s for s, _ in self._telemetry.values()))
        ends = [t for t in (b.last_time() for b in buffers) if t is not None]
        if not ends:
            for _, curve in self.plots.values():
                curve.setData([], [])
            return
        t_end = max(ends)
        window = self.window_s.value()
        first = min(t for t in (b.first_time() for b in buffers) if t is not None)
        self._origin = first if self._origin is None else min(self._origin, first)
        for series in buffers:
            series.trim(t_end - window)
        t, values = self._bead_data()
        shift = t_end if self.relative_time.isChecked() else 0.0
        for key, (_plot, curve) in self.plots.items():
            if key in TRACK_PLOTS:
                x, y = t, values.get(key, np.zeros(0))
            else:
                _, name, column = key.split(":", 2)
                state = self._telemetry.get(name)
                if state is None:
                    continue
                rows = state[0].rows()
                c = self.context.resources.telemetry(name).column(column)
                x, y = rows[:, 0], rows[:, c]
            curve.setData(x - shift if x.size else x, y, connect="finite")
            if key == "z" and self._z_hint is not None:
                self._z_hint.setVisible(bool(y.size) and not bool(np.isfinite(y).any()))
        top = next(iter(self.plots.values()), None)
        if top is not None:  # the window, or less while less data has come (min 1 s)
            span = min(window, max(t_end - self._origin, 1.0))
            top[0].setXRange(t_end - span - shift, t_end - shift, padding=0)

    def _update_info(self) -> None:
        ctx = self.context
        if ctx.selected_bead < 0:
            self.info.setText("select a bead in the video")
        elif self.use_reference.isChecked() and ctx.reference_bead >= 0:
            self.info.setText(f"bead {ctx.selected_bead} minus reference {ctx.reference_bead}")
        else:
            self.info.setText(f"bead {ctx.selected_bead}")

    # -- panel protocol ------------------------------------------------------------
    def save_state(self) -> dict[str, Any]:
        """Window, time mode, reference use, shown plots and Y limits."""
        return {"window_s": self.window_s.value(), "relative": self.relative_time.isChecked(),
                "reference": self.use_reference.isChecked(), "shown": list(self._shown),
                "limits": {k: list(v) for k, v in self._limits.items()}}

    def restore_state(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`save_state` returned (unknown plots are skipped)."""
        self.window_s.setValue(float(state.get("window_s", self.window_s.value())))
        self.relative_time.setChecked(bool(state.get("relative", True)))
        self.use_reference.setChecked(bool(state.get("reference", False)))
        for key, lim in dict(state.get("limits", {})).items():
            self._limits[str(key)] = (float(lim[0]), float(lim[1]))
        shown = [k for k in state.get("shown", self._shown) if k in self.actions_by_key]
        for key in list(self.actions_by_key):
            self.show_plot(key, key in shown)
        self._build_plots()

    def close_panel(self) -> None:
        """Stop reacting to display ticks."""
        try:
            self.context.events.refresh.disconnect(self.refresh)
        except (RuntimeError, TypeError):
            pass
