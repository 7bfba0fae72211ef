"""Fixtures: the self-contained synthetic bead generator and a shared Z-LUT."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import magscope_tracker
import numpy as np
import pytest


def _load_beads() -> ModuleType:
    name = "magscope_tracker_tests_synthetic_beads"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        name, Path(__file__).with_name("synthetic_beads.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def beads() -> ModuleType:
    """The ``synthetic_beads`` module (``BeadModel``, ``render_rois``)."""
    return _load_beads()


@pytest.fixture(scope="session")
def model(beads: ModuleType) -> Any:
    """A 1.4 um bead at 100 nm/px, 630 nm, NA 1.1."""
    return beads.BeadModel()


@pytest.fixture(scope="session")
def lut_z() -> np.ndarray:
    """Z-LUT planes: -5 to +5 um in 100 nm steps."""
    return np.arange(-5000.0, 5000.1, 100.0)


@pytest.fixture(scope="session")
def lut_images(beads: ModuleType, model: Any, lut_z: np.ndarray) -> np.ndarray:
    """Noise-free centred 64 px images, one per LUT plane (float32)."""
    centre = np.full(lut_z.size, 31.5)
    return beads.render_rois(model, centre, centre, lut_z, photons=None)


@pytest.fixture(scope="session")
def tracker() -> magscope_tracker.CpuTracker:
    """Default tracker (numba kernel when available)."""
    return magscope_tracker.create_tracker()


@pytest.fixture(scope="session")
def zlut(
    tracker: magscope_tracker.CpuTracker, lut_images: np.ndarray, lut_z: np.ndarray
) -> magscope_tracker.ZLut:
    """Z-LUT built by the default tracker from ``lut_images``."""
    return tracker.make_zlut(lut_images, lut_z, nm_per_px=100.0, source="synthetic test bead")
