"""Records describing the outcome of plugin loading: plugins, contributions, failures."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

import attrs

from magscope_core._hookspecs import HOOK_KINDS

if TYPE_CHECKING:
    from magscope_core._commands import CommandSpec
    from magscope_core._specs import (
        CameraSpec,
        FrontendSpec,
        HealthCheckSpec,
        ManagerSpec,
        PanelSpec,
        SettingsSpec,
        TrackerSpec,
        WriterSpec,
    )

__all__ = [
    "BUILTIN",
    "Contribution",
    "PluginError",
    "PluginFailure",
    "PluginRecord",
    "PluginSet",
    "PluginStatus",
    "ReadOnlyDict",
    "describe_origin",
]

BUILTIN = "<builtin>"
"""Distribution name recorded for plugins registered in-process with ``register``."""

PluginStatus = Literal["loaded", "failed", "disabled", "needs update"]
"""Status of a plugin: loaded (in use), failed (skipped after an error), disabled (by the
user, never imported), needs update (its magscope-core requirement excludes this core, never
imported)."""

Stage = Literal["version", "import", "register", "hook", "conflict"]

SpecT = TypeVar("SpecT")
ValueT = TypeVar("ValueT")


class ReadOnlyDict(Mapping[str, ValueT]):
    """A read-only mapping that, unlike ``MappingProxyType``, pickles (for spawned processes)."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, ValueT] | None = None) -> None:
        self._data: dict[str, ValueT] = dict(data or {})

    def __getitem__(self, key: str) -> ValueT:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return repr(self._data)

    def __reduce__(self) -> tuple[type[ReadOnlyDict[ValueT]], tuple[dict[str, ValueT]]]:
        return (type(self), (self._data,))


def _empty_mapping() -> Mapping[str, Any]:
    return ReadOnlyDict()


