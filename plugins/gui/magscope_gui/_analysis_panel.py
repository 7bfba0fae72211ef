"""Analysis panel: live force from Brownian motion and Allan deviation of the selected bead.

Over the last ``window`` seconds of the selected bead minus the reference bead (the tracks
matrix, read incrementally like the live plots), the panel shows

- the Allan deviation of X, Y and Z against the averaging time (log-log), and
- the force along and across the magnetic field by the chosen method (PSD or Allan
  variance, both corrected for camera blur and aliasing; see ``docs/forces.md``), with its
  uncertainty, the extension and the corner frequency.

The force needs Z (a Z-LUT): without it only the Allan deviations are shown. Bead radius
and field axis default to the ``writer.hdf5`` settings, so the panel and the recording
agree. The analysis runs at most every :data:`UPDATE_S` seconds (numpy, ~20 ms per force
for 6000 frames).
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from magscope_analysis import ForceEstimate, allan_deviation, brownian_force
from PySide6 import QtCore, QtWidgets

from magscope_gui._series import SeriesBuffer
from magscope_gui._toolbar import compact_spin, control_row, panel_toolbar, shrinkable_label

if TYPE_CHECKING:
    from magscope_gui._context import PanelContext

__all__ = ["UPDATE_S", "AnalysisPanel", "BeadAnalysis", "analyse"]

UPDATE_S = 2.0
"""Seconds between two analyses."""

_COLORS = {"x": "#e8524a", "y": "#4caf50", "z": "#3daee9"}


class BeadAnalysis:
    """What the panel shows for one bead: Allan deviations and forces.

    Attributes
    ----------
    adev
        Axis -> ``(window_s, allan deviation nm)``.
    forces
        Axis (``"x"``, ``"y"``) -> :class:`~magscope_analysis.ForceEstimate`.
    fps
        Frame rate measured from the timestamps.
    n_frames
        Frames analysed.
    note
        Why no force is shown (``""`` when there is one).
    """

    def __init__(self) -> None:
        self.adev: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.forces: dict[str, ForceEstimate] = {}
        self.fps = math.nan
        self.n_frames = 0
        self.note = ""


def analyse(t: np.ndarray, xyz: np.ndarray, *, radius_nm: float, field_axis: str,
            method: str) -> BeadAnalysis:
    """Allan deviations and forces of one bead (``xyz``: ``(n, 3)``, minus the reference).

    ``xyz[:, 2]`` is the height above the reference bead (the extension when the reference
    is stuck to the surface).
    """
    out = BeadAnalysis()
    out.n_frames = int(t.size)
    if t.size < 16:
        out.note = "waiting for data"
        return out
    out.fps = 1.0 / float(np.median(np.diff(t)))
    for i, axis in enumerate("xyz"):
        out.adev[axis] = allan_deviation(xyz[:, i], out.fps)
    ok = np.isfinite(xyz).all(axis=1)
    if ok.mean() < 0.9:
        out.note = "force needs Z in every frame (a Z-LUT)"
        return out
    ext = np.abs(xyz[ok, 2])
    if float(np.mean(ext)) < 50.0:
        out.note = "bead on the surface (extension < 50 nm)"
        return out
    for i, axis in enumerate("xy"):
        try:
            out.forces[axis] = brownian_force(
                xyz[ok, i], ext, fps=out.fps, radius_nm=radius_nm,
                along_field=axis == field_axis, method=method)  # type: ignore[arg-type]
        except ValueError as exc:
            out.note = str(exc)
    return out


class AnalysisPanel(QtWidgets.QWidget):
    """Force and Allan deviation of the selected bead (panel id ``analysis``).

    Parameters
    ----------
    context
        The GUI's :class:`~magscope_gui._context.PanelContext`.
    """

    def __init__(self, context: PanelContext) -> None:
        super().__init__()
        self.context = context
        self._series: dict[int, SeriesBuffer] = {}
        self._cursor = -1
        self._last = 0.0
        self.result: BeadAnalysis | None = None
        radius, axis = 500.0, "x"
        try:
            hdf5 = context.settings.get("writer.hdf5")
            radius, axis = float(hdf5.bead_radius_nm), str(hdf5.field_axis)
        except Exception:
            pass  # the writers plugin is not installed: defaults

        self.window_s = QtWidgets.QDoubleSpinBox()
        self.window_s.setRange(5.0, 3600.0)
        self.window_s.setValue(60.0)
        self.window_s.setSuffix(" s")
        self.window_s.setToolTip("Time analysed (a force needs >= 100 corner times)")
        self.window_s.valueChanged.connect(self._reset)
        compact_spin(self.window_s, 84)
        self.radius = QtWidgets.QDoubleSpinBox()
        self.radius.setRange(1.0, 100_000.0)
        self.radius.setValue(radius)
        self.radius.setSuffix(" nm")
        self.radius.setToolTip("Bead radius: pendulum l + R along the field, surface drag")
        compact_spin(self.radius, 96)
        self.axis = QtWidgets.QComboBox()
        self.axis.addItems(["x", "y"])
        self.axis.setCurrentText(axis)
        self.axis.setToolTip("Image axis along the magnetic field (long pendulum l + R)")
        self.method = QtWidgets.QComboBox()
        self.method.addItem("PSD", "psd")
        self.method.addItem("Allan variance", "allan")
        self.method.setToolTip("Estimator, both corrected for camera blur and aliasing")
        for w in (self.radius, self.axis, self.method):
            signal = w.valueChanged if isinstance(w, QtWidgets.QDoubleSpinBox) else \
                w.currentIndexChanged
            signal.connect(self._force_update)
        self.toolbar = panel_toolbar("Analysis")
        self.info = shrinkable_label()
        self.info.setAlignment(QtCore.Qt.AlignmentFlag.AlignLeft
                               | QtCore.Qt.AlignmentFlag.AlignVCenter)
        # two short rows: the panel fits the side dock
        bar = control_row("Window", self.window_s, "R", self.radius, bar=self.toolbar)
        bar2 = control_row("Field", self.axis, self.method)
        self.force_label = QtWidgets.QLabel("select a bead in the video")
        self.force_label.setWordWrap(True)
        self.force_label.setMinimumWidth(10)
        self.force_label.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored,
                                       QtWidgets.QSizePolicy.Policy.Preferred)
        self.force_label.setTextInteractionFlags(
            QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setMinimumSize(200, 160)
        self.plot = self.graphics.addPlot()
        self.plot.setLogMode(x=True, y=True)
        self.plot.setLabel("bottom", "averaging time (s)")
        self.plot.setLabel("left", "Allan deviation (nm)")
        self.plot.showGrid(x=True, y=True, alpha=0.3)
        self.plot.addLegend(offset=(-10, 10))
        self.curves = {a: self.plot.plot([], [], pen=pg.mkPen(c, width=1.5), symbol="o",
                                         symbolSize=4, symbolBrush=c, name=a.upper())
                       for a, c in _COLORS.items()}
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(bar)
        layout.addLayout(bar2)
        layout.addWidget(self.force_label)
        layout.addWidget(self.info)
        layout.addWidget(self.graphics, 1)
        ev = context.events
        ev.refresh.connect(self.refresh)
        ev.bead_selected.connect(self._reset)
        ev.reference_bead_changed.connect(self._reset)

    # -- data --------------------------------------------------------------------------
    def _wanted(self) -> set[int]:
        ctx = self.context
        return {b for b in (ctx.selected_bead, ctx.reference_bead) if b >= 0}

    def _reset(self, *_: object) -> None:
        self._series.clear()
        self._force_update()

    def _force_update(self, *_: object) -> None:
        self._last = 0.0

    def _read_tracks(self, tracks: Any) -> None:
        cols = [tracks.column(c) for c in ("t", "x", "y", "z")]
        cb = tracks.column("bead")
        if self._cursor >= 0:
            read = tracks.read_since(self._cursor)
            self._cursor = read.cursor
            for bead, series in self._series.items():
                mine = read.rows[read.rows[:, cb] == bead]
                if mine.shape[0]:
                    series.append(mine[:, cols])
        else:
            self._cursor = tracks.total_written
        for bead in self._wanted() - set(self._series):
            newest = tracks.latest(1)
            t_end = float(newest[0, cols[0]]) if newest.shape[0] else time.time()
            series = SeriesBuffer(4, 8192)
            series.append(tracks.rows_of_bead(bead, newer_than=t_end - self.window_s.value())
                          [:, cols])
            self._series[bead] = series

    def bead_data(self) -> tuple[np.ndarray, np.ndarray]:
        """``(t, xyz)`` of the selected bead minus the reference over the window."""
        ctx = self.context
        sel = self._series.get(ctx.selected_bead)
        if sel is None or not len(sel):
            return np.zeros(0), np.zeros((0, 3))
        last = sel.last_time()
        for s in self._series.values():
            s.trim((last or 0.0) - self.window_s.value())
        s_rows = sel.rows()
        ref = self._series.get(ctx.reference_bead)
        if ref is None or ctx.reference_bead == ctx.selected_bead:
            return s_rows[:, 0].copy(), s_rows[:, 1:4].copy()
        r = ref.rows()
        t, i_s, i_r = np.intersect1d(s_rows[:, 0], r[:, 0], assume_unique=True,
                                     return_indices=True)
        return t, s_rows[i_s, 1:4] - r[i_r, 1:4]

    def refresh(self) -> None:
        """Read new rows; analyse again every :data:`UPDATE_S` seconds."""
        if not self.isVisible() or self.context.selected_bead < 0:
            return
        res = self.context.resources
        if res.tracks_handle is not None:
            self._read_tracks(res.tracks())
        now = time.monotonic()
        if now - self._last >= UPDATE_S:
            self._last = now
            self.update_analysis()

    def update_analysis(self) -> None:
        """Analyse the window now and redraw."""
        t, xyz = self.bead_data()
        self.result = analyse(t, xyz, radius_nm=self.radius.value(),
                              field_axis=self.axis.currentText(),
                              method=str(self.method.currentData()))
        self._show(self.result)

    def _show(self, r: BeadAnalysis) -> None:
        ctx = self.context
        for axis, curve in self.curves.items():
            tau, adev = r.adev.get(axis, (np.zeros(0), np.zeros(0)))
            keep = np.isfinite(adev) & (adev > 0)
            curve.setData(tau[keep], adev[keep])
        ref = (f" - ref {ctx.reference_bead}" if ctx.reference_bead >= 0
               and ctx.reference_bead != ctx.selected_bead else " (no reference bead)")
        self.info.setText(f"bead {ctx.selected_bead}{ref}: {r.n_frames} frames"
                          + (f" at {r.fps:.1f} fps" if math.isfinite(r.fps) else ""))
        if not r.forces:
            self.force_label.setText(r.note or "no force")
            return
        parts = []
        for axis, f in r.forces.items():
            where = "along field" if f.along_field else "across"
            parts.append(f"F_{axis} = {f.force_pn:.3g} ± {f.sigma_pn:.2g} pN ({where}, "
                         f"f_c {f.corner_hz:.3g} Hz)")
        first = next(iter(r.forces.values()))
        self.force_label.setText("\n".join(parts) + f"\nl = {first.extension_nm:.0f} nm")
