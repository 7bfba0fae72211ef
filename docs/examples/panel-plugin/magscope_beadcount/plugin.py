"""Hook implementations: one panel in the "Analysis" tab.

The factory is an import path, so ``magscope plugins`` lists the panel without importing
Qt; the GUI imports the module only when it builds the window.
"""

from __future__ import annotations

from magscope_core import PanelSpec, hookimpl

__all__ = ["magscope_panels"]


@hookimpl
def magscope_panels() -> list[PanelSpec]:
    """The bead count panel."""
    return [PanelSpec(id="beadcount", title="Bead Count",
                      factory="magscope_beadcount._panel:BeadCountPanel",
                      area="Analysis", order=50,
                      description="number of bead ROIs and the selected bead's position")]
