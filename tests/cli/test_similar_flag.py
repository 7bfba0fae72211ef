"""``magscope run --similar-to X,Y[,SIZE]``: checked before any session starts.

The start-up search itself, on a real session: ``tests/e2e/test_bead_search.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from magscope_core.cli._similar_flag import similar_to


def test_positions_and_sizes() -> None:
    assert similar_to("120,80") == (120.0, 80.0, None)
    assert similar_to(" 120.5, 80 ,48") == (120.5, 80.0, 48)
    for bad in ("120", "1,2,3,4", "x,2", "-1,2", "1,2,3", "1,2,nan", "nan,1"):
        with pytest.raises(Exception, match="rejected; allowed: X,Y or X,Y,SIZE"):
            similar_to(bad)


@pytest.mark.integration
def test_similar_to_that_is_not_a_position_is_one_line_and_exit_2(
        isolated_config: Path, tmp_path: Path) -> None:
    env = {**os.environ, "MAGSCOPE_CONFIG_DIR": str(isolated_config)}
    proc = subprocess.run([sys.executable, "-m", "magscope_core.cli", "run", "--headless",
                           "--duration", "1", "--out", str(tmp_path / "run"),
                           "--similar-to", "120"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1].endswith(
        "argument --similar-to: '120' rejected; allowed: X,Y or X,Y,SIZE: the seed bead's "
        "centre in pixels (numbers >= 0) and its ROI side (an integer >= 4, default "
        "core.roi_size)")
    assert not (tmp_path / "run").exists()
