from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from magscope_tracker import CpuTracker, ZLut, ZLutError, create_tracker


def test_text_round_trip_is_exact(tmp_path: Path, zlut: ZLut) -> None:
    path = tmp_path / "lut.txt"
    zlut.save(path)
    text = path.read_text()
    assert text.startswith("# magscope-tracker Z-LUT")
    loaded = ZLut.load(path)
    np.testing.assert_array_equal(loaded.z_nm, zlut.z_nm)
    np.testing.assert_array_equal(loaded.profiles, zlut.profiles)
    for key in ("roi_shape", "n_bins", "nm_per_px", "source", "created", "tracker_options"):
        assert loaded.metadata[key] == zlut.metadata[key]
    assert loaded.metadata["file"] == str(path)
    # the file is a plain matrix for numpy.loadtxt: row 0 = z, one column per plane
    matrix = np.loadtxt(path)
    assert matrix.shape == (1 + zlut.n_bins, zlut.n_planes)
    np.testing.assert_array_equal(matrix[0], zlut.z_nm)


def test_reference_file_without_comments_loads_and_tracks(
    tmp_path: Path, zlut: ZLut, tracker: CpuTracker
) -> None:
    path = tmp_path / "simulation_zlut.txt"
    np.savetxt(path, zlut.to_matrix())  # the reference system's writer: '%.18e', no header
    loaded = tracker.load_zlut(str(path), (64, 64))
    assert loaded.n_planes == 101 and loaded.n_bins == 36
    assert loaded.metadata == {"file": str(path)}
    np.testing.assert_allclose(loaded.profiles, zlut.profiles, rtol=1e-15)
    assert loaded.summary() == "101 planes, z -5000..5000 nm (mean step 100 nm), 36 bins"


def test_a_file_in_the_other_modes_layout_loads_and_tracks(
    tmp_path: Path, beads: ModuleType, model: Any, lut_images: np.ndarray, lut_z: np.ndarray
) -> None:
    # MagScope's layout (32 bins for 64 px, the fast mode's) in the precise mode, and the
    # precise layout (36 bins) in the fast mode: both load and give z
    z = np.array([-2500.0, -300.0, 1700.0])
    rois = beads.render_rois(model, 31.5 + np.array([0.7, -1.2, 0.3]), 30.9, z, photons=None)
    for built, used, bins in (("fast", "precise", 32), ("precise", "fast", 36)):
        path = tmp_path / f"{built}.txt"
        np.savetxt(path, create_tracker(mode=built).make_zlut(lut_images, lut_z).to_matrix())
        tracker = create_tracker(mode=used)
        loaded = tracker.load_zlut(str(path), (64, 64))
        assert loaded.n_bins == bins
        result = tracker.track(rois, loaded)
        assert result.ok.all()
        np.testing.assert_allclose(result.z, z, atol=3.0)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.txt"
    path.write_text(text)
    return path


def _good_rows(planes: int = 4, bins: int = 3) -> list[list[float]]:
    rows = [[100.0 * i for i in range(planes)]]
    rows += [[1.0 + b + 0.1 * i for i in range(planes)] for b in range(bins)]
    return rows


def _text(rows: list[list[float]], header: str = "") -> str:
    return header + "\n".join(" ".join(str(v) for v in row) for row in rows) + "\n"


BAD_FILES = [
    (
        "non-numeric",
        lambda r: _text(r).replace("2.2", "abc"),
        r"line 3: value 3 is 'abc', not a number",
    ),
    ("ragged", lambda r: _text(r[:2]) + "1 2 3\n", r"line 3: 3 values, expected 4 like line 1"),
    (
        "nan",
        lambda r: _text(r).replace("3.1", "nan"),
        r"line 4: profile bin 2, value 2 \(plane 1\) is nan",
    ),
    (
        "inf z",
        lambda r: _text(r).replace("200.0", "inf"),
        r"line 1: z value 3 is inf; z must be finite",
    ),
    (
        "non-monotonic",
        lambda r: _text(r).replace("200.0", "50.0"),
        r"line 1: z is not strictly monotonic: value 3 \(50\) follows value 2 \(100\)",
    ),
    (
        "two planes",
        lambda r: _text([row[:2] for row in r]),
        r"only 2 plane\(s\) \(columns\); at least 3",
    ),
    ("z only", lambda r: _text(r[:1]), r"line 1: only one numeric row \(z\)"),
    ("empty", lambda r: "# nothing here\n\n", r"no numeric rows"),
    (
        "bad metadata",
        lambda r: _text(r, "# metadata: {not json\n"),
        r"line 1: metadata comment is not valid JSON",
    ),
]


@pytest.mark.parametrize(("case", "make", "message"), BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_bad_files_name_file_line_and_problem(
    tmp_path: Path, case: str, make: object, message: str
) -> None:
    assert callable(make)
    path = _write(tmp_path, make(_good_rows()))
    with pytest.raises(ZLutError, match=message) as info:
        ZLut.load(path)
    assert str(path) in str(info.value)
    assert info.value.path == str(path)


def test_wrong_profile_length_for_the_tracker(tmp_path: Path, tracker: CpuTracker) -> None:
    path = _write(tmp_path, _text(_good_rows(planes=5, bins=25)))
    with pytest.raises(
        ZLutError, match=r"25 profile bins \(rows after the z row\), but the tracker makes 36 or 32"
    ):
        tracker.load_zlut(str(path), (64, 64))
    assert ZLut.load(path, n_bins=25).n_bins == 25


def test_descending_z_is_accepted(tmp_path: Path) -> None:
    rows = _good_rows()
    rows[0] = rows[0][::-1]
    lut = ZLut.load(_write(tmp_path, _text(rows)))
    assert lut.z_nm.tolist() == [300.0, 200.0, 100.0, 0.0]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ZLutError, match="cannot be read"):
        ZLut.load(tmp_path / "nope.txt")


def test_record_validates_arrays() -> None:
    with pytest.raises(ZLutError, match="at least 3 are needed"):
        ZLut(z_nm=[0.0, 1.0], profiles=np.ones((2, 4)))
    with pytest.raises(ZLutError, match=r"expected z \(n_planes,\)"):
        ZLut(z_nm=[0.0, 1.0, 2.0], profiles=np.ones((4, 4)))
    with pytest.raises(ZLutError, match=r"Z-LUT 'sweep 3': profile bin 1"):
        ZLut(
            z_nm=[0.0, 1.0, 2.0],
            profiles=[[1, 1], [1, np.nan], [1, 1]],
            metadata={"source": "sweep 3"},
        )
    lut = ZLut(z_nm=[0.0, 1.0, 2.0], profiles=np.ones((3, 4)))
    assert not lut.profiles.flags.writeable
