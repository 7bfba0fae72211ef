"""The MagTrack adapter passes the kit's tracker contract (dogfood)."""

from __future__ import annotations

import pytest
from magscope_magtrack import plugin

from magscope_core import TrackerSpec
from magscope_core.testing import TrackerContract


class TestMagTrack(TrackerContract):
    # MagTrack's Z is coarser than ours: about 58 nm RMS on the simulator's beads, and up
    # to ~250 nm near focus on the kit's analytic beads (ours: 30 nm there)
    z_tolerance_nm = 300.0

    @pytest.fixture
    def tracker_spec(self) -> TrackerSpec:
        (spec,) = plugin.magscope_trackers()
        return spec
