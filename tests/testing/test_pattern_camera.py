"""The kit's own camera runs the camera contract (and so shows what passing looks like)."""

from __future__ import annotations

import pytest

from magscope_core import CameraSpec
from magscope_core.testing import CameraContract, pattern_camera_spec


class TestPatternCamera(CameraContract):
    writable_setting = ("fps", 40.0)

    @pytest.fixture
    def camera_spec(self) -> CameraSpec:
        return pattern_camera_spec(width=128, height=96, fps=100.0, n_beads=1)
