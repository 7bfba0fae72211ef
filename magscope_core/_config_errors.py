"""Configuration errors: the user's configuration is wrong, not the program.

A :class:`ConfigurationError` names the thing (a camera option, a file, a plugin name),
the value given and what is allowed, with a "did you mean" where a near name exists.
``magscope run`` prints it as one line and exits with code 2; the hub never restarts a
manager whose ``setup()`` (or factory) raised it, since the same configuration would
fail the same way again.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from magscope_core._import_path import resolve_factory

__all__ = ["ConfigurationError", "call_factory", "check_call", "did_you_mean", "unknown_name"]


class ConfigurationError(ValueError):
    """The user's configuration is wrong: an option, a value, a file or a name.

    Plugin authors: raise it from a factory, a constructor or ``setup()`` when what the
    user configured cannot work (an unknown option, a value out of range, a file that
    cannot be read), with a message that names the thing, the value and what is allowed.
    The hub reports it once and does not restart the manager; ``magscope run`` shows
    the message as one line (the traceback goes to ``magscope.log``) and exits with 2.
    Do not raise it for faults of the program or the hardware: those are restarted.

    Examples
    --------
    >>> raise ConfigurationError("camera option exposure_ms = 50 rejected: longer than "
    ...                          "the frame period 10 ms at fps = 100")  # doctest: +SKIP
    """


def did_you_mean(value: str, candidates: Iterable[str]) -> str | None:
    """The candidate nearest to ``value`` (difflib), or None when none is near."""
    names = [str(c) for c in candidates]
    folded = {n.casefold(): n for n in names}
    if value.casefold() in folded:
        return folded[value.casefold()]
    close = difflib.get_close_matches(value, names, n=1, cutoff=0.6)
    return close[0] if close else None


def unknown_name(kind: str, value: str, known: Iterable[str], *,
                 plural: str | None = None) -> ConfigurationError:
    """``unknown camera 'simm'; did you mean 'sim'? installed cameras: sim, testcam``.

    Parameters
    ----------
    kind
        What was named (``"camera"``, ``"camera option"``).
    value
        The name given.
    known
        The names allowed.
    plural
        How to introduce the list (default: ``"known <kind>s"``).
    """
    names = sorted(str(k) for k in known)
    near = did_you_mean(value, names)
    hint = f"; did you mean {near!r}?" if near else ";"
    intro = plural or f"known {kind}s"
    return ConfigurationError(
        f"unknown {kind} {value!r}{hint} {intro}: {', '.join(names) or 'none'}"
    )


def check_call(factory: Callable[..., Any], options: Mapping[str, Any], what: str) -> None:
    """Check that ``factory(**options)`` binds to its signature, without calling it.

    Raises
    ------
    ConfigurationError
        Naming ``what``, the option it does not accept and those it does (with a "did
        you mean"), or the required ones that are missing.
    """
    try:
        sig = inspect.signature(resolve_factory(factory))
    except (TypeError, ValueError):
        return  # no signature to check (a builtin): the call itself will tell
    try:
        sig.bind(**options)
    except TypeError as exc:
        params = [p for p in sig.parameters.values()
                  if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        accepted = [p.name for p in params]
        unknown = [k for k in options if k not in accepted]
        if unknown:
            raise unknown_name(f"{what} option", unknown[0], accepted,
                               plural=f"{what} accepts") from None
        raise ConfigurationError(f"{what}: {exc}") from None


def call_factory(factory: Callable[..., Any], options: Mapping[str, Any], what: str) -> Any:
    """Call ``factory(**options)``; arguments it does not accept are a configuration error.

    Only the call boundary is checked (see :func:`check_call`): an error raised inside
    the factory is the factory's own and propagates unchanged.
    """
    factory = resolve_factory(factory)
    check_call(factory, options, what)
    return factory(**options)
