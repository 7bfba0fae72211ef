from __future__ import annotations

import pickle

import numpy as np
import pytest

from magscope_core._buffers import LiveProfile, SeqlockTimeoutError
from magscope_core._buffers._profile import _H_SEQ


def test_write_read_and_versions(memory):
    p = LiveProfile.create(memory)
    assert p.max_length == 2560
    assert pickle.loads(pickle.dumps(p.handle)) == p.handle
    reader = LiveProfile.attach(p.handle)
    assert reader.read() is None
    p.write(12.5, 3, np.linspace(0, 1, 100))
    got = reader.read()
    assert got is not None
    assert (got.version, got.timestamp, got.bead_id) == (1, 12.5, 3)
    assert np.array_equal(got.samples, np.linspace(0, 1, 100))
    assert reader.read(if_newer_than=1) is None
    p.write(13.0, 4, [1.0, 2.0])  # shorter: no stale tail
    got = reader.read(if_newer_than=1)
    assert got is not None and got.samples.tolist() == [1.0, 2.0] and got.version == 2
    p.write(14.0, 4, np.ones(2560))
    assert reader.read() is not None
    reader.close()


def test_write_rejects_bad_samples(memory):
    p = LiveProfile.create(memory, max_length=8)
    with pytest.raises(ValueError, match=r"at most 8 values, got shape \(9,\)"):
        p.write(0.0, 1, np.zeros(9))
    with pytest.raises(ValueError, match=r"got shape \(2, 2\)"):
        p.write(0.0, 1, np.zeros((2, 2)))
    assert p.version == 0
    with pytest.raises(ValueError, match="max_length must be >= 1"):
        LiveProfile.create(memory, max_length=0, name="p2")


def test_stalled_writer(memory):
    p = LiveProfile.create(memory, max_length=4)
    p.write(1.0, 1, [1.0])
    p._hdr[_H_SEQ] += 1
    with pytest.raises(SeqlockTimeoutError, match="LiveProfile"):
        p.read(timeout=0.05)
    p._hdr[_H_SEQ] += 1
