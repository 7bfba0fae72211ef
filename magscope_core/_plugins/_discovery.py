"""Finding plugins: entry points, their distributions and the plugin-API version check.

Nothing here imports a plugin's code: the checks read distribution metadata only, so a plugin
written for another core version is reported as "needs update" without being imported.
"""

from __future__ import annotations

import importlib.metadata
from typing import Any, Protocol

import attrs
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from magscope_core._hookspecs import PROJECT_NAME
from magscope_core._plugins._records import BUILTIN

__all__ = [
    "CORE_DISTRIBUTION",
    "ApiCheck",
    "DistributionLike",
    "EntryPointLike",
    "check_api_version",
    "core_version",
    "discover_entry_points",
    "distribution_of",
    "distribution_version",
]

CORE_DISTRIBUTION = "magscope-core"
"""Distribution name plugins declare in ``Requires-Dist`` to state the plugin API they need."""


class DistributionLike(Protocol):
    """The parts of :class:`importlib.metadata.Distribution` the loader reads."""

    @property
    def name(self) -> str:
        """Distribution name."""

    @property
    def version(self) -> str:
        """Distribution version."""

    @property
    def requires(self) -> list[str] | None:
        """``Requires-Dist`` lines."""


class EntryPointLike(Protocol):
    """The parts of :class:`importlib.metadata.EntryPoint` the loader uses."""

    @property
    def name(self) -> str:
        """Entry-point name; becomes the plugin name."""

    @property
    def value(self) -> str:
        """``"package.module"`` or ``"package.module:object"``."""

    @property
    def dist(self) -> DistributionLike | None:
        """Distribution declaring the entry point (``None`` if unknown)."""

    def load(self) -> Any:
        """Import and return the object the entry point names."""


def discover_entry_points(group: str = PROJECT_NAME) -> list[EntryPointLike]:
    """Entry points of ``group`` in every installed distribution, without importing any.

    Sorted by distribution name, then entry-point name, so that "first registered wins" on
    a name conflict does not depend on the order of ``sys.path``.
    """
    found: list[EntryPointLike] = list(importlib.metadata.entry_points(group=group))
    return sorted(found, key=lambda ep: (distribution_of(ep)[0].lower(), ep.name))


def distribution_of(entry_point: EntryPointLike) -> tuple[str, str | None]:
    """Name and version of the distribution declaring ``entry_point``.

    Returns ``("<unknown>", None)`` when the entry point carries no distribution.
    """
    dist = entry_point.dist
    if dist is None:
        return "<unknown>", None
    try:
        name = dist.name
    except Exception:  # broken METADATA: keep going, the version check will report it
        name = "<unknown>"
    try:
        version: str | None = dist.version
    except Exception:
        version = None
    return name or "<unknown>", version


def distribution_version(distribution: str, core: str | None) -> str | None:
    """Version to show for a plugin registered from ``distribution``.

    Parameters
    ----------
    distribution
        Distribution name, or ``"<builtin>"`` for a plugin built into the application.
    core
        Version of the running core, used for ``"<builtin>"`` and ``"magscope-core"``.

    Returns
    -------
    str or None
        ``core`` for built-ins and the core itself, else the installed version of
        ``distribution``; ``None`` if it is not installed (or the name is invalid).
    """
    if distribution in (BUILTIN, CORE_DISTRIBUTION):
        return core
    try:
        return importlib.metadata.version(distribution)
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return None


def core_version() -> str | None:
    """Version of the running magscope-core, or ``None`` if it cannot be determined.

    Read from the installed distribution's metadata (the version's one source is the core's
    ``pyproject.toml``); ``None`` for a source checkout that is not installed.
    """
    try:
        return importlib.metadata.version(CORE_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None


@attrs.frozen
class ApiCheck:
    """Outcome of :func:`check_api_version`.

    Parameters
    ----------
    compatible
        ``False`` when the distribution's magscope-core requirement excludes the running core.
    message
        Why it is incompatible (``"requires magscope-core>=0.3 but 0.1.0 is installed"``).
    notes
        Remarks for ``magscope plugins`` (no requirement declared, unreadable lines, ...).
    """

    compatible: bool
    message: str | None = None
    notes: tuple[str, ...] = ()


def check_api_version(dist: DistributionLike | None, core: str | None) -> ApiCheck:
    """Check a plugin distribution's ``magscope-core`` requirement against the running core.

    Parameters
    ----------
    dist
        The plugin's distribution (its metadata is read; nothing is imported).
    core
        Version of the running core (see :func:`core_version`); ``None`` skips the check.

    Returns
    -------
    ApiCheck
        Incompatible if any applicable ``Requires-Dist: magscope-core ...`` specifier does not
        contain ``core``. A development or pre-release core (``0.2.0.dev3``) is compared as
        its release (``0.2.0``): it already has that release's plugin API. A distribution
        that declares no such requirement is compatible, with a note.
    """
    if dist is None:
        return ApiCheck(True, notes=("no distribution metadata; plugin API version not checked",))
    if core is None:
        return ApiCheck(
            True,
            notes=(
                f"{CORE_DISTRIBUTION} version unknown (not installed?); "
                "plugin API version not checked",
            ),
        )
    try:
        core_v = Version(core)
    except InvalidVersion:
        return ApiCheck(True, notes=(f"core version {core!r} is not a valid version; not checked",))
    # A development or pre-release build of 0.2.0 already has the 0.2 plugin API.
    api_v = Version(core_v.base_version)
    try:
        lines = dist.requires or []
    except Exception as exc:  # malformed METADATA
        return ApiCheck(True, notes=(f"cannot read Requires-Dist ({exc}); not checked",))
    notes: list[str] = []
    found = False
    for line in lines:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            notes.append(f"ignored unreadable Requires-Dist line {line!r}")
            continue
        if canonicalize_name(req.name) != CORE_DISTRIBUTION:
            continue
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue  # an optional extra's requirement, or another platform's
        found = True
        if not req.specifier.contains(api_v, prereleases=True):
            return ApiCheck(
                False,
                message=(
                    f"requires {CORE_DISTRIBUTION}{req.specifier} but {core} is installed; "
                    f"install a version of {dist.name} made for {CORE_DISTRIBUTION} {core}"
                ),
                notes=tuple(notes),
            )
    if not found:
        notes.append(
            f"declares no {CORE_DISTRIBUTION} requirement; plugin API version not checked "
            f"(add e.g. 'magscope-core>={core_v.major}.{core_v.minor}' to its dependencies)"
        )
    return ApiCheck(True, notes=tuple(notes))
