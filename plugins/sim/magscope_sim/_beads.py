"""Bead mechanics: DNA tethers (worm-like chain) and Brownian motion (Ornstein-Uhlenbeck).

Units are nm, pN and s throughout (so ``kT = 4.1 pN nm`` at room temperature and water's
viscosity is ``1e-9 pN s / nm^2``).

A tethered bead hangs on a DNA molecule anchored to the surface. At force ``F`` its mean
extension ``l`` solves the Marko-Siggia interpolation formula (then the rotation-extension
"hat" curve of :mod:`magscope_sim._twist` when the magnet has turned); fluctuations are
harmonic around it with stiffness ``k_z = dF/dl`` (axial) and lateral inverted-pendulum
stiffnesses ``k_x = F / (l + R)`` along the magnetic field (the x axis: the bead cannot
rotate freely about it, so the pendulum is longer by the radius, Daldrop et al., Biophys. J.
2015) and ``k_y = F / l`` across it. Each axis is an exact Ornstein-Uhlenbeck process with
relaxation time ``gamma / k`` and variance ``kT / k``; the Stokes drag ``6 pi eta R`` is
increased near the surface with Faxen's (lateral) and Brenner's (axial) wall corrections.
Fixed beads sit on the surface and do not move.

A camera integrates over its exposure: :meth:`BeadField.step` with ``exposure_s > 0``
reports (:meth:`BeadField.positions`) the position averaged over the last ``exposure_s`` of
the step, drawn exactly with the end point from their joint Gaussian (:func:`ou_exposure`,
the limit of infinitely many exact OU sub-steps): motion blur, which makes plain variances
underestimate ``<dx^2>`` at high force.
"""

from __future__ import annotations

import math
from typing import Any

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import brentq

from magscope_sim._twist import hat_extension

__all__ = [
    "KT_PN_NM",
    "WATER_VISCOSITY_PN_S_PER_NM2",
    "BeadField",
    "TetherParams",
    "ou_exposure",
    "ou_step",
    "stokes_drag",
    "wlc_extension",
    "wlc_force",
    "wlc_stiffness",
]

#: Thermal energy at ~24 C, pN nm.
KT_PN_NM = 4.1
#: Viscosity of water at ~20 C (1.0 mPa s), pN s / nm^2.
WATER_VISCOSITY_PN_S_PER_NM2 = 1.0e-9

F64 = NDArray[np.float64]


def wlc_force(
    extension_nm: ArrayLike,
    contour_nm: float,
    persistence_nm: float = 50.0,
    kt: float = KT_PN_NM,
) -> F64:
    """Marko-Siggia force (pN) at ``extension_nm`` for a chain of ``contour_nm``.

    ``F Lp / kT = 1 / (4 (1 - x)^2) - 1/4 + x`` with ``x = l / L0``; diverges at ``x = 1``.
    """
    x = np.asarray(extension_nm, dtype=np.float64) / contour_nm
    if np.any((x < 0) | (x >= 1)):
        raise ValueError(f"wlc_force: extension must be in [0, {contour_nm}) nm")
    out: F64 = (kt / persistence_nm) * (0.25 / (1.0 - x) ** 2 - 0.25 + x)
    return out


def wlc_stiffness(
    extension_nm: ArrayLike,
    contour_nm: float,
    persistence_nm: float = 50.0,
    kt: float = KT_PN_NM,
) -> F64:
    """Axial stiffness ``dF/dl`` (pN/nm) of the Marko-Siggia chain at ``extension_nm``."""
    x = np.asarray(extension_nm, dtype=np.float64) / contour_nm
    if np.any((x < 0) | (x >= 1)):
        raise ValueError(f"wlc_stiffness: extension must be in [0, {contour_nm}) nm")
    out: F64 = (kt / (persistence_nm * contour_nm)) * (0.5 / (1.0 - x) ** 3 + 1.0)
    return out


def wlc_extension(
    force_pn: ArrayLike,
    contour_nm: float,
    persistence_nm: float = 50.0,
    kt: float = KT_PN_NM,
) -> F64:
    """Mean extension (nm) at ``force_pn`` (>= 0): the inverse of :func:`wlc_force`.

    Solved per element with :func:`scipy.optimize.brentq` on the relative extension.
    """
    forces = np.asarray(force_pn, dtype=np.float64)
    if np.any(forces < 0) or not np.all(np.isfinite(forces)):
        raise ValueError(f"wlc_extension: forces must be finite and >= 0, got {force_pn!r}")
    if contour_nm <= 0 or persistence_nm <= 0:
        raise ValueError("wlc_extension: contour and persistence lengths must be > 0")
    out = np.empty_like(forces)
    for i, f in np.ndenumerate(forces):
        target = f * persistence_nm / kt

        def residual(x: float, target: float = target) -> float:
            return 0.25 / (1.0 - x) ** 2 - 0.25 + x - target

        # residual(0) = -target <= 0; near x = 1 it is hugely positive.
        out[i] = 0.0 if target == 0 else brentq(residual, 0.0, 1.0 - 1e-12, xtol=1e-14)
    result: F64 = out * contour_nm
    return result


