"""JSON for file metadata: whatever the session hands a writer becomes readable text."""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

import attrs
import numpy as np

__all__ = ["jsonable", "to_json"]


def jsonable(obj: Any) -> Any:
    """Turn ``obj`` into plain JSON types, never failing.

    attrs instances become dicts, numpy scalars and arrays become numbers and lists,
    paths and enums become strings, sets become sorted lists, non-finite floats become
    ``null`` and anything else becomes its ``repr``.
    """
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, np.generic):
        return jsonable(obj.item())
    if isinstance(obj, np.ndarray):
        return [jsonable(v) for v in obj.tolist()] if obj.ndim else jsonable(obj.item())
    if isinstance(obj, enum.Enum):
        return jsonable(obj.value)
    if isinstance(obj, PurePath):
        return str(obj)
    if attrs.has(type(obj)):
        return {f.name: jsonable(getattr(obj, f.name)) for f in attrs.fields(type(obj))}
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (set, frozenset)):
        return sorted((jsonable(v) for v in obj), key=repr)
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    return repr(obj)


def to_json(obj: Any) -> str:
    """Compact, key-sorted JSON text of :func:`jsonable` ``(obj)``."""
    return json.dumps(jsonable(obj), sort_keys=True, separators=(",", ":"), allow_nan=False)
