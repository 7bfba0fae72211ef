"""``magscope run --z-lock BEAD --xy-lock``: turn the locks on once the beads are added."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console
from rich.markup import escape

from magscope_core._locks import SetXYLock, SetZLock
from magscope_core._messages import CommandError

__all__ = ["add_lock_arguments", "start_locks"]


def add_lock_arguments(p: argparse.ArgumentParser) -> None:
    """Add ``--z-lock BEAD`` and ``--xy-lock`` to the ``run`` parser."""
    p.add_argument("--z-lock", type=int, default=None, metavar="BEAD",
                   help="hold bead BEAD's Z with the focus (Z-lock; needs a Z-LUT and a focus "
                   "motor); its current Z becomes the target")
    p.add_argument("--xy-lock", action="store_true",
                   help="keep every bead centred in its ROI (XY-lock)")


def start_locks(hub: Any, args: argparse.Namespace, err: Console) -> str | None:
    """Send ``SetXYLock`` / ``SetZLock`` as the flags ask.

    Returns
    -------
    str or None
        One line saying why a lock could not start (the run then ends with it), or None.
    """
    wanted: list[tuple[str, Any]] = []
    if getattr(args, "xy_lock", False):
        wanted.append(("--xy-lock", SetXYLock()))
    if getattr(args, "z_lock", None) is not None:
        wanted.append((f"--z-lock {args.z_lock}", SetZLock(bead_id=args.z_lock)))
    for flag, command in wanted:
        try:
            state = hub.call(command, timeout=5.0)
        except CommandError as exc:
            reason = exc.remote.message if exc.remote is not None else str(exc)
            return f"{flag}: {reason}"
        err.print(f"{escape(flag)}: lock on ({escape(str(state.get('status', 'on')))})",
                  highlight=False)
    return None
