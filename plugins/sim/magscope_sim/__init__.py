"""Simulated magnetic-tweezers microscope: bead optics, DNA tethers, camera and motors.

The public surface is re-exported here; the modules behind it are private.
"""

from __future__ import annotations

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
from magscope_sim._camera import BeadSite, FrameTruth, SimulatedCamera
from magscope_sim._crlb import BeadBound, bead_crlb, fisher_information, poisson_gaussian_variance
from magscope_sim._magnet import MagnetCalibration, SimMagnetSettings
from magscope_sim._motor import MotorAxis
from magscope_sim._noise import GAUSSIAN_MIN_PHOTONS, NoiseBank, photon_noise_adu
from magscope_sim._optics import OpticsParams, ProfileTable, compute_profile_table, profile_table
from magscope_sim._render import BeadRenderer, RoiStack, render_bead_stack, render_rois
from magscope_sim._settings import SETTINGS, SimCameraOptions, SimCameraSettings

__all__ = [
    "GAUSSIAN_MIN_PHOTONS",
    "KT_PN_NM",
    "SETTINGS",
    "WATER_VISCOSITY_PN_S_PER_NM2",
    "BeadBound",
    "BeadField",
    "BeadRenderer",
    "BeadSite",
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
    "bead_crlb",
    "compute_profile_table",
    "fisher_information",
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

__version__ = "0.1.0"
