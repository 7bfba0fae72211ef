"""Choosing and creating panels from the ``PanelSpec`` records plugins contribute."""

from __future__ import annotations

import importlib
import traceback
from collections.abc import Iterable, Sequence

import attrs
from PySide6.QtWidgets import QWidget

from magscope_core import CommandRegistry, Contribution, PanelSpec, PluginSet
from magscope_gui._context import PanelContext

__all__ = [
    "PanelRecord", "create_panel", "parse_panel_list", "select_panels", "session_has",
]

_HUB = "hub"  # the routing name of the hub's own handlers

DOCK_AREAS = ("video", "plots")
"""Areas whose panels get a dock of their own; every other area is a tab of sections."""


@attrs.define
class PanelRecord:
    """A panel of the window: who contributed it, the widget, or why it is missing."""

    contribution: Contribution[PanelSpec]
    widget: QWidget | None = None
    error: str = ""
    details: str = ""

    @property
    def spec(self) -> PanelSpec:
        """The panel's spec."""
        return self.contribution.spec

    @property
    def id(self) -> str:
        """The panel id."""
        return self.contribution.spec.id


def parse_panel_list(value: str | Iterable[str] | None) -> list[str] | None:
    """``"video, plots"`` (or a list) -> ``["video", "plots"]``; None/empty -> None (all)."""
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else list(value)
    ids = [i.strip() for i in items if i and i.strip()]
    return ids or None


def select_panels(
    plugins: PluginSet, wanted: Sequence[str] | None, registry: CommandRegistry | None = None
) -> tuple[list[Contribution[PanelSpec]], list[str]]:
    """The panels to load, in area then order, and the wanted ids nobody contributes.

    Parameters
    ----------
    plugins
        The loaded plugins.
    wanted
        Panel ids to keep (None: every installed panel).
    registry
        The session's command registry: a panel whose ``requires`` names a command that
        no manager of the session handles is left out (the focus panel in a session
        without a focus motor). None keeps every panel.
    """
    available = dict(plugins.panels)
    unknown = [pid for pid in wanted or () if pid not in available]
    chosen = [c for pid, c in available.items() if (wanted is None or pid in wanted)
              and (registry is None or session_has(registry, c.spec.requires))]
    chosen.sort(key=lambda c: (c.spec.order, c.spec.id))
    return chosen, unknown


def session_has(registry: CommandRegistry, commands: Iterable[str]) -> bool:
    """Whether some manager (not the hub) of the session handles each of ``commands``."""
    for name in commands:
        if name not in registry:
            return False
        if not any(owner != _HUB for owner in registry.targets(name)):
            return False
    return True


def create_panel(contribution: Contribution[PanelSpec], context: PanelContext) -> PanelRecord:
    """Import and build one panel; a failure is recorded (never raised).

    The message names the panel, the plugin and distribution, the import path and the
    exception, for the notification area.
    """
    spec = contribution.spec
    module_name, _, attr = spec.factory.partition(":")
    where = (f"panel {spec.id!r} ({spec.title}) of {contribution.origin}, "
             f"factory {spec.factory}")
    try:
        factory = importlib.import_module(module_name)
        for part in attr.split("."):
            factory = getattr(factory, part)
    except Exception as exc:
        return PanelRecord(contribution, None, f"{where} cannot be imported: "
                           f"{type(exc).__name__}: {exc}", traceback.format_exc())
    try:
        widget = factory(context)  # type: ignore[operator]
    except Exception as exc:
        return PanelRecord(contribution, None, f"{where} failed to start: "
                           f"{type(exc).__name__}: {exc}", traceback.format_exc())
    if not isinstance(widget, QWidget):
        return PanelRecord(contribution, None,
                           f"{where} returned {type(widget).__name__}, not a QWidget")
    widget.setObjectName(f"panel-{spec.id}")
    return PanelRecord(contribution, widget)
