"""Radial profile monitor: the selected bead's live radial profile against the Z-LUT.

While the panel is visible it sets the shared counters ``live_profile_enabled = 1`` and
``live_profile_bead = <selected bead>``; the pipeline then publishes that bead's newest
radial profile into the shared ``LiveProfile`` buffer, which the panel reads on display
ticks (``read(if_newer_than=version)``: nothing is copied when nothing is new). When a
Z-LUT is loaded (``GetZLut`` gives its path) the panel also draws the LUT plane closest
to the live profile (least squares) and names its z.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from magscope_core import GetZLut

if TYPE_CHECKING:
    from magscope_gui._context import PanelContext

__all__ = ["ProfilePanel", "load_zlut_matrix", "nearest_plane"]

_ZLUT_POLL_TICKS = 90  # ask which Z-LUT is loaded every ~3 s at 30 Hz


def load_zlut_matrix(path: str) -> tuple[np.ndarray, np.ndarray]:
    """Read a Z-LUT text file: ``(z (n_planes,), profiles (n_planes, n_bins))``.

    The file is the reference format (``numpy.loadtxt``-readable, ``#`` comments): row 0
    holds z in nm, rows 1.. the profile bins, one column per plane.

    Raises
    ------
    ValueError
        The file cannot be read or is not such a matrix (the message names the file).
    """
    try:
        m = np.loadtxt(path, comments="#", ndmin=2)
    except (OSError, ValueError) as exc:
        raise ValueError(f"Z-LUT file {path!r} cannot be read as a matrix: {exc}") from exc
    if m.shape[0] < 2 or m.shape[1] < 1:
        raise ValueError(f"Z-LUT file {path!r}: expected a z row and >= 1 profile row, got "
                         f"a {m.shape[0]}x{m.shape[1]} matrix")
    return m[0].copy(), np.ascontiguousarray(m[1:].T)


def nearest_plane(profiles: np.ndarray, sample: np.ndarray) -> int:
    """Index of the row of ``profiles`` ``(n_planes, n_bins)`` closest to ``sample`` (L2)."""
    return int(np.argmin(np.sum((profiles - sample[None, :]) ** 2, axis=1)))


class ProfilePanel(QtWidgets.QWidget):
    """Live radial profile of the selected bead (panel id ``profile``).

    Parameters
    ----------
    context
        The GUI's :class:`~magscope_gui._context.PanelContext`.
    """

    def __init__(self, context: PanelContext) -> None:
        super().__init__()
        self.context = context
        self._version: int | None = None
        self._ticks = 0
        self._publishing = False
        self.zlut_path: str | None = None
        self.zlut: tuple[np.ndarray, np.ndarray] | None = None
        self.samples: np.ndarray | None = None
        self.lut_plane: int | None = None

        self.show_lut = QtWidgets.QCheckBox("Nearest Z-LUT plane")
        self.show_lut.setChecked(True)
        self.show_lut.toggled.connect(self._draw)
        self.info = QtWidgets.QLabel()
        self.info.setWordWrap(True)
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.setMinimumHeight(140)
        self.plot.setLabel("bottom", "radius (bin)")
        self.plot.setLabel("left", "intensity")
        self.plot.addLegend(offset=(-10, 10))
        accent = str(context.gui_setting("accent_color", "#3daee9"))
        self.curve = self.plot.plot(pen=pg.mkPen(accent, width=2), name="live")
        self.lut_curve = self.plot.plot(
            pen=pg.mkPen("#bdbdbd", width=1, style=QtCore.Qt.PenStyle.DashLine),
            name="Z-LUT")
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.show_lut)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.info)
        self._set_info()
        ev = context.events
        ev.refresh.connect(self.refresh)
        ev.bead_selected.connect(self._bead_selected)

    # -- publishing switch ---------------------------------------------------------
    def _counters(self) -> Any:
        return self.context.resources.counters()

    def set_publishing(self, on: bool) -> None:
        """Ask the pipeline to publish (or stop publishing) the selected bead's profile."""
        try:
            counters = self._counters()
            counters.set("live_profile_bead", self.context.selected_bead)
            counters.set("live_profile_enabled", 1 if on else 0)
        except Exception as exc:  # buffers released at shutdown
            if on:
                self.context.notify("warning", f"radial profile monitor: {exc}")
            return
        self._publishing = on

    def showEvent(self, event: Any) -> None:
        """Start publishing and look up the Z-LUT."""
        super().showEvent(event)
        self.set_publishing(True)
        self.check_zlut()

    def hideEvent(self, event: Any) -> None:
        """Stop publishing (the pipeline then skips the work)."""
        self.set_publishing(False)
        super().hideEvent(event)

    def _bead_selected(self, bead: int) -> None:
        if self._publishing:
            self.set_publishing(True)
        self.samples = None
        self.curve.setData([], [])
        self.lut_curve.setData([], [])
        self._set_info()

    # -- Z-LUT ---------------------------------------------------------------------
    def check_zlut(self) -> None:
        """Ask the pipeline which Z-LUT is loaded and read its file when it changed."""
        try:
            meta = self.context.hub.call(GetZLut(), timeout=1.0)
        except Exception:
            meta = None  # no pipeline (yet): no LUT line; not worth a notification
        path = str(meta["path"]) if isinstance(meta, dict) and meta.get("path") else None
        if path != self.zlut_path:
            self.set_zlut_file(path)

    def set_zlut_file(self, path: str | None) -> None:
        """Compare live profiles with the Z-LUT in ``path`` (None: no LUT)."""
        self.zlut_path, self.zlut = path, None
        if path is not None:
            try:
                self.zlut = load_zlut_matrix(path)
            except ValueError as exc:
                self.context.notify("warning", f"radial profile monitor: {exc}")
        self._draw()

    # -- display -------------------------------------------------------------------
    def refresh(self) -> None:
        """Show a newer profile if one was published (called on display ticks)."""
        if not self.isVisible():
            return
        self._ticks += 1
        if self._ticks % _ZLUT_POLL_TICKS == 0:
            self.check_zlut()
        res = self.context.resources
        if res.profile_handle is None:
            return
        read = res.profile().read(if_newer_than=self._version)
        if read is None:
            return
        self._version = read.version
        if read.bead_id != self.context.selected_bead or read.samples.size == 0:
            return  # published before the selection changed
        self.samples = read.samples
        self._draw()

    def _draw(self, *_: Any) -> None:
        self.lut_plane = None
        if self.samples is None:
            self._set_info()
            return
        r = np.arange(self.samples.size, dtype=np.float64)
        self.curve.setData(r, self.samples)
        lut = self.zlut
        if lut is not None and self.show_lut.isChecked() and lut[1].shape[1] == self.samples.size:
            self.lut_plane = nearest_plane(lut[1], self.samples)
            self.lut_curve.setData(r, lut[1][self.lut_plane])
        else:
            self.lut_curve.setData([], [])
        self._set_info()

    def _set_info(self) -> None:
        bead = self.context.selected_bead
        if bead < 0:
            text = "select a bead in the video"
        elif self.samples is None:
            text = f"bead {bead}: waiting for a profile (tracking must be on)"
        else:
            text = f"bead {bead}: {self.samples.size} bins"
        if self.zlut is None:
            text += "; no Z-LUT loaded" if self.zlut_path is None else "; Z-LUT unreadable"
        elif self.lut_plane is not None:
            text += f"; nearest Z-LUT plane z = {self.zlut[0][self.lut_plane]:.0f} nm"
        elif self.samples is not None and self.zlut[1].shape[1] != self.samples.size:
            text += f"; Z-LUT has {self.zlut[1].shape[1]} bins, not comparable"
        self.info.setText(text)

    # -- panel protocol ------------------------------------------------------------
    def save_state(self) -> dict[str, Any]:
        """Whether the Z-LUT plane is drawn."""
        return {"show_lut": self.show_lut.isChecked()}

    def restore_state(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`save_state` returned."""
        self.show_lut.setChecked(bool(state.get("show_lut", True)))

    def close_panel(self) -> None:
        """Stop publishing and stop reacting to display ticks."""
        self.set_publishing(False)
        try:
            self.context.events.refresh.disconnect(self.refresh)
        except (RuntimeError, TypeError):
            pass
