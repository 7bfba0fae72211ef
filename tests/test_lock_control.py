"""The locks' arithmetic: which ROIs move, which beads wait, the focus correction."""

from __future__ import annotations

import numpy as np
import pytest

from magscope_core import XYLockParams, ZLockParams
from magscope_core._lock_control import xy_corrections, z_correction

NM = 100.0  # nm per px


def _rows(bead: int, x_px: float, y_px: float, roi: tuple[int, int], t: np.ndarray,
          z: float = 0.0) -> np.ndarray:
    n = t.size
    return np.column_stack([t, np.full(n, x_px * NM), np.full(n, y_px * NM), np.full(n, z),
                            np.full(n, bead), np.full(n, roi[0]), np.full(n, roi[1])])


def test_off_centre_beads_move_by_the_rounded_offset_clipped_to_max_step() -> None:
    t = np.linspace(9.1, 10.0, 10)
    rows = np.vstack([
        _rows(0, 32.2, 32.1, (0, 0), t),        # inside the dead band: stays
        _rows(1, 100 + 33.7, 40 + 30.8, (100, 40), t),  # (+1.7, -1.2): moves (+2, -1)
        _rows(2, 200 + 32 + 9.0, 32.0, (200, 0), t),  # +9 px: clipped to +3
    ])
    rois = [(0, 0, 0, 64), (1, 100, 40, 64), (2, 200, 0, 64)]
    moves, waiting = xy_corrections(rows, rois, NM, XYLockParams(), now=10.0)
    assert waiting == []
    got = {m.bead: (m.step_x, m.step_y, m.x, m.y) for m in moves}
    assert got == {1: (2, -1, 134.0, 71.0), 2: (3, 0, 235.0, 32.0)}
    m1 = next(m for m in moves if m.bead == 1)
    assert m1.dx_px == pytest.approx(1.7) and m1.dy_px == pytest.approx(-1.2) and m1.rows == 10


def test_beads_wait_for_rows_of_their_current_roi_newer_than_the_move() -> None:
    t = np.linspace(9.1, 10.0, 10)
    old_roi = _rows(0, 40.0, 32.0, (0, 0), t)  # tracked in the ROI before it moved
    fresh = _rows(1, 10 + 40.0, 32.0, (10, 0), t[-3:])  # only 3 rows in the new ROI
    stale = _rows(2, 40.0, 32.0, (0, 0), t - 5.0)  # older than the window
    before_move = _rows(3, 40.0, 32.0, (0, 0), t)  # same ROI but before the last move
    rows = np.vstack([old_roi, fresh, stale, before_move])
    rois = [(0, 5, 0, 64), (1, 10, 0, 64), (2, 0, 0, 64), (3, 0, 0, 64)]
    moves, waiting = xy_corrections(rows, rois, NM, XYLockParams(), now=10.0,
                                    moved_at={3: 9.95})
    assert moves == [] and waiting == [0, 1, 2, 3]
    # NaN positions (a tracking failure) are no rows
    nan = _rows(4, np.nan, np.nan, (0, 0), t)
    assert xy_corrections(nan, [(4, 0, 0, 64)], NM, XYLockParams(), now=10.0)[1] == [4]


def test_z_correction_moves_the_focus_by_the_error_times_gain_clipped() -> None:
    z = np.array([510.0, 512.0, np.nan, 514.0])
    z_mean, corr = z_correction(z, 500.0, ZLockParams())
    assert z_mean == pytest.approx(512.0) and corr == pytest.approx(12.0)
    assert z_correction(z, 500.0, ZLockParams(gain=0.5))[1] == pytest.approx(6.0)
    assert z_correction(z, 0.0, ZLockParams(max_correction_nm=100.0))[1] == 100.0
    assert z_correction(z, 900.0, ZLockParams(max_correction_nm=100.0))[1] == -100.0
    with pytest.raises(ValueError, match="no finite Z"):
        z_correction(np.array([np.nan]), 0.0, ZLockParams())


@pytest.mark.parametrize(("cls", "field", "value", "allowed"), [
    (XYLockParams, "window_s", 0.0, "> 0"),
    (XYLockParams, "dead_band_px", -1.0, ">= 0"),
    (XYLockParams, "max_step_px", 0, ">= 1"),
    (ZLockParams, "gain", 1.5, "0 < gain <= 1"),
    (ZLockParams, "max_correction_nm", float("nan"), "> 0"),
])
def test_bad_parameters_are_refused_naming_the_field(cls, field, value, allowed) -> None:
    with pytest.raises(ValueError, match=rf"{cls.__name__}\.{field}: .* allowed: .*{allowed}"):
        cls(**{field: value})
