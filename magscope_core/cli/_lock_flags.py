"""``magscope run --z-lock BEAD --xy-lock``: turn the locks on once the beads are added."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console
from rich.markup import escape

from magscope_core._locks import SetXYLock, SetZLock
from magscope_core._messages import CommandError

__all__ = ["add_lock_arguments", "bead_ids", "start_locks", "wants_locks"]


def add_lock_arguments(p: argparse.ArgumentParser) -> None:
    """Add ``--z-lock BEAD`` and ``--xy-lock`` to the ``run`` parser."""
    p.add_argument("--z-lock", type=int, default=None, metavar="BEAD",
                   help="hold bead BEAD's Z with the focus (Z-lock; needs a Z-LUT and a focus "
                   "motor); its current Z becomes the target")
    p.add_argument("--xy-lock", nargs="?", const="all", default=None, metavar="IDS",
                   type=bead_ids,
                   help="keep beads centred in their ROIs (XY-lock): every bead, or only "
                   "the comma-separated bead ids IDS (e.g. --xy-lock 0,2)")


def wants_locks(args: argparse.Namespace) -> bool:
    """Whether the flags turn a lock on (the session then starts the ``locks`` manager)."""
    return getattr(args, "xy_lock", None) is not None or getattr(args, "z_lock", None) is not None


def bead_ids(text: str) -> tuple[int, ...] | str:
    """``--xy-lock IDS``: ``all`` stays ``"all"`` (every bead); ``0,2`` -> (0, 2).

    Raises
    ------
    argparse.ArgumentTypeError
        Naming the value and what is allowed (argparse prints it in one line, exit 2).
    """
    if text.strip().lower() == "all":
        return "all"
    try:
        ids = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        ids = ()
    if not ids or any(i < 0 for i in ids):
        raise argparse.ArgumentTypeError(
            f"{text!r} rejected; allowed: comma-separated bead ids (e.g. 0,2), or nothing "
            "for every bead")
    return ids


def start_locks(hub: Any, args: argparse.Namespace, err: Console) -> str | None:
    """Send ``SetXYLock`` / ``SetZLock`` as the flags ask.

    Returns
    -------
    str or None
        One line saying why a lock could not start (the run then ends with it), or None.
    """
    wanted: list[tuple[str, Any]] = []
    xy = getattr(args, "xy_lock", None)
    if xy is not None:
        beads = None if xy == "all" else tuple(xy)
        flag = "--xy-lock" if beads is None else f"--xy-lock {','.join(map(str, beads))}"
        wanted.append((flag, SetXYLock(beads=beads)))
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
