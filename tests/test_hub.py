"""Multi-process tests of the hub: real spawned processes, real shared memory."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from support import shm_segments, wait_for

from magscope_core import (
    CameraManager,
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

pytestmark = pytest.mark.integration

FAST = HubConfig(heartbeat_interval_s=0.2, heartbeat_timeout_s=2.0, join_timeout_s=3.0,
                 start_timeout_s=20.0)


@pytest.fixture
def tp(testplugin_path):
    import magscope_testplugin

    return magscope_testplugin


def _commands(tp):
    return [(c, "testplugin", "magscope-testplugin") for c in tp.COMMANDS]


def _echo(tp, name="echo", notes="", policy=None, **options):
    return ManagerEntry(
        ManagerSpec(name, tp.EchoManager, options={"notes_dir": notes, **options},
                    restart=policy or RestartPolicy("restart", backoff_s=0.1)),
        "testplugin", "magscope-testplugin")


def test_request_response_and_broadcast(tp, tmp_path: Path) -> None:
    entries = [_echo(tp, notes=str(tmp_path)),
               ManagerEntry(ManagerSpec("listener", tp.ListenerManager,
                                        options={"notes_dir": str(tmp_path)}))]
    with Hub(entries, _commands(tp), FAST) as hub:
        session = hub.session.session_id
        assert hub.call(tp.Echo(text="hi")) == "echo:hi"
        hub.send(tp.Note(text="first"))
        hub.send(tp.Note(text="second"))
        for name in ("echo", "listener"):
            path = tmp_path / f"{name}.notes"
            assert wait_for(lambda p=path: p.exists() and p.read_text().count("\n") == 2)
            assert path.read_text().splitlines() == ["first", "second"]
        assert shm_segments(session)
    assert shm_segments(session) == []


def test_manager_to_manager_request(tp) -> None:
    entries = [_echo(tp), ManagerEntry(ManagerSpec("listener", tp.ListenerManager))]
    with Hub(entries, _commands(tp), FAST) as hub:
        assert hub.call(tp.Relay(text="ping")) == "listener got echo:ping"


def test_manager_quit_ends_the_whole_session(tp) -> None:
    entries = [_echo(tp), ManagerEntry(ManagerSpec("listener", tp.ListenerManager))]
    with Hub(entries, _commands(tp), FAST) as hub:
        hub.send(tp.Fail(how="quit"))
        assert hub.wait(10)
        assert "requested by echo" in hub.stop_reason
        pids = [hub.pid("echo"), hub.pid("listener")]
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_handler_errors_never_kill_the_receiver(tp) -> None:
    with Hub([_echo(tp)], _commands(tp), FAST) as hub:
        pid = hub.pid("echo")
        with pytest.raises(CommandError, match=r"asked to fail") as info:
            hub.call(tp.Fail(how="raise"))
        assert info.value.remote is not None and "RuntimeError" in info.value.remote.traceback
        hub.send(tp.Fail(how="raise"))  # fire-and-forget: reported, not fatal
        assert wait_for(lambda: len(hub.errors) == 1)
        assert not hub.errors[0].fatal and hub.errors[0].distribution == "magscope-testplugin"
        assert hub.call(tp.Echo(text="still here")) == "echo:still here"
        assert hub.pid("echo") == pid


def test_bad_commands_give_clear_errors(tp) -> None:
    import attrs

    from magscope_core import Command

    @attrs.frozen
    class Unregistered(Command):
        x: int

    with Hub([_echo(tp, policy=RestartPolicy("leave"))], _commands(tp), FAST) as hub:
        with pytest.raises(CommandValidationError, match=r"Echo\.text: expected str, got int"):
            tp.Echo(text=3)
        with pytest.raises(UnknownCommandError, match=r"Unregistered"):
            hub.call(Unregistered(x=1))
        hub.send(tp.Fail(how="exit"))
        assert wait_for(lambda: hub.state("echo") is ManagerState.FAILED)
        with pytest.raises(CommandError, match=r"Echo: manager 'echo' is failed"):
            hub.call(tp.Echo(text="anyone?"))


def test_sigkill_child_is_restarted_and_memory_released(tp) -> None:
    with Hub([_echo(tp)], _commands(tp), FAST) as hub:
        session = hub.session.session_id
        old = hub.pid("echo")
        os.kill(old, signal.SIGKILL)
        assert wait_for(lambda: hub.restarts("echo") == 1
                        and hub.state("echo") is ManagerState.RUNNING, timeout=15)
        assert hub.pid("echo") not in (None, old)
        assert hub.call(tp.Echo(text="back")) == "echo:back"
    assert shm_segments(session) == []


def test_missed_heartbeat_kills_and_restarts(tp) -> None:
    with Hub([_echo(tp)], _commands(tp), FAST) as hub:
        old = hub.pid("echo")
        hub.send(tp.Fail(how="hang"))
        assert wait_for(lambda: hub.restarts("echo") == 1
                        and hub.state("echo") is ManagerState.RUNNING, timeout=20)
        assert hub.pid("echo") != old


def test_setup_exception_is_reported_with_traceback(tp) -> None:
    entries = [_echo(tp, policy=RestartPolicy("leave"), fail_setup=True)]
    with Hub(entries, _commands(tp), FAST) as hub:
        assert wait_for(lambda: hub.state("echo") is ManagerState.FAILED)
        report = next(e for e in hub.errors if e.fatal)
        assert report.manager == "echo" and report.plugin == "testplugin"
        assert report.distribution == "magscope-testplugin"
        assert "setup failed on purpose" in report.error.traceback


def test_stop_all_policy_ends_the_session(tp) -> None:
    entries = [_echo(tp, policy=RestartPolicy("stop_all"))]
    with Hub(entries, _commands(tp), FAST) as hub:
        hub.send(tp.Fail(how="exit"))
        assert hub.wait(10)
        assert "stop_all" in hub.stop_reason


def _camera_entries(tp, out: Path, fps: float = 300.0):
    return [
        ManagerEntry(ManagerSpec("camera", CameraManager, options={
            "camera_factory": tp.PatternCamera, "camera_options": {"fps": fps}}), kind="camera"),
        ManagerEntry(ManagerSpec("pipeline", PipelineManager, options={
            "writers": [("framelog", tp.FrameLogWriter, {})], "out_dir": str(out),
            "mode": "video-full"})),
    ]


def test_frames_flow_camera_ring_consumer(tp, tmp_path: Path) -> None:
    with Hub(_camera_entries(tp, tmp_path), _commands(tp), FAST) as hub:
        assert wait_for(lambda: hub.call(GetPipelineStats())["frames"] >= 200, timeout=15)
        counters = hub.status()["counters"]
        timing = hub.call(GetPipelineStats())["writer_ms_per_call"]
        assert set(timing) == {"framelog"} and timing["framelog"] > 0
    rows = (tmp_path / "frames.csv").read_text().splitlines()[1:]
    frames = [tuple(map(float, r.split(","))) for r in rows]
    assert len(frames) >= 200
    numbers = [int(f[0]) for f in frames]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    assert all(int(f[3]) == 1 for f in frames), "a frame was torn or overwritten"
    # the camera numbers its frames from connect, the ring from the first stored frame:
    # consecutive rows must advance both by the same amount (no frame mixed up)
    offset = (int(frames[0][2]) - int(frames[0][0])) % 251
    assert all(int(f[2]) == tp.pattern_value(int(f[0]) + offset) for f in frames)
    ts = [f[1] for f in frames]
    assert ts == sorted(ts)
    assert counters["camera_frames"] >= len(frames)
    assert hub.files == {"framelog": [str(tmp_path / "frames.csv")]}


def test_two_sessions_at_once(tp, tmp_path: Path) -> None:
    a_out, b_out = tmp_path / "a", tmp_path / "b"
    with Hub(_camera_entries(tp, a_out), _commands(tp), FAST) as a, \
            Hub(_camera_entries(tp, b_out), _commands(tp), FAST) as b:
        assert a.session.session_id != b.session.session_id
        assert wait_for(lambda: a.call(GetPipelineStats())["frames"] >= 50
                        and b.call(GetPipelineStats())["frames"] >= 50, timeout=15)
        sessions = (a.session.session_id, b.session.session_id)
        assert all(shm_segments(s) for s in sessions)
    assert all(shm_segments(s) == [] for s in sessions)
    assert (a_out / "frames.csv").exists() and (b_out / "frames.csv").exists()


def test_stop_ends_managers_by_quit_and_is_idempotent(tp) -> None:
    hub = Hub([_echo(tp)], _commands(tp), FAST)
    hub.start()
    pid = hub.pid("echo")
    session = hub.session.session_id
    hub.stop()
    child = hub._children["echo"]
    # ended by its own Quit (Goodbye, exit code 0): no SIGTERM / SIGKILL escalation needed
    assert child.said_goodbye and child.proc.exitcode == 0
    assert shm_segments(session) == []
    hub.stop()  # a second stop is a no-op
    assert child.proc.exitcode == 0 and hub._children["echo"] is child
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_startup_steps_reach_listeners_and_progress_extends_the_deadline(tp) -> None:
    """A setup that reports progress outlives start_timeout_s; every step is reported."""
    config = HubConfig(heartbeat_interval_s=0.2, heartbeat_timeout_s=2.0, join_timeout_s=3.0,
                       start_timeout_s=1.0)
    # four steps of 0.6 s: 2.4 s of setup, more than twice the 1 s start-up deadline
    slow = _echo(tp, name="slow", slow_setup=0.6, progress_steps=4)
    seen: list = []
    hub = Hub([slow], _commands(tp), config)
    hub.add_startup_listener(seen.append)
    with hub:
        assert hub.state("slow") is ManagerState.RUNNING
        assert hub.restarts("slow") == 0
        assert hub.call(tp.Echo(text="up"), to="slow") == "slow:up"
    states = [(s.manager, s.state, s.message) for s in seen]
    assert states[0] == ("hub", "progress", "shared memory ready")
    assert states[1][:2] == ("slow", "starting")
    assert [m for who, st, m in states if who == "slow" and st == "progress"] == [
        f"step {i} of 4" for i in range(1, 5)]
    assert ("slow", "ready", "slow ready") in states
    assert states[-1][:2] == ("hub", "session-ready")
    assert [s.elapsed_s for s in seen] == sorted(s.elapsed_s for s in seen)
    # a late listener gets the same steps replayed
    late: list = []
    hub.add_startup_listener(late.append)
    assert late == seen


def test_startup_failure_is_a_step(tp) -> None:
    bad = _echo(tp, name="bad", fail_setup=True, policy=RestartPolicy("leave"))
    seen: list = []
    hub = Hub([bad], _commands(tp), FAST)
    hub.add_startup_listener(seen.append)
    with hub:
        assert hub.state("bad") is ManagerState.FAILED
    failed = [s for s in seen if s.state == "failed"]
    assert failed and failed[0].manager == "bad"
    assert "setup failed on purpose" in failed[0].message
    assert seen[-1].state == "session-failed" and "bad" in seen[-1].message


def test_a_stop_request_ends_a_long_start_up(tp) -> None:
    """Ctrl-C while a manager is still in setup(): start() returns, stop() cleans up."""
    import threading

    slow = _echo(tp, name="slow", slow_setup=1.0, progress_steps=60)
    hub = Hub([slow], _commands(tp), FAST)
    first_progress = threading.Event()
    hub.add_startup_listener(
        lambda step: first_progress.set() if step.state == "progress"
        and step.manager == "slow" else None)
    starter = threading.Thread(target=hub.start)
    starter.start()
    try:
        assert first_progress.wait(20)
        hub.request_stop("user pressed Ctrl-C")
        starter.join(10)
        assert not starter.is_alive()  # it did not wait for the 60 s setup
        assert hub.state("slow") is not ManagerState.RUNNING
    finally:
        starter.join(30)
        session = hub.session.session_id
        hub.stop()
    assert shm_segments(session) == []
    assert hub.stop_reason == "user pressed Ctrl-C"
    ends = [s for s in hub.startup_steps if s.manager == "hub" and s.state.startswith("session")]
    assert [(s.state, s.message) for s in ends] == [
        ("session-failed", "start-up cancelled: user pressed Ctrl-C")]


def test_start_waits_until_a_restarting_manager_is_settled(tp) -> None:
    # a consumer that crashes in setup is restarted: start() (and the acquisition that
    # follows it) waits until it is up or given up, never while it is being restarted
    bad = _echo(tp, name="bad", fail_setup=True,
                policy=RestartPolicy("restart", max_restarts=2, backoff_s=0.1))
    seen: list = []
    good = ManagerEntry(ManagerSpec("listener", tp.ListenerManager))
    hub = Hub([bad, good], _commands(tp), FAST)
    hub.add_startup_listener(seen.append)
    with hub:
        assert hub.state("bad") is ManagerState.FAILED
        assert hub.restarts("bad") == 2
        assert hub.state("listener") is ManagerState.RUNNING
    assert [s.manager for s in seen if s.state == "failed"] == ["bad"] * 3
    assert seen[-1].state == "session-failed" and "bad" in seen[-1].message


def test_a_slow_import_is_not_a_hung_setup(tp, monkeypatch) -> None:
    """Interpreter start and plugin imports have their own, generous deadline."""
    from magscope_testplugin.slow_import import SlowImportManager

    monkeypatch.setenv("MAGSCOPE_TEST_IMPORT_DELAY", "2.5")  # inherited by the child
    entry = ManagerEntry(ManagerSpec("sdk", SlowImportManager,
                                     restart=RestartPolicy("leave")))
    patient = HubConfig(heartbeat_interval_s=0.2, join_timeout_s=3.0, start_timeout_s=1.0,
                        launch_timeout_s=30.0)
    with Hub([entry], _commands(tp), patient) as hub:
        assert hub.state("sdk") is ManagerState.RUNNING
        assert hub.restarts("sdk") == 0
    impatient = HubConfig(heartbeat_interval_s=0.2, join_timeout_s=3.0, start_timeout_s=1.0,
                          launch_timeout_s=1.0)
    with Hub([entry], _commands(tp), impatient) as hub:
        # start() gives up at the deadline; the supervisor kills it and leaves it (policy)
        assert wait_for(lambda: hub.state("sdk") is ManagerState.FAILED, 10)
        assert hub.restarts("sdk") == 0