def _frozen_map(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return value if isinstance(value, ReadOnlyDict) else ReadOnlyDict(value)


@attrs.frozen
class Contribution(Generic[SpecT]):
    """A spec record together with who provided it.

    Parameters
    ----------
    spec
        The record the hook returned (a :class:`~magscope_core.CameraSpec`, ...).
    plugin
        Name of the plugin that returned it (its entry-point name).
    distribution
        Distribution the plugin was installed from (``"<builtin>"`` for in-process plugins).
    version
        That distribution's version (``None`` if unknown).
    """

    spec: SpecT
    plugin: str
    distribution: str
    version: str | None

    @property
    def origin(self) -> str:
        """``"plugin 'x' (dist 1.0)"``, as used in messages."""
        return describe_origin(self.plugin, self.distribution, self.version)


def describe_origin(plugin: str, distribution: str, version: str | None) -> str:
    """``"plugin 'x' (dist 1.0)"``: how messages name a plugin and its distribution."""
    dist = distribution if version is None else f"{distribution} {version}"
    return f"plugin {plugin!r} ({dist})"


@attrs.frozen
class PluginFailure:
    """One problem with one plugin, as recorded (and raised in strict mode).

    Parameters
    ----------
    plugin, distribution, version
        Who had the problem.
    stage
        Where: ``"version"`` (API version check), ``"import"`` (loading the entry point),
        ``"register"`` (hook validation), ``"hook"`` (calling a hook or checking what it
        returned) or ``"conflict"`` (a name already provided by another plugin).
    hook
        The hook concerned, if any.
    message
        What failed and what was expected; names the plugin and its distribution.
    traceback
        Formatted traceback when an exception was caught, else ``None``.
    """

    plugin: str
    distribution: str
    version: str | None
    stage: Stage
    hook: str | None
    message: str
    traceback: str | None = None


class PluginError(Exception):
    """A plugin could not be used and loading is strict.

    Raised by the plugin manager when ``strict=True`` (or ``MAGSCOPE_STRICT_PLUGINS=1``, or
    ``magscope --strict-plugins``). The message lists every failure seen by the call that
    raised; :attr:`failures` holds them as :class:`PluginFailure` records.
    """

    def __init__(self, failures: tuple[PluginFailure, ...] | PluginFailure) -> None:
        if isinstance(failures, PluginFailure):
            failures = (failures,)
        if not failures:
            raise ValueError("PluginError needs at least one PluginFailure")
        self.failures: tuple[PluginFailure, ...] = failures
        if len(failures) == 1:
            text = failures[0].message
        else:
            text = f"{len(failures)} plugin failures:\n" + "\n".join(
                f"- {f.message}" for f in failures
            )
        super().__init__(text)

    @property
    def plugin(self) -> str:
        """Name of the (first) failing plugin."""
        return self.failures[0].plugin

    @property
    def distribution(self) -> str:
        """Distribution of the (first) failing plugin."""
        return self.failures[0].distribution

    @property
    def hook(self) -> str | None:
        """Hook of the (first) failure, if any."""
        return self.failures[0].hook


@attrs.frozen
class PluginRecord:
    """What ``magscope plugins`` shows for one plugin.

    Parameters
    ----------
    name
        Plugin name (entry-point name, or the name given to ``register``).
    distribution, version
        Where it comes from.
    status
        ``"loaded"``, ``"failed"``, ``"disabled"`` or ``"needs update"``.
    provides
        Kind (``"camera"``, ``"panel"``, ...) to the names this plugin provides and that are in
        use (names lost to a conflict are not listed).
    hooks
        Hooks the plugin implements.
    error
        First problem, if any (also set for a loaded plugin that lost a name conflict).
    traceback
        Traceback of the first caught exception, if any.
    notes
        Remarks that are not errors (no magscope-core requirement declared, ...).
    """

    name: str
    distribution: str
    version: str | None
    status: PluginStatus
    provides: Mapping[str, tuple[str, ...]] = attrs.field(
        factory=_empty_mapping, converter=_frozen_map
    )
    hooks: tuple[str, ...] = ()
    error: str | None = None
    traceback: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def kinds(self) -> tuple[str, ...]:
        """The kinds this plugin contributes (``("camera", "settings")``)."""
        return tuple(kind for kind, names in self.provides.items() if names)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (used by ``magscope plugins --json``)."""
        return {
            "name": self.name,
            "kind": list(self.kinds),
            "distribution": self.distribution,
            "version": self.version,
            "status": self.status,
            "provides": {kind: list(names) for kind, names in self.provides.items()},
            "hooks": list(self.hooks),
            "error": self.error,
            "traceback": self.traceback,
            "notes": list(self.notes),
        }


@attrs.frozen
class PluginSet:
    """Everything the installed plugins contribute, after validation and conflict checks.

    Each per-kind attribute maps the record's unique key (camera name, panel id, command
    name, settings namespace, ...) to a :class:`Contribution`, in registration order.
    """

    plugins: tuple[PluginRecord, ...]
    """Every plugin seen, in registration order, whatever its status."""
    cameras: Mapping[str, Contribution[CameraSpec]] = attrs.field(
        factory=_empty_mapping, converter=_frozen_map
    )
    managers: Mapping[str, Contribution[ManagerSpec]] = attrs.field(
        factory=_empty_mapping, converter=_frozen_map
    )
    trackers: Mapping[str, Contribution[TrackerSpec]] = attrs.field(
        factory=_empty_mapping, converter=_frozen_map
    )
    writers: Mapping[str, Contribution[WriterSpec]] = attrs.field(
        factory=_empty_mapping, converter=_frozen_map
    )
    panels: Mapping[str, Contribution[PanelSpec]] = attrs.field(
        factory=_empty_mapping, converter=_frozen_map
    )
    commands: Mapping[str, Contribution[CommandSpec]] = attrs.field(
        factory=_empty_mapping, converter=_frozen_map
    )
    settings: Mapping[str, Contribution[SettingsSpec]] = attrs.field(
        factory=_empty_mapping, converter=_frozen_map
    )
    health_checks: Mapping[str, Contribution[HealthCheckSpec]] = attrs.field(
        factory=_empty_mapping, converter=_frozen_map
    )
    frontends: Mapping[str, Contribution[FrontendSpec]] = attrs.field(
        factory=_empty_mapping, converter=_frozen_map
    )
    errors: tuple[PluginFailure, ...] = ()
    """Every failure recorded, in the order seen."""

    def plugin(self, name: str) -> PluginRecord:
        """The record of plugin ``name``.

        Raises
        ------
        KeyError
            If no plugin of that name was seen; the message lists the known names.
        """
        for record in self.plugins:
            if record.name == name:
                return record
        known = ", ".join(r.name for r in self.plugins) or "none"
        raise KeyError(f"no plugin named {name!r} (known plugins: {known})")

    def contributions(self, attribute: str) -> Mapping[str, Contribution[Any]]:
        """The lookup for one kind by attribute name (``"cameras"``, ``"panels"``, ...).

        Raises
        ------
        KeyError
            If ``attribute`` is not one of the per-kind lookups.
        """
        names = [k.attribute for k in HOOK_KINDS]
        if attribute not in names:
            raise KeyError(f"unknown contribution kind {attribute!r}; expected one of {names}")
        value: Mapping[str, Contribution[Any]] = getattr(self, attribute)
        return value

    @property
    def loaded(self) -> tuple[PluginRecord, ...]:
        """Plugins whose status is ``"loaded"``."""
        return tuple(r for r in self.plugins if r.status == "loaded")
