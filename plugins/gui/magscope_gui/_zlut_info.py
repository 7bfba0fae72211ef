"""Z-LUT > Show current, Load and Unload: the loaded Z-LUT's metadata and profiles.

A new Z-LUT is made by the sweep dialog (:mod:`magscope_gui._zlut_dialog`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from magscope_core import GetZLut, GetZLutProfiles, LoadZLut, UnloadZLut
from magscope_gui._context import PanelContext
from magscope_gui._zlut_preview import ZLutPreview

__all__ = ["ZLutInfoDialog", "load_zlut", "unload_zlut"]


def load_zlut(context: PanelContext, path: str | Path) -> dict[str, Any] | None:
    """Load a Z-LUT file for tracking; errors go to the notification area."""
    meta = context.call(LoadZLut(path=str(path)), timeout=15.0)
    if isinstance(meta, dict):
        context.notify("info", f"Z-LUT loaded from {path}: {meta.get('planes')} planes")
        return meta
    return None


def unload_zlut(context: PanelContext) -> bool:
    """Track without a Z-LUT (z becomes NaN)."""
    try:
        context.hub.call(UnloadZLut(), timeout=5.0)
    except Exception as exc:
        context.notify("error", f"UnloadZLut failed: {exc}")
        return False
    context.notify("info", "Z-LUT unloaded: z is not measured")
    return True


class ZLutInfoDialog(QDialog):
    """Z-LUT > Show current: the loaded Z-LUT's metadata and a preview of its file."""

    def __init__(self, context: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Current Z-LUT")
        self.setObjectName("zlut-info")
        self.resize(760, 480)
        self.context = context
        self.meta: dict[str, Any] | None = None
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.error = QLabel()
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.preview = ZLutPreview()
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(refresh)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.error)
        layout.addWidget(self.preview, 1)
        layout.addLayout(buttons)
        self.refresh()

    def refresh(self) -> dict[str, Any] | None:
        """Read the loaded Z-LUT's metadata from the pipeline and show it."""
        self.error.setText("")
        try:
            meta = self.context.hub.call(GetZLut(), timeout=2.0)
        except Exception as exc:
            self.summary.setText("")
            self.error.setText(f"cannot ask the pipeline: {exc}")
            return None
        self.meta = meta
        if not meta:
            self.summary.setText("No Z-LUT is loaded: z is not measured. Use Z-LUT > New or "
                                 "Z-LUT > Load.")
            self.preview.hide()
            return None
        extra = json.dumps(meta.get("metadata") or {}, default=str)
        if len(extra) > 400:
            extra = extra[:397] + "..."
        camera = meta.get("remembered_for")
        remembered = (f"<br>Remembered for camera <b>{camera}</b>: loaded again at the next "
                      "start" if camera else "")
        self.summary.setText(
            f"<b>{meta.get('path')}</b><br>{meta.get('planes')} planes, z from "
            f"{meta.get('z_min_nm')} to {meta.get('z_max_nm')} nm{remembered}"
            f"<br><small>{extra}</small>")
        self.preview.show()
        try:
            self.preview.show_profiles(self.context.hub.call(GetZLutProfiles(), timeout=5.0))
        except Exception as exc:
            self.error.setText(f"no preview: {exc}")
        return dict(meta)
