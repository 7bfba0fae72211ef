"""Fixtures of the shared-memory buffer tests.

Child processes are started with the ``spawn`` context and run functions from
``magscope_buffers_testprocs.py`` next to this file; its folder is appended to
``sys.path`` so the children (which inherit ``sys.path``) can import it by name.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from magscope_core._buffers import SessionMemory, list_session_segments

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.append(_HERE)


@pytest.fixture
def memory() -> Iterator[SessionMemory]:
    """A session that must leave no segment behind."""
    mem = SessionMemory(register_atexit=False)
    try:
        yield mem
    finally:
        mem.close()
        assert list_session_segments(mem.session_id) == []
