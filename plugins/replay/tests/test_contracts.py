"""The replay camera passes the kit's camera contract (dogfood), playing a NumPy video."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from magscope_replay import plugin

from magscope_core import CameraSpec
from magscope_core.testing import CameraContract


class TestReplayCamera(CameraContract):
    @pytest.fixture
    def camera_spec(self, tmp_path: Path) -> CameraSpec:
        rng = np.random.default_rng(3)
        video = tmp_path / "video.npy"
        np.save(video, rng.integers(0, 4096, size=(40, 48, 64), dtype=np.uint16))
        (spec,) = plugin.magscope_cameras()
        return CameraSpec(spec.name, spec.factory, settings=spec.settings, manager=spec.manager,
                          options={"path": str(video), "fps": 200.0, "loop": True})
