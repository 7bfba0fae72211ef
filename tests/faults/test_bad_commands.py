"""Fault: a script sends malformed commands (unknown, wrong types, huge payload).

Expected: each is rejected with a message naming the command and the field, by the
sender's own checks (when the command is built, when it is sent, when the hub routes it)
and, for a sender that skipped them all, by the receiver; the receiver and the rest of
the session keep running (no restart, frames still flowing).
"""

from __future__ import annotations

import math
from pathlib import Path

import attrs
import pytest
from support import wait_for

from magscope_core import (
    AddBead,
    CameraManager,
    Command,
    CommandError,
    CommandValidationError,
    GetPipelineStats,
    Hub,
    HubConfig,
    ManagerEntry,
    ManagerSpec,
    ManagerState,
    PipelineManager,
    RestartPolicy,
    UnknownCommandError,
)
from magscope_core._commands import MAX_COMMAND_BYTES

pytestmark = pytest.mark.integration

CONFIG = HubConfig(heartbeat_interval_s=0.2, heartbeat_timeout_s=2.0, join_timeout_s=3.0,
                   start_timeout_s=30.0)


@attrs.frozen
class NotRegistered(Command):
    """A command no plugin declared."""

    x: int


def _forged(cls, **fields):
    """A command whose fields were changed after it was built (skipping its checks)."""
    cmd = cls(**{k: v for k, v in _valid(cls).items()})
    for key, value in fields.items():
        object.__setattr__(cmd, key, value)
    return cmd


def _valid(cls):
    return {"text": "ok"} if cls.__name__ == "Echo" else {}


@pytest.fixture
def session(testplugin_path, tmp_path: Path):
    import magscope_testplugin as tp

    entries = [
        ManagerEntry(ManagerSpec("camera", CameraManager, options={
            "camera_factory": tp.PatternCamera, "camera_options": {"fps": 100.0}}),
            kind="camera"),
        ManagerEntry(ManagerSpec("pipeline", PipelineManager, options={
            "writers": [("framelog", tp.FrameLogWriter, {})], "out_dir": str(tmp_path),
            "mode": "video-full"})),
        ManagerEntry(ManagerSpec("echo", tp.EchoManager, restart=RestartPolicy("restart")),
                     "testplugin", "magscope-testplugin"),
    ]
    commands = [(c, "testplugin", "magscope-testplugin") for c in tp.COMMANDS]
    with Hub(entries, commands, CONFIG) as hub:
        yield hub, tp


def _still_running(hub, tp) -> None:
    assert hub.call(tp.Echo(text="still there?")) == "echo:still there?"
    for name in ("camera", "pipeline", "echo"):
        assert hub.state(name) is ManagerState.RUNNING and hub.restarts(name) == 0, name
    before = hub.call(GetPipelineStats())["frames"]
    assert wait_for(lambda: hub.call(GetPipelineStats())["frames"] > before, timeout=10)


def test_malformed_commands_are_rejected_naming_the_field(session) -> None:
    hub, tp = session
    huge = "x" * (MAX_COMMAND_BYTES + 1)

    # unknown: a command no plugin registered
    with pytest.raises(UnknownCommandError, match="NotRegistered"):
        hub.call(NotRegistered(x=1))
    with pytest.raises(UnknownCommandError, match="NotRegistered"):
        hub.send(NotRegistered(x=1))

    # wrong types and huge payloads, refused where the command is built
    with pytest.raises(CommandValidationError, match=r"Echo\.text: expected str, got int 3"):
        tp.Echo(text=3)
    with pytest.raises(CommandValidationError, match=r"AddBead\.x: expected float, got str"):
        AddBead(x="left", y=10.0)
    with pytest.raises(CommandValidationError, match=r"Echo\.text: more than \d+ bytes"):
        tp.Echo(text=huge)

    # ... and where it is sent, when a script changed a built command behind its back
    for bad, field in ((_forged(tp.Echo, text=b"bytes"), r"Echo\.text: expected str"),
                       (_forged(tp.Echo, text=huge), r"Echo\.text: more than"),
                       (_forged(tp.Fail, how=None), r"Fail\.how: expected str")):
        with pytest.raises(CommandValidationError, match=field):
            hub.call(bad)
        with pytest.raises(CommandValidationError, match=field):
            hub.send(bad)

    # values of the right type that make no sense: refused by the hub with the reason
    with pytest.raises(CommandError, match="AddBead"):
        hub.call(AddBead(x=math.nan, y=10.0, size=16))
    with pytest.raises(CommandError, match="AddBead"):
        hub.call(AddBead(x=1e12, y=10.0, size=16))
    _still_running(hub, tp)


def test_receiver_rejects_what_a_careless_sender_let_through(session, monkeypatch) -> None:
    """A sender that skipped every check (a buggy plugin): the manager itself refuses."""
    import magscope_core._hub
    import magscope_core._router

    hub, tp = session
    monkeypatch.setattr(magscope_core._hub, "validate_command", lambda command: None)
    monkeypatch.setattr(magscope_core._router, "validate_command", lambda command: None)
    cases = ((_forged(tp.Echo, text=7), r"Echo\.text: expected str, got int 7"),
             (_forged(tp.Echo, text="y" * (4 * MAX_COMMAND_BYTES)), r"Echo\.text: more than"),
             (_forged(tp.Fail, how=["raise"]), r"Fail\.how: expected str"))
    for bad, field in cases:
        with pytest.raises(CommandError, match=field):
            hub.call(bad, timeout=30)
        hub.send(bad)  # fire and forget: reported by the receiver, not fatal
    assert wait_for(lambda: sum("Echo.text" in str(e.error) for e in hub.errors) >= 2)
    assert all(not e.fatal for e in hub.errors)
    monkeypatch.undo()
    _still_running(hub, tp)
