from __future__ import annotations

import multiprocessing as mp
import os
import pickle
import re
import signal
import subprocess
import sys
from pathlib import Path

import magscope_buffers_testprocs as procs
import numpy as np
import pytest

from magscope_core._buffers import (
    BufferAttachError,
    SegmentExistsError,
    SessionMemory,
    SharedBufferError,
    attach_segment,
    cleanup_stale_segments,
    list_session_segments,
    new_session_id,
)

SHM = Path("/dev/shm")
needs_dev_shm = pytest.mark.skipif(not SHM.is_dir(), reason="no /dev/shm on this platform")
ctx = mp.get_context("spawn")


def test_session_id_has_pid_and_token():
    sid = new_session_id()
    assert re.fullmatch(rf"{os.getpid()}-[0-9a-f]{{6}}", sid)
    assert new_session_id() != sid


def test_invalid_session_id():
    with pytest.raises(ValueError, match="invalid session id 'abc'"):
        SessionMemory("abc", register_atexit=False)


def test_create_names_sizes_and_zero_fill(memory):
    shm = memory.create("vid", 10_000)
    assert shm.name == f"magscope-{memory.session_id}-vid"
    assert len(shm.name) <= 31
    assert shm.size >= 10_000
    assert not np.frombuffer(shm.buf, np.uint8).any()
    assert memory.segment_names() == [shm.name]
    if SHM.is_dir():
        assert list_session_segments(memory.session_id) == [shm.name]


@pytest.mark.parametrize("name", ["", "Vid", "a" * 9, "-x", "a/b", "a_b"])
def test_create_rejects_bad_names(memory, name):
    with pytest.raises(ValueError, match="invalid buffer name"):
        memory.create(name, 10)


def test_create_rejects_empty_size(memory):
    with pytest.raises(ValueError, match="size must be >= 1 byte, got 0"):
        memory.create("x", 0)


def test_duplicate_name_in_session(memory):
    memory.create("trk", 100)
    with pytest.raises(SegmentExistsError, match=r"'magscope-.*-trk' already exists"):
        memory.create("trk", 100)


def test_close_unlinks_everything_and_is_idempotent():
    mem = SessionMemory(register_atexit=False)
    names = [mem.create(n, 4096).name for n in ("a", "b", "c")]
    attached = attach_segment(names[0])
    mem.close()
    mem.close()
    assert mem.closed
    assert mem.segment_names() == []
    assert list_session_segments(mem.session_id) == []
    attached.buf[0] = 7  # an existing mapping stays valid after unlink
    attached.close()
    with pytest.raises(BufferAttachError, match=names[1]):
        attach_segment(names[1])
    with pytest.raises(SharedBufferError, match="is closed"):
        mem.create("d", 10)


def test_close_with_live_numpy_views_does_not_raise():
    mem = SessionMemory(register_atexit=False)
    shm = mem.create("v", 4096)
    view = np.frombuffer(shm.buf, np.uint8)  # holds an export (np.ndarray(buffer=) does not)
    mem.close()  # close() of the mapping fails internally (exported view): tolerated
    view[0] = 3  # still mapped
    assert list_session_segments(mem.session_id) == []
    del view, shm


def test_context_manager_and_pickling():
    with SessionMemory(register_atexit=False) as mem:
        mem.create("x", 100)
        with pytest.raises(TypeError, match="pass the buffers' handles"):
            pickle.dumps(mem)
    assert mem.closed
    assert list_session_segments(mem.session_id) == []


def test_attach_errors():
    with pytest.raises(BufferAttachError, match=r"'magscope-1-abcdef-nope' does not exist"):
        attach_segment("magscope-1-abcdef-nope")
    with pytest.raises(BufferAttachError, match="start with 'magscope-'"):
        attach_segment("VideoBuffer")


