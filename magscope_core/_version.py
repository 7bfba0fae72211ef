"""Version of magscope-core (also the plugin API version).

The one source of the version is ``version`` in the distribution's ``pyproject.toml``; it is
read back from the installed metadata, so no second copy can drift from it.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["UNKNOWN_VERSION", "__version__"]

UNKNOWN_VERSION = "0+unknown"
"""``__version__`` of a source checkout that is not installed (no metadata to read)."""

try:
    __version__: str = version("magscope-core")
except PackageNotFoundError:  # pragma: no cover - every supported set-up installs the core
    __version__ = UNKNOWN_VERSION
