"""Declaring settings: the `setting` field helper, `SettingInfo` and `describe`.

A settings schema is an ``@attrs.frozen`` class whose fields are made with
:func:`setting`. Supported value types are ``bool``, ``int``, ``float``, ``str`` and
``pathlib.Path``; an enumeration is a ``str`` with ``choices=``. Every field needs
a default, so a schema can always be built from nothing.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Iterable
from pathlib import Path, PurePath
from typing import Any, TypeVar

import attrs

from ._records import SettingsError

T = TypeVar("T")

_META_KEY = "magscope_setting"
_TYPE_NAMES = {"bool", "int", "float", "str", "path"}
_TYPE_BY_STRING = {
    "bool": "bool",
    "int": "int",
    "float": "float",
    "str": "str",
    "Path": "path",
    "pathlib.Path": "path",
}
_PHRASES = {
    "bool": "true or false",
    "int": "an integer",
    "float": "a number",
    "str": "a string",
    "path": "a file-system path",
}
_CACHE: dict[type, dict[str, SettingInfo]] = {}
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


@attrs.frozen
class _Meta:
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] | None = None
    unit: str = ""
    startup_only: bool = False
    doc: str = ""


@attrs.frozen
class SettingInfo:
    """Description of one setting, for command-line tools, GUIs and documentation.

    Parameters
    ----------
    key : str
        Field name, also the key in the settings file.
    type_name : {"bool", "int", "float", "str", "path"}
        Value type.
    default : Any
        Default value.
    minimum, maximum : float or None
        Inclusive numeric limits.
    choices : tuple or None
        The only values allowed, if restricted.
    unit : str
        Physical unit shown next to the value (``"s"``, ``"frames"``).
    startup_only : bool
        The value is read once when MagScope starts; changing it while running
        needs a restart.
    doc : str
        One or two sentences for users.
    """

    key: str
    type_name: str = attrs.field(validator=attrs.validators.in_(_TYPE_NAMES))
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] | None = None
    unit: str = ""
    startup_only: bool = False
    doc: str = ""

    @property
    def allowed(self) -> str:
        """Return what this setting accepts, in words (``"an integer from 2 to 1000"``)."""
        if self.choices is not None:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        text = _PHRASES[self.type_name]
        if self.minimum is not None and self.maximum is not None:
            text += f" from {self.minimum} to {self.maximum}"
        elif self.minimum is not None:
            text += f" >= {self.minimum}"
        elif self.maximum is not None:
            text += f" <= {self.maximum}"
        if self.unit:
            text += f" ({self.unit})"
        return text


def setting(
    default: T,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    choices: Iterable[T] | None = None,
    unit: str = "",
    startup_only: bool = False,
    doc: str = "",
) -> T:
    """Declare one setting in an ``@attrs.frozen`` schema class.

    Parameters
    ----------
    default : T
        Default value; its type must match the field annotation.
    minimum, maximum : float, optional
        Inclusive limits for ``int`` and ``float`` settings.
    choices : iterable, optional
        The only values allowed (use a ``str`` field with choices for an enumeration).
    unit : str, optional
        Unit shown to users.
    startup_only : bool, optional
        True if the value is only read when MagScope starts.
    doc : str, optional
        User documentation of the setting.

    Returns
    -------
    T
        An ``attrs.field`` carrying the limits in its metadata and validating values.

    Raises
    ------
    SettingsError
        If the limits contradict each other or the default.

    Examples
    --------
    >>> @attrs.frozen
    ... class FocusSettings:
    ...     step_nm: float = setting(100.0, minimum=1.0, unit="nm", doc="Step size.")
    >>> FocusSettings().step_nm
    100.0
    """
    choice_tuple = None if choices is None else tuple(choices)
    if choice_tuple is not None and not choice_tuple:
        raise SettingsError("setting(choices=...) must list at least one value")
    if minimum is not None and maximum is not None and minimum > maximum:
        raise SettingsError(f"setting(minimum={minimum!r}) is larger than maximum={maximum!r}")
    meta = _Meta(minimum, maximum, choice_tuple, unit, startup_only, doc)
    return attrs.field(default=default, validator=_validate_field, metadata={_META_KEY: meta})


def describe(schema: type) -> list[SettingInfo]:
    """Describe every setting of a schema class, in declaration order.

    Parameters
    ----------
    schema : type
        An ``@attrs.frozen`` settings class.

    Returns
    -------
    list of SettingInfo

    Raises
    ------
    TypeError
        If the class is not a valid settings schema (the message names the field).
    """
    return list(setting_infos(schema).values())


def setting_infos(schema: type) -> dict[str, SettingInfo]:
    """Return the validated `SettingInfo` of every field of ``schema`` by key (cached)."""
    infos = _CACHE.get(schema)
    if infos is None:
        infos = _CACHE[schema] = _build_infos(schema)
    return infos


def _build_infos(schema: type) -> dict[str, SettingInfo]:
    name = f"{schema.__module__}.{schema.__qualname__}"
    if not isinstance(schema, type) or not attrs.has(schema):
        raise TypeError(f"settings schema {name} is not an attrs class; use @attrs.frozen")
    try:
        hints = typing.get_type_hints(schema)
    except Exception:  # unresolvable forward references: fall back to the strings
        hints = {}
    infos: dict[str, SettingInfo] = {}
    for field in attrs.fields(schema):
        where = f"{name}.{field.name}"
        type_name = _type_name(hints.get(field.name, field.type))
        if type_name is None:
            raise TypeError(
                f"{where}: unsupported type {field.type!r}; settings are bool, int, float, "
                "str or pathlib.Path (use str with choices= for an enumeration)"
            )
        if field.default is attrs.NOTHING or isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
            raise TypeError(f"{where}: every setting needs a plain default value")
        meta = field.metadata.get(_META_KEY, _Meta())
        if (meta.minimum is not None or meta.maximum is not None) and type_name not in (
            "int",
            "float",
        ):
            raise TypeError(f"{where}: minimum/maximum only apply to int and float settings")
        info = SettingInfo(
            field.name,
            type_name,
            field.default,
            meta.minimum,
            meta.maximum,
            meta.choices,
            meta.unit,
            meta.startup_only,
            meta.doc,
        )
        try:
            for choice in info.choices or ():
                check_value(info, choice, where=f"{where} choice", coerce=False)
            check_value(info, info.default, where=f"{where} default", coerce=False)
        except SettingsError as exc:
            raise TypeError(str(exc)) from None
        infos[field.name] = info
    return infos


def check_value(info: SettingInfo, value: Any, *, where: str, coerce: bool) -> Any:
    """Validate ``value`` for ``info`` and return it in its canonical type.

    Parameters
    ----------
    info : SettingInfo
        The setting.
    value : Any
        Candidate value.
    where : str
        Name used in the error message (``"core.n_stacks"``).
    coerce : bool
        Accept unambiguous text such as ``"12"`` for an int or ``"on"`` for a bool,
        ints for floats, and choices in another letter case.

    Raises
    ------
    SettingsError
        Naming ``where``, the value, the reason and what is allowed.
    """
    ok, converted = _convert(info.type_name, value, coerce)
    if not ok:
        reason = f"not {_PHRASES[info.type_name]}"
    else:
        reason = _limit_reason(info, converted)
        if reason and coerce and info.choices is not None and isinstance(converted, str):
            folded = [c for c in info.choices if str(c).casefold() == converted.casefold()]
            if len(folded) == 1:
                converted, reason = folded[0], ""
    if reason:
        shown = repr(value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        raise SettingsError(f"{where} = {shown} rejected: {reason}. Allowed: {info.allowed}.")
    return converted


def _limit_reason(info: SettingInfo, value: Any) -> str:
    if info.choices is not None and value not in info.choices:
        return "not one of the choices"
    if info.minimum is not None and value < info.minimum:
        return f"below the minimum {info.minimum}"
    if info.maximum is not None and value > info.maximum:
        return f"above the maximum {info.maximum}"
    return ""


def _convert(type_name: str, value: Any, coerce: bool) -> tuple[bool, Any]:
    if type_name == "bool":
        if isinstance(value, bool):
            return True, value
        if coerce and isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return True, value.strip().lower() in _TRUE
        return False, None
    if type_name == "int":
        return _to_int(value, coerce)
    if type_name == "float":
        return _to_float(value, coerce)
    if type_name == "str":
        if isinstance(value, str):
            return True, value
        return (True, str(value)) if coerce and isinstance(value, PurePath) else (False, None)
    # path
    if isinstance(value, PurePath):
        return True, Path(value)
    if coerce and isinstance(value, str) and value.strip():
        return True, Path(value.strip())
    return False, None


def _to_int(value: Any, coerce: bool) -> tuple[bool, Any]:
    if isinstance(value, bool):
        return False, None
    if isinstance(value, int):
        return True, value
    if not coerce:
        return False, None
    if isinstance(value, str):
        try:
            return True, int(value.strip(), 10)
        except ValueError:
            try:
                value = float(value)
            except ValueError:
                return False, None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return True, int(value)
    return False, None


def _to_float(value: Any, coerce: bool) -> tuple[bool, Any]:
    if isinstance(value, bool):
        return False, None
    if coerce and isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return False, None
    if isinstance(value, int):
        return True, float(value) if coerce else value
    if isinstance(value, float) and not math.isnan(value):
        return True, value
    return False, None


def _type_name(annotation: Any) -> str | None:
    if isinstance(annotation, str):
        return _TYPE_BY_STRING.get(annotation.strip())
    if annotation in (bool, int, float, str):
        return str(annotation.__name__)
    if isinstance(annotation, type) and issubclass(annotation, PurePath):
        return "path"
    return None


def _validate_field(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Attrs validator: check a value passed to a schema constructor (no coercion)."""
    info = setting_infos(type(instance))[attribute.name]
    check_value(info, value, where=f"{type(instance).__qualname__}.{attribute.name}", coerce=False)
