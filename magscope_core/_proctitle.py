"""Process titles: ``ps`` and ``top`` show ``magscope: camera`` rather than the interpreter."""

from __future__ import annotations

__all__ = ["PREFIX", "set_process_title"]

#: Every title starts with this, so ``pgrep -f 'magscope: '`` finds a session's processes.
PREFIX = "magscope: "


def set_process_title(role: str) -> bool:
    """Set this process's title to ``magscope: <role>``.

    Uses the optional ``setproctitle`` package; without it (no wheel for the platform)
    nothing changes and the process keeps its interpreter command line.

    Parameters
    ----------
    role
        What the process is: ``"hub"``, a manager's name, ``"tracker 1"``, ...

    Returns
    -------
    bool
        Whether the title was set.
    """
    try:
        import setproctitle
    except ImportError:
        return False
    try:
        setproctitle.setproctitle(PREFIX + role)
    except Exception:  # a title is a convenience: never fail a process over it
        return False
    return True
