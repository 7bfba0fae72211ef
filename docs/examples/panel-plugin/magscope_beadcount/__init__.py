"""Example GUI panel plugin for MagScope: how many beads, and where the selected one is."""

from __future__ import annotations

from magscope_beadcount._panel import BeadCountPanel

__all__ = ["BeadCountPanel"]
