"""``magscope zlut sweep`` and ``magscope zlut show`` in real subprocesses."""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pytest

from magscope_core.cli._png import colour_map, write_png

pytestmark = pytest.mark.integration
SMALL = ["-O", "width=256", "-O", "height=256", "-O", "n_fixed=2", "-O", "n_tethered=1"]


def _magscope(*args: str) -> list[str]:
    return [sys.executable, "-m", "magscope_core.cli", *args]


def _env(config: Path) -> dict[str, str]:
    return {**os.environ, "MAGSCOPE_CONFIG_DIR": str(config)}


def _read_png(path: Path) -> np.ndarray:
    """Decode an 8-bit RGB PNG with filter 0 rows (what write_png writes)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF, kind
        chunks[kind] = chunks.get(kind, b"") + body
        pos += 12 + length
    w, h, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, colour) == (8, 2)
    raw = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8).reshape(h, 1 + 3 * w)
    assert (raw[:, 0] == 0).all()
    return raw[:, 1:].reshape(h, w, 3)


def test_png_writer_round_trips(tmp_path: Path) -> None:
    rgb = colour_map(np.linspace(0, 1, 12).reshape(3, 4))
    rgb[0, 0] = (1, 2, 3)
    write_png(tmp_path / "a.png", rgb)
    assert np.array_equal(_read_png(tmp_path / "a.png"), rgb)
    assert tuple(colour_map(np.array([np.nan]))[0]) == (128, 128, 128)


@pytest.mark.slow
def test_sweep_saves_the_best_candidate_and_show_describes_it(
        isolated_config: Path, tmp_path: Path) -> None:
    out = tmp_path / "lut.txt"
    proc = subprocess.run(
        _magscope("zlut", "sweep", "--start", "-1000", "--stop", "1000", "--step", "250",
                  "--images", "2", "--beads", "0,1", "--out", str(out), *SMALL),
        env=_env(isolated_config), capture_output=True, text=True, timeout=150)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Z-LUT sweep [" in proc.stderr and "plane 0/9" in proc.stderr  # progress
    assert "Z-LUT candidates" in proc.stdout
    rows = [line for line in proc.stdout.splitlines() if line.startswith("│")]
    assert len(rows) == 2  # beads 0 and 1 only
    assert f"Z-LUT saved to {out}: best bead" in proc.stderr
    text = out.read_text()
    assert '"bead_id": ' in text and '"self_rms_nm": ' in text
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]

    png = tmp_path / "lut.png"
    show = subprocess.run(_magscope("zlut", "show", str(out), "--plot", str(png)),
                          env=_env(isolated_config), capture_output=True, text=True, timeout=60)
    assert show.returncode == 0, show.stderr
    assert f"{out}: 9 planes, z -1000..1000 nm (mean step 250 nm)" in show.stdout
    assert "scores: contrast" in show.stdout and "bead_id:" in show.stdout
    img = _read_png(png)
    assert img.shape[1] >= 9 and img.shape[1] % 9 == 0  # one band of columns per plane
    assert len({tuple(p) for p in img.reshape(-1, 3)}) > 10  # a picture, not a flat fill


@pytest.mark.slow
def test_ctrl_c_cancels_the_sweep_and_writes_nothing(isolated_config: Path,
                                                      tmp_path: Path) -> None:
    out = tmp_path / "lut.txt"
    proc = subprocess.Popen(
        _magscope("zlut", "sweep", "--start", "-3000", "--stop", "3000", "--step", "50",
                  "--images", "5", "--settle", "0.5", "--out", str(out), *SMALL),
        env=_env(isolated_config), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    seen = []
    deadline = time.monotonic() + 120
    for line in proc.stderr:  # blocks on the child's own output, not on a timer
        seen.append(line)
        if "Z-LUT sweep [" in line or time.monotonic() > deadline:
            break
    assert any("plane 0/121" in s for s in seen), "".join(seen)
    proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=60)
    assert proc.returncode == 130, "".join(seen) + rest
    assert "Z-LUT sweep cancelled: nothing saved" in rest
    assert "Traceback" not in rest
    assert not out.exists()
    assert not list(tmp_path.glob("*.part")) and not list(tmp_path.glob(".*.part"))


@pytest.mark.parametrize(("args", "words"), [
    (["sweep", "--start", "0", "--stop", "100", "--step", "50", "--beads", "x",
      "--out", "{tmp}/a.txt"], "--beads 'x': expected 'all' or comma-separated bead ids"),
    (["sweep", "--start", "100", "--stop", "0", "--step", "50", "--out", "{tmp}/a.txt"],
     "need START < STOP"),
    (["sweep", "--start", "0", "--stop", "100", "--step", "50", "--out", "{tmp}/no/a.txt"],
     "does not exist"),
    (["show", "{tmp}/missing.txt"], "does not exist"),
    (["show", "{tmp}/bad.txt"], "bad.txt cannot be used by tracker 'cpu'"),
])
def test_bad_input_is_one_line_and_exit_code_2(isolated_config: Path, tmp_path: Path,
                                               args: list[str], words: str) -> None:
    (tmp_path / "bad.txt").write_text("1 2 3\n4 5 x\n")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    proc = subprocess.run(_magscope("zlut", *argv), env=_env(isolated_config),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and words in lines[0], lines
    assert not (tmp_path / "a.txt").exists()
