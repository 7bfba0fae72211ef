from __future__ import annotations

import numpy as np
import pytest
from magscope_writers import TelemetryWriter, WriterError


def test_header_and_nan_free_rows_round_trip_exactly(tmp_path, info, t0):
    w = TelemetryWriter()
    w.open(tmp_path, info, {})
    cols = ("t", "position_nm", "target_nm")
    rows1 = np.array([[t0, 1200.5, 1200.0], [t0 + 0.05, np.nan, 1200.0],
                      [t0 + 0.1, 1201.0 / 3.0, 1e-9]])
    w.write_telemetry("focus", cols, rows1)
    path = tmp_path / "focus.txt"
    assert path.read_text().count("\n") == 3  # flushed per call: header + 2 rows
    w.write_telemetry("focus", cols, np.array([[t0 + 0.15, -7.0, 0.0]]))
    w.write_telemetry("magnet", ("position_mm", "force_pn"), np.array([[t0, 3.5, 12.25, ]]))
    assert w.rows_skipped == 1
    assert w.close({}) == [path, tmp_path / "magnet.txt"]
    lines = path.read_text().splitlines()
    assert lines[0] == "# timestamp position_nm target_nm"
    assert lines[1] == "1764075520.25 1200.5 1200.0"
    back = np.loadtxt(path)
    np.testing.assert_array_equal(back, np.vstack([rows1[[0, 2]], [[t0 + 0.15, -7.0, 0.0]]]))
    assert (tmp_path / "magnet.txt").read_text().splitlines() == [
        "# timestamp position_mm force_pn", "1764075520.25 3.5 12.25"]


def test_existing_files_are_appended_or_left_alone(tmp_path, info, t0):
    (tmp_path / "focus.txt").write_text("# timestamp position_nm\n1.0 2.0\n")
    (tmp_path / "magnet.txt").write_text("# timestamp other\n1.0 2.0\n")
    w = TelemetryWriter(fsync=True)
    w.open(tmp_path, info, {})
    w.write_telemetry("focus", ("t", "position_nm"), np.array([[t0, 5.0]]))
    w.write_telemetry("magnet", ("t", "position_mm"), np.array([[t0, 6.0]]))
    assert w.close({}) == [tmp_path / "focus.txt", tmp_path / "magnet (1).txt"]
    assert (tmp_path / "focus.txt").read_text().splitlines()[1:] == ["1.0 2.0",
                                                                     "1764075520.25 5.0"]
    assert (tmp_path / "magnet.txt").read_text() == "# timestamp other\n1.0 2.0\n"
    assert (tmp_path / "magnet (1).txt").read_text().startswith("# timestamp position_mm\n")


def test_bad_rows_are_reported_and_no_rows_make_no_file(tmp_path, info, t0):
    w = TelemetryWriter()
    w.open(tmp_path / "out", info, {})
    w.write_telemetry("focus", ("t", "z"), np.zeros((0, 2)))
    w.write_telemetry("focus", ("t", "z"), np.array([[np.nan, 1.0], [t0, np.nan]]))
    with pytest.raises(WriterError, match=r"telemetry writer: checking telemetry rows of "
                       r"'focus' for .*focus\.txt failed: rows have 3 columns"):
        w.write_telemetry("focus", ("t", "z"), np.zeros((1, 3)))
    with pytest.raises(WriterError, match="not usable as a file name"):
        w.write_telemetry("../x", ("t", "z"), np.zeros((1, 2)))
    assert w.close({}) == []
    assert not (tmp_path / "out").exists()
    w.open(tmp_path, info, {})
    w.write_telemetry("focus", ("t", "z"), np.array([[t0, 1.0]]))
    with pytest.raises(WriterError, match=r"columns changed from \['z'\] to \['y'\]"):
        w.write_telemetry("focus", ("t", "y"), np.array([[t0, 1.0]]))
    w.close({})
