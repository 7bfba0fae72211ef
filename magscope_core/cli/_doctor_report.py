"""What ``magscope doctor`` reports: the environment, every plugin and every check.

The report is meant to be pasted into a bug report: versions (Python, the core, each
plugin with its distribution and licence, key libraries), the platform, shared memory and
disk space, the display, and the outcome of every check (plugins that did not load, import
paths that do not import, shared memory, disk space and each plugin's health checks).
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from magscope_core._buffers import cleanup_stale_segments
from magscope_core._import_path import LazyFactory, load_import_path
from magscope_core._plugins import PluginSet
from magscope_core._plugins._discovery import CORE_DISTRIBUTION
from magscope_core._plugins._records import BUILTIN
from magscope_core._settings import default_data_dir, default_output_dir
from magscope_core._version import __version__

__all__ = ["KEY_LIBRARIES", "Check", "Report", "collect"]

KEY_LIBRARIES = (
    "numpy", "pluggy", "attrs", "packaging", "platformdirs", "rich", "setproctitle", "numba",
    "llvmlite", "scipy", "h5py", "tifffile", "PySide6-Essentials", "pyqtgraph", "superqt",
)
"""Distributions whose versions the report shows (``not installed`` when absent), after
every installed ``magscope-*`` distribution that is not a plugin (``magscope-analysis``)."""

SHM_MIN_FREE = 64 * 2**20
"""Less free shared memory than this fails the check (a small session ring needs more)."""
DISK_MIN_FREE = 2**30
"""Less free space in the output folder than this fails the check."""
GIB = 2**30


@attrs.frozen
class Check:
    """One line of the checks: what, whose, whether it passed and what to do."""

    name: str
    plugin: str
    ok: bool
    message: str


@attrs.frozen
class Report:
    """Everything ``magscope doctor`` prints, as (label, value) rows per section."""

    system: tuple[tuple[str, str], ...]
    libraries: tuple[tuple[str, str], ...]
    plugins: tuple[dict[str, str], ...]
    resources: tuple[tuple[str, str], ...]
    display: tuple[tuple[str, str], ...]
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        """Whether every check passed."""
        return all(c.ok for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``magscope doctor --json``)."""
        return {
            "system": dict(self.system), "libraries": dict(self.libraries),
            "plugins": list(self.plugins), "resources": dict(self.resources),
            "display": dict(self.display), "checks": [attrs.asdict(c) for c in self.checks],
            "ok": self.ok,
        }


def _gib(n: float) -> str:
    return f"{n / GIB:.1f} GiB"


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _licence(distribution: str) -> str:
    """The distribution's SPDX expression (or first line of its License field), else ``?``."""
    name = CORE_DISTRIBUTION if distribution == BUILTIN else distribution
    try:
        meta = importlib.metadata.metadata(name)
    except importlib.metadata.PackageNotFoundError:
        return "?"
    found = meta.get_all("License-Expression") or meta.get_all("License") or ["?"]
    text = str(found[0])
    first = str(text).strip().splitlines()[0] if str(text).strip() else "?"
    return first if len(first) <= 40 else first[:37] + "..."


