"""Colour schemes: a dark lab theme (default) and a light one, with an accent colour."""

from __future__ import annotations

import attrs
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

__all__ = ["DEFAULT_ACCENT", "Theme", "apply_theme", "theme_for", "valid_color"]

DEFAULT_ACCENT = "#3daee9"


def valid_color(text: str) -> bool:
    """Whether ``text`` is a colour Qt understands (``#rrggbb``, ``#rgb`` or a name)."""
    return bool(text) and QColor(text).isValid()


@attrs.frozen
class Theme:
    """The colours of one scheme.

    Parameters
    ----------
    dark : bool
        Dark scheme.
    accent : str
        Highlight colour (``#rrggbb``).
    window, panel, base, alt_base, text, muted, border : str
        Background of the window, of panels and title bars, of inputs and plots, of
        alternate rows, text, secondary text and frame lines.
    """

    dark: bool
    accent: str
    window: str
    panel: str
    base: str
    alt_base: str
    text: str
    muted: str
    border: str

    @property
    def plot_background(self) -> str:
        """Background of plots and the video (pyqtgraph)."""
        return self.base

    @property
    def plot_foreground(self) -> str:
        """Axes and labels of plots (pyqtgraph)."""
        return self.muted


def theme_for(dark: bool, accent: str = DEFAULT_ACCENT) -> Theme:
    """The theme for a scheme and an accent colour (an invalid accent gives the default)."""
    accent = QColor(accent).name() if valid_color(accent) else DEFAULT_ACCENT
    if dark:
        return Theme(True, accent, window="#17181b", panel="#1f2024", base="#0f1012",
                     alt_base="#25272c", text="#e4e6eb", muted="#a3a8b3", border="#34373e")
    return Theme(False, accent, window="#eef0f3", panel="#ffffff", base="#ffffff",
                 alt_base="#f4f6f8", text="#1b1d21", muted="#4f5561", border="#c9cdd4")


def _palette(t: Theme) -> QPalette:
    p = QPalette()
    role = QPalette.ColorRole
    for r, c in (
        (role.Window, t.window), (role.WindowText, t.text), (role.Base, t.base),
        (role.AlternateBase, t.alt_base), (role.ToolTipBase, t.panel),
        (role.ToolTipText, t.text), (role.Text, t.text), (role.Button, t.panel),
        (role.ButtonText, t.text), (role.BrightText, "#ff5252"), (role.Link, t.accent),
        (role.Highlight, t.accent), (role.PlaceholderText, t.muted), (role.Mid, t.border),
        (role.Dark, t.window), (role.Light, t.alt_base),
    ):
        p.setColor(r, QColor(c))
    p.setColor(role.HighlightedText, QColor("#0b0c0e" if t.dark else "#ffffff"))
    disabled = QPalette.ColorGroup.Disabled
    for r in (role.Text, role.ButtonText, role.WindowText):
        p.setColor(disabled, r, QColor(t.muted).darker(140 if t.dark else 80))
    return p


def _stylesheet(t: Theme) -> str:
    return f"""
QMainWindow::separator {{ background: {t.border}; width: 3px; height: 3px; }}
QMainWindow::separator:hover {{ background: {t.accent}; }}
QDockWidget {{ titlebar-close-icon: none; font-weight: 600; }}
QDockWidget::title {{ background: {t.panel}; padding: 4px 8px;
    border-bottom: 2px solid {t.accent}; }}
QTabWidget::pane {{ border: 1px solid {t.border}; top: -1px; }}
QTabBar::tab {{ background: {t.window}; color: {t.muted}; padding: 5px 12px;
    border: 1px solid {t.border}; border-bottom: none; }}
QTabBar::tab:selected {{ background: {t.panel}; color: {t.text};
    border-top: 2px solid {t.accent}; }}
QCollapsible {{ background: {t.panel}; border: 1px solid {t.border}; border-radius: 4px; }}
QCollapsible[active="true"] {{ border: 1px solid {t.accent}; }}
QCollapsible > QPushButton {{ font-weight: 600; padding: 5px 4px; color: {t.text};
    background: transparent; border: none; border-bottom: 1px solid {t.border}; }}
QCollapsible > QPushButton:checked {{ color: {t.accent}; background: transparent; }}
QCollapsible > QPushButton:hover {{ background: {t.alt_base}; }}
QGroupBox {{ border: 1px solid {t.border}; border-radius: 4px; margin-top: 8px; }}
QProgressBar {{ border: 1px solid {t.border}; border-radius: 3px; text-align: center;
    background: {t.base}; }}
QProgressBar::chunk {{ background: {t.accent}; }}
QLabel[role="error"] {{ color: #ff6b6b; }}
QLabel[role="muted"] {{ color: {t.muted}; }}
QLabel[role="badge"] {{ color: #0b0c0e; background: #ffb74d; border-radius: 3px;
    padding: 0 4px; }}
QPushButton:checked {{ background: {t.accent}; color: #0b0c0e; }}
QToolBar {{ border: none; background: transparent; spacing: 3px; padding: 0px; }}
QToolBar QToolButton {{ background: {t.alt_base}; border: 1px solid {t.border};
    border-radius: 3px; padding: 2px 7px; }}
QToolBar QToolButton:hover {{ border: 1px solid {t.accent}; }}
QToolBar QToolButton:checked {{ background: {t.accent}; color: #0b0c0e; }}
QToolBar QToolButton::menu-indicator {{ image: none; width: 0px; }}
QToolBar QToolButton#qt_toolbar_ext_button {{ background: transparent; border: none;
    padding: 0px; }}
QStatusBar {{ color: {t.muted}; }}
"""


def apply_theme(app: QApplication, theme: Theme) -> None:
    """Apply a theme to the whole application (palette, Fusion style, style sheet).

    pyqtgraph's default background and foreground follow the theme for plots made
    afterwards.
    """
    import pyqtgraph as pg

    app.setStyle("Fusion")
    app.setPalette(_palette(theme))
    app.setStyleSheet(_stylesheet(theme))
    pg.setConfigOptions(background=theme.plot_background, foreground=theme.plot_foreground)