def stokes_drag(
    radius_nm: float,
    height_nm: ArrayLike | None = None,
    viscosity: float = WATER_VISCOSITY_PN_S_PER_NM2,
) -> tuple[F64, F64]:
    """Lateral and axial drag coefficients (pN s/nm) of a sphere, near a wall if asked.

    Parameters
    ----------
    radius_nm
        Sphere radius.
    height_nm
        Distance of the sphere's centre from the wall (``>= radius``); ``None`` for bulk.
    viscosity
        Dynamic viscosity, pN s / nm^2.

    Returns
    -------
    tuple of numpy.ndarray
        ``(gamma_xy, gamma_z)``. Near a wall, Faxen's series (lateral) and the standard
        polynomial approximation of Brenner's result (axial) divide ``6 pi eta R``.
    """
    g0 = 6.0 * math.pi * viscosity * radius_nm
    if height_nm is None:
        return np.asarray(g0, dtype=np.float64), np.asarray(g0, dtype=np.float64)
    h = np.asarray(height_nm, dtype=np.float64)
    if np.any(h < radius_nm):
        raise ValueError(f"stokes_drag: centre height must be >= radius ({radius_nm} nm)")
    s = radius_nm / h
    lateral = 1 - 9 / 16 * s + 1 / 8 * s**3 - 45 / 256 * s**4 - 1 / 16 * s**5
    axial = (
        1 - 9 / 8 * s + 1 / 2 * s**3 - 57 / 100 * s**4 + 1 / 5 * s**5
        + 7 / 200 * s**11 - 1 / 25 * s**12
    )
    return g0 / lateral, g0 / axial


def ou_step(
    x: F64,
    mean: F64 | float,
    tau_s: F64 | float,
    variance: F64 | float,
    dt_s: float,
    rng: np.random.Generator,
) -> F64:
    """Exact Ornstein-Uhlenbeck update over ``dt_s`` (no time-step error).

    ``x' = mean + (x - mean) a + sqrt(variance (1 - a^2)) N(0, 1)`` with
    ``a = exp(-dt / tau)``.
    """
    a = np.exp(-dt_s / np.asarray(tau_s, dtype=np.float64))
    noise = rng.standard_normal(np.shape(x))
    out: F64 = mean + (x - mean) * a + np.sqrt(variance * (1.0 - a * a)) * noise
    return out


def ou_exposure(
    x: F64,
    mean: F64 | float,
    tau_s: F64 | float,
    variance: F64 | float,
    exposure_s: float,
    rng: np.random.Generator,
) -> tuple[F64, F64]:
    """Exact OU update across an exposure: ``(position at its end, average over it)``.

    The end point and the time average of an OU process started at ``x`` are jointly
    Gaussian; with ``u = W / tau``, ``a = exp(-u)`` and unit variance: means
    ``a (x - m)`` and ``(1 - a) / u (x - m)``, variances ``1 - a^2`` and
    ``(2u - 3 + 4a - a^2) / u^2``, covariance ``(1 - a)^2 / u``. This is the limit of
    infinitely many exact sub-steps (what a camera integrating photons records) at the cost
    of two normal draws per axis.
    """
    s2 = np.asarray(variance, dtype=np.float64)
    u = exposure_s / np.asarray(tau_s, dtype=np.float64)
    a = np.exp(-u)
    one_minus_a = -np.expm1(-u)
    q = one_minus_a / u
    v_end = -np.expm1(-2.0 * u)
    with np.errstate(invalid="ignore", divide="ignore"):
        v_avg = np.where(u < 1e-3, (2.0 / 3.0) * u - 0.5 * u * u,
                         (2.0 * u - 3.0 + 4.0 * a - a * a) / (u * u))
    cov = one_minus_a * one_minus_a / u
    d = x - mean
    z1 = rng.standard_normal(np.shape(x))
    z2 = rng.standard_normal(np.shape(x))
    end_dev = np.sqrt(s2 * v_end) * z1
    resid = np.maximum(v_avg - cov * cov / v_end, 0.0)
    avg = mean + d * q + (cov / v_end) * end_dev + np.sqrt(s2 * resid) * z2
    end: F64 = mean + d * a + end_dev
    out_avg: F64 = np.asarray(avg, dtype=np.float64)
    return end, out_avg


def _positive(instance: Any, attribute: attrs.Attribute[Any], value: float) -> None:
    if not value > 0:
        raise ValueError(f"TetherParams.{attribute.name} must be > 0, got {value!r}")


