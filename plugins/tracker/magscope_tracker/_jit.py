"""The numba decorator shared by the kernels (a no-op when numba is missing).

Development note: numba's on-disk cache is keyed on the file of the function compiled,
not on the files of the jitted functions it calls. After editing ``_kernel_precise.py``
or ``_kernel_profile.py``, delete ``magscope_tracker/__pycache__/*.nbi`` (or use a fresh
``NUMBA_CACHE_DIR``), or ``track_kernel`` may keep the old code. Installed releases
are unaffected (new files, new cache).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

numba: Any
try:  # pragma: no cover - depends on the environment
    import numba
except ImportError:  # pragma: no cover
    numba = None

__all__ = ["AVAILABLE", "jit", "numba"]

#: True when numba can be imported (the kernels are then compiled on first use).
AVAILABLE = numba is not None

_F = TypeVar("_F", bound=Callable[..., Any])
# No "nnan"/"ninf": the kernels produce and test NaN on purpose.
_FASTMATH = {"nsz", "arcp", "contract", "reassoc"}


def jit(func: _F) -> _F:
    """Compile ``func`` with ``njit(cache=True, nogil=True)`` and safe fast-math flags."""
    if numba is None:  # pragma: no cover
        return func
    return cast(_F, numba.njit(cache=True, nogil=True, fastmath=_FASTMATH)(func))
