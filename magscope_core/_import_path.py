"""Import paths: name a plugin's implementation without importing it.

A hook module is imported by every ``magscope`` command, including the ones that only list
(``magscope plugins``, ``magscope settings``). So that listing stays quick and never pulls
in numba, h5py, scipy or Qt, a spec may name its factory by an import path
``"package.module:attribute"`` instead of holding the object::

    CameraSpec(name="acme", factory="acme_pkg._camera:AcmeCamera")

The spec converts the string into a :class:`LazyFactory`: a callable that imports
``package.module`` the first time it is called (or :meth:`LazyFactory.resolve`-d) and is
pickled as its path, so a ``spawn``-ed process imports the implementation itself.
``magscope doctor`` resolves every path, so a typo or a missing driver shows up there
rather than at the start of a session.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

__all__ = [
    "ImportPathError",
    "LazyFactory",
    "as_factory",
    "as_optional_factory",
    "lazy_exports",
    "load_import_path",
    "resolve_factory",
]

_PATH = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")

_RESOLVED: dict[str, Any] = {}
"""Objects already imported, by path (per process)."""


class ImportPathError(ImportError):
    """An import path that does not name an importable object."""


def _check_path(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not _PATH.match(value):
        raise ValueError(
            f"{value!r} is not an import path: expected 'package.module:attribute'"
        )


def load_import_path(path: str) -> Any:
    """Import ``"package.module:attribute"`` and return the attribute.

    Parameters
    ----------
    path
        Module, a colon, then an attribute (dotted for nested attributes).

    Returns
    -------
    Any
        The object.

    Raises
    ------
    ImportPathError
        Naming the path and why: a malformed path, a module that does not import (with its
        own error), or a missing attribute.
    """
    if path in _RESOLVED:
        return _RESOLVED[path]
    if not isinstance(path, str) or not _PATH.match(path):
        raise ImportPathError(
            f"{path!r} is not an import path: expected 'package.module:attribute'"
        )
    module_name, _, attribute = path.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
    except Exception as exc:
        raise ImportPathError(
            f"import path {path!r}: module {module_name!r} cannot be imported "
            f"({type(exc).__name__}: {exc})"
        ) from exc
    for part in attribute.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ImportPathError(
                f"import path {path!r}: module {module_name!r} has no attribute {attribute!r}"
            ) from None
    _RESOLVED[path] = obj
    return obj


@attrs.frozen(repr=False)
class LazyFactory:
    """A factory named by its import path, imported on first call.

    Parameters
    ----------
    path
        ``"package.module:attribute"``.

    Examples
    --------
    >>> factory = LazyFactory("fractions:Fraction")
    >>> factory(3, 4)
    Fraction(3, 4)
    >>> factory.resolve().__name__
    'Fraction'
    """

    path: str = attrs.field(validator=_check_path)

    def resolve(self) -> Any:
        """The object the path names (imported once per process).

        Raises
        ------
        ImportPathError
            If it cannot be imported (see :func:`load_import_path`).
        """
        return load_import_path(self.path)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Import the factory if needed and call it."""
        return self.resolve()(*args, **kwargs)

    def __repr__(self) -> str:
        return f"LazyFactory({self.path!r})"


def as_factory(value: Callable[..., Any] | str) -> Callable[..., Any]:
    """Spec converter: an import path becomes a :class:`LazyFactory`; callables pass."""
    if isinstance(value, str):
        return LazyFactory(value)
    return value


def as_optional_factory(value: Callable[..., Any] | str | None) -> Callable[..., Any] | None:
    """:func:`as_factory` that lets ``None`` through."""
    return None if value is None else as_factory(value)


def resolve_factory(value: Any) -> Any:
    """The object behind a factory: a :class:`LazyFactory` is imported, anything else returned.

    Use it where a factory is inspected rather than called (its signature, its class
    attributes, ``issubclass``).
    """
    return value.resolve() if isinstance(value, LazyFactory) else value


def lazy_exports(package: str, exports: Mapping[str, Iterable[str]]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports a package's public names on first use.

    A plugin's hook module lives in its package, so importing it imports the package's
    ``__init__``; an ``__init__`` that re-exports its implementation eagerly would pull
    numba or h5py into ``magscope plugins``. Re-export lazily instead (static type
    checkers read the ``TYPE_CHECKING`` imports)::

        from typing import TYPE_CHECKING

        from magscope_core import lazy_exports

        if TYPE_CHECKING:
            from acme_pkg._camera import AcmeCamera

        __all__ = ["AcmeCamera"]
        __getattr__ = lazy_exports(__name__, {"_camera": ["AcmeCamera"]})

    Parameters
    ----------
    package
        The package's ``__name__``.
    exports
        Submodule name (relative, e.g. ``"_camera"``) to the names it provides.

    Returns
    -------
    Callable[[str], Any]
        The function to assign to the package's ``__getattr__``; an unknown name raises
        ``AttributeError`` as usual.
    """
    where = {name: module for module, names in exports.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(importlib.import_module(package), name, value)  # next time: no hook
        return value

    return __getattr__
