from __future__ import annotations

import multiprocessing as mp
import pickle

import attrs
import magscope_buffers_testprocs as procs
import pytest

from magscope_core._buffers import (
    STANDARD_COUNTERS,
    BufferLayoutError,
    CounterField,
    SharedCounters,
    UnknownFieldError,
)

ctx = mp.get_context("spawn")


def test_standard_fields_defaults_and_types(memory):
    c = SharedCounters.create(memory)
    snap = c.snapshot()
    assert list(snap) == [f.name for f in STANDARD_COUNTERS]
    assert snap["live_profile_bead"] == -1
    assert isinstance(snap["camera_last_frame_t"], float)
    assert isinstance(snap["camera_frames"], int)
    assert all(f.doc for f in STANDARD_COUNTERS)
    assert "frames_dropped" in c and "nope" not in c


def test_get_set_add_and_tuple_fields(memory):
    c = SharedCounters.create(memory, [("mgr.cam.state", "int"), ("mgr.cam.beat", "float"),
                                       CounterField("x", "int", 5)])
    assert c.get("x") == 5
    assert c.add("x", 2) == 7
    c.set("mgr.cam.beat", 1.25)
    assert c.add("mgr.cam.beat", 0.5) == 1.75
    c.set("mgr.cam.state", 3.9)  # int field: truncated to int
    assert c.get("mgr.cam.state") == 3
    assert c.snapshot() == {"mgr.cam.state": 3, "mgr.cam.beat": 1.75, "x": 7}
    assert pickle.loads(pickle.dumps(c.handle)) == c.handle


def test_unknown_field_is_a_keyerror_naming_the_fields(memory):
    c = SharedCounters.create(memory, [("b", "int"), ("a", "float")])
    for op in (lambda: c.get("zz"), lambda: c.set("zz", 1), lambda: c.add("zz")):
        with pytest.raises(KeyError) as err:
            op()
        assert isinstance(err.value, UnknownFieldError)
        assert str(err.value) == (f"SharedCounters '{c.handle.segment}' has no field 'zz'; "
                                  "known fields: ['a', 'b']")


def test_bad_field_specs(memory):
    with pytest.raises(ValueError, match="duplicate counter fields: \\['a'\\]"):
        SharedCounters.create(memory, [("a", "int"), ("a", "float")])
    with pytest.raises(ValueError, match="kind must be 'int' or 'float', got 'str'"):
        SharedCounters.create(memory, [("a", "str")])
    with pytest.raises(TypeError, match="got 'a'"):
        SharedCounters.create(memory, ["a"])


def test_attach_checks_fields(memory):
    c = SharedCounters.create(memory, [("a", "int"), ("b", "int")])
    with pytest.raises(BufferLayoutError, match="field checksum"):
        SharedCounters.attach(attrs.evolve(c.handle, fields=(CounterField("a"),
                                                             CounterField("b", "float"))))


@pytest.mark.integration
def test_values_are_shared_across_processes(memory):
    c = SharedCounters.create(memory)
    q = ctx.Queue()
    p = ctx.Process(target=procs.counters_child, args=(c.handle, 1000, q))
    p.start()
    [child_view] = procs.collect(q, [p], 1)
    p.join(30)
    assert p.exitcode == 0
    assert child_view["camera_frames"] == c.get("camera_frames") == 1000
    assert c.get("camera_last_frame_t") == 123.5
