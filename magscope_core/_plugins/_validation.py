"""What a plugin must look like: hook implementations and hook results.

Checks run before pluggy registers a plugin (so the message can name the hook and the
expected signature) and on every value a hook returns.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Mapping, Sequence
from typing import Any

import pluggy

from magscope_core._hookspecs import HOOK_KINDS, HookKind

__all__ = ["HOOKS", "BadResult", "as_records", "check_hookimpls", "conflict_detail"]

HOOKS: dict[str, HookKind] = {k.hook: k for k in HOOK_KINDS}
"""Hook name to its row of the hook set."""


def check_hookimpls(
    pm: pluggy.PluginManager, plugin: object, origin: str, notes: list[str]
) -> tuple[str, str] | None:
    """Check a plugin's hook names, wrapper flags and arguments before registration.

    Parameters
    ----------
    pm
        The pluggy manager (used to recognise ``@hookimpl`` functions).
    plugin
        The plugin object.
    origin
        ``"plugin 'x' (dist 1.0)"``, prefixed to messages.
    notes
        Remarks that are not errors are appended here (an undecorated hook function).

    Returns
    -------
    tuple[str, str] | None
        ``(hook, message)`` for the first problem, or ``None``.
    """
    for attr in dir(plugin):
        opts = pm.parse_hookimpl_opts(plugin, attr)
        if opts is None:
            if attr in HOOKS:
                raw = inspect.getattr_static(plugin, attr, None)
                if callable(raw) or isinstance(raw, (staticmethod, classmethod)):
                    notes.append(
                        f"{attr}() is not decorated with @hookimpl "
                        "(from magscope_core import hookimpl), so it is ignored"
                    )
            continue
        hook = opts.get("specname") or attr
        kind = HOOKS.get(hook)
        if kind is None and opts.get("optionalhook"):
            notes.append(
                f"implements the optional hook {hook}, which this magscope-core does not "
                "have; it is ignored"
            )
            continue
        if kind is None:
            close = difflib.get_close_matches(hook, list(HOOKS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            return hook, (
                f"{origin}: unknown hook {hook!r}{hint}; expected one of {', '.join(HOOKS)}"
            )
        if opts.get("wrapper") or opts.get("hookwrapper"):
            return hook, (
                f"{origin}: hook {hook} is declared as a wrapper; magscope hooks "
                f"collect records, expected a plain function: {kind.signature}"
            )
        required = _required_parameters(getattr(plugin, attr))
        if required:
            hint = ""
            if isinstance(plugin, type) and required[:1] == ["self"]:
                hint = " (the plugin is a class; register an instance, or a module)"
            return hook, (
                f"{origin}: hook {hook} takes argument(s) {', '.join(required)}; "
                f"magscope hooks take none, expected {kind.signature}{hint}"
            )
    return None


def _required_parameters(function: Any) -> list[str]:
    try:
        params = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return []
    return [
        p.name
        for p in params
        if p.default is inspect.Parameter.empty
        and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    ]


class BadResult(Exception):
    """A hook returned something other than a sequence of its record type."""


def as_records(result: object, kind: HookKind) -> list[Any]:
    """``result`` as a list of ``kind.spec_type`` records; :class:`BadResult` says why not."""
    expected = kind.spec_type.__name__
    if result is None:
        raise BadResult(
            f"returned None; expected a list of {expected} (return [] to contribute nothing)"
        )
    if isinstance(result, kind.spec_type):
        raise BadResult(f"returned a single {expected}; expected a list of them (return [spec])")
    if isinstance(result, (str, bytes, Mapping)) or not isinstance(result, Sequence):
        raise BadResult(f"returned {type(result).__name__}; expected a list or tuple of {expected}")
    for index, item in enumerate(result):
        if isinstance(item, kind.spec_type):
            continue
        if isinstance(item, type):
            raise BadResult(
                f"returned item {index}, the class {item.__module__}.{item.__qualname__}; "
                f"expected a {expected} record (hooks return records, not classes)"
            )
        got = type(item)
        hint = ""
        if got.__name__ == expected:
            hint = f" (a {expected} from {got.__module__}; import it from magscope_core)"
        text = repr(item)
        text = text if len(text) <= 80 else text[:77] + "..."
        raise BadResult(
            f"returned item {index} of type {got.__name__}{hint}: {text}; expected {expected}"
        )
    return list(result)


def conflict_detail(kind: HookKind, spec: Any, first: Any) -> str:
    """Extra words for command conflicts: which classes are involved."""
    if kind.hook != "magscope_commands":
        return ""
    ours, theirs = spec.command, first.command
    if ours is theirs:
        return f" (class {ours.__module__}.{ours.__qualname__}, declared twice)"
    return (
        f" (class {ours.__module__}.{ours.__qualname__}; the other is "
        f"{theirs.__module__}.{theirs.__qualname__})"
    )
