"""How fast the motors move, so that protocol plans can time motor moves before a run.

A hardware manager class may describe its motors with a classmethod
``motion_models(**options) -> Sequence[MotionModel]`` (``options``: the keyword
arguments the session would build it with, its spec's options and its settings). The
plan of ``magscope script check`` then counts a move as ``distance / speed`` at the
``wait_motor`` that waits for it (a move overlapping a sleep costs only the rest), a
force as a magnet position through the magnet's own force calibration, and the move to a
ramp's start. Without a model an axis's waits stay unknown ("?").
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal

import attrs

from magscope_core._import_path import resolve_factory

if TYPE_CHECKING:
    from magscope_core._plugins import PluginSet
    from magscope_core._settings import SettingsStore

__all__ = ["AXES", "MotionModel", "describe_models", "motion_models"]

log = logging.getLogger("magscope")

AXES = ("focus", "magnet", "rotation")
"""The axes a plan follows: focus (nm), magnet position (mm), magnet rotation (turns)."""


def _speed(inst: object, attr: attrs.Attribute[float], value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"MotionModel.speed: {value!r} rejected; allowed: a finite number "
                         "> 0 (units per second)")


@attrs.frozen
class MotionModel:
    """How one motor axis moves.

    Attributes
    ----------
    axis
        ``"focus"`` (nm), ``"magnet"`` (mm) or ``"rotation"`` (turns).
    speed
        Units per second.
    position
        Where the axis is when a session starts.
    position_for_force
        For the magnet: the position (mm) that gives a force (pN), from its calibration.
    """

    axis: Literal["focus", "magnet", "rotation"] = attrs.field(
        validator=attrs.validators.in_(AXES))
    speed: float = attrs.field(converter=float, validator=_speed)
    position: float = attrs.field(converter=float)
    position_for_force: Callable[[float], float] | None = None

    def seconds(self, start: float, stop: float) -> float:
        """Time of a move from ``start`` to ``stop``."""
        return abs(stop - start) / self.speed


def motion_models(plugins: PluginSet, store: SettingsStore | None = None
                  ) -> dict[str, MotionModel]:
    """Models of the axes of the managers a session would start, by axis name.

    Managers whose class has no ``motion_models`` classmethod, or whose options it cannot
    use, add none (their waits stay unknown in plans).
    """
    from magscope_core._options import settings_for

    models: dict[str, MotionModel] = {}
    for name, contrib in sorted(plugins.managers.items()):
        describe = getattr(resolve_factory(contrib.spec.factory), "motion_models", None)
        if not (contrib.spec.autostart and callable(describe)):
            continue
        options: dict[str, Any] = {**contrib.spec.options,
                                   **settings_for(store, contrib.spec)}
        try:
            found = list(describe(**options))
        except Exception as exc:
            log.debug("manager %r: no motion model (%s)", name, exc)
            continue
        for model in found:
            if isinstance(model, MotionModel):
                models.setdefault(model.axis, model)
    return models


def describe_models(models: Mapping[str, MotionModel]) -> str:
    """``magnet 2 mm/s, focus 1000 nm/s`` (for plan printouts)."""
    units = {"focus": "nm/s", "magnet": "mm/s", "rotation": "turns/s"}
    return ", ".join(f"{axis} {m.speed:g} {units[axis]}" for axis, m in models.items())
