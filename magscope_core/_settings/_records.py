"""Errors and result records of the settings system."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import attrs

Severity = Literal["error", "warning"]


class SettingsError(ValueError):
    """A setting, a settings file or a settings schema registration was rejected.

    The message always names what failed (``namespace.key``, file or schema), the
    offending value and what would have been accepted.
    """


@attrs.frozen
class SettingsProblem:
    """One problem found while reading a settings file.

    Problems never stop MagScope from starting: the affected key (or, for an
    unreadable file, every key) uses its default and the problem is reported.

    Parameters
    ----------
    path : pathlib.Path or None
        The settings file the problem was found in.
    namespace : str
        Settings namespace (``"core"``, ``"camera.sim"``); ``""`` for problems about
        the whole file.
    key : str
        Setting key inside the namespace; ``""`` for problems about a namespace or file.
    value : Any
        The offending value as read from the file (``None`` if not applicable).
    message : str
        Human-readable explanation naming the key, the value and what is allowed.
    severity : {"error", "warning"}
        ``"error"``: a value or the file was rejected and defaults are used.
        ``"warning"``: data was not understood (for example it belongs to a plugin
        that is not installed) and is kept in the file untouched.
    line, column : int or None
        Position of a TOML syntax error (1-based).
    """

    path: Path | None
    namespace: str
    key: str
    value: Any
    message: str
    severity: Severity = attrs.field(
        default="error", validator=attrs.validators.in_(("error", "warning"))
    )
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = str(self.path) if self.path is not None else "<settings>"
        if self.line is not None:
            where += f":{self.line}:{self.column}"
        return f"{where}: {self.severity}: {self.message}"


@attrs.frozen
class SetResult:
    """Outcome of changing one setting.

    Parameters
    ----------
    namespace, key : str
        The setting.
    old, new : Any
        Value before and after the change.
    restart_required : bool
        The setting is read only at start-up and MagScope is running with a
        different value: the new value is stored but takes effect after a restart.
    """

    namespace: str
    key: str
    old: Any
    new: Any
    restart_required: bool = False

    @property
    def changed(self) -> bool:
        """Return True if the stored value changed."""
        return bool(self.old != self.new)

    @property
    def message(self) -> str:
        """Return a one-line summary for users."""
        name = f"{self.namespace}.{self.key}"
        if self.restart_required:
            return (
                f"{name} = {self.new!r} stored; it is read only at start-up: "
                "restart MagScope to use it"
            )
        if not self.changed:
            return f"{name} is already {self.new!r}"
        return f"{name} changed from {self.old!r} to {self.new!r}"


@attrs.frozen
class SaveResult:
    """Outcome of writing a settings file.

    Parameters
    ----------
    path : pathlib.Path
        The file written.
    backup : pathlib.Path or None
        Where an unreadable file found at ``path`` was copied before it was replaced.
    """

    path: Path
    backup: Path | None = None
