"""Reading a Z-LUT text file for display, and the preview widget (pyqtgraph)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pyqtgraph as pg
from numpy.typing import NDArray
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QHBoxLayout, QWidget

__all__ = ["ZLutPreview", "ZLutTable", "read_zlut_table"]


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
        The ``# metadata: {...}`` comment of the file, if any.
    """

    z_nm: NDArray[np.float64]
    profiles: NDArray[np.float64]
    metadata: dict[str, Any]


def read_zlut_table(path: str | Path) -> ZLutTable:
    """Read a Z-LUT text file: row 0 is z (nm), rows 1.. are profile bins, ``#`` comments.

    Raises
    ------
    ValueError
        Naming the file and what is wrong (not numeric, too few rows or planes).
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"Z-LUT {p}: cannot be read ({exc})") from None
    metadata: dict[str, Any] = {}
    for line in text.splitlines():
        if line.startswith("#") and "metadata:" in line:
            try:
                metadata = dict(json.loads(line.split("metadata:", 1)[1]))
            except (ValueError, TypeError):
                metadata = {}
    try:
        matrix = np.loadtxt(p, comments="#", ndmin=2)
    except ValueError as exc:
        raise ValueError(f"Z-LUT {p}: not a numeric matrix ({exc})") from None
    if matrix.shape[0] < 2 or matrix.shape[1] < 2:
        raise ValueError(f"Z-LUT {p}: matrix of shape {matrix.shape}; expected a z row and at "
                         "least one profile row, with at least 2 planes")
    return ZLutTable(matrix[0].astype(np.float64), matrix[1:].astype(np.float64), metadata)


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

    def show_file(self, path: str | Path) -> ZLutTable:
        """Read and display a Z-LUT file (see :func:`read_zlut_table` for errors)."""
        table = read_zlut_table(path)
        self.show_table(table)
        return table
