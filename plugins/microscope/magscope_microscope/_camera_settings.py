"""Camera settings both ways: python-microscope's typed settings <-> our name/value pairs.

python-microscope describes each setting as ``{"type", "values", "readonly"}`` with the
types ``int``/``float`` (values: ``(min, max)``), ``bool``, ``str``, ``tuple`` and
``enum`` (values: ``[(index, label), ...]``; the device takes and returns the index). We
show an enum by its label and accept the label or the index; the exposure, which
python-microscope keeps out of its settings (``get_exposure_time`` in seconds), is our
``exposure_ms``.
"""

from __future__ import annotations

import difflib
import math
from typing import Any

from magscope_core import CameraError

__all__ = ["EXPOSURE", "SettingMap"]

EXPOSURE = "exposure_ms"
"""Our name of the exposure (python-microscope: ``get/set_exposure_time`` in seconds)."""

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class SettingMap:
    """The settings of one python-microscope device, as our camera shows them.

    Parameters
    ----------
    describe
        ``device.describe_settings()``: ``[(name, description), ...]``.
    where
        The device, for messages.
    """

    def __init__(self, describe: list[tuple[str, dict[str, Any]]], where: str) -> None:
        self.where = where
        self.descriptions = {str(name): dict(desc) for name, desc in describe}

    @property
    def names(self) -> list[str]:
        """Every setting name we show, ``exposure_ms`` first."""
        return [EXPOSURE, *self.descriptions]

    def shown(self, name: str, value: Any) -> Any:
        """The device's value of setting ``name`` as we show it (an enum by its label)."""
        desc = self.descriptions.get(name, {})
        if desc.get("type") == "enum" and value is not None:
            for index, label in desc.get("values") or ():
                if index == value:
                    return str(label)
        if isinstance(value, tuple):
            return list(value)
        return value

    def for_device(self, name: str, value: Any) -> Any:
        """Convert our ``value`` of setting ``name`` to what the device takes.

        Raises
        ------
        CameraError
            An unknown or read-only setting.
        ValueError
            A value of the wrong type or outside the device's range (one line: the
            setting, the value and what is allowed).
        """
        desc = self.descriptions.get(name)
        if desc is None:
            close = difflib.get_close_matches(name, self.names, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise CameraError(f"python-microscope camera {self.where}: unknown setting "
                              f"{name!r}{hint}; settings: {', '.join(self.names)}")
        if desc.get("readonly"):
            raise CameraError(f"python-microscope camera {self.where}: setting {name!r} is "
                              "read-only")
        kind = desc.get("type")
        values = desc.get("values")
        prefix = f"python-microscope camera {self.where}: setting {name!r} = {value!r} rejected"
        if kind == "enum":
            return self._enum(prefix, value, list(values or ()))
        if kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in _TRUE | _FALSE:
                return text in _TRUE
            raise ValueError(f"{prefix}. Allowed: true or false.")
        if kind in ("int", "float"):
            return self._number(prefix, kind, value, values)
        if kind == "str":
            return str(value)
        return value

    @staticmethod
    def _enum(prefix: str, value: Any, values: list[tuple[Any, Any]]) -> Any:
        labels = {str(label): index for index, label in values}
        if str(value) in labels:
            return labels[str(value)]
        indices = [index for index, _ in values]
        if isinstance(value, int) and not isinstance(value, bool) and value in indices:
            return value
        if (isinstance(value, str) and value.strip().lstrip("-").isdigit()
                and int(value) in indices):
            return int(value)
        raise ValueError(f"{prefix}. Allowed: one of {', '.join(labels)} (or its index).")

    @staticmethod
    def _number(prefix: str, kind: str, value: Any, values: Any) -> Any:
        try:
            number: float | int = int(value) if kind == "int" else float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{prefix}. Allowed: {'an integer' if kind == 'int' else 'a number'}"
                             ".") from None
        if kind == "int" and isinstance(value, float) and not value.is_integer():
            raise ValueError(f"{prefix}. Allowed: an integer.")
        if isinstance(number, float) and not math.isfinite(number):
            raise ValueError(f"{prefix}. Allowed: a finite number.")
        if values is not None and len(values) == 2:
            lo, hi = values
            if not lo <= number <= hi:
                raise ValueError(f"{prefix}. Allowed: {lo} to {hi}.")
        return number