@attrs.frozen
class TetherParams:
    """Mechanical parameters shared by every bead of a :class:`BeadField`.

    Parameters
    ----------
    bead_radius_nm
        Bead radius (also the centre height of a bead resting on the surface).
    contour_length_nm
        DNA contour length (2000 nm ~ 5.9 kbp at 0.34 nm/bp).
    persistence_length_nm
        DNA persistence length (50 nm for dsDNA in physiological salt).
    kt_pn_nm
        Thermal energy.
    viscosity
        Medium viscosity, pN s / nm^2.
    wall_correction
        Increase the drag near the surface (Faxen / Brenner).
    min_force_pn
        Floor on the force used for the mechanics, so that lateral stiffness ``F/l``
        stays finite when the magnet is far away.
    """

    bead_radius_nm: float = attrs.field(default=500.0, converter=float, validator=_positive)
    contour_length_nm: float = attrs.field(default=2000.0, converter=float, validator=_positive)
    persistence_length_nm: float = attrs.field(
        default=50.0, converter=float, validator=_positive
    )
    kt_pn_nm: float = attrs.field(default=KT_PN_NM, converter=float, validator=_positive)
    viscosity: float = attrs.field(
        default=WATER_VISCOSITY_PN_S_PER_NM2, converter=float, validator=_positive
    )
    wall_correction: bool = True
    min_force_pn: float = attrs.field(default=0.01, converter=float, validator=_positive)


