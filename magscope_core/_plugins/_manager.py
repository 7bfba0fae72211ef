"""The plugin manager: guarded discovery, registration, collection and conflict checks.

pluggy provides the hook machinery; this module owns the loading loop, and
:mod:`magscope_core._plugins._failures` the error policy:

- every entry point is loaded in its own ``try``: a plugin that fails to import, declares a
  bad hook, raises in a hook or returns the wrong type is skipped and recorded (with its
  traceback and distribution), and the application carries on;
- a plugin whose ``magscope-core`` requirement excludes the running core is reported as
  "needs update" and never imported;
- ``strict`` (``MAGSCOPE_STRICT_PLUGINS=1``) turns every such failure into a
  :class:`~magscope_core.PluginError`;
- ``MAGSCOPE_DISABLE_PLUGINS=a,b`` (or ``disabled=``) skips plugins by name without
  importing them; ``*`` skips every entry-point plugin (safe mode).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pluggy

from magscope_core import _hookspecs
from magscope_core._hookspecs import HOOK_KINDS, PROJECT_NAME, HookKind
from magscope_core._plugins._discovery import (
    EntryPointLike,
    check_api_version,
    core_version,
    discover_entry_points,
    distribution_of,
    distribution_version,
)
from magscope_core._plugins._failures import (
    ENV_DISABLE,
    ENV_STRICT,
    FailurePolicy,
    LoadEntry,
    entry_point_disabled,
    env_disabled,
    strict_mode,
)
from magscope_core._plugins._records import (
    BUILTIN,
    Contribution,
    PluginFailure,
    PluginSet,
)
from magscope_core._plugins._validation import (
    BadResult,
    as_records,
    check_hookimpls,
    conflict_detail,
)

__all__ = ["ENV_DISABLE", "ENV_STRICT", "PluginManager", "load_plugins"]

_UNSET: Any = object()


class PluginManager(FailurePolicy):
    """Loads MagScope plugins and collects what they contribute.

    Parameters
    ----------
    strict
        Raise :class:`~magscope_core.PluginError` on any plugin failure instead of
        recording it. ``None`` reads ``MAGSCOPE_STRICT_PLUGINS``.
    disabled
        Plugin names to skip (status ``"disabled"``, never imported); merged with
        ``MAGSCOPE_DISABLE_PLUGINS``. ``"*"`` disables every entry-point plugin.
    core_version
        Version the plugin-API check compares against; defaults to the installed
        magscope-core (``None`` skips the check).

    Notes
    -----
    Registration order decides name conflicts: the first plugin registered keeps the name.
    Built-in plugins are registered first, then entry points sorted by distribution name.
    """

    def __init__(
        self,
        *,
        strict: bool | None = None,
        disabled: Iterable[str] | None = None,
        core_version: str | None = _UNSET,
    ) -> None:
        self._pm = pluggy.PluginManager(PROJECT_NAME)
        self._pm.add_hookspecs(_hookspecs)
        self.strict: bool = strict_mode(strict)
        self.disabled: frozenset[str] = frozenset(env_disabled() | set(disabled or ()))
        self.core_version: str | None = (
            _core_version_default() if core_version is _UNSET else core_version
        )
        self._entries: list[LoadEntry] = []
        self._by_name: dict[str, LoadEntry] = {}
        self._failures: list[PluginFailure] = []
        self._result: PluginSet | None = None

    # -- access ---------------------------------------------------------------------------

    @property
    def hook(self) -> pluggy.HookRelay:
        """Pluggy's hook relay (``pm.hook.magscope_cameras()``), for direct calls."""
        return self._pm.hook

    @property
    def pluggy_manager(self) -> pluggy.PluginManager:
        """The wrapped :class:`pluggy.PluginManager`."""
        return self._pm

    @property
    def failures(self) -> tuple[PluginFailure, ...]:
        """Failures recorded so far."""
        return tuple(self._failures)

    # -- registration ---------------------------------------------------------------------

    def register(
        self,
        plugin: object,
        name: str,
        distribution: str = BUILTIN,
        version: str | None = None,
    ) -> bool:
        """Register an in-process plugin object (a module, class or instance).

        Parameters
        ----------
        plugin
            Object whose ``@hookimpl`` functions implement magscope hooks.
        name
            Unique plugin name.
        distribution, version
            Where it comes from (shown by ``magscope plugins``). ``version`` defaults to
            the core version for ``"<builtin>"`` and ``"magscope-core"``, else to the
            installed version of ``distribution`` (``None`` if not installed).

        Returns
        -------
        bool
            Whether the plugin was registered (``False`` if disabled or invalid).

        Raises
        ------
        PluginError
            In strict mode, if the plugin is invalid or its name is taken.
        """
        if version is None:
            version = distribution_version(distribution, self.core_version)
        entry = LoadEntry(name, distribution, version)
        before = len(self._failures)
        if self._add_entry(entry) and name in self.disabled:
            entry.status = "disabled"
        elif entry.status == "loaded":
            self._register_object(entry, plugin)
        self._raise_if_strict(before)
        return entry.status == "loaded"

    def load_entry_points(self, entry_points: Iterable[EntryPointLike] | None = None) -> None:
        """Load every plugin announced in the ``magscope`` entry-point group.

        Each entry point is handled on its own: disabled ones and those whose
        ``magscope-core`` requirement excludes this core are never imported; one that fails
        to import or register is recorded and skipped.

        Parameters
        ----------
        entry_points
            Entry points to load instead of discovering the installed ones.

        Raises
        ------
        PluginError
            In strict mode, after trying all of them, listing every failure.
        """
        before = len(self._failures)
        eps = discover_entry_points() if entry_points is None else list(entry_points)
        for ep in eps:
            self._load_entry_point(ep)
        self._raise_if_strict(before)

    def _load_entry_point(self, ep: EntryPointLike) -> None:
        dist_name, dist_version = distribution_of(ep)
        entry = LoadEntry(ep.name, dist_name, dist_version)
        if not self._add_entry(entry):
            return
        if entry_point_disabled(ep.name, self.disabled):
            entry.status = "disabled"
            return
        check = check_api_version(ep.dist, self.core_version)
        entry.notes.extend(check.notes)
        if not check.compatible:
            self._fail(entry, "version", None, f"{entry.origin}: {check.message}")
            return
        try:
            obj = ep.load()
        except (Exception, SystemExit) as exc:
            self._fail(
                entry,
                "import",
                None,
                f"{entry.origin}: importing entry point {ep.name} = {ep.value} failed with "
                f"{type(exc).__name__}: {exc}; expected a module or object with @hookimpl "
                "functions",
                exc,
            )
            return
        self._register_object(entry, obj)

    def _add_entry(self, entry: LoadEntry) -> bool:
        """Record ``entry``; fail it if its name is taken. Returns whether it is usable."""
        self._result = None
        self._entries.append(entry)
        first = self._by_name.get(entry.name)
        if first is None:
            self._by_name[entry.name] = entry
            return True
        self._fail(
            entry,
            "register",
            None,
            f"{entry.origin}: plugin name {entry.name!r} is already used by {first.origin}; "
            "expected unique plugin (entry-point) names, so this one is not loaded",
        )
        return False

    def _register_object(self, entry: LoadEntry, plugin: object) -> None:
        if plugin is None:
            self._fail(entry, "register", None, f"{entry.origin}: the plugin object is None")
            return
        try:
            problem = check_hookimpls(self._pm, plugin, entry.origin, entry.notes)
        except Exception as exc:  # a hostile __getattr__/__dir__
            self._fail(entry, "register", None, f"{entry.origin}: cannot inspect it: {exc}", exc)
            return
        if problem is not None:
            self._fail(entry, "register", problem[0], problem[1])
            return
        try:
            self._pm.register(plugin, name=entry.name)
        except pluggy.PluginValidationError as exc:
            self._fail(entry, "register", None, f"{entry.origin}: invalid hook: {exc}", exc)
            return
        except ValueError as exc:  # the same object registered under another name
            other = self._pm.get_name(plugin)
            self._fail(
                entry,
                "register",
                None,
                f"{entry.origin}: the same plugin object is already registered as {other!r}; "
                f"expected each plugin once ({exc.args[0].splitlines()[0]})",
            )
            return
        entry.plugin = plugin
        callers = self._pm.get_hookcallers(plugin) or []
        entry.hooks = tuple(k.hook for k in HOOK_KINDS if any(c.name == k.hook for c in callers))
        if not entry.hooks:
            entry.notes.append(
                "implements no magscope hook (does the entry point name the module holding "
                "the @hookimpl functions?)"
            )

    # -- collection -----------------------------------------------------------------------

    def collect(self) -> PluginSet:
        """Call every hook of every loaded plugin and build the :class:`PluginSet`.

        Each implementation is called on its own, so one raising plugin does not hide the
        others. A plugin whose hook raises or returns anything but a sequence of the hook's
        record type fails as a whole (none of its records are used). A record whose name is
        already provided by an earlier plugin is dropped and recorded as an error on the
        later plugin, naming both.

        Raises
        ------
        PluginError
            In strict mode, listing every failure found while collecting.
        """
        if self._result is not None:
            return self._result
        # conflicts are recomputed from scratch on every collection
        self._failures = [f for f in self._failures if f.stage != "conflict"]
        for entry in self._entries:
            if entry.conflict_error:
                entry.error = entry.traceback = None
                entry.conflict_error = False
        before = len(self._failures)
        order = {e.name: i for i, e in enumerate(self._entries) if e.status == "loaded"}
        returned: dict[str, dict[str, list[Any]]] = {name: {} for name in order}
        for kind in HOOK_KINDS:
            caller: pluggy.HookCaller = getattr(self._pm.hook, kind.hook)
            impls = [i for i in caller.get_hookimpls() if i.plugin_name in order]
            for impl in sorted(impls, key=lambda i: order[i.plugin_name]):
                entry = self._by_name[impl.plugin_name]
                try:
                    result = impl.function()
                except Exception as exc:
                    self._fail(
                        entry,
                        "hook",
                        kind.hook,
                        f"{entry.origin}: hook {kind.hook} raised {type(exc).__name__}: {exc}",
                        exc,
                        unregister=False,
                    )
                    continue
                try:
                    records = as_records(result, kind)
                except BadResult as problem:
                    self._fail(
                        entry,
                        "hook",
                        kind.hook,
                        f"{entry.origin}: hook {kind.hook} {problem} "
                        f"(hook signature: {kind.signature})",
                        unregister=False,
                    )
                    continue
                returned[entry.name][kind.attribute] = records

        lookups: dict[str, dict[str, Contribution[Any]]] = {k.attribute: {} for k in HOOK_KINDS}
        for entry in self._entries:
            if entry.status != "loaded":
                if entry.plugin is not None and self._pm.is_registered(entry.plugin):
                    self._pm.unregister(entry.plugin)
                continue
            entry.provides = {}
            for kind in HOOK_KINDS:
                for spec in returned[entry.name].get(kind.attribute, ()):
                    self._add_contribution(entry, kind, spec, lookups[kind.attribute])
        self._raise_if_strict(before)
        self._result = PluginSet(
            plugins=tuple(e.freeze() for e in self._entries),
            errors=tuple(self._failures),
            **lookups,
        )
        return self._result

    def _add_contribution(
        self, entry: LoadEntry, kind: HookKind, spec: Any, lookup: dict[str, Contribution[Any]]
    ) -> None:
        key = str(getattr(spec, kind.key))
        first = lookup.get(key)
        if first is not None:
            self._fail(
                entry,
                "conflict",
                kind.hook,
                f"{entry.origin}: {kind.kind} {key!r}{conflict_detail(kind, spec, first.spec)} is "
                f"ignored: already provided by {first.origin}; expected unique {kind.kind} "
                f"{kind.key}s (rename one, or disable a plugin with {ENV_DISABLE})",
                status=None,
            )
            return
        lookup[key] = Contribution(spec, entry.name, entry.distribution, entry.version)
        entry.provides.setdefault(kind.kind, []).append(key)

