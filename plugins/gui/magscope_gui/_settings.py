"""The ``gui`` settings namespace."""

from __future__ import annotations

import attrs

from magscope_core import setting

__all__ = ["GUI_NAMESPACE", "GuiSettings"]

GUI_NAMESPACE = "gui"


@attrs.frozen
class GuiSettings:
    """Settings of the desktop interface (namespace ``gui``).

    Colours are ``#rrggbb`` strings; ``panels`` is a comma-separated list of panel ids
    (empty: every installed panel).
    """

    display_fps: int = setting(
        30, minimum=1, maximum=120, unit="Hz",
        doc="How often the video, plots and status repaint (one shared display timer).",
    )
    dark_theme: bool = setting(True, doc="Dark colour scheme (recommended in a dim lab).")
    accent_color: str = setting(
        "#3daee9", doc="Accent colour: highlights, active panels, profile and histogram lines."
    )
    panels: str = setting(
        "", startup_only=True,
        doc="Comma-separated panel ids to load (e.g. 'video,plots,status'); empty: all. "
        "The --panels option of 'magscope run' overrides it for one run.",
    )
    roi_color: str = setting("#ffd54f", doc="Colour of bead ROI boxes in the video.")
    selected_color: str = setting("#ff5252", doc="Colour of the selected bead.")
    reference_color: str = setting("#69f0ae", doc="Colour of the reference bead.")
    log_history: int = setting(
        5000, minimum=100, maximum=1_000_000, unit="entries",
        doc="Entries kept in the notification and log area.",
    )
    zlut_dir: str = setting("", doc="Folder the Z-LUT dialogs open first (last one used).")
