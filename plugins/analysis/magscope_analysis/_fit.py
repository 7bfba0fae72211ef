"""Maximum-likelihood fit of ``s2 * g(tau)`` to gamma-distributed estimates.

Periodogram ordinates are exponentially distributed about the PSD, Allan-variance estimates
approximately gamma-distributed about the model (shape = half their degrees of freedom):
both have the likelihood ``-ln L = sum_j a_j (ln P_j + y_j / P_j)`` with ``P_j = s2 g_j(tau)``
(Norrelykke & Flyvbjerg, Rev. Sci. Instrum. 81, 2010; Lansdorp & Saleh 2012). For a fixed
``tau`` the best ``s2`` is closed-form, so the fit is a 1-D search over ``ln tau`` (a grid,
then golden-section refinement): no optimiser library, no starting guess. The uncertainty of
``ln s2`` comes from the Fisher information at the optimum.

With a known drag ``gamma``, ``tau = gamma s2 / kT`` ties both parameters: a 1-parameter fit.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import attrs
import numpy as np
from numpy.typing import NDArray

__all__ = ["ScaleFit", "fit_scale_and_tau"]

F64 = NDArray[np.float64]
Model = Callable[[float], F64]

_GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0


@attrs.frozen
class ScaleFit:
    """Result of :func:`fit_scale_and_tau`.

    Attributes
    ----------
    variance
        Fitted ``s2`` (the bead's positional variance ``kT / k``).
    tau_s
        Fitted relaxation time.
    rel_sigma
        Standard error of ``ln s2`` (relative error of ``s2``).
    at_bound
        Whether ``tau`` ended on the edge of the search range (unreliable fit).
    """

    variance: float
    tau_s: float
    rel_sigma: float
    at_bound: bool


def _profile(
    y: F64, a: F64, model: Model, ln_tau: float, kt_over_drag: float | None
) -> tuple[float, float]:
    """``(-ln L, s2)`` at ``tau = exp(ln_tau)``."""
    tau = math.exp(ln_tau)
    g = model(tau)
    s2 = float(np.sum(a * y / g) / np.sum(a)) if kt_over_drag is None else tau * kt_over_drag
    p = s2 * g
    return float(np.sum(a * (np.log(p) + y / p))), s2


def fit_scale_and_tau(
    y: F64,
    shape: F64,
    model: Model,
    tau_range_s: tuple[float, float],
    *,
    kt_over_drag: float | None = None,
    grid: int = 48,
) -> ScaleFit:
    """Fit ``y_j ~ Gamma(shape_j, mean = s2 g_j(tau))``.

    Parameters
    ----------
    y
        The estimates (periodogram ordinates, Allan variances).
    shape
        Gamma shape of each estimate (1 for a periodogram ordinate).
    model
        ``g(tau)``: the model per unit variance at every estimate.
    tau_range_s
        Search range of ``tau``.
    kt_over_drag
        ``kT / gamma`` when the drag is known (1-parameter fit), else ``None``.
    grid
        Points of the initial log-spaced grid.
    """
    lo, hi = math.log(tau_range_s[0]), math.log(tau_range_s[1])
    xs = np.linspace(lo, hi, grid)
    nll = [_profile(y, shape, model, x, kt_over_drag)[0] for x in xs]
    i = int(np.argmin(nll))
    a, b = xs[max(i - 1, 0)], xs[min(i + 1, grid - 1)]
    c, d = b - _GOLDEN * (b - a), a + _GOLDEN * (b - a)
    fc = _profile(y, shape, model, c, kt_over_drag)[0]
    fd = _profile(y, shape, model, d, kt_over_drag)[0]
    while b - a > 1e-6:
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - _GOLDEN * (b - a)
            fc = _profile(y, shape, model, c, kt_over_drag)[0]
        else:
            a, c, fc = c, d, fd
            d = a + _GOLDEN * (b - a)
            fd = _profile(y, shape, model, d, kt_over_drag)[0]
    best = (a + b) / 2
    _, s2 = _profile(y, shape, model, best, kt_over_drag)
    # Fisher information in (ln s2, ln tau): d ln P / d theta per estimate
    h = 1e-4
    dlng = (np.log(model(math.exp(best + h))) - np.log(model(math.exp(best - h)))) / (2 * h)
    if kt_over_drag is None:
        d0 = np.ones_like(dlng)
        info = np.array([[np.sum(shape * d0 * d0), np.sum(shape * d0 * dlng)],
                         [np.sum(shape * d0 * dlng), np.sum(shape * dlng * dlng)]])
        det = float(np.linalg.det(info))
        var_ln_s2 = float(info[1, 1] / det) if det > 0 else math.inf
    else:
        # ln s2 = ln tau + const: one parameter
        var_ln_s2 = 1.0 / float(np.sum(shape * (1.0 + dlng) ** 2))
    at_bound = i in (0, grid - 1)
    return ScaleFit(variance=s2, tau_s=math.exp(best), rel_sigma=math.sqrt(var_ln_s2),
                    at_bound=at_bound)
