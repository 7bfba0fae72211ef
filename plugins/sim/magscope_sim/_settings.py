"""Settings schema of :class:`~magscope_sim.SimulatedCamera`: names, types, limits, effects.

Values arrive from a UI or a script as numbers or strings; :func:`coerce` converts and
checks them and names the setting, the value and the expectation when it refuses one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import attrs

__all__ = ["SETTINGS", "Effect", "SettingSpec", "coerce"]


class Effect:
    """What must be rebuilt when a setting changes."""

    GEOMETRY = "geometry"  # published in CameraInfo: refused while connected
    LAYOUT = "layout"  # bead positions and mechanics are rebuilt
    NOISE = "noise"  # the background noise bank is redrawn
    RENDER = "render"  # the bead renderer (patch size) is rebuilt
    TIMING = "timing"  # frame pacing only
    PHYSICS = "physics"  # applied to the running bead field


@attrs.frozen
class SettingSpec:
    """One setting: its type, default, accepted range and effect."""

    name: str
    kind: type
    default: Any
    check: Callable[[Any], bool]
    expect: str
    effect: str
    doc: str


def _int(lo: int, hi: int) -> Callable[[Any], bool]:
    return lambda v: lo <= v <= hi


def _pos(v: float) -> bool:
    return math.isfinite(v) and v > 0


def _nonneg(v: float) -> bool:
    return math.isfinite(v) and v >= 0


_S = SettingSpec
SETTINGS: dict[str, SettingSpec] = {
    s.name: s
    for s in (
        _S("width", int, 1024, _int(16, 16384), "an int in 16..16384", Effect.GEOMETRY,
           "frame width, px"),
        _S("height", int, 1024, _int(16, 16384), "an int in 16..16384", Effect.GEOMETRY,
           "frame height, px"),
        _S("bits", int, 8, _int(8, 16), "an int in 8..16 (8 -> uint8, else uint16)",
           Effect.GEOMETRY, "significant bits per pixel"),
        _S("nm_per_px", float, 100.0, _pos, "a number > 0", Effect.GEOMETRY,
           "pixel pitch in the sample plane, nm"),
        _S("fps", float, 100.0, lambda v: 0 < v <= 10_000, "a number in (0, 10000]",
           Effect.TIMING, "frame rate; exposure is clipped to the frame period"),
        _S("exposure_ms", float, 10.0, _pos, "a number > 0 and <= 1000 / fps", Effect.NOISE,
           "exposure; changing it scales background_photons proportionally"),
        _S("background_photons", float, 1000.0, _nonneg, "a number >= 0", Effect.NOISE,
           "mean background photo-electrons per pixel per frame"),
        _S("read_noise_e", float, 2.0, _nonneg, "a number >= 0", Effect.NOISE,
           "Gaussian read noise, electrons rms"),
        _S("gain", float, 0.0, _pos, "a number > 0 (ADU per electron) or 'auto'", Effect.NOISE,
           "ADU per electron; 'auto' puts the background at 20% of full scale"),
        _S("gain_auto", bool, True, lambda v: True, "true or false", Effect.NOISE,
           "whether the gain follows the background (see 'gain')"),
        _S("n_fixed", int, 5, _int(0, 10_000), "an int in 0..10000", Effect.LAYOUT,
           "beads stuck to the surface"),
        _S("n_tethered", int, 15, _int(0, 10_000), "an int in 0..10000", Effect.LAYOUT,
           "DNA-tethered beads"),
        _S("seed", int, 1, _int(0, 2**63 - 1), "an int >= 0", Effect.LAYOUT,
           "seed of layout, motion and noise"),
        _S("min_separation_px", float, 64.0, _nonneg, "a number >= 0", Effect.LAYOUT,
           "minimum distance between bead anchors (and twice the edge margin), px"),
        _S("contour_length_nm", float, 2000.0, _pos, "a number > 0", Effect.LAYOUT,
           "DNA contour length"),
        _S("render_px", int, 96, lambda v: 16 <= v <= 1024 and v % 2 == 0,
           "an even int in 16..1024", Effect.RENDER,
           "side of the square box each bead's rings are drawn in, px"),
        _S("focus_nm", float, 0.0, math.isfinite, "a finite number", Effect.PHYSICS,
           "focal-plane height above the surface, nm"),
        _S("force_pn", float, 1.0, _nonneg, "a number >= 0", Effect.PHYSICS,
           "magnetic force on each tethered bead, pN"),
    )
}


def _parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError(value)


def coerce(name: str, value: Any) -> Any:
    """Convert ``value`` to the type of setting ``name`` and check its range.

    Raises
    ------
    KeyError
        For an unknown setting (the message lists the known ones).
    ValueError
        For a value of the wrong type or out of range.
    """
    spec = SETTINGS.get(name)
    if spec is None:
        raise KeyError(f"SimulatedCamera has no setting {name!r}; known: {', '.join(SETTINGS)}")
    try:
        if spec.kind is bool:
            converted: Any = _parse_bool(value)
        elif spec.kind is int:
            f = float(value)
            if not f.is_integer():
                raise ValueError(value)
            converted = int(f)
        else:
            converted = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(
            f"SimulatedCamera setting {name!r}: {value!r} is not {spec.expect}"
        ) from None
    if not spec.check(converted):
        raise ValueError(f"SimulatedCamera setting {name!r}: {value!r} is not {spec.expect}")
    return converted
