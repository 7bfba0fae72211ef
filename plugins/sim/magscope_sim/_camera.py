"""The simulated magnetic-tweezers camera: beads, optics and noise behind the camera contract.

Per frame: the bead field advances by the frame interval (exact OU; the beads are drawn at
their position averaged over the exposure, i.e. with motion blur), the background comes
from the :class:`~magscope_sim._noise.NoiseBank` in one copy, and only each bead's
``render_px`` box is rendered (profile-table interpolation + shot/read noise) and written
over it. Overlapping boxes are merged: their deviations from the background add (the
cross term between two beads' scattered fields is neglected).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from magscope_core import ConfigurationError
from magscope_core._camera import CameraError, CameraInfo
from magscope_sim._beads import BeadField, TetherParams
from magscope_sim._drift import StageDrift
from magscope_sim._layout import blit, box_clusters, random_layout
from magscope_sim._noise import NoiseBank, adu_dtype, photon_noise_adu
from magscope_sim._optics import OpticsParams, profile_table
from magscope_sim._render import BeadRenderer
from magscope_sim._settings import EFFECTS, SETTINGS, Effect, coerce
from magscope_sim._truth import BeadSite, FrameTruth

__all__ = ["SimulatedCamera"]

F64 = NDArray[np.float64]
#: Settings of the stage drift (applied by :class:`~magscope_sim._drift.StageDrift`).
DRIFT_SETTINGS = frozenset(("drift_x_nm_per_s", "drift_y_nm_per_s", "drift_z_nm_per_s",
                            "drift_walk_nm_per_sqrt_s"))
#: Auto gain puts the mean background at this fraction of full scale.
AUTO_GAIN_LEVEL = 0.2
#: Fraction of the noise bank redrawn per frame when the camera has idle time (~0.4 ms at
#: 1 MP: the whole bank is new every 256 frames).
_REFRESH_FRACTION = 1 / 256


class SimulatedCamera:
    """A camera filming fixed and DNA-tethered beads under a magnetic force.

    Implements :class:`magscope_core.Camera`. Settings (see
    :class:`~magscope_sim.SimCameraSettings`, or :meth:`get_settings`) can be passed as
    keyword arguments or changed with :meth:`set_setting`; ``width``, ``height``, ``bits``
    and ``nm_per_px`` are fixed while connected.

    Parameters
    ----------
    optics
        Optics and bead optics (its ``nm_per_px`` is replaced by the setting).
    tether
        Mechanics (its bead radius is replaced by ``optics.bead_radius_nm`` and its contour
        length by the ``contour_length_nm`` setting).
    fixed_xy_px, tethered_xy_px
        Explicit ``(n, 2)`` bead positions (x, y in px) instead of a random layout; they
        also set ``n_fixed`` / ``n_tethered``.
    drift_nm_per_s
        Stage drift ``(x, y, z)``.
    cache_dir
        Optional disk cache for the optics table.
    **settings
        Initial setting values.
    """

    def __init__(
        self,
        *,
        optics: OpticsParams | None = None,
        tether: TetherParams | None = None,
        fixed_xy_px: ArrayLike | None = None,
        tethered_xy_px: ArrayLike | None = None,
        drift_nm_per_s: tuple[float, float, float] = (0.0, 0.0, 0.0),
        cache_dir: str | None = None,
        **settings: Any,
    ) -> None:
        self._lock = threading.RLock()
        self._s: dict[str, Any] = {name: info.default for name, info in SETTINGS.items()}
        self._optics = optics or OpticsParams()
        self._tether = tether or TetherParams()
        self._drift = drift_nm_per_s
        self._turns = 0.0
        self._cache_dir = cache_dir
        self._given: tuple[F64, F64] | None = None
        if fixed_xy_px is not None or tethered_xy_px is not None:
            fixed = np.asarray(fixed_xy_px if fixed_xy_px is not None else [], float).reshape(-1, 2)
            teth = np.asarray(tethered_xy_px if tethered_xy_px is not None else [],
                              float).reshape(-1, 2)
            self._given = (fixed, teth)
            self._s["n_fixed"], self._s["n_tethered"] = len(fixed), len(teth)
        self._connected = False
        self._dirty: set[str] = {Effect.LAYOUT, Effect.NOISE, Effect.RENDER}
        self._field: BeadField | None = None
        self._renderer: BeadRenderer | None = None
        self._bank: NoiseBank | None = None
        self._truth: FrameTruth | None = None
        self._frame = 0
        self._sim_time = 0.0
        self._sim_time_drift = 0.0
        self._stage = StageDrift(0)
        self._t0_mono = 0.0
        self._t0_epoch = time.time()
        self._next_due: float | None = None
        #: Frames skipped because rendering fell more than one period behind.
        self.dropped_frames = 0
        # Constructor values are taken literally (no exposure -> photons scaling), so their
        # order does not matter; explicit bead counts replace explicit positions.
        # Bad constructor values are the user's configuration (camera options): they
        # raise ConfigurationError, which the hub never retries.
        for name, value in settings.items():
            if name == "gain" and str(value).strip().lower() == "auto":
                continue
            try:
                self._s[name] = coerce(name, value)
            except KeyError as exc:
                raise ConfigurationError(exc.args[0]) from None
            if name == "gain":
                self._s["gain_auto"] = self._s["gain"] == 0.0
            elif name in ("n_fixed", "n_tethered"):
                self._given = None
        if self._s["exposure_ms"] > 1000.0 / self._s["fps"] + 1e-9:
            if "exposure_ms" in settings:
                raise ConfigurationError(
                    f"SimulatedCamera option exposure_ms = {self._s['exposure_ms']:g} "
                    f"rejected: longer than the frame period at fps = {self._s['fps']:g}. "
                    f"Allowed: at most {1000.0 / self._s['fps']:g} ms.")
            self._s["exposure_ms"] = 1000.0 / self._s["fps"]

    # ------------------------------------------------------------------ settings
    @property
    def gain(self) -> float:
        """Effective gain in ADU per electron."""
        if not self._s["gain_auto"]:
            return float(self._s["gain"])
        full = float(2 ** int(self._s["bits"]) - 1)
        return AUTO_GAIN_LEVEL * full / max(float(self._s["background_photons"]), 1.0)

    def get_settings(self) -> dict[str, Any]:
        """Current value of every setting (``gain`` is the effective gain)."""
        with self._lock:
            values = dict(self._s)
            values["gain"] = self.gain
            return values

    def set_setting(self, name: str, value: Any) -> None:
        """Apply one setting (numbers or strings); see the settings table in the docs.

        Raises
        ------
        CameraError
            Unknown setting, or a geometry setting while connected.
        ValueError
            A value of the wrong type or out of range.
        """
        with self._lock:
            if name == "gain" and str(value).strip().lower() == "auto":
                self._s["gain_auto"] = True
                self._dirty.add(Effect.NOISE)
                return
            try:
                v = coerce(name, value)
            except KeyError as exc:
                raise CameraError(exc.args[0]) from None
            effect = EFFECTS[name]
            if effect == Effect.GEOMETRY and self._connected:
                raise CameraError(f"SimulatedCamera: cannot change {name!r} while connected "
                                  "(it is part of the published CameraInfo); disconnect first")
            if name == "exposure_ms":
                if v > 1000.0 / self._s["fps"] + 1e-9:
                    raise ValueError(f"SimulatedCamera setting 'exposure_ms': {v} ms is longer "
                                     f"than the frame period at {self._s['fps']} fps")
                self._s["background_photons"] *= v / self._s["exposure_ms"]
            elif name == "fps" and self._s["exposure_ms"] > 1000.0 / v:
                self.set_setting("exposure_ms", 1000.0 / v)
            elif name == "gain":
                self._s["gain_auto"] = v == 0.0
            elif name in ("n_fixed", "n_tethered"):
                self._given = None  # explicit positions give way to a random layout
            self._s[name] = v
            if name == "focus_nm" or name in DRIFT_SETTINGS:
                return
            if name == "force_pn":
                if self._field is not None:
                    self._field.set_force(v)
                return
            if effect == Effect.GEOMETRY:
                self._dirty.update((Effect.LAYOUT, Effect.NOISE, Effect.RENDER))
            elif effect != Effect.TIMING:
                self._dirty.add(effect)

    def set_focus(self, z_nm: float) -> None:
        """Move the focal plane to ``z_nm`` above the surface (every bead's dz changes)."""
        self.set_setting("focus_nm", z_nm)

    def set_force(self, force_pn: float) -> None:
        """Set the magnetic force on the tethered beads (pN); their extension follows."""
        self.set_setting("force_pn", force_pn)

    @property
    def turns(self) -> float:
        """Magnet turns last applied to the tethers."""
        return self._turns

    def set_turns(self, turns: float) -> None:
        """Twist the tethers by ``turns`` magnet turns (the extension follows the hat curve)."""
        t = float(turns)
        with self._lock:
            self._turns = t
            if self._field is not None:
                self._field.set_turns(t)

    # ------------------------------------------------------------------ building
    def _ensure_ready(self) -> None:
        s = self._s
        if Effect.RENDER in self._dirty or Effect.LAYOUT in self._dirty:
            self._optics = attrs.evolve(self._optics, nm_per_px=s["nm_per_px"])
            r_out = s["render_px"] / 2 - 2.0
            table = profile_table(self._optics, r_out + 1.0, self._cache_dir)
            self._renderer = BeadRenderer(table, taper_px=(r_out - s["render_px"] / 8, r_out))
            self._dirty.discard(Effect.RENDER)
        seeds = np.random.SeedSequence(s["seed"]).spawn(3)
        if Effect.LAYOUT in self._dirty:
            if self._given is not None:
                fixed, teth = self._given
            else:
                xy = random_layout(s["n_fixed"] + s["n_tethered"], s["width"], s["height"],
                             s["min_separation_px"], np.random.default_rng(seeds[0]))
                fixed, teth = xy[: s["n_fixed"]], xy[s["n_fixed"] :]
            tether = attrs.evolve(self._tether, bead_radius_nm=self._optics.bead_radius_nm,
                                  contour_length_nm=s["contour_length_nm"])
            kinds = np.r_[np.zeros(len(fixed), bool), np.ones(len(teth), bool)]
            anchors = np.vstack([fixed, teth]) * s["nm_per_px"]
            self._field = BeadField(anchors, kinds, tether, force_pn=s["force_pn"],
                                    drift_nm_per_s=self._drift,
                                    seed=np.random.default_rng(seeds[1]))
            if self._turns:
                self._field.set_turns(self._turns)
            self._noise_rng = np.random.default_rng(seeds[2])
            self._stage = StageDrift(np.random.default_rng([s["seed"], 0xD71F7]))
            self._dirty.discard(Effect.LAYOUT)
            self._dirty.add(Effect.NOISE)
        if Effect.NOISE in self._dirty:
            self._bank = NoiseBank(s["width"] * s["height"],
                                   background_photons=s["background_photons"],
                                   read_noise_e=s["read_noise_e"], gain=self.gain,
                                   bits=s["bits"], rng=self._noise_rng)
            self._dirty.discard(Effect.NOISE)

    # ------------------------------------------------------------------ camera contract
    def connect(self) -> CameraInfo:
        """Build the optics table, beads and noise bank; return the camera's metadata."""
        with self._lock:
            self._ensure_ready()
            self._connected = True
            self._next_due = None
            return self.info

    @property
    def info(self) -> CameraInfo:
        """The metadata :meth:`connect` publishes."""
        s = self._s
        return CameraInfo(width=s["width"], height=s["height"], dtype=adu_dtype(s["bits"]).name,
                          bits=s["bits"], nm_per_px=s["nm_per_px"], fps=s["fps"],
                          model="magscope-sim SimulatedCamera", serial=f"seed-{s['seed']}")

    def disconnect(self) -> None:
        """Drop the noise bank and stop pacing; settings and bead state are kept."""
        with self._lock:
            self._connected = False
            self._bank = None
            self._dirty.add(Effect.NOISE)
            self._next_due = None

    def grab_into(self, out: NDArray[Any], timeout: float) -> float | None:
        """Wait until the next frame is due (at most ``timeout`` s), then render into ``out``.

        Returns the frame's timestamp (seconds since the epoch, on a ``1/fps`` grid) or
        ``None`` on timeout. If rendering falls more than a frame behind, the frames missed
        are skipped (counted in :attr:`dropped_frames`) rather than rendered in a burst.
        """
        if not self._connected:
            raise CameraError("SimulatedCamera.grab_into: camera is not connected")
        now = time.monotonic()
        if self._next_due is None:  # first grab since connect: anchor the clock to now
            with self._lock:
                period = 1.0 / self._s["fps"]
                t_next = self._sim_time + period if self._truth is not None else 0.0
                last = self._truth.timestamp + period if self._truth is not None else 0.0
                self._t0_mono = now - t_next
                self._t0_epoch = max(time.time(), last) - t_next
                self._next_due = now
        wait = self._next_due - now
        if wait > timeout:
            time.sleep(max(timeout, 0.0))
            return None
        if wait > 0:
            time.sleep(wait)
        due = self._next_due
        with self._lock:
            stamp = self._render(out, due - self._t0_mono)
            period = 1.0 / self._s["fps"]
            self._next_due = due + period
            now = time.monotonic()
            if now > self._next_due + period:
                missed = int((now - self._next_due) / period)
                self.dropped_frames += missed
                self._next_due += missed * period
            if self._bank is not None and self._next_due - now > 0.004:
                self._bank.refresh(int(self._bank.size * _REFRESH_FRACTION))
        return stamp

    # ------------------------------------------------------------------ simulation
    def render_into(self, out: NDArray[Any]) -> float:
        """Render the next frame into ``out`` now, without pacing (benchmarks, tests).

        The simulation clock advances by ``1/fps``. Returns the frame's timestamp.
        """
        with self._lock:
            t = self._sim_time + (1.0 / self._s["fps"] if self._truth is not None else 0.0)
            return self._render(out, t)

    def _render(self, out: NDArray[Any], sim_time: float) -> float:
        self._ensure_ready()
        s = self._s
        if out.shape != (s["height"], s["width"]) or out.dtype != adu_dtype(s["bits"]):
            raise CameraError(
                f"SimulatedCamera: out must be a ({s['height']}, {s['width']}) "
                f"{adu_dtype(s['bits']).name} array, got {out.shape} {out.dtype}"
            )
        assert self._field is not None and self._bank is not None and self._renderer is not None
        field = self._field
        # the camera integrates over its exposure: beads are drawn where they were on average
        field.step(max(sim_time - self._sim_time, 0.0) if self._truth is not None else 0.0,
                   exposure_s=s["exposure_ms"] / 1000.0)
        self._sim_time = sim_time
        x_nm, y_nm, z_nm = field.positions()
        ox, oy, oz = self._advance_drift(sim_time)
        cx, cy = (x_nm + ox) / s["nm_per_px"], (y_nm + oy) / s["nm_per_px"]
        dz = z_nm + field.stage_z_nm + oz - s["focus_nm"]
        self._bank.fill(out)
        if field.n:
            self._draw_beads(out, cx, cy, dz)
        stamp = self._t0_epoch + sim_time
        self._truth = FrameTruth(frame=self._frame, timestamp=stamp, focus_nm=s["focus_nm"],
                                 force_pn=field.force_pn, tethered=field.tethered.copy(),
                                 x_px=cx, y_px=cy, z_nm=z_nm, dz_nm=dz)
        self._frame += 1
        return stamp

    def _advance_drift(self, sim_time: float) -> NDArray[np.float64]:
        """Stage drift from the drift settings, advanced to ``sim_time``."""
        s = self._s
        dt = max(sim_time - self._sim_time_drift, 0.0) if self._truth is not None else 0.0
        self._sim_time_drift = sim_time
        rate = (s["drift_x_nm_per_s"], s["drift_y_nm_per_s"], s["drift_z_nm_per_s"])
        return self._stage.advance(dt, rate, s["drift_walk_nm_per_sqrt_s"])

    def _draw_beads(self, out: NDArray[Any], cx: F64, cy: F64, dz: F64) -> None:
        assert self._renderer is not None
        s, size = self._s, self._s["render_px"]
        x0 = np.rint(cx).astype(np.int64) - size // 2
        y0 = np.rint(cy).astype(np.int64) - size // 2
        rel = self._renderer.intensity(cx - x0, cy - y0, dz, size)
        noise: dict[str, Any] = dict(read_noise_e=s["read_noise_e"], gain=self.gain,
                                     bits=s["bits"], rng=self._noise_rng)
        bg = np.float32(s["background_photons"])
        groups = box_clusters(x0, y0, size)
        singles = [g[0] for g in groups if len(g) == 1]
        if singles:
            sel = rel if len(singles) == rel.shape[0] else rel[singles]
            sel *= bg
            adu = photon_noise_adu(sel, **noise)
            for k, b in enumerate(singles):
                blit(out, adu[k], int(x0[b]), int(y0[b]))
        for g in (g for g in groups if len(g) > 1):
            bx, by = int(x0[g].min()), int(y0[g].min())
            canvas = np.ones((int(y0[g].max()) - by + size, int(x0[g].max()) - bx + size),
                             np.float32)
            for b in g:
                oy, ox = int(y0[b]) - by, int(x0[b]) - bx
                canvas[oy : oy + size, ox : ox + size] += rel[b] - 1.0
            np.maximum(canvas, 0.0, out=canvas)
            canvas *= bg
            adu = photon_noise_adu(canvas, **noise)
            for b in g:  # only the members' boxes: the rest of the canvas may hold other beads
                oy, ox = int(y0[b]) - by, int(x0[b]) - bx
                blit(out, adu[oy : oy + size, ox : ox + size], int(x0[b]), int(y0[b]))

    def truth(self) -> FrameTruth:
        """Ground truth of the last rendered frame."""
        with self._lock:
            if self._truth is None:
                raise CameraError("SimulatedCamera.truth: no frame has been rendered yet")
            return self._truth

    def bead_positions(self) -> list[BeadSite]:
        """Rest position of every bead (for placing tracking ROIs), in bead-id order."""
        with self._lock:
            self._ensure_ready()
            assert self._field is not None
            f = self._field
            px = self._s["nm_per_px"]
            ox, oy, _ = self._stage.offset_nm
            x = (f.anchors_nm[:, 0] + f.drift_nm_per_s[0] * f.time_s + ox) / px
            y = (f.anchors_nm[:, 1] + f.drift_nm_per_s[1] * f.time_s + oy) / px
            return [BeadSite(i, bool(f.tethered[i]), float(x[i]), float(y[i]))
                    for i in range(f.n)]

    def __repr__(self) -> str:
        s = self._s
        return (f"SimulatedCamera({s['width']}x{s['height']}, {s['bits']} bit, {s['fps']:g} fps, "
                f"{s['n_fixed']} fixed + {s['n_tethered']} tethered beads)")

    def __getstate__(self) -> Mapping[str, Any]:
        # Picklable for spawn: the lock and derived state are rebuilt in the child.
        state = dict(self.__dict__)
        for key in ("_lock", "_field", "_renderer", "_bank", "_truth"):
            state[key] = None
        state["_dirty"] = {Effect.LAYOUT, Effect.NOISE, Effect.RENDER}
        state["_connected"] = False
        return state

    def __setstate__(self, state: Mapping[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()
