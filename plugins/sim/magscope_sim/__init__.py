"""Simulated magnetic-tweezers microscope: bead optics, DNA tethers, camera and motors.

The public surface is re-exported here; the modules behind it are private and imported on
first use (so that importing the hook module, :mod:`magscope_sim.plugin`, stays light).
"""

from __future__ import annotations

from importlib.metadata import version as _version
from typing import TYPE_CHECKING

from magscope_core import lazy_exports

if TYPE_CHECKING:
    from magscope_sim._beads import (
        KT_PN_NM,
        WATER_VISCOSITY_PN_S_PER_NM2,
        BeadField,
        TetherParams,
        ou_exposure,
        ou_step,
        stokes_drag,
        wlc_extension,
        wlc_force,
        wlc_stiffness,
    )
    from magscope_sim._camera import SimulatedCamera
    from magscope_sim._crlb import (
        BeadBound,
        bead_crlb,
        fisher_information,
        poisson_gaussian_variance,
    )
    from magscope_sim._focus_sweep import FocusSweep, ZLutMaker, focus_sweep
    from magscope_sim._magnet import MagnetCalibration
    from magscope_sim._motor import MotorAxis
    from magscope_sim._noise import GAUSSIAN_MIN_PHOTONS, NoiseBank, photon_noise_adu
    from magscope_sim._optics import (
        OpticsParams,
        ProfileTable,
        compute_profile_table,
        profile_table,
    )
    from magscope_sim._render import BeadRenderer, RoiStack, render_bead_stack, render_rois
    from magscope_sim._settings import (
        SETTINGS,
        SimCameraOptions,
        SimCameraSettings,
        SimMagnetSettings,
    )
    from magscope_sim._truth import BeadSite, FrameTruth

__all__ = [
    "GAUSSIAN_MIN_PHOTONS",
    "KT_PN_NM",
    "SETTINGS",
    "WATER_VISCOSITY_PN_S_PER_NM2",
    "BeadBound",
    "BeadField",
    "BeadRenderer",
    "BeadSite",
    "FocusSweep",
    "FrameTruth",
    "MagnetCalibration",
    "MotorAxis",
    "NoiseBank",
    "OpticsParams",
    "ProfileTable",
    "RoiStack",
    "SimCameraOptions",
    "SimCameraSettings",
    "SimMagnetSettings",
    "SimulatedCamera",
    "TetherParams",
    "ZLutMaker",
    "bead_crlb",
    "compute_profile_table",
    "fisher_information",
    "focus_sweep",
    "ou_exposure",
    "ou_step",
    "photon_noise_adu",
    "poisson_gaussian_variance",
    "profile_table",
    "render_bead_stack",
    "render_rois",
    "stokes_drag",
    "wlc_extension",
    "wlc_force",
    "wlc_stiffness",
]

__getattr__ = lazy_exports(__name__, {
    "_beads": ("KT_PN_NM", "WATER_VISCOSITY_PN_S_PER_NM2", "BeadField", "TetherParams",
               "ou_exposure", "ou_step", "stokes_drag", "wlc_extension", "wlc_force",
               "wlc_stiffness"),
    "_camera": ("SimulatedCamera",),
    "_crlb": ("BeadBound", "bead_crlb", "fisher_information", "poisson_gaussian_variance"),
    "_focus_sweep": ("FocusSweep", "ZLutMaker", "focus_sweep"),
    "_magnet": ("MagnetCalibration",),
    "_motor": ("MotorAxis",),
    "_noise": ("GAUSSIAN_MIN_PHOTONS", "NoiseBank", "photon_noise_adu"),
    "_optics": ("OpticsParams", "ProfileTable", "compute_profile_table", "profile_table"),
    "_render": ("BeadRenderer", "RoiStack", "render_bead_stack", "render_rois"),
    "_settings": ("SETTINGS", "SimCameraOptions", "SimCameraSettings", "SimMagnetSettings"),
    "_truth": ("BeadSite", "FrameTruth"),
})

__version__ = _version("magscope-sim")
