"""MagTrack's options as a settings schema (namespace ``tracker.magtrack``).

Each setting is one keyword of MagTrack's ``stack_to_xyzp_advanced`` pipeline: centre of
mass, then auto-convolution refinements, then a radial (or FFT) profile, then the Z-LUT
lookup. :meth:`MagTrackSettings.pipeline_kwargs` turns them into MagTrack's keyword
dictionary.
"""

from __future__ import annotations

from typing import Any

import attrs

from magscope_core import setting

__all__ = ["MagTrackSettings"]


@attrs.frozen
class MagTrackSettings:
    """Options of the ``magtrack`` tracker (MagTrack 1.0's own defaults)."""

    background: str = setting("median", choices=("median", "mean", "none"),
                              doc="Background removed before the centre of mass (MagScope "
                              "1.0 uses 'median').")
    subpixel_iterations: int = setting(5, minimum=0, maximum=20,
                                       doc="Refinements by multi-line auto-convolution with a "
                                       "sub-pixel parabola.")
    line_ratio: float = setting(0.1, minimum=0.01, maximum=1.0,
                                doc="Fraction of the rows and columns averaged around the "
                                "centre in each refinement.")
    subpixel_n_local: int = setting(5, minimum=3, maximum=21,
                                    doc="Points of the sub-pixel parabola fit.")
    profile: str = setting("radial", choices=("radial", "fft"),
                           doc="Z profile: the radial intensity profile, or the radial "
                           "profile of the image's Fourier magnitude.")
    radial_oversample: int = setting(1, minimum=1, maximum=8,
                                     doc="Radial profile bins per pixel.")
    fft_oversample: int = setting(4, minimum=1, maximum=16, doc="FFT profile bins per pixel.")
    fft_rmin: float = setting(0.0, minimum=0.0, maximum=1.0,
                              doc="FFT profile: first radius kept (fraction of the half width).")
    fft_rmax: float = setting(0.5, minimum=0.01, maximum=1.0,
                              doc="FFT profile: last radius kept (fraction of the half width).")
    fft_gaus_factor: float = setting(6.0, minimum=0.1, maximum=100.0,
                                     doc="FFT profile: Gaussian window width, ROI size / "
                                     "factor.")
    z_n_local: int = setting(7, minimum=3, maximum=51,
                             doc="Z-LUT planes of the parabola around the best match.")

    def pipeline_kwargs(self) -> dict[str, Any]:
        """MagTrack's ``stack_to_xyzp_advanced`` keyword arguments (without the Z lookup)."""
        return {
            "center_of_mass": {"background": self.background},
            "n auto_conv_multiline_sub_pixel": self.subpixel_iterations,
            "auto_conv_multiline_sub_pixel": {"line_ratio": self.line_ratio,
                                              "n_local": self.subpixel_n_local},
            "use fft_profile": self.profile == "fft",
            "fft_profile": {"oversample": self.fft_oversample, "rmin": self.fft_rmin,
                            "rmax": self.fft_rmax, "gaus_factor": self.fft_gaus_factor},
            "radial_profile": {"oversample": self.radial_oversample},
        }
