"""Plugin options checked against a settings schema (camera ``-O KEY=VALUE`` options).

A camera plugin declares its options as a settings schema (``CameraSpec.settings``, an
``@attrs.frozen`` class of :func:`~magscope_core.setting` fields), the same records the
settings system uses. Options given as text or numbers are converted to the declared
type and checked against the declared range or choices here, in the main process, so
a typo never reaches a manager process. :func:`settings_for` gives the options a spec's
settings namespace holds (from the settings file).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from magscope_core._config_errors import ConfigurationError, unknown_name
from magscope_core._settings._records import SettingsError
from magscope_core._settings._schema import SettingInfo, check_value, setting_infos

if TYPE_CHECKING:
    from magscope_core._settings._store import SettingsStore

__all__ = ["check_option", "check_options", "option_table", "settings_for"]


def check_option(schema: type, key: str, value: Any, what: str) -> Any:
    """Convert and check one option; return it in the declared type.

    Parameters
    ----------
    schema
        The settings schema that declares the options.
    key, value
        The option (``value`` may be text: ``"512"``, ``"on"``).
    what
        What the options belong to, for messages (``"camera 'sim'"``).

    Raises
    ------
    ConfigurationError
        For an unknown key (with a "did you mean" and the known keys) or a value of the
        wrong type or out of range (with what is allowed and the unit).
    """
    infos = setting_infos(schema)
    info = infos.get(key)
    if info is None:
        raise unknown_name(f"{what} option", key, infos, plural=f"{what} options")
    try:
        return check_value(info, value, where=f"{what} option {key}", coerce=True)
    except SettingsError as exc:
        raise ConfigurationError(str(exc)) from None


def check_options(schema: type, options: Mapping[str, Any], what: str) -> dict[str, Any]:
    """Convert and check every option (see :func:`check_option`)."""
    return {key: check_option(schema, key, value, what) for key, value in options.items()}


def option_table(schema: type) -> list[dict[str, str]]:
    """One row per option: name, type, default, allowed values, unit and doc, as text."""
    rows = []
    for info in setting_infos(schema).values():
        rows.append({
            "name": info.key,
            "type": info.type_name,
            "default": _shown(info.default),
            "allowed": _allowed(info),
            "unit": info.unit,
            "doc": info.doc,
        })
    return rows


def _allowed(info: SettingInfo) -> str:
    if info.choices is not None:
        return ", ".join(_shown(c) for c in info.choices)
    lo, hi = info.minimum, info.maximum
    if lo is not None and hi is not None:
        return f"{_shown(lo)} .. {_shown(hi)}"
    if lo is not None:
        return f">= {_shown(lo)}"
    if hi is not None:
        return f"<= {_shown(hi)}"
    return "any"


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value)) if abs(value) >= 1e4 else repr(value)
    if isinstance(value, str):
        return repr(value)
    return str(value)


def settings_for(store: SettingsStore | None, spec: Any) -> dict[str, Any]:
    """Factory keyword arguments from the settings namespace of a spec.

    That is the namespace whose schema is ``spec.settings`` or, without a schema, the
    namespace named like the spec.
    """
    if store is None:
        return {}
    schema = getattr(spec, "settings", None)
    for namespace in store.namespaces:
        if (schema is not None and store.schema(namespace) is schema) or (
            schema is None and namespace == spec.name
        ):
            return dict(attrs.asdict(store.get(namespace)))
    return {}
