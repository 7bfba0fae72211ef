"""Settings schema of :class:`~magscope_sim.SimulatedCamera`: names, types, limits, effects.

The schema is a settings class of :func:`magscope_core.setting` fields, the records the
settings system uses: ``magscope run -O KEY=VALUE`` options are converted and checked
against it in the main process, ``magscope run --camera sim --help-camera`` lists it,
and the GUI's camera panel takes its limits from it. Values arriving later (from a UI or
a script) go through :func:`coerce`, which names the setting, the value and what is
allowed when it refuses one.
"""

from __future__ import annotations

import math
from typing import Any

import attrs

from magscope_core import ConfigurationError, SettingInfo, check_option, describe, setting

__all__ = [
    "EFFECTS",
    "SETTINGS",
    "Effect",
    "SimCameraOptions",
    "SimCameraSettings",
    "SimMagnetSettings",
    "coerce",
]


class Effect:
    """What must be rebuilt when a setting changes."""

    GEOMETRY = "geometry"  # published in CameraInfo: refused while connected
    LAYOUT = "layout"  # bead positions and mechanics are rebuilt
    NOISE = "noise"  # the background noise bank is redrawn
    RENDER = "render"  # the bead renderer (patch size) is rebuilt
    TIMING = "timing"  # frame pacing only
    PHYSICS = "physics"  # applied to the running bead field


@attrs.frozen
class SimCameraSettings:
    """The simulated camera's settings (``get_settings`` / ``set_setting``)."""

    width: int = setting(1024, minimum=16, maximum=16384, unit="px", doc="Frame width.")
    height: int = setting(1024, minimum=16, maximum=16384, unit="px", doc="Frame height.")
    bits: int = setting(8, minimum=8, maximum=16, unit="bits",
                        doc="Significant bits per pixel (8 -> uint8, else uint16).")
    nm_per_px: float = setting(100.0, minimum=0.1, maximum=100_000.0, unit="nm/px",
                               doc="Pixel pitch in the sample plane.")
    fps: float = setting(100.0, minimum=0.01, maximum=10_000.0, unit="Hz",
                         doc="Frame rate; the exposure is clipped to the frame period.")
    exposure_ms: float = setting(10.0, minimum=0.001, maximum=100_000.0, unit="ms",
                                 doc="Exposure, at most the frame period 1000 / fps; "
                                 "changing it scales background_photons proportionally.")
    background_photons: float = setting(1000.0, minimum=0.0, maximum=1e9, unit="e-",
                                        doc="Mean background photo-electrons per pixel per "
                                        "frame.")
    read_noise_e: float = setting(2.0, minimum=0.0, maximum=1e6, unit="e- rms",
                                  doc="Gaussian read noise.")
    gain: float = setting(0.0, minimum=0.0, maximum=1e6, unit="ADU/e-",
                          doc="ADU per electron; 0 (or 'auto' at run time): the background "
                          "sits at 20% of full scale.")
    gain_auto: bool = setting(True, doc="Whether the gain follows the background (see gain).")
    n_fixed: int = setting(5, minimum=0, maximum=10_000, unit="beads",
                           doc="Beads stuck to the surface.")
    n_tethered: int = setting(15, minimum=0, maximum=10_000, unit="beads",
                              doc="DNA-tethered beads.")
    seed: int = setting(1, minimum=0, maximum=2**63 - 1, doc="Seed of layout, motion and noise.")
    min_separation_px: float = setting(64.0, minimum=0.0, maximum=1e5, unit="px",
                                       doc="Minimum distance between bead anchors (and twice "
                                       "the edge margin).")
    contour_length_nm: float = setting(2000.0, minimum=1.0, maximum=1e6, unit="nm",
                                       doc="DNA contour length.")
    render_px: int = setting(96, minimum=16, maximum=1024, unit="px",
                             doc="Side of the square box each bead's rings are drawn in "
                             "(even).")
    focus_nm: float = setting(0.0, minimum=-1e6, maximum=1e6, unit="nm",
                              doc="Focal-plane height above the surface.")
    force_pn: float = setting(1.0, minimum=0.0, maximum=1000.0, unit="pN",
                              doc="Magnetic force on each tethered bead.")
    drift_x_nm_per_s: float = setting(0.0, minimum=-10_000.0, maximum=10_000.0, unit="nm/s",
                                      doc="Stage drift along x (every bead slides sideways).")
    drift_y_nm_per_s: float = setting(0.0, minimum=-10_000.0, maximum=10_000.0, unit="nm/s",
                                      doc="Stage drift along y.")
    drift_z_nm_per_s: float = setting(0.0, minimum=-10_000.0, maximum=10_000.0, unit="nm/s",
                                      doc="Sample drift relative to the focal plane (adds to "
                                      "every bead's defocus; a focus move compensates it).")
    drift_walk_nm_per_sqrt_s: float = setting(0.0, minimum=0.0, maximum=10_000.0,
                                              unit="nm/sqrt(s)",
                                              doc="Slow random walk on top of the drift, per "
                                              "axis: its spread after 1 s (0: none).")