class BeadField:
    """Positions of fixed and tethered beads, advanced frame by frame.

    Parameters
    ----------
    anchors_nm
        ``(n, 2)`` lateral anchor positions (x, y) in nm: where a fixed bead sits or where
        a tethered bead's DNA is attached.
    tethered
        ``(n,)`` booleans: ``True`` for a tethered bead, ``False`` for a fixed one.
    params
        Mechanics.
    force_pn
        Initial magnetic force on every tethered bead.
    drift_nm_per_s
        Stage drift ``(x, y, z)`` common to all beads (z moves the sample relative to the
        focal plane; see :attr:`stage_z_nm`).
    seed
        Seed or generator for the thermal noise.
    """

    def __init__(
        self,
        anchors_nm: ArrayLike,
        tethered: ArrayLike,
        params: TetherParams | None = None,
        *,
        force_pn: float = 1.0,
        drift_nm_per_s: tuple[float, float, float] = (0.0, 0.0, 0.0),
        seed: int | np.random.Generator | None = None,
    ) -> None:
        self.anchors_nm: F64 = np.array(anchors_nm, dtype=np.float64).reshape(-1, 2)
        self.tethered: NDArray[np.bool_] = np.array(tethered, dtype=bool).reshape(-1)
        if self.tethered.size != self.anchors_nm.shape[0]:
            raise ValueError(
                f"BeadField: {self.anchors_nm.shape[0]} anchors but {self.tethered.size} "
                "tethered flags"
            )
        self.params = params or TetherParams()
        self.drift_nm_per_s: F64 = np.array(drift_nm_per_s, dtype=np.float64).reshape(3)
        self._rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self.time_s = 0.0
        n_t = int(self.tethered.sum())
        self._offset: F64 = np.zeros((n_t, 3))  # (dx, dy, extension) of tethered beads
        self._turns = 0.0
        self.set_force(force_pn)
        # Start in thermal equilibrium so there is no start-up transient.
        sd = np.sqrt(self.variance_nm2)
        self._offset = self._rng.standard_normal((n_t, 3)) * sd
        self._offset[:, 2] += self.mean_extension_nm
        self._constrain()
        #: What the camera saw in the last step: the offsets averaged over the exposure.
        self._seen: F64 = self._offset.copy()

    @property
    def n(self) -> int:
        """Number of beads."""
        return int(self.tethered.size)

    @property
    def force_pn(self) -> float:
        """Force last set (before the :attr:`TetherParams.min_force_pn` floor)."""
        return self._force

    @property
    def turns(self) -> float:
        """Magnet turns last set (twist applied to every tether)."""
        return self._turns

    def set_turns(self, turns: float) -> None:
        """Twist every tether by ``turns`` magnet turns; the extension follows the hat curve."""
        t = float(turns)
        if not math.isfinite(t):
            raise ValueError(f"BeadField.set_turns: turns must be finite, got {turns!r}")
        self._turns = t
        self.set_force(self._force)

    def set_force(self, force_pn: float) -> None:
        """Set the magnetic force (pN, >= 0); the beads relax towards the new extension."""
        f = float(force_pn)
        if not (math.isfinite(f) and f >= 0):
            raise ValueError(f"BeadField.set_force: force must be finite and >= 0 pN, got {f!r}")
        self._force = f
        p = self.params
        f_eff = max(f, p.min_force_pn)
        ext_wlc = float(wlc_extension(f_eff, p.contour_length_nm, p.persistence_length_nm,
                                      p.kt_pn_nm))
        k_z = float(wlc_stiffness(ext_wlc, p.contour_length_nm, p.persistence_length_nm,
                                  p.kt_pn_nm))
        ext = float(hat_extension(ext_wlc, self._turns, f_eff, p.contour_length_nm))
        # inverted pendulum: long (l + R) along the field (x), short (l) across it (y)
        k_x = f_eff / (ext + p.bead_radius_nm)
        k_y = f_eff / ext
        height = p.bead_radius_nm + ext if p.wall_correction else None
        g_xy, g_z = stokes_drag(p.bead_radius_nm, height, p.viscosity)
        self.mean_extension_nm = ext
        #: Stiffness (pN/nm) per axis x (along the field), y, z.
        self.stiffness_pn_per_nm: F64 = np.array([k_x, k_y, k_z])
        #: Relaxation time (s) per axis.
        drag = np.array([float(g_xy), float(g_xy), float(g_z)])
        self.tau_s: F64 = drag / self.stiffness_pn_per_nm
        #: Equilibrium variance (nm^2) per axis, ``kT / k``.
        self.variance_nm2: F64 = p.kt_pn_nm / self.stiffness_pn_per_nm

    def _constrain(self) -> None:
        # The bead cannot enter the surface, nor stretch the DNA beyond its contour.
        ext = np.abs(self._offset[:, 2])
        self._offset[:, 2] = np.minimum(ext, 0.999 * self.params.contour_length_nm)

    def step(self, dt_s: float, exposure_s: float = 0.0) -> None:
        """Advance the beads by ``dt_s`` seconds (exact OU update, any step size).

        Parameters
        ----------
        dt_s
            Time step (the frame interval).
        exposure_s
            Camera exposure ending with the step (``0 <= exposure_s``, clipped to
            ``dt_s``): :meth:`positions` then reports the position averaged over it
            (motion blur). ``0``: the position at the end of the step.
        """
        if not dt_s >= 0:
            raise ValueError(f"BeadField.step: dt must be >= 0 s, got {dt_s!r}")
        if not exposure_s >= 0:
            raise ValueError(f"BeadField.step: exposure must be >= 0 s, got {exposure_s!r}")
        self.time_s += dt_s
        if dt_s == 0 or self._offset.size == 0:
            return
        mean = np.array([0.0, 0.0, self.mean_extension_nm])
        w = min(exposure_s, dt_s)
        if w <= 0:
            self._offset = ou_step(self._offset, mean, self.tau_s, self.variance_nm2, dt_s,
                                   self._rng)
            self._constrain()
            self._seen = self._offset.copy()
            return
        # up to the start of the exposure, then across it with its exact average
        x0 = ou_step(self._offset, mean, self.tau_s, self.variance_nm2, dt_s - w, self._rng)
        end, avg = ou_exposure(x0, mean, self.tau_s, self.variance_nm2, w, self._rng)
        self._offset = end
        self._constrain()
        self._seen = avg
        self._seen[:, 2] = np.abs(self._seen[:, 2])

    def trajectory(self, n_frames: int, dt_s: float, exposure_s: float = 0.0) -> F64:
        """Step ``n_frames`` times and return the positions seen, ``(n_frames, n, 3)`` nm.

        Columns ``x, y, z`` as :meth:`positions` returns them (no rendering: the bead
        motion model alone, e.g. to test force estimators against the true force).
        """
        out = np.empty((int(n_frames), self.n, 3))
        for i in range(int(n_frames)):
            self.step(dt_s, exposure_s)
            out[i, :, 0], out[i, :, 1], out[i, :, 2] = self.positions()
        return out

    @property
    def stage_z_nm(self) -> float:
        """Axial stage drift accumulated so far (adds to every bead's defocus)."""
        return float(self.drift_nm_per_s[2] * self.time_s)

    def positions(self) -> tuple[F64, F64, F64]:
        """Bead centres ``(x_nm, y_nm, z_nm)`` as the camera saw them in the last step.

        With an exposure (see :meth:`step`) tethered beads are at their position averaged
        over it. ``x`` and ``y`` include the lateral stage drift; ``z`` is the centre's
        height above the surface (a fixed bead: its radius; a tethered bead: radius +
        extension).
        """
        x = self.anchors_nm[:, 0] + self.drift_nm_per_s[0] * self.time_s
        y = self.anchors_nm[:, 1] + self.drift_nm_per_s[1] * self.time_s
        z = np.full(self.n, self.params.bead_radius_nm)
        x[self.tethered] += self._seen[:, 0]
        y[self.tethered] += self._seen[:, 1]
        z[self.tethered] += self._seen[:, 2]
        return x, y, z
