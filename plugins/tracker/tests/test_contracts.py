"""The CPU tracker passes the kit's tracker contract (dogfood)."""

from __future__ import annotations

import pytest
from magscope_tracker import plugin

from magscope_core import TrackerSpec
from magscope_core.testing import TrackerContract


class TestCpuTracker(TrackerContract):
    xy_tolerance_px = 0.01  # noise-free beads: the mirror-symmetry fit is far better
    z_tolerance_nm = 30.0

    @pytest.fixture
    def tracker_spec(self) -> TrackerSpec:
        (spec,) = plugin.magscope_trackers()
        return spec