def test_cleanup_stale_in_a_folder(tmp_path):
    dead = 2**22 + 17  # above Linux's pid_max: never a live process
    live = os.getppid()
    for name in (f"magscope-{dead}-abcdef-vid", f"magscope-{dead}-abcdef-trk",
                 f"magscope-{live}-abcdef-vid", f"magscope-{os.getpid()}-123456-x",
                 "magscope-notapid-x", "other-123"):
        (tmp_path / name).write_bytes(b"x")
    removed = cleanup_stale_segments(tmp_path)
    assert removed == [f"magscope-{dead}-abcdef-trk", f"magscope-{dead}-abcdef-vid"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([
        f"magscope-{live}-abcdef-vid", f"magscope-{os.getpid()}-123456-x",
        "magscope-notapid-x", "other-123"])
    assert cleanup_stale_segments(tmp_path / "missing") == []
    assert list_session_segments("1-abcdef", tmp_path / "missing") == []


def _kill(p):
    os.kill(p.pid, signal.SIGKILL)
    p.join(10)
    assert p.exitcode == -signal.SIGKILL


@needs_dev_shm
@pytest.mark.integration
def test_killed_child_does_not_leak():
    mem = SessionMemory(register_atexit=False)
    names = [mem.create(n, 1 << 20).name for n in ("vid", "trk")]
    ready = ctx.Event()
    p = ctx.Process(target=procs.attach_and_hold, args=(names, ready))
    p.start()
    assert ready.wait(30)
    _kill(p)
    assert list_session_segments(mem.session_id) == sorted(names)  # owner still has them
    mem.close()
    assert list_session_segments(mem.session_id) == []


@needs_dev_shm
@pytest.mark.integration
def test_attaching_processes_never_unlink(memory):
    shm = memory.create("x", 4096)
    shm.buf[0] = 42
    q = ctx.Queue()
    p = ctx.Process(target=procs.attach_and_exit, args=(shm.name, q))
    p.start()
    assert procs.collect(q, [p], 1) == [42]
    p.join(10)
    assert p.exitcode == 0
    # a process not started by the owner has a resource tracker of its own
    code = (f"from magscope_core._buffers import attach_segment as a; s = a({shm.name!r}); "
            "print(s.buf[0]); s.close()")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.strip() == "42"
    assert "leaked" not in out.stderr
    assert list_session_segments(memory.session_id) == [shm.name]
    again = attach_segment(shm.name)
    assert again.buf[0] == 42
    again.close()


@needs_dev_shm
@pytest.mark.integration
@pytest.mark.serial  # a concurrent start would clean the dead sessions first
def test_cleanup_removes_dead_sessions_only(memory):
    mine = memory.create("vid", 4096).name
    q = ctx.Queue()
    dead = ctx.Process(target=procs.session_and_hang, args=(["vid", "trk", "roi"], True, q))
    live = ctx.Process(target=procs.session_and_hang, args=(["vid"], True, q))
    dead.start()
    [dead_sid] = procs.collect(q, [dead], 1)
    live.start()
    [live_sid] = procs.collect(q, [live], 1)
    try:
        assert dead_sid.startswith(f"{dead.pid}-")
        assert len(list_session_segments(dead_sid)) == 3
        _kill(dead)
        removed = cleanup_stale_segments()
        assert sorted(n for n in removed if dead_sid in n) == [
            f"magscope-{dead_sid}-{n}" for n in ("roi", "trk", "vid")]
        assert list_session_segments(dead_sid) == []
        assert list_session_segments(live_sid) == [f"magscope-{live_sid}-vid"]
        assert list_session_segments(memory.session_id) == [mine]
    finally:
        if live.is_alive():
            _kill(live)
        cleanup_stale_segments()
    assert list_session_segments(live_sid) == []


def test_two_sessions_do_not_collide():
    with SessionMemory(register_atexit=False) as a, SessionMemory(register_atexit=False) as b:
        sa, sb = a.create("vid", 4096), b.create("vid", 4096)
        assert sa.name != sb.name
        sa.buf[0], sb.buf[0] = 1, 2
        assert (sa.buf[0], sb.buf[0]) == (1, 2)


@pytest.mark.integration
def test_outside_process_attaching_two_buffers_deletes_nothing() -> None:
    """A plain interpreter (not a multiprocessing child) attaches two buffers and exits:
    the owner's segments must all survive (its own resource tracker must not unlink)."""
    from magscope_core._buffers import BeadRoiTable, LiveProfile

    with SessionMemory() as memory:
        rois = BeadRoiTable.create(memory, capacity=10)
        prof = LiveProfile.create(memory, max_length=16)
        code = (
            "from magscope_core._buffers import BeadRoiTable, LiveProfile\n"
            f"a = LiveProfile.attach({prof.handle!r})\n"
            f"b = BeadRoiTable.attach({rois.handle!r})\n"
            "a.close(); b.close()\n"
        )
        imports = ("from magscope_core._buffers._profile import LiveProfileHandle\n"
                   "from magscope_core._buffers._rois import BeadRoiTableHandle\n")
        subprocess.run([sys.executable, "-c", imports + code], check=True, timeout=60)
        assert sorted(list_session_segments(memory.session_id)) == sorted(
            memory.segment_names()
        )
        rois.close()
        prof.close()
