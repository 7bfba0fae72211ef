"""Reading and writing settings files (TOML, one table per namespace)."""

from __future__ import annotations

import contextlib
import datetime
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePath
from typing import Any

import attrs
import tomli_w

from ._records import SettingsProblem

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

Document = dict[str, dict[str, Any]]
"""Settings data by namespace, then key. Namespace ``""`` holds stray top-level keys."""

HEADER = (
    "# MagScope settings: one [table] per namespace (core, and one per plugin).\n"
    "# Written by magscope-core; comments are not kept when MagScope saves.\n\n"
)
_POSITION = re.compile(r"line (\d+), column (\d+)")


@attrs.frozen
class ReadResult:
    """Outcome of reading a settings file."""

    document: Document
    problems: list[SettingsProblem]
    unreadable: bool = False
    """True if the file exists but could not be parsed; it must not be overwritten."""


def read_document(path: Path) -> ReadResult:
    """Read and flatten a settings file; a missing file is an empty document."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return ReadResult({}, [])
    except OSError as exc:
        message = f"cannot read settings file {path}: {exc.strerror or exc}; using defaults"
        return ReadResult({}, [SettingsProblem(path, "", "", None, message)], unreadable=True)
    try:
        text = data.decode("utf-8")
        raw = tomllib.loads(text)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        message = (
            f"settings file {path} is not UTF-8 text (line {line}); all settings use their "
            "defaults and the file will be kept as a .bad copy before the next save"
        )
        problem = SettingsProblem(path, "", "", None, message, line=line)
        return ReadResult({}, [problem], unreadable=True)
    except tomllib.TOMLDecodeError as exc:
        line, column = _position(exc, text)
        message = (
            f"settings file {path} is not valid TOML at line {line}, column {column}: "
            f"{_reason(exc)}; all settings use their defaults and the file will be kept as "
            "a .bad copy before the next save"
        )
        problem = SettingsProblem(path, "", "", None, message, line=line, column=column)
        return ReadResult({}, [problem], unreadable=True)
    document, duplicates = flatten(raw)
    problems = [
        SettingsProblem(
            path,
            ns,
            key,
            None,
            f"{ns}.{key} is given twice in the file (for example under [camera.sim] and "
            '["camera.sim"]); the last value is used',
            severity="warning",
        )
        for ns, key in duplicates
    ]
    return ReadResult(document, problems)


def flatten(raw: Mapping[str, Any]) -> tuple[Document, list[tuple[str, str]]]:
    """Map nested TOML tables to dotted namespaces.

    ``[camera.sim]`` and ``["camera.sim"]`` both give namespace ``"camera.sim"``.
    Returns the document and the ``(namespace, key)`` pairs that were given twice.
    """
    document: Document = {}
    duplicates: list[tuple[str, str]] = []

    def walk(prefix: str, table: Mapping[str, Any]) -> None:
        for key, value in table.items():
            if isinstance(value, dict):
                walk(f"{prefix}.{key}" if prefix else key, value)
                continue
            target = document.setdefault(prefix, {})
            if key in target:
                duplicates.append((prefix, key))
            target[key] = value

    walk("", raw)
    return document, duplicates


def dumps(document: Document) -> str:
    """Render a document as TOML text.

    Namespace ``"camera.sim"`` is written as the nested table ``[camera.sim]``, or as
    ``["camera.sim"]`` if namespace ``"camera"`` has a plain key ``sim``.
    """
    out: dict[str, Any] = {key: _plain(value) for key, value in document.get("", {}).items()}
    for namespace in sorted((ns for ns in document if ns), key=lambda ns: ns.count(".")):
        table = {key: _plain(value) for key, value in document[namespace].items()}
        if not table:
            continue
        node = out
        parts = namespace.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                break
            node = child
        else:
            existing = node.get(parts[-1])
            if existing is None:
                node[parts[-1]] = table
                continue
            if isinstance(existing, dict) and not existing.keys() & table.keys():
                existing.update(table)
                continue
        out[namespace] = table  # a nested spelling would clash: use the quoted name
    return HEADER + tomli_w.dumps(out)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder.

    Readers see either the old or the new file, never half of one. Missing parent
    folders are created; the permissions of an existing file are kept.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            shutil.copymode(path, tmp_name)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise


def backup_bad_file(path: Path) -> Path:
    """Copy an unreadable settings file to ``<stem>.bad-<timestamp><suffix>``; return the copy."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    suffix = path.suffix or ".toml"
    backup = path.with_name(f"{path.stem}.bad-{stamp}{suffix}")
    counter = 2
    while backup.exists():
        backup = path.with_name(f"{path.stem}.bad-{stamp}-{counter}{suffix}")
        counter += 1
    shutil.copy2(path, backup)
    return backup


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, PurePath) else value


def _position(exc: Exception, text: str) -> tuple[int, int]:
    line = getattr(exc, "lineno", None)
    column = getattr(exc, "colno", None)
    if isinstance(line, int) and isinstance(column, int):
        return line, column
    match = _POSITION.search(str(exc))
    if match:
        return int(match.group(1)), int(match.group(2))
    return text.count("\n") + 1, 1  # pragma: no cover - every known parser reports a position


def _reason(exc: Exception) -> str:
    message = getattr(exc, "msg", None)
    if isinstance(message, str):
        return message
    return _POSITION.sub("", str(exc)).replace("(at )", "").strip()
