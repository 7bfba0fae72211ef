"""Version of magscope-core (also the plugin API version)."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
