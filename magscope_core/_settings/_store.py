"""`SettingsStore`: validated settings of all namespaces, backed by one TOML file."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar, overload

import attrs

from ._records import SaveResult, SetResult, SettingsError, SettingsProblem
from ._schema import SettingInfo, check_value, setting_infos
from ._toml import Document, backup_bad_file, dumps, read_document, write_atomic

T = TypeVar("T")

_NAMESPACE = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")


class SettingsStore:
    """Settings of the core and of every plugin, one namespace each.

    Parameters
    ----------
    schemas : Mapping[str, type], optional
        Schema class (``@attrs.frozen``, fields made with `setting`) by namespace.
        More can be added with `register`.
    path : pathlib.Path or str, optional
        Settings file used by `load` and `save`; ``None`` keeps settings in memory.

    Notes
    -----
    Nothing is read until `load` is called. Data the store does not understand
    (unknown namespaces and keys, invalid values) is reported by `load`, never used,
    and written back unchanged by `save`, so a plugin that is temporarily not
    installed keeps its settings. A store is not thread-safe: one owner (the hub)
    changes and saves it; other processes receive validated instances.
    """

    def __init__(
        self, schemas: Mapping[str, type] | None = None, path: Path | str | None = None
    ) -> None:
        self._path = None if path is None else Path(path)
        self._schemas: dict[str, type] = {}
        self._owners: dict[str, str | None] = {}
        self._doc: Document = {}
        self._valid: dict[str, dict[str, Any]] = {}
        self._current: dict[str, Any] = {}
        self._started: dict[tuple[str, str], Any] = {}
        self._bad_file: Path | None = None
        for namespace, schema in (schemas or {}).items():
            self.register(namespace, schema)

    @property
    def path(self) -> Path | None:
        """Return the settings file of this store."""
        return self._path

    @property
    def namespaces(self) -> tuple[str, ...]:
        """Return the registered namespaces in registration order."""
        return tuple(self._schemas)

    @property
    def pending_restart(self) -> tuple[str, ...]:
        """Return ``"namespace.key"`` of start-up-only settings changed while running."""
        return tuple(sorted(f"{ns}.{key}" for ns, key in self._started))

    def schema(self, namespace: str) -> type:
        """Return the schema class registered for ``namespace``."""
        self._require(namespace)
        return self._schemas[namespace]

    def register(
        self, namespace: str, schema: type, *, owner: str | None = None
    ) -> list[SettingsProblem]:
        """Add a namespace, for example when a plugin is loaded.

        Data already read from the file for this namespace is validated now.

        Parameters
        ----------
        namespace : str
            Letters, digits, ``_`` and ``-``, with ``.`` between parts (``"camera.sim"``).
        schema : type
            The settings class.
        owner : str, optional
            Who declares it (plugin and distribution), used in error messages.

        Returns
        -------
        list of SettingsProblem
            Problems of stored values of this namespace.

        Raises
        ------
        SettingsError
            If the name is invalid or the namespace already has another schema
            (the message names both).
        TypeError
            If ``schema`` is not a valid settings class.
        """
        by = f" (from {owner})" if owner else ""
        if not _NAMESPACE.match(namespace):
            raise SettingsError(
                f"settings namespace {namespace!r}{by} is not valid: use letters, digits, "
                "'_' and '-', with '.' between parts, for example 'camera.sim'"
            )
        existing = self._schemas.get(namespace)
        if existing is schema:
            return []
        if existing is not None:
            raise SettingsError(
                f"settings namespace {namespace!r} is claimed twice: by "
                f"{_who(existing, self._owners[namespace])} and by {_who(schema, owner)}; "
                "each plugin needs its own namespace"
            )
        try:
            setting_infos(schema)
            schema()
        except (TypeError, ValueError) as exc:
            raise TypeError(f"settings schema for namespace {namespace!r}{by}: {exc}") from exc
        self._schemas[namespace] = schema
        self._owners[namespace] = owner
        return self._adopt(namespace, self._path)

    def load(self) -> list[SettingsProblem]:
        """(Re)read the settings file; every problem falls back to defaults.

        A missing file (or ``path=None``) gives all defaults and no problem. A file that
        is not valid TOML gives one problem naming its line and column; all defaults
        are used and the file is copied to ``<name>.bad-<timestamp>.toml`` before the
        next `save` replaces it. An invalid value makes only that key use its default.

        Returns
        -------
        list of SettingsProblem
            Errors (values or file rejected) and warnings (data not understood, kept).
        """
        self._doc, self._started, self._bad_file = {}, {}, None
        problems: list[SettingsProblem] = []
        if self._path is not None:
            result = read_document(self._path)
            self._doc = result.document
            problems.extend(result.problems)
            if result.unreadable:
                self._bad_file = self._path
        for namespace in self._schemas:
            problems.extend(self._adopt(namespace, self._path))
        for namespace, table in self._doc.items():
            if namespace not in self._schemas:
                problems.extend(self._unknown(self._path, namespace, table))
        return problems

    @overload
    def get(self, namespace: str) -> Any: ...

    @overload
    def get(self, namespace: str, schema: type[T]) -> T: ...

    def get(self, namespace: str, schema: type[Any] | None = None) -> Any:
        """Return the validated settings instance of ``namespace``.

        Parameters
        ----------
        namespace : str
            Registered namespace.
        schema : type, optional
            Expected class; the result is then typed (``store.get("core", CoreSettings)``).

        Raises
        ------
        SettingsError
            If the namespace is unknown or its schema is not ``schema``.
        """
        self._require(namespace)
        instance = self._current[namespace]
        if schema is not None and not isinstance(instance, schema):
            raise SettingsError(
                f"settings namespace {namespace!r} holds {_who(type(instance), None)}, "
                f"not {_who(schema, None)}"
            )
        return instance

    def value(self, namespace: str, key: str) -> Any:
        """Return the current value of one setting."""
        self._info(namespace, key)
        return getattr(self._current[namespace], key)

    def set(self, namespace: str, key: str, value: Any, *, running: bool = False) -> SetResult:
        """Validate and store one setting.

        Parameters
        ----------
        namespace, key : str
            The setting.
        value : Any
            New value; unambiguous text is converted (``"12"`` for an int, ``"off"``
            for a bool, ``"info"`` for the choice ``"INFO"``).
        running : bool, optional
            MagScope is running: a start-up-only setting is stored and the result says
            a restart is required.

        Returns
        -------
        SetResult

        Raises
        ------
        SettingsError
            Naming ``namespace.key``, the value and what is allowed; nothing changes.
        """
        info = self._info(namespace, key)
        new = check_value(info, value, where=f"{namespace}.{key}", coerce=True)
        action = f"setting {namespace}.{key} = {new!r}"
        return self._apply(namespace, {key: new}, explicit=True, running=running, action=action)[0]

    def reset(
        self, namespace: str, key: str | None = None, *, running: bool = False
    ) -> list[SetResult]:
        """Return one setting, or a whole namespace, to the defaults.

        Unknown keys of the namespace are kept. Returns the settings whose value changed.
        """
        if key is None:
            keys = list(setting_infos(self.schema(namespace)))
        else:
            self._info(namespace, key)
            keys = [key]
        action = f"resetting {', '.join(f'{namespace}.{k}' for k in keys)}"
        changes = dict.fromkeys(keys)
        results = self._apply(namespace, changes, explicit=False, running=running, action=action)
        return [result for result in results if result.changed]

    def to_dict(self, *, include_defaults: bool = True) -> dict[str, dict[str, Any]]:
        """Return the current values by namespace and key.

        With ``include_defaults=False`` only values set in the file or with `set` are
        returned. Unknown and invalid data is never included.
        """
        if include_defaults:
            return {ns: attrs.asdict(self._current[ns]) for ns in self._schemas}
        return {ns: dict(self._valid[ns]) for ns in self._schemas if self._valid[ns]}

    def save(self, path: Path | str | None = None) -> SaveResult:
        """Write the settings file atomically (temporary file + ``os.replace``).

        Only values read from the file or given to `set` are written (defaults stay
        implicit, so improved defaults reach users), plus all data the store did not
        understand, unchanged.

        Parameters
        ----------
        path : pathlib.Path or str, optional
            Target file; defaults to `path`. Parent folders are created.

        Raises
        ------
        SettingsError
            If no path is known.
        OSError
            If the file cannot be written.
        """
        if path is not None:
            target = Path(path)
        elif self._path is not None:
            target = self._path
        else:
            raise SettingsError("no settings file to save to: pass save(path=...)")
        return self._write(target, self._document(full=False))

    def export(self, path: Path | str) -> SaveResult:
        """Write every current value (defaults included) to ``path``, for sharing."""
        return self._write(Path(path), self._document(full=True))

    def import_(self, path: Path | str, *, running: bool = False) -> list[SettingsProblem]:
        """Apply the settings of another file on top of the current ones.

        Valid values are stored as if given to `set`; rejected values are reported
        and the current value is kept; unknown data is kept for `save`.

        Raises
        ------
        SettingsError
            If the file does not exist.
        """
        source = Path(path)
        if not source.is_file():
            raise SettingsError(f"cannot import settings: {source} is not a file")
        result = read_document(source)
        problems = list(result.problems)
        for namespace, table in result.document.items():
            if namespace not in self._schemas:
                self._doc.setdefault(namespace, {}).update(table)
                problems.extend(self._unknown(source, namespace, table))
                continue
            changes: dict[str, Any] = {}
            for key, raw in table.items():
                info = setting_infos(self._schemas[namespace]).get(key)
                if info is None:
                    self._doc.setdefault(namespace, {})[key] = raw
                    problems.append(self._unknown_key(source, namespace, key, raw))
                    continue
                try:
                    changes[key] = check_value(info, raw, where=f"{namespace}.{key}", coerce=True)
                except SettingsError as exc:
                    current = getattr(self._current[namespace], key)
                    message = f"{exc} Keeping the current value {current!r}."
                    problems.append(SettingsProblem(source, namespace, key, raw, message))
            if changes:
                action = f"importing [{namespace}] from {source}"
                try:
                    self._apply(namespace, changes, explicit=True, running=running, action=action)
                except SettingsError as exc:
                    message = f"{exc}; no [{namespace}] setting was imported"
                    problems.append(SettingsProblem(source, namespace, "", changes, message))
        return problems

    # -- internals -------------------------------------------------------------------

    def _require(self, namespace: str) -> None:
        if namespace not in self._schemas:
            known = ", ".join(self._schemas) or "none"
            raise SettingsError(
                f"unknown settings namespace {namespace!r}{_hint(namespace, self._schemas)}; "
                f"registered: {known}"
            )

    def _info(self, namespace: str, key: str) -> SettingInfo:
        infos = setting_infos(self.schema(namespace))
        if key not in infos:
            raise SettingsError(
                f"{namespace}.{key} is not a setting{_hint(key, infos)}; "
                f"[{namespace}] has: {', '.join(infos)}"
            )
        return infos[key]

    def _adopt(self, namespace: str, source: Path | None) -> list[SettingsProblem]:
        """Validate the stored data of a namespace and build its instance."""
        schema = self._schemas[namespace]
        infos = setting_infos(schema)
        table = self._doc.get(namespace, {})
        valid: dict[str, Any] = {}
        problems: list[SettingsProblem] = []
        for key, raw in table.items():
            info = infos.get(key)
            if info is None:
                problems.append(self._unknown_key(source, namespace, key, raw))
                continue
            try:
                valid[key] = table[key] = check_value(
                    info, raw, where=f"{namespace}.{key}", coerce=True
                )
            except SettingsError as exc:
                message = f"{exc} Using the default {info.default!r}."
                problems.append(SettingsProblem(source, namespace, key, raw, message))
        try:
            instance = schema(**valid)
        except ValueError as exc:
            message = f"[{namespace}] {exc} All [{namespace}] settings use their defaults."
            problems.append(SettingsProblem(source, namespace, "", valid, message))
            valid, instance = {}, schema()
        self._valid[namespace] = valid
        self._current[namespace] = instance
        return problems

    def _apply(
        self, namespace: str, changes: dict[str, Any], *, explicit: bool, running: bool, action: str
    ) -> list[SetResult]:
        """Store (``explicit``) or remove the given keys; all-or-nothing."""
        schema = self._schemas[namespace]
        before = self._current[namespace]
        valid = dict(self._valid[namespace])
        for key, new in changes.items():
            if explicit:
                valid[key] = new
            else:
                valid.pop(key, None)
        try:
            instance = schema(**valid)
        except ValueError as exc:
            raise SettingsError(
                f"{action} conflicts with the other [{namespace}] settings: {exc}"
            ) from None
        table = self._doc.setdefault(namespace, {})
        for key, new in changes.items():
            if explicit:
                table[key] = new
            else:
                table.pop(key, None)
        self._valid[namespace] = valid
        self._current[namespace] = instance
        infos = setting_infos(schema)
        results = []
        for key in changes:
            old, new = getattr(before, key), getattr(instance, key)
            restart = False
            if running and infos[key].startup_only:
                started = self._started.setdefault((namespace, key), old)
                if new == started:
                    del self._started[(namespace, key)]
                else:
                    restart = True
            results.append(SetResult(namespace, key, old, new, restart))
        return results

    def _unknown(
        self, source: Path | None, namespace: str, table: dict[str, Any]
    ) -> list[SettingsProblem]:
        if namespace == "":
            return [
                SettingsProblem(
                    source,
                    "",
                    key,
                    value,
                    f"{key} = {value!r} is outside any [namespace] table and is ignored "
                    "(kept in the file unchanged)",
                    severity="warning",
                )
                for key, value in table.items()
            ]
        message = (
            f"[{namespace}] is not a known settings namespace{_hint(namespace, self._schemas)} "
            f"(its plugin may not be installed); its {len(table)} key(s) are ignored and kept "
            f"in the file unchanged. Known namespaces: {', '.join(self._schemas) or 'none'}"
        )
        return [SettingsProblem(source, namespace, "", None, message, severity="warning")]

    def _unknown_key(
        self, source: Path | None, namespace: str, key: str, value: Any
    ) -> SettingsProblem:
        infos = setting_infos(self._schemas[namespace])
        message = (
            f"{namespace}.{key} = {value!r} is not a setting of [{namespace}]{_hint(key, infos)} "
            f"and is ignored (kept in the file unchanged); [{namespace}] has: {', '.join(infos)}"
        )
        return SettingsProblem(source, namespace, key, value, message, severity="warning")

    def _document(self, *, full: bool) -> Document:
        order = ["", *self._schemas, *sorted(ns for ns in self._doc if ns not in self._schemas)]
        out: Document = {}
        for namespace in dict.fromkeys(order):
            raw = self._doc.get(namespace, {})
            if namespace in self._schemas:
                infos = setting_infos(self._schemas[namespace])
                if full:
                    table = attrs.asdict(self._current[namespace])
                else:
                    table = {key: raw[key] for key in infos if key in raw}
                table.update((key, value) for key, value in raw.items() if key not in infos)
            else:
                table = dict(raw)
            if table:
                out[namespace] = table
        return out

    def _write(self, target: Path, document: Document) -> SaveResult:
        backup = None
        bad = self._bad_file is not None and target.resolve() == self._bad_file.resolve()
        if bad and target.exists():
            backup = backup_bad_file(target)
        write_atomic(target, dumps(document))
        if bad:
            self._bad_file = None
        return SaveResult(target, backup)


def _who(schema: type, owner: str | None) -> str:
    name = f"{schema.__module__}.{schema.__qualname__}"
    return f"{name} ({owner})" if owner else name


def _hint(word: str, candidates: Mapping[str, Any]) -> str:
    matches = difflib.get_close_matches(word, list(candidates), n=1)
    return f" (did you mean {matches[0]!r}?)" if matches else ""
