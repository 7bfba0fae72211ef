"""The Z-LUT preview widget (pyqtgraph) and the table it shows."""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import pyqtgraph as pg
from numpy.typing import NDArray
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QHBoxLayout, QWidget

__all__ = ["ZLutPreview", "ZLutTable", "zlut_table"]


@attrs.frozen
class ZLutTable:
    """A Z-LUT as stored in its text file.

    Attributes
    ----------
    z_nm : ndarray, shape (n_planes,)
        Height of each plane.
    profiles : ndarray, shape (n_bins, n_planes)
        Radial profile of each plane (one column per plane).
    metadata : dict
        Free information (e.g. the candidate's scores).
    """

    z_nm: NDArray[np.float64]
    profiles: NDArray[np.float64]
    metadata: dict[str, Any]


def zlut_table(data: dict[str, Any]) -> ZLutTable:
    """A :class:`ZLutTable` from a ``GetZLutProfiles`` answer.

    The pipeline reads Z-LUT files with the tracker plugin's parser (the only one); the
    GUI shows what it answers.

    Raises
    ------
    ValueError
        If the answer does not hold a z row and ``(n_planes, n_bins)`` profiles.
    """
    z = np.asarray(data.get("z_nm", []), dtype=np.float64)
    prof = np.asarray(data.get("profiles", []), dtype=np.float64)
    if z.ndim != 1 or prof.ndim != 2 or prof.shape[0] != z.size or z.size < 2:
        raise ValueError(f"Z-LUT profiles of shape {prof.shape} for {z.size} planes: expected "
                         "(n_planes, n_bins) with at least 2 planes")
    return ZLutTable(z, prof.T.copy(), dict(data.get("metadata") or {}))


class ZLutPreview(QWidget):
    """Two plots of a Z-LUT: profiles as an image (z across, radius down), and lines."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image_plot = pg.PlotWidget()
        self.image_plot.setLabel("bottom", "z (nm)")
        self.image_plot.setLabel("left", "radius bin")
        self.image_plot.setTitle("Profiles by height")
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(pg.colormap.get("viridis"))
        self.image_plot.addItem(self.image)
        self.lines_plot = pg.PlotWidget()
        self.lines_plot.setLabel("bottom", "radius bin")
        self.lines_plot.setLabel("left", "intensity")
        self.lines_plot.setTitle("Selected planes")
        self.lines_plot.addLegend(offset=(-10, 10))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.image_plot, 3)
        layout.addWidget(self.lines_plot, 2)
        self.table: ZLutTable | None = None
        self.setMinimumHeight(220)

    def show_table(self, table: ZLutTable) -> None:
        """Display a Z-LUT."""
        self.table = table
        z, prof = table.z_nm, table.profiles
        order = np.argsort(z)
        z, prof = z[order], prof[:, order]
        self.image.setImage(prof, autoLevels=True)
        z0, z1 = float(z[0]), float(z[-1])
        step = (z1 - z0) / max(1, z.size - 1)
        self.image.setRect(QRectF(z0 - step / 2, 0.0, (z1 - z0) + step, float(prof.shape[0])))
        self.image_plot.getViewBox().invertY(True)
        self.image_plot.autoRange()
        self.lines_plot.clear()
        picks = sorted({0, z.size // 4, z.size // 2, (3 * z.size) // 4, z.size - 1})
        for n, i in enumerate(picks):
            colour = pg.intColor(n, hues=len(picks), maxValue=230)
            self.lines_plot.plot(prof[:, i], pen=pg.mkPen(colour, width=2),
                                 name=f"{z[i]:.0f} nm")

    def show_profiles(self, data: dict[str, Any]) -> ZLutTable:
        """Display a ``GetZLutProfiles`` answer (see :func:`zlut_table` for errors)."""
        table = zlut_table(data)
        self.show_table(table)
        return table
