"""Sweep statistics against independent formulas: Erlang B from its textbook definition and from Poisson
probabilities (scipy), Wilson intervals from scipy's binomtest, t intervals from tables and by coverage, the
arrival period by simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from airpicture.scenario import Battery
from airpicture.sweep.analysis import (
    arrival_period,
    erlang_b,
    leak_probability,
    leak_probability_engaged,
    mixed_leak_probability_engaged,
    probability_any,
    t_interval,
    wilson_interval,
)


def erlang_b_definition(c: int, a: float) -> float:
    """B(c, A) = (A^c / c!) / sum_{k=0..c} A^k / k! (Erlang 1917), straight from the definition."""
    terms = [a**k / math.factorial(k) for k in range(c + 1)]
    return terms[-1] / sum(terms)


@pytest.mark.parametrize("c, a", [(1, 1.0), (2, 1.0), (3, 1.0), (6, 2.0), (10, 5.0), (12, 11.0), (30, 20.0)])
def test_erlang_b_matches_its_definition(c, a):
    assert float(erlang_b(c, a)) == pytest.approx(erlang_b_definition(c, a), rel=1e-12)


def test_erlang_b_known_table_values():
    # Hand values: B(1, A) = A / (1 + A); B(2, 1) = 0.5 / 2.5; B(3, 1) = (1/6) / (8/3).
    assert float(erlang_b(1, 3.0)) == pytest.approx(0.75)
    assert float(erlang_b(2, 1.0)) == pytest.approx(0.2)
    assert float(erlang_b(3, 1.0)) == pytest.approx(0.0625)
    # Published Erlang B tables: 10 channels at 5 erlangs block 1.84%; 5 channels at 1.361 erlangs block 1%.
    assert float(erlang_b(10, 5.0)) == pytest.approx(0.01838, abs=5e-5)
    assert float(erlang_b(5, 1.361)) == pytest.approx(0.0100, abs=5e-5)
    assert float(erlang_b(0, 4.0)) == 1.0 and float(erlang_b(4, 0.0)) == 0.0


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 150), st.floats(0.01, 200.0))
def test_erlang_b_equals_truncated_poisson(c, a):
    # B(c, A) = P(N = c | N <= c) for N ~ Poisson(A): an independent route through scipy.
    expected = stats.poisson.pmf(c, a) / stats.poisson.cdf(c, a)
    assert float(erlang_b(c, a)) == pytest.approx(expected, rel=1e-9, abs=1e-300)


def test_erlang_b_is_vectorised_and_monotone():
    loads = np.linspace(0.1, 30, 50)
    b = erlang_b(6, loads)
    assert b.shape == loads.shape
    assert np.all(np.diff(b) > 0)  # more load, more blocking
    assert np.all(erlang_b(7, loads) < b)  # one more channel, less blocking
    with pytest.raises(ValueError):
        erlang_b(3, -1.0)


@pytest.mark.parametrize("n", [2, 5, 40])
def test_arrival_period_is_unbiased_for_arrivals_spread_uniformly(n):
    """Runs whose n arrivals fall uniformly within [100, 160] s: the estimated period averages 60 s, and the rate
    pooled as the figures pool it (sum of arrivals over sum of periods) is n / 60 s."""
    rng = np.random.default_rng(n)
    t = np.sort(rng.uniform(100.0, 160.0, size=(20000, n)), axis=1)
    p10, p90 = np.percentile(t, [10, 90], axis=1)
    period = arrival_period(p10, p90, np.full(len(t), n))
    # standard error of the mean below 0.15 s at every n here; allow 4 of them
    assert period.mean() == pytest.approx(60.0, abs=0.6)
    assert n * len(t) / period.sum() == pytest.approx(n / 60.0, rel=0.01)
    # the first and last arrivals, with fraction 1, are the classic range estimate (n + 1) / (n - 1) x range
    first_last = arrival_period(t[:, 0], t[:, -1], np.full(len(t), n), fraction=1.0)
    assert first_last == pytest.approx((t[:, -1] - t[:, 0]) * (n + 1) / (n - 1))
    assert first_last.mean() == pytest.approx(60.0, abs=0.6)


def test_arrival_period_is_nan_without_a_spread():
    assert np.all(np.isnan(arrival_period([5.0, 5.0, 5.0], [9.0, 5.0, 9.0], [1, 3, 0])))
    assert float(arrival_period(10.0, 18.0, 3)) == pytest.approx(8.0 * 4 / (0.8 * 2))


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 500), st.data())
def test_wilson_interval_matches_scipy(n, data):
    k = data.draw(st.integers(0, n))
    p, lo, hi = wilson_interval(k, n)
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert float(p) == pytest.approx(k / n)
    assert float(lo) == pytest.approx(ci.low, abs=1e-12)
    assert float(hi) == pytest.approx(ci.high, abs=1e-12)


def test_wilson_interval_of_no_trials_is_nan():
    p, lo, hi = wilson_interval(0, 0)
    assert np.isnan(p) and np.isnan(lo) and np.isnan(hi)


def test_t_interval_uses_the_t_table():
    x = np.arange(10.0)  # mean 4.5, s = sqrt(110 / 12), t_{0.975, 9} = 2.262 (printed tables)
    iv = t_interval(x)
    half = 2.262 * math.sqrt(110 / 12) / math.sqrt(10)
    assert iv.estimate == pytest.approx(4.5)
    assert iv.high - iv.estimate == pytest.approx(half, rel=2e-4)
    assert iv.estimate - iv.low == pytest.approx(half, rel=2e-4)
    assert iv.n == 10
    one = t_interval([3.0, np.nan])
    assert one.estimate == 3.0 and one.n == 1 and np.isnan(one.low)


def test_t_interval_covers_the_true_mean_95_percent_of_the_time():
    rng = np.random.default_rng(12345)
    samples = rng.normal(7.0, 2.0, size=(4000, 5))
    covered = 0
    for row in samples:
        iv = t_interval(row)
        covered += iv.low <= 7.0 <= iv.high
    # Binomial(4000, 0.95): standard deviation 0.0034; allow 3 sigma.
    assert abs(covered / 4000 - 0.95) < 0.011


@pytest.mark.parametrize("pk, k", [(0.7, 1), (0.7, 2), (0.5, 4), (0.95, 3)])
def test_salvo_leak_probability_is_binomial_zero_kills(pk, k):
    assert leak_probability_engaged(pk, "salvo", k) == pytest.approx(stats.binom.pmf(0, k, pk))
    # shoot-look-shoot with two shots of k: zero kills in 2k trials
    assert leak_probability_engaged(pk, "shoot_look_shoot", k, 2) == pytest.approx(stats.binom.pmf(0, 2 * k, pk))


def test_leak_probability_and_any_leak():
    assert float(leak_probability(0.0, 0.09)) == pytest.approx(0.09)
    assert float(leak_probability(1.0, 0.09)) == 1.0
    assert float(leak_probability(0.2, 0.1)) == pytest.approx(0.2 + 0.8 * 0.1)
    assert float(probability_any(0.1, 5)) == pytest.approx(stats.binom.sf(0, 5, 0.1))


def test_threat_mix_weights_the_leak_probability():
    battery = Battery(name="b", e_m=0, n_m=0, defends=["a"], pk={"drone": 0.5, "cruise_missile": 0.9},
                      salvo_size=1)
    q = mixed_leak_probability_engaged(battery, {"drone": 3, "cruise_missile": 1})
    assert q == pytest.approx((3 * 0.5 + 1 * 0.1) / 4)