@attrs.frozen
class SimCameraOptions(SimCameraSettings):
    """Options of the ``sim`` camera (``-O KEY=VALUE``): its settings and the truth file."""

    truth_file: str = setting("", doc="Record the ground truth of every frame stored in the "
                              "ring to this .npz file (SimCameraManager); '': do not.")
    truth_images_every: int = setting(0, minimum=0, maximum=1_000_000, unit="frames",
                                      doc="With truth_file: also store the exact pixels of "
                                      "every N-th frame (0: none).")


EFFECTS: dict[str, str] = {
    "width": Effect.GEOMETRY, "height": Effect.GEOMETRY, "bits": Effect.GEOMETRY,
    "nm_per_px": Effect.GEOMETRY, "fps": Effect.TIMING, "exposure_ms": Effect.NOISE,
    "background_photons": Effect.NOISE, "read_noise_e": Effect.NOISE, "gain": Effect.NOISE,
    "gain_auto": Effect.NOISE, "n_fixed": Effect.LAYOUT, "n_tethered": Effect.LAYOUT,
    "seed": Effect.LAYOUT, "min_separation_px": Effect.LAYOUT,
    "contour_length_nm": Effect.LAYOUT, "render_px": Effect.RENDER,
    "focus_nm": Effect.PHYSICS, "force_pn": Effect.PHYSICS,
    "drift_x_nm_per_s": Effect.PHYSICS, "drift_y_nm_per_s": Effect.PHYSICS,
    "drift_z_nm_per_s": Effect.PHYSICS, "drift_walk_nm_per_sqrt_s": Effect.PHYSICS,
}
"""What each setting rebuilds when it changes."""

SETTINGS: dict[str, SettingInfo] = {info.key: info for info in describe(SimCameraSettings)}
"""The :class:`~magscope_core.SettingInfo` of every setting, by name (declaration order)."""

if set(EFFECTS) != set(SETTINGS):  # pragma: no cover - a developer's mistake
    raise RuntimeError(f"EFFECTS and SimCameraSettings differ: {set(EFFECTS) ^ set(SETTINGS)}")


def coerce(name: str, value: Any) -> Any:
    """Convert ``value`` to the type of setting ``name`` and check its range.

    Raises
    ------
    KeyError
        For an unknown setting (the message has a "did you mean" and the known ones).
    ConfigurationError
        (a ``ValueError``) for a value of the wrong type or out of range.
    """
    if name not in SETTINGS:
        try:
            check_option(SimCameraSettings, name, value, "SimulatedCamera")
        except ConfigurationError as exc:
            raise KeyError(str(exc)) from None
    converted = check_option(SimCameraSettings, name, value, "SimulatedCamera")
    if isinstance(converted, float) and not math.isfinite(converted):
        raise ConfigurationError(f"SimulatedCamera option {name} = {value!r} rejected: not "
                                 f"finite. Allowed: {SETTINGS[name].allowed}.")
    if name == "render_px" and converted % 2:
        raise ConfigurationError(f"SimulatedCamera option render_px = {value!r} rejected: "
                                 "odd. Allowed: an even integer from 16 to 1024 (px).")
    return converted


@attrs.frozen
class SimMagnetSettings:
    """Settings of the simulated magnet (namespace ``magnet``, read when it starts)."""

    calibration_file: str = setting(
        "", startup_only=True,
        doc="Force calibration table: a text file of two columns, magnet position (mm) and "
        "force (pN), '#' comments allowed, covering the whole travel 0..34.5 mm; '' for the "
        "built-in double-exponential curve.")
    speed_mm_s: float = setting(2.0, minimum=0.001, maximum=10.0, unit="mm/s",
                                startup_only=True, doc="Speed of the linear magnet axis.")
    rotation_speed_turns_s: float = setting(5.0, minimum=0.01, maximum=50.0, unit="turns/s",
                                            startup_only=True,
                                            doc="Speed of the magnet rotation.")
