"""The plugin error policy: what is recorded when a plugin fails, and when that raises.

A plugin that fails anywhere (version check, import, registration, a hook, a name
conflict) is recorded as a :class:`~magscope_core.PluginFailure` naming the plugin, its
distribution and what was expected, and its :class:`LoadEntry` gets the status
("failed", "needs update") and the first error; the application carries on. In strict
mode (``MAGSCOPE_STRICT_PLUGINS=1`` or ``strict=True``) the failures of a loading step
are raised together as a :class:`~magscope_core.PluginError`.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Collection

import attrs
import pluggy

from magscope_core._plugins._records import (
    PluginError,
    PluginFailure,
    PluginRecord,
    PluginStatus,
    Stage,
    describe_origin,
)

__all__ = [
    "ENV_DISABLE", "ENV_STRICT", "FailurePolicy", "LoadEntry", "entry_point_disabled",
    "env_disabled", "env_strict", "strict_mode",
]

ENV_STRICT = "MAGSCOPE_STRICT_PLUGINS"
"""Set to ``1`` to make every plugin failure raise :class:`~magscope_core.PluginError`."""

ENV_DISABLE = "MAGSCOPE_DISABLE_PLUGINS"
"""Comma-separated plugin names to skip without importing; ``*`` skips all entry points."""

_TRUE = frozenset({"1", "true", "yes", "on"})


def env_strict() -> bool:
    """Whether ``MAGSCOPE_STRICT_PLUGINS`` asks for strict mode."""
    return os.environ.get(ENV_STRICT, "").strip().lower() in _TRUE


def strict_mode(strict: bool | None) -> bool:
    """``strict`` as asked (``--strict-plugins``), or ``MAGSCOPE_STRICT_PLUGINS`` if None."""
    return env_strict() if strict is None else bool(strict)


def env_disabled() -> set[str]:
    """Plugin names ``MAGSCOPE_DISABLE_PLUGINS`` lists."""
    return {n.strip() for n in os.environ.get(ENV_DISABLE, "").split(",") if n.strip()}


def entry_point_disabled(name: str, disabled: Collection[str]) -> bool:
    """Whether the entry point ``name`` is skipped: named in ``disabled``, or ``*`` there."""
    return name in disabled or "*" in disabled


def _format_traceback(exc: BaseException) -> str:
    """The traceback of ``exc`` as one string (kept in the failure record)."""
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


@attrs.define
class LoadEntry:
    """Mutable bookkeeping for one plugin while loading (frozen into a PluginRecord)."""

    name: str
    distribution: str
    version: str | None
    status: PluginStatus = "loaded"
    plugin: object = None
    hooks: tuple[str, ...] = ()
    provides: dict[str, list[str]] = attrs.Factory(dict)
    error: str | None = None
    traceback: str | None = None
    notes: list[str] = attrs.Factory(list)
    conflict_error: bool = False

    @property
    def origin(self) -> str:
        """``plugin 'name' (distribution version)``, for messages."""
        return describe_origin(self.name, self.distribution, self.version)

    def freeze(self) -> PluginRecord:
        """The immutable record ``magscope plugins`` shows."""
        return PluginRecord(
            name=self.name,
            distribution=self.distribution,
            version=self.version,
            status=self.status,
            provides={k: tuple(v) for k, v in self.provides.items()},
            hooks=self.hooks,
            error=self.error,
            traceback=self.traceback,
            notes=tuple(self.notes),
        )


class FailurePolicy:
    """Recording and raising plugin failures (a mixin of :class:`PluginManager`)."""

    strict: bool
    _pm: pluggy.PluginManager
    _failures: list[PluginFailure]

    def _fail(
        self,
        entry: LoadEntry,
        stage: Stage,
        hook: str | None,
        message: str,
        exc: BaseException | None = None,
        *,
        status: PluginStatus | None = "failed",
        unregister: bool = True,
    ) -> None:
        tb = _format_traceback(exc) if exc is not None else None
        self._failures.append(
            PluginFailure(entry.name, entry.distribution, entry.version, stage, hook, message, tb)
        )
        if stage == "version":
            status = "needs update"
        if status is not None:
            entry.status = status
        if entry.error is None:
            entry.error = message
            entry.traceback = tb
            entry.conflict_error = stage == "conflict"
        if (
            unregister
            and status is not None
            and entry.plugin is not None
            and self._pm.is_registered(entry.plugin)
        ):
            self._pm.unregister(entry.plugin)

    def _raise_if_strict(self, before: int) -> None:
        if self.strict and len(self._failures) > before:
            raise PluginError(tuple(self._failures[before:]))
