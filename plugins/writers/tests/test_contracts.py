"""Each writer passes the kit's writer contract, its files read back item by item (dogfood)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tifffile
from magscope_writers import plugin, read_tracking

from magscope_core import WriterSpec
from magscope_core.testing import WriterContract, WriterFeed


def _spec(name: str) -> WriterSpec:
    (spec,) = [w for w in plugin.magscope_writers() if w.name == name]
    return spec


class TestHdf5Writer(WriterContract):
    @pytest.fixture
    def writer_spec(self) -> WriterSpec:
        return _spec("hdf5")

    def check_files(self, mode: str, paths: list[Path], feed: WriterFeed) -> None:
        h5 = [p for p in paths if p.suffix == ".h5"]
        if not feed.tracks:
            assert h5 == [], f"{mode}: tracks file without tracks"
            return
        (path,) = h5
        data = read_tracking(path)
        want = {(round(t * 1e6), int(b)): (x, y, z)
                for batch in feed.tracks
                for i, t in enumerate(batch.timestamps)
                for j, b in enumerate(batch.bead_ids)
                for x, y, z in [(batch.x_nm[i, j], batch.y_nm[i, j], batch.z_nm[i, j])]}
        got = {(round(int(t) / 1e3), int(b)): tuple(p)
               for t, b, p in zip(data.timestamps_ns, data.bead_ids, data.positions_nm,
                                  strict=True)}
        assert set(got) == set(want), f"{mode}: records differ"
        for key, value in want.items():
            np.testing.assert_allclose(got[key], value, atol=1e-6, err_msg=str(key))


class TestTiffWriter(WriterContract):
    @pytest.fixture
    def writer_spec(self) -> WriterSpec:
        return _spec("tiff")

    def check_files(self, mode: str, paths: list[Path], feed: WriterFeed) -> None:
        tifs = [p for p in paths if p.suffix == ".tif"]
        if feed.rois:
            want = np.concatenate([b.crops for b in feed.rois])
        elif feed.stacks:
            want = np.concatenate([s[0] for s in feed.stacks])
        else:
            assert tifs == [], f"{mode}: video file without video"
            return
        got = np.concatenate([tifffile.imread(p) for p in tifs])
        np.testing.assert_array_equal(got, want)


class TestTelemetryWriter(WriterContract):
    @pytest.fixture
    def writer_spec(self) -> WriterSpec:
        return _spec("telemetry")

    def check_files(self, mode: str, paths: list[Path], feed: WriterFeed) -> None:
        (path,) = paths
        assert path.name == "focus.txt"
        want = np.concatenate([rows for _, _, rows in feed.telemetry])
        np.testing.assert_allclose(np.loadtxt(path), want, rtol=1e-12)
