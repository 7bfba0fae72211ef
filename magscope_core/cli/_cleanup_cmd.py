"""``magscope cleanup``: remove shared memory left by sessions whose process is gone."""

from __future__ import annotations

import argparse
from typing import Any

from magscope_core._buffers import cleanup_stale_segments

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    """Register ``cleanup``."""
    p = sub.add_parser("cleanup", help="remove /dev/shm segments of dead magscope sessions")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Remove stale segments and list them."""
    removed = cleanup_stale_segments()
    for name in removed:
        print(f"removed {name}")
    print(f"{len(removed)} stale segment(s) removed")
    return 0
