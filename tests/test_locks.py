"""The ``locks`` manager's commands and its place in a session (``_locks.py``)."""

from __future__ import annotations

import pytest

from magscope_core import (
    CommandError,
    CommandValidationError,
    GetLocks,
    Hub,
    HubConfig,
    SetXYLock,
    SetZLock,
)


def test_xy_lock_beads_are_every_bead_or_a_tuple_of_ids() -> None:
    assert SetXYLock().beads is None
    assert SetXYLock(beads=[2, 0]).beads == (2, 0)  # a protocol's list becomes a tuple
    with pytest.raises(CommandValidationError, match=r"SetXYLock\.beads"):
        SetXYLock(beads="0,2")  # type: ignore[arg-type]


@pytest.mark.integration
def test_a_lock_command_without_the_locks_manager_says_how_to_enable_locks() -> None:
    """A session planned without locks (no manager at all here): one line, what to do."""
    with Hub([], [], HubConfig(start_timeout_s=20.0)) as hub:
        for command in (GetLocks(), SetXYLock(), SetZLock(bead_id=0)):
            with pytest.raises(CommandError) as info:
                hub.call(command, timeout=5.0)
            message = str(info.value)
            assert f"{type(command).__name__}: no manager handles it in this session" in message
            assert "'magscope run --xy-lock' or '--z-lock BEAD', the GUI" in message
            assert "plan_session(..., locks=True)" in message
            assert "\n" not in message
