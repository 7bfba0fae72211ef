"""The saved window layout: dock state, panel order, collapsed and hidden panels.

One JSON file, ``<config dir>/gui-layout.json``::

    {"version": 1,
     "geometry": "<base64 of QMainWindow.saveGeometry()>",
     "dock_state": "<base64 of QMainWindow.saveState()>",
     "current_tab": "Run",
     "tabs": {"Run": ["status", "recording", "camera"], ...},
     "panels": {"status": {"expanded": true, "visible": true, "state": {...}}, ...}}

A file that cannot be read or does not match this shape is rejected as a whole with a
message naming the file and what is wrong; the window then starts with the default
layout and the bad file is kept next to it as ``gui-layout.bad.json``.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import attrs

from magscope_core import default_config_dir

__all__ = [
    "LAYOUT_FILE",
    "LAYOUT_VERSION",
    "Layout",
    "LayoutError",
    "PanelLayout",
    "default_layout_path",
    "read_layout",
    "set_aside",
    "write_layout",
]

LAYOUT_FILE = "gui-layout.json"
LAYOUT_VERSION = 1


class LayoutError(ValueError):
    """A saved layout file is unreadable or has an unexpected shape."""


@attrs.frozen
class PanelLayout:
    """Saved state of one panel."""

    expanded: bool = True
    visible: bool = True
    state: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class Layout:
    """A saved window layout (see the module docstring for the file format)."""

    geometry: bytes = b""
    dock_state: bytes = b""
    current_tab: str = ""
    tabs: dict[str, list[str]] = attrs.field(factory=dict)
    panels: dict[str, PanelLayout] = attrs.field(factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The JSON document of this layout."""
        import base64

        return {
            "version": LAYOUT_VERSION,
            "geometry": base64.b64encode(self.geometry).decode("ascii"),
            "dock_state": base64.b64encode(self.dock_state).decode("ascii"),
            "current_tab": self.current_tab,
            "tabs": {k: list(v) for k, v in self.tabs.items()},
            "panels": {k: attrs.asdict(v) for k, v in self.panels.items()},
        }

    @classmethod
    def from_json(cls, doc: Any, where: str = "layout") -> Layout:
        """Check and convert a JSON document.

        Raises
        ------
        LayoutError
            Naming ``where``, the key and what was expected.
        """
        import base64
        import binascii

        if not isinstance(doc, dict):
            raise LayoutError(f"{where}: expected a JSON object, got {type(doc).__name__}")
        version = doc.get("version")
        if version != LAYOUT_VERSION:
            raise LayoutError(f"{where}: version {version!r} is not {LAYOUT_VERSION}")

        def blob(key: str) -> bytes:
            value = doc.get(key, "")
            if not isinstance(value, str):
                raise LayoutError(f"{where}: {key!r} must be a base64 string")
            try:
                return base64.b64decode(value.encode("ascii"), validate=True)
            except (binascii.Error, UnicodeEncodeError) as exc:
                raise LayoutError(f"{where}: {key!r} is not valid base64 ({exc})") from None

        tabs = doc.get("tabs", {})
        if not isinstance(tabs, dict) or not all(
            isinstance(k, str) and isinstance(v, list) and all(isinstance(i, str) for i in v)
            for k, v in tabs.items()
        ):
            raise LayoutError(f"{where}: 'tabs' must map tab names to lists of panel ids")
        panels: dict[str, PanelLayout] = {}
        raw_panels = doc.get("panels", {})
        if not isinstance(raw_panels, dict):
            raise LayoutError(f"{where}: 'panels' must be an object keyed by panel id")
        for pid, raw in raw_panels.items():
            if not isinstance(raw, dict):
                raise LayoutError(f"{where}: panels.{pid} must be an object")
            expanded, visible = raw.get("expanded", True), raw.get("visible", True)
            state = raw.get("state", {})
            if not isinstance(expanded, bool) or not isinstance(visible, bool):
                raise LayoutError(f"{where}: panels.{pid}.expanded/visible must be true/false")
            if not isinstance(state, dict):
                raise LayoutError(f"{where}: panels.{pid}.state must be an object")
            panels[str(pid)] = PanelLayout(expanded, visible, state)
        current = doc.get("current_tab", "")
        if not isinstance(current, str):
            raise LayoutError(f"{where}: 'current_tab' must be a string")
        return cls(blob("geometry"), blob("dock_state"), current,
                   {k: list(v) for k, v in tabs.items()}, panels)


def default_layout_path() -> Path:
    """``magscope_core`` configuration folder / ``gui-layout.json``."""
    return default_config_dir() / LAYOUT_FILE


def read_layout(path: Path) -> Layout | None:
    """Read a saved layout; None when there is none.

    Raises
    ------
    LayoutError
        The file exists but is not a valid layout (the message names the file).
    """
    if not path.exists():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise LayoutError(f"{path}: cannot be read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise LayoutError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    return Layout.from_json(doc, where=str(path))


def write_layout(path: Path, layout: Layout) -> None:
    """Write a layout atomically (temporary file, then rename); folders are created."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(layout.to_json(), indent=2, sort_keys=True, default=str)
    fd, tmp = tempfile.mkstemp(prefix=".gui-layout-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def set_aside(path: Path) -> Path | None:
    """Move a bad layout file to ``<stem>.bad.json``; return where (None if it failed)."""
    target = path.with_name(path.stem + ".bad.json")
    try:
        os.replace(path, target)
    except OSError:
        return None
    return target
