"""Radar physics kernels against independent references: numerical integration, textbook approximations and
the radar equation written out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import constants, integrate, special, stats

from airpicture.scenario import RadarEquationSensitivity, ReferenceSensitivity
from airpicture.sensors.physics import (
    above_horizon,
    detection_probability,
    mean_snr_db,
    radar_horizon_m,
    snr_constant,
    square_law_statistic,
    threshold_from_pfa,
)

EARTH_R = 6_371_000.0


def rice_pd(snr: float, pfa: float) -> float:
    """Pd of a steady target by integrating the Rice density of the envelope r = |sqrt(S) + n|, n ~ CN(0, 1),
    above sqrt(-ln pfa) (no Marcum Q function involved)."""
    sigma2 = 0.5
    a = math.sqrt(snr)

    def pdf(r: float) -> float:
        # I0(x) exp(-x) = i0e(x): keeps the product finite for large arguments
        x = r * a / sigma2
        return r / sigma2 * math.exp(-((r - a) ** 2) / (2 * sigma2)) * special.i0e(x)

    lower = math.sqrt(-math.log(pfa))
    upper = a + 40.0
    value, _ = integrate.quad(pdf, lower, upper, limit=200, points=[a] if lower < a < upper else None)
    return value


def fluctuating_pd(snr_mean: float, pfa: float, dof: int) -> float:
    """Average the steady-target Pd over a chi-square RCS with ``dof`` degrees of freedom (mean snr_mean)."""
    shape = dof / 2
    scale = snr_mean / shape
    t = -math.log(pfa)

    def integrand(s: float) -> float:
        return stats.gamma.pdf(s, shape, scale=scale) * stats.ncx2.sf(2 * t, 2, 2 * s)

    value, _ = integrate.quad(integrand, 0.0, np.inf, limit=400)
    return value


@pytest.mark.parametrize("snr_db", [-5.0, 0.0, 6.0, 10.0, 13.0, 16.0, 20.0])
@pytest.mark.parametrize("pfa", [1e-3, 1e-6])
def test_swerling0_matches_rice_integral(snr_db: float, pfa: float) -> None:
    expected = rice_pd(10 ** (snr_db / 10), pfa)
    assert detection_probability(snr_db, pfa, 0) == pytest.approx(expected, abs=1e-7, rel=1e-6)


@pytest.mark.parametrize("snr_db", [-3.0, 5.0, 10.0, 15.0, 20.0, 25.0])
@pytest.mark.parametrize(("swerling", "dof"), [(1, 2), (3, 4)])
def test_fluctuating_closed_forms_match_averaged_marcum(snr_db: float, swerling: int, dof: int) -> None:
    pfa = 1e-6
    expected = fluctuating_pd(10 ** (snr_db / 10), pfa, dof)
    assert detection_probability(snr_db, pfa, swerling) == pytest.approx(expected, abs=1e-8, rel=1e-6)


def test_albersheim_required_snr_for_steady_target() -> None:
    # Albersheim's approximation (single pulse): SNR = A + 0.12 A B + 1.7 B, A = ln(0.62/Pfa), B = ln(Pd/(1-Pd)),
    # accurate to about 0.2 dB.
    for pd, pfa in [(0.9, 1e-6), (0.5, 1e-4), (0.99, 1e-8)]:
        a = math.log(0.62 / pfa)
        b = math.log(pd / (1 - pd))
        snr_db = 10 * math.log10(a + 0.12 * a * b + 1.7 * b)
        assert float(detection_probability(snr_db - 0.2, pfa, 0)) < pd < float(detection_probability(snr_db + 0.2,
                                                                                                      pfa, 0))


@pytest.mark.parametrize("swerling", [0, 1, 3])
def test_pd_tends_to_pfa_without_signal_and_to_one_with_strong_signal(swerling: int) -> None:
    assert detection_probability(-60.0, 1e-4, swerling) == pytest.approx(1e-4, rel=1e-3)
    assert detection_probability(60.0, 1e-4, swerling) == pytest.approx(1.0, abs=1e-4)


@settings(max_examples=60, deadline=None)
@given(lo=st.floats(-20, 40), delta=st.floats(0.01, 10), pfa=st.floats(1e-10, 0.1),
       swerling=st.sampled_from([0, 1, 3]))
def test_pd_increases_with_snr(lo: float, delta: float, pfa: float, swerling: int) -> None:
    p = detection_probability(np.array([lo, lo + delta]), pfa, swerling)
    assert 0.0 <= p[0] <= p[1] <= 1.0


def test_fluctuation_costs_snr_at_high_pd() -> None:
    # at Pd = 0.9 a fluctuating target needs more SNR than a steady one, Swerling 1 more than Swerling 3
    snr = np.linspace(5, 35, 3001)
    need = {c: snr[np.argmax(detection_probability(snr, 1e-6, c) >= 0.9)] for c in (0, 1, 3)}
    assert need[0] < need[3] < need[1]
    assert 7.0 < need[1] - need[0] < 9.5  # the classic ~8 dB fluctuation loss at Pd 0.9


def test_unknown_swerling_case_is_refused() -> None:
    with pytest.raises(ValueError, match="Swerling"):
        detection_probability(10.0, 1e-6, 2)


def test_noise_only_statistic_crosses_threshold_at_pfa() -> None:
    rng = np.random.default_rng(11)
    pfa = 0.01
    n = 400_000
    z = square_law_statistic(rng, np.zeros(n))
    crossings = int(np.sum(z > threshold_from_pfa(pfa)))
    lo, hi = stats.binom.interval(0.999, n, pfa)
    assert lo <= crossings <= hi


def test_reference_sensitivity_scales_as_rcs_over_r4() -> None:
    sens = ReferenceSensitivity(snr_db=20.0, range_m=100e3, rcs_m2=1.0)
    snr = mean_snr_db(sens, np.array([1.0, 10.0, 1.0, 0.1]), np.array([100e3, 100e3, 50e3, 200e3]))
    expected = [20.0, 30.0, 20.0 + 40 * math.log10(2), 20.0 - 10.0 - 40 * math.log10(2)]
    np.testing.assert_allclose(snr, expected, atol=1e-9)


def test_radar_equation_by_hand() -> None:
    sens = RadarEquationSensitivity(peak_power_w=1e6, antenna_gain_db=40.0, frequency_hz=3e9, noise_figure_db=3.0,
                                    losses_db=6.0, bandwidth_hz=1e6, pulses_integrated=10)
    wavelength = constants.c / 3e9
    num = 1e6 * (1e4) ** 2 * wavelength**2 * 2.0 * 10
    den = (4 * math.pi) ** 3 * 100e3**4 * constants.k * 290.0 * 10 ** 0.3 * 1e6 * 10 ** 0.6
    assert float(mean_snr_db(sens, 2.0, 100e3)) == pytest.approx(10 * math.log10(num / den), abs=1e-9)
    # equivalent reference form gives the same SNR anywhere
    ref = ReferenceSensitivity(snr_db=float(mean_snr_db(sens, 1.0, 50e3)), range_m=50e3, rcs_m2=1.0)
    assert snr_constant(ref) == pytest.approx(snr_constant(sens), rel=1e-12)


def test_horizon_formula_value() -> None:
    # 4/3 Earth: d = sqrt(2 k R h1) + sqrt(2 k R h2); ~4.12 sqrt(h) km for h in metres
    d = radar_horizon_m(25.0, 100.0, EARTH_R)
    assert d / 1e3 == pytest.approx(4.12 * (math.sqrt(25.0) + math.sqrt(100.0)), rel=0.01)


@pytest.mark.parametrize(("h1", "h2"), [(10.0, 30.0), (25.0, 300.0), (50.0, 10_000.0), (0.0, 1000.0)])
@pytest.mark.parametrize("k", [4.0 / 3.0, 1.0])
def test_exact_line_of_sight_switches_at_the_textbook_horizon(h1: float, h2: float, k: float) -> None:
    ground = np.linspace(1e3, 600e3, 200_001)
    visible = above_horizon(ground / EARTH_R, h1, h2, EARTH_R, k)
    last = ground[visible][-1]
    assert not visible[ground > last].any()
    assert last == pytest.approx(radar_horizon_m(h1, h2, EARTH_R, k), rel=2e-3)