def _system() -> tuple[tuple[str, str], ...]:
    try:
        memory = _gib(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        memory = "unknown"
    return (
        ("magscope-core", __version__),
        ("Python", f"{platform.python_version()} ({platform.python_implementation()}) "
                   f"{sys.executable}"),
        ("platform", f"{platform.platform()} ({platform.machine()})"),
        ("CPUs, memory", f"{os.cpu_count()}, {memory}"),
    )


def _plugins(plugins: PluginSet) -> tuple[dict[str, str], ...]:
    rows = []
    for record in plugins.plugins:
        rows.append({
            "name": record.name, "distribution": record.distribution,
            "version": record.version or "?", "licence": _licence(record.distribution),
            "status": record.status, "provides": ", ".join(record.kinds) or "-",
        })
    return tuple(rows)


def _free(path: Path) -> tuple[Path, Any] | None:
    """Disk usage of the nearest existing folder at or above ``path``."""
    for folder in (path, *path.parents):
        if folder.exists():
            return folder, shutil.disk_usage(folder)
    return None


def _resources(output_dir: Path, settings_file: Path, removed: int,
               checks: list[Check]) -> tuple[tuple[str, str], ...]:
    rows = []
    if sys.platform.startswith("linux") and os.path.isdir("/dev/shm"):
        st = os.statvfs("/dev/shm")
        free, total = st.f_bavail * st.f_frsize, st.f_blocks * st.f_frsize
        rows.append(("shared memory", f"/dev/shm: {_gib(free)} free of {_gib(total)}; "
                                      f"{removed} stale segment(s) of dead sessions removed"))
        ok = free >= SHM_MIN_FREE
        checks.append(Check("shared memory", "core", ok, f"/dev/shm has {_gib(free)} free" + (
            "" if ok else " (too little for a session: free it, or make /dev/shm larger)")))
    else:
        rows.append(("shared memory", f"no /dev/shm on {sys.platform}; {removed} stale "
                                      "segment(s) removed"))
    usage = _free(output_dir)
    if usage is not None:
        folder, du = usage
        rows.append(("output folder", f"{output_dir}: {_gib(du.free)} free of "
                                      f"{_gib(du.total)} (on {folder})"))
        ok = du.free >= DISK_MIN_FREE
        checks.append(Check("disk space", "core", ok, f"{_gib(du.free)} free for recordings"
                            + ("" if ok else f" in {folder}: free space or set "
                               "core.output_dir to a larger disk")))
    rows.append(("data folder", str(default_data_dir())))
    state = "exists" if settings_file.is_file() else "not created yet"
    rows.append(("settings file", f"{settings_file} ({state})"))
    return tuple(rows)


def _display(plugins: PluginSet) -> tuple[tuple[str, str], ...]:
    env = {k: os.environ.get(k) or "not set" for k in ("DISPLAY", "WAYLAND_DISPLAY",
                                                      "QT_QPA_PLATFORM")}
    has_display = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    fronts = sorted(plugins.frontends.values(), key=lambda c: -c.spec.priority)
    chosen = next((c for c in fronts if has_display or not c.spec.needs_display), None)
    if not fronts:
        run = "headless (no frontend plugin installed)"
    elif chosen is None:
        run = "headless (no display)"
    else:
        run = f"frontend {chosen.spec.name!r} ({chosen.plugin})"
    return (*env.items(), ("magscope run", run))


def _import_checks(plugins: PluginSet) -> list[Check]:
    """One check per plugin: every import path its records name can be imported."""
    paths: dict[str, list[tuple[str, str]]] = {}
    for attribute, fields in (("cameras", ("factory", "manager")), ("managers", ("factory",)),
                              ("trackers", ("factory",)), ("writers", ("factory",)),
                              ("health_checks", ("check",)), ("panels", ("factory",)),
                              ("frontends", ("run",))):
        for key, contrib in getattr(plugins, attribute).items():
            for field in fields:
                value = getattr(contrib.spec, field)
                path = value.path if isinstance(value, LazyFactory) else value
                if isinstance(path, str):
                    what = f"{attribute[:-1].replace('_', ' ')} {key!r} {field}"
                    paths.setdefault(contrib.plugin, []).append((what, path))
    checks = []
    for plugin, named in paths.items():
        failures = []
        for what, path in named:
            try:
                load_import_path(path)
            except ImportError as exc:
                failures.append(f"{what}: {exc}")
        message = "; ".join(failures) if failures else f"{len(named)} import path(s) import"
        checks.append(Check(f"imports of {plugin}", plugin, not failures, message))
    return checks


def _health_checks(plugins: PluginSet) -> list[Check]:
    checks = []
    for name, contrib in sorted(plugins.health_checks.items()):
        try:
            result = contrib.spec.check()
            ok, message = bool(result.ok), str(result.message)
        except Exception as exc:
            ok, message = False, f"the check raised {type(exc).__name__}: {exc}"
        checks.append(Check(name, contrib.plugin, ok, message))
    return checks


def collect(plugins: PluginSet, settings_file: Path, output_dir: Path | None = None,
            cleanup: Callable[[], list[str]] = cleanup_stale_segments) -> Report:
    """Gather the report (runs every check, removes stale shared memory).

    Parameters
    ----------
    plugins
        The loaded plugins.
    settings_file
        The settings file in use.
    output_dir
        Where recordings go (the ``core.output_dir`` setting); default: the user's folder.
    cleanup
        Removes the shared memory of dead sessions and returns what it removed.
    """
    checks = []
    plugins_rows = _plugins(plugins)
    for record in plugins.plugins:
        if record.status == "disabled":
            checks.append(Check(f"plugin {record.name}", record.name, True,
                                "disabled (MAGSCOPE_DISABLE_PLUGINS)"))
        elif record.status != "loaded":
            checks.append(Check(f"plugin {record.name}", record.name, False,
                                f"{record.status}: {record.error or ''}".strip()))
    resources = _resources(output_dir or default_output_dir(), settings_file, len(cleanup()),
                           checks)
    checks += _import_checks(plugins)
    checks += _health_checks(plugins)
    shown = {p["distribution"] for p in plugins_rows}
    ours = sorted({str(d.metadata["Name"]) for d in importlib.metadata.distributions()
                   if str(d.metadata["Name"] or "").startswith("magscope-")} - shown)
    libraries = tuple((name, _version(name)) for name in (*ours, *KEY_LIBRARIES))
    return Report(_system(), libraries, plugins_rows, resources, _display(plugins),
                  tuple(checks))
