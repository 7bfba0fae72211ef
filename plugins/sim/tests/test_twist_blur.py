"""The simulator's honest physics: long pendulum along the field, motion blur, hat curve."""

from __future__ import annotations

import math

import numpy as np
import pytest
from magscope_sim import KT_PN_NM, BeadField, TetherParams, ou_exposure, ou_step, wlc_extension
from magscope_sim._twist import (
    MELTING_FORCE_PN,
    buckling_turns,
    hat_extension,
    plectoneme_slope_nm_per_turn,
)

L0 = 2000.0
R = 500.0


def _field(n: int, force: float, seed: int = 3) -> BeadField:
    return BeadField(np.zeros((n, 2)), np.ones(n, bool), TetherParams(bead_radius_nm=R),
                     force_pn=force, seed=seed)


def test_pendulum_is_long_along_the_field_and_short_across_it():
    f = 4.0
    field = _field(3000, f)
    ext = field.mean_extension_nm
    k = field.stiffness_pn_per_nm
    assert k[0] == pytest.approx(f / (ext + R))
    assert k[1] == pytest.approx(f / ext)
    field.step(1.0)  # >> every relaxation time: independent draws
    x, y, _ = field.positions()
    assert np.var(x) == pytest.approx(KT_PN_NM * (ext + R) / f, rel=0.07)
    assert np.var(y) == pytest.approx(KT_PN_NM * ext / f, rel=0.07)


@pytest.mark.parametrize("force", [1.0, 10.0])
def test_exposure_averages_the_position_like_a_camera(force: float):
    field = _field(3000, force)
    dt = 0.01
    field.step(1.0)
    instant_var = np.var(field.positions()[0])
    field.step(dt, exposure_s=dt)
    x, _, _ = field.positions()
    u = dt / field.tau_s[0]
    blurred = field.variance_nm2[0] * 2.0 * (u - 1.0 + math.exp(-u)) / u**2
    assert np.var(x) == pytest.approx(blurred, rel=0.08)
    assert np.var(x) < instant_var


def test_exposure_keeps_successive_frames_correlated_as_the_exact_process():
    field = _field(4000, 2.0)
    dt = 0.01
    field.step(1.0)
    field.step(dt, exposure_s=dt)
    x0 = field.positions()[0].copy()
    field.step(dt, exposure_s=dt)
    x1 = field.positions()[0]
    tau = field.tau_s[0]
    u = dt / tau
    c0 = 2.0 * (u - 1.0 + math.exp(-u)) / u**2
    c1 = ((1.0 - math.exp(-u)) / u) ** 2  # W = dt: exp(-(dt - W)/tau) = 1
    assert np.corrcoef(x0, x1)[0, 1] == pytest.approx(c1 / c0, abs=0.04)


@pytest.mark.parametrize("u", [1e-4, 0.3, 4.0])
def test_exact_exposure_average_equals_many_exact_substeps(u: float):
    """The joint (end, average) draw against 400 exact sub-steps, from the same start."""
    rng = np.random.default_rng(7)
    n, tau, s2, x0 = 20_000, 1.0, 4.0, 1.5
    start = np.full(n, x0)
    end, avg = ou_exposure(start, 0.0, tau, s2, u * tau, rng)
    x, acc, k = start.copy(), np.zeros(n), 400
    for _ in range(k):  # midpoint rule on exact sub-steps
        half = ou_step(x, 0.0, tau, s2, u * tau / (2 * k), rng)
        acc += half
        x = ou_step(half, 0.0, tau, s2, u * tau / (2 * k), rng)
    ref_avg = acc / k
    for a, b in ((end, x), (avg, ref_avg)):
        assert np.mean(a) == pytest.approx(np.mean(b), abs=0.03 * math.sqrt(s2))
        assert np.var(a) == pytest.approx(np.var(b), rel=0.05, abs=1e-6)
    assert np.cov(end, avg)[0, 1] == pytest.approx(np.cov(x, ref_avg)[0, 1], rel=0.06,
                                                   abs=1e-6)


def test_bad_exposure_is_refused():
    with pytest.raises(ValueError, match="exposure must be >= 0"):
        _field(2, 1.0).step(0.01, exposure_s=-1.0)


def test_hat_curve_is_flat_then_falls_linearly_past_buckling():
    f = 0.5
    ext0 = float(wlc_extension(f, L0))
    nb = buckling_turns(f, L0)
    assert 3 < nb < 30
    turns = np.arange(-60, 61, 1.0)
    ext = np.array([hat_extension(ext0, t, f, L0) for t in turns])
    flat = np.abs(turns) <= nb
    assert np.all(ext[flat] == ext0)
    past = (turns > nb + 1) & (ext > 100)
    slope = np.polyfit(turns[past], ext[past], 1)[0]
    assert slope == pytest.approx(-plectoneme_slope_nm_per_turn(f), rel=1e-6)
    assert 40 <= -slope <= 90
    np.testing.assert_allclose(ext, ext[::-1])  # symmetric below the melting force


def test_hat_curve_slope_shrinks_and_buckling_moves_out_with_force():
    assert plectoneme_slope_nm_per_turn(2.0) < plectoneme_slope_nm_per_turn(0.2)
    assert buckling_turns(2.0, L0) > buckling_turns(0.2, L0)
    assert 40 <= plectoneme_slope_nm_per_turn(2.0) <= plectoneme_slope_nm_per_turn(0.2) <= 90


def test_negative_turns_melt_dna_above_the_melting_force():
    f = 2 * MELTING_FORCE_PN
    ext0 = float(wlc_extension(f, L0))
    assert hat_extension(ext0, -80.0, f, L0) == ext0
    assert hat_extension(ext0, 80.0, f, L0) < ext0 - 500


def test_bead_field_follows_the_turns():
    field = _field(200, 0.5)
    flat = field.mean_extension_nm
    field.set_turns(40.0)
    assert field.turns == 40.0
    assert field.mean_extension_nm < flat - 1000
    field.step(2.0)
    z = field.positions()[2] - R
    assert np.mean(z) == pytest.approx(field.mean_extension_nm, abs=30)
    field.set_turns(0.0)
    assert field.mean_extension_nm == flat
    with pytest.raises(ValueError, match="turns must be finite"):
        field.set_turns(math.nan)
