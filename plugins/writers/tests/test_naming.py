from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from fractions import Fraction

import numpy as np
import pytest
from magscope_writers import local_stamp, seconds_to_ns
from magscope_writers._naming import local_iso

T = 1_764_075_520.629624  # 2025-11-25 12:58:40.629624 UTC


def test_seconds_to_ns_is_exact_and_checks_input():
    exact = round(Fraction(T) * 10**9)  # the float is ...40.62962389
    assert seconds_to_ns(np.array([T]))[0] == exact == 1_764_075_520_629_623_890
    assert seconds_to_ns(np.array([0.5, 1.0])).dtype == np.uint64
    with pytest.raises(ValueError, match="timestamp 1 is inf"):
        seconds_to_ns(np.array([1.0, np.inf]))


def test_stamp_is_the_local_time_of_the_frame():
    ns = int(seconds_to_ns(np.array([T]))[0])
    expected = time.strftime("%Y-%m-%d %H-%M-%S", time.localtime(int(T)))
    assert local_stamp(ns, 6) == expected + ".629624"
    assert local_stamp(ns, 3) == expected + ".629"
    assert local_stamp(ns, 0) == expected


_CHILD = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    import numpy as np
    from magscope_core import CameraInfo
    from magscope_core._writer import RoiBatch, TracksBatch
    from magscope_writers import Hdf5TracksWriter, TiffVideoWriter
    from magscope_writers._naming import local_iso
    out = Path(sys.argv[1]); t = float(sys.argv[2])
    info = CameraInfo(width=8, height=8, dtype="uint8", bits=8, nm_per_px=100.0, fps=10.0)
    ts = np.array([t, t + 0.1]); one = np.ones((2, 1))
    h, v = Hdf5TracksWriter(), TiffVideoWriter()
    h.open(out, info, {}); v.open(out, info, {})
    h.write_tracks(TracksBatch(0, np.arange(2), ts, np.array([1]), one, one, one,
                               np.array([0]), np.array([0])))
    v.write_rois(RoiBatch(0, np.arange(2), ts, np.array([1]), np.zeros((2, 1, 4, 4), np.uint8),
                          np.array([0]), np.array([0])))
    v.write_stack(np.zeros((2, 8, 8), np.uint8), ts, 0)
    names = [p.name for p in h.close({}) + v.close({}) if p.suffix != ".json"]
    print(json.dumps({"names": names, "iso": local_iso(int(t * 1e9))}))
""")


@pytest.mark.integration
@pytest.mark.parametrize(("tz", "local"), [
    ("UTC0", "2025-11-25 12-58-40"),
    ("IST-5:30", "2025-11-25 18-28-40"),  # POSIX TZ: UTC+05:30, no tz database needed
    ("EST5EDT,M3.2.0,M11.1.0", "2025-11-25 07-58-40"),  # winter: UTC-5
])
def test_every_writer_names_files_by_the_same_local_time(tmp_path, tz, local):
    out = tmp_path / tz.replace(",", "_").replace(":", "")
    env = {**os.environ, "TZ": tz}
    res = subprocess.run([sys.executable, "-c", _CHILD, str(out), repr(T)], env=env,
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout)
    assert got["names"] == [f"Tracking Data {local}.629624.h5", f"Video ROIs {local}.629.tif",
                            f"Video {local}.629.tif"]
    offset = {"UTC0": "+00:00", "IST-5:30": "+05:30"}.get(tz, "-05:00")
    day, clock = local.split(" ")
    assert got["iso"] == f"{day}T{clock.replace('-', ':')}.629624{offset}"


def test_local_iso_carries_the_offset():
    text = local_iso(int(T * 1e9))
    off = time.localtime(int(T)).tm_gmtoff
    sign = "+" if off >= 0 else "-"
    assert text.endswith(f"{sign}{abs(off) // 3600:02d}:{abs(off) % 3600 // 60:02d}")