def _core_version_default() -> str | None:
    return core_version()


def load_plugins(
    *,
    strict: bool | None = None,
    disabled: Iterable[str] | None = None,
    entry_points: Iterable[EntryPointLike] | None = None,
    builtins: Iterable[tuple[object, str] | tuple[object, str, str]] = (),
) -> PluginSet:
    """Register built-ins, load installed plugins and collect their contributions.

    Parameters
    ----------
    strict
        Raise on any plugin failure (``None``: read ``MAGSCOPE_STRICT_PLUGINS``).
    disabled
        Plugin names to skip, merged with ``MAGSCOPE_DISABLE_PLUGINS``.
    entry_points
        Entry points to load instead of the installed ``magscope`` group.
    builtins
        ``(plugin, name)`` or ``(plugin, name, distribution)`` tuples, passed to
        :meth:`PluginManager.register` first (distribution defaults to ``"<builtin>"``);
        being registered first, they win name conflicts against installed plugins.

    Returns
    -------
    PluginSet
        Every plugin with its status, and the contributions per kind.

    Raises
    ------
    PluginError
        In strict mode, from the first step (built-ins, entry points, collection) that saw
        a failure, listing that step's failures.
    """
    manager = PluginManager(strict=strict, disabled=disabled)
    for builtin in builtins:
        manager.register(*builtin)
    manager.load_entry_points(entry_points)
    return manager.collect()
