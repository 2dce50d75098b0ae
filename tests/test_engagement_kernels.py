"""Engagement kernels against hand-worked numbers and independent computations: intercept (polynomial roots
from numpy.roots), time to go, ranking, the fused compiled kernel against the NumPy composition, leak times,
launchers and reloads."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from airpicture.engagement.battery import Magazine
from airpicture.engagement.intercept import in_envelope, solve_intercept
from airpicture.engagement.kernels import (
    ENGAGEABLE,
    NOT_THREAT,
    OUT_OF_ENVELOPE,
    TOO_LATE,
    Evaluation,
    InterceptTables,
    evaluate_tracks,
    evaluate_tracks_numpy,
)
from airpicture.engagement.leakers import leak_times
from airpicture.engagement.threat import KIND_PRIORITY_BY_INDEX, threat_order, time_to_go
from airpicture.scenario import ALL_KINDS, Battery
from tests.test_engagement_support import Flights

finite = st.floats(-1e5, 1e5, allow_nan=False)
speed = st.floats(-800.0, 800.0, allow_nan=False)


def earliest_root(r: np.ndarray, v: np.ndarray, s: float) -> float:
    """Smallest real non-negative root of |r + v tau|^2 = (s tau)^2 by numpy.roots (companion eigenvalues)."""
    if r @ r == 0.0:
        return 0.0  # already there
    coeffs = [v @ v - s * s, 2 * (r @ v), r @ r]
    while coeffs and abs(coeffs[0]) < 1e-12 * max(1.0, abs(coeffs[-1])):
        coeffs = coeffs[1:]
    if len(coeffs) < 2:
        return math.inf
    roots = np.roots(coeffs)
    real = [z.real for z in roots if abs(z.imag) <= 1e-9 * max(1.0, abs(z.real)) and z.real >= -1e-9]
    return max(min(real), 0.0) if real else math.inf


@settings(max_examples=200, deadline=None)
@given(st.tuples(finite, finite, st.floats(0, 3e4)), st.tuples(speed, speed, st.floats(-300, 300)),
       st.floats(200.0, 3000.0))
def test_intercept_is_the_earliest_root(p, v, s):
    p, v = np.array(p), np.array(v)
    assume(np.linalg.norm(p) > 1.0)  # targets at least a metre from the launcher
    sol = solve_intercept(p[None], v[None], 0.0, 0.0, np.zeros(3), s)
    ref = earliest_root(p, v, s)
    tau = sol.intercept_time_s[0] if sol.feasible[0] else math.inf
    if min(ref, tau) > 1e5:
        return  # no intercept within a day's flight either way (degenerate, equal speeds): beyond any envelope
    if not sol.feasible[0]:  # only a grazing double root may be lost to rounding
        assert abs((p @ v) ** 2 - (v @ v - s * s) * (p @ p)) <= 1e-6 * (p @ v) ** 2
        return
    assert tau == pytest.approx(ref, rel=1e-6, abs=1e-6)
    # the aim point is where the target will be, at the interceptor's flyout distance
    assert np.allclose(sol.point_m[0], p + v * tau, rtol=0, atol=1e-6 * (1 + np.abs(p).max()))
    assert np.linalg.norm(sol.point_m[0]) == pytest.approx(s * tau, rel=1e-6, abs=1e-3)
    assert sol.range_m[0] == pytest.approx(s * tau)


def test_intercept_hand_worked_head_on_and_crossing():
    # head-on: target 30 km north closing at 300 m/s, interceptor 1200 m/s: tau = 30000 / 1500 = 20 s
    sol = solve_intercept(np.array([[0.0, 30e3, 0.0]]), np.array([[0.0, -300.0, 0.0]]), 0.0, 0.0, np.zeros(3), 1200.0)
    assert sol.intercept_time_s[0] == pytest.approx(20.0) and sol.range_m[0] == pytest.approx(24e3)
    # crossing: target 9 km north moving east at 300 m/s, interceptor 500 m/s: (500^2 - 300^2) tau^2 = 9000^2,
    # tau = 9000 / 400 = 22.5 s; launched 10 s after the state time, the target is 3 km further east first
    sol = solve_intercept(np.array([[0.0, 9e3, 0.0]]), np.array([[300.0, 0.0, 0.0]]), 0.0, 0.0, np.zeros(3), 500.0)
    assert sol.intercept_time_s[0] == pytest.approx(22.5)
    assert np.allclose(sol.point_m[0], [6750.0, 9000.0, 0.0])
    late = solve_intercept(np.array([[0.0, 9e3, 0.0]]), np.array([[300.0, 0.0, 0.0]]), 0.0, 10.0, np.zeros(3), 500.0)
    assert late.launch_time_s[0] == 10.0 and late.point_m[0, 0] > 3000.0
    # a faster target flying away can never be caught
    away = solve_intercept(np.array([[0.0, 9e3, 0.0]]), np.array([[0.0, 900.0, 0.0]]), 0.0, 0.0, np.zeros(3), 500.0)
    assert not away.feasible[0] and np.isinf(away.intercept_time_s[0])


def test_envelope_bounds_are_inclusive():
    r = np.array([3000.0, 2999.9, 150e3, 150e3 + 1, 5e4, 5e4])
    h = np.array([10.0, 10.0, 27e3, 100.0, 9.99, 27e3 + 1])
    ok = in_envelope(r, h, 3000.0, 150e3, 10.0, 27e3)
    assert ok.tolist() == [True, False, True, False, False, False]


def test_time_to_go_hand_worked():
    assets = np.array([[0.0, 0.0], [50e3, 0.0]])
    radius = np.array([1000.0, 2000.0])
    x = np.array([
        [0.0, 10e3, 5e3, 0.0, -100.0, 0.0],  # closing on asset 0: (10000 - 1000) / 100 = 90 s
        [0.0, 10e3, 5e3, 0.0, 100.0, 0.0],  # opening from both
        [40e3, 0.0, 0.0, 200.0, 0.0, 0.0],  # closing on asset 1 at 200 m/s: (10000 - 2000) / 200 = 40 s
        [500.0, 0.0, 0.0, 0.0, 0.0, 0.0],  # already inside asset 0's radius
        [30e3, 40e3, 0.0, -30.0, -40.0, 0.0],  # closing on 0 at 50 m/s (49 km / 50 = 980 s)
    ])
    ta = time_to_go(x, assets, radius)
    assert ta.asset.tolist() == [0, -1, 1, 0, 0]
    assert ta.time_to_go_s[0] == pytest.approx(90.0) and math.isinf(ta.time_to_go_s[1])
    assert ta.time_to_go_s[2] == pytest.approx(40.0) and ta.time_to_go_s[3] == 0.0
    assert ta.time_to_go_s[4] == pytest.approx(980.0)


def test_threat_order_by_time_to_go_bins_then_kind():
    kind = np.array([ALL_KINDS.index(k) for k in ("drone", "ballistic_missile", "aircraft", "cruise_missile")])
    tgo = np.array([100.2, 101.0, 94.0, 101.0])
    order = threat_order(tgo, KIND_PRIORITY_BY_INDEX[kind], np.array([1, 2, 3, 4]))
    # the aircraft is in an earlier 5 s bin; in [100, 105) the ballistic missile beats the cruise missile, which
    # beats the drone although the drone is 0.8 s sooner
    assert order.tolist() == [2, 1, 3, 0]


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 40), st.integers(0, 2**32 - 1))
def test_compiled_kernel_equals_numpy_reference(k, seed):
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.uniform(-150e3, 150e3, (k, 2)), rng.uniform(-100, 20e3, (k, 1)),
                        rng.uniform(-900, 900, (k, 3))], axis=1)
    cand = rng.random(k) < 0.8
    kind = rng.integers(0, len(ALL_KINDS), k)
    assets = rng.uniform(-20e3, 20e3, (3, 2))
    radius = rng.uniform(500, 3000, 3)
    launcher = np.array([1000.0, -500.0, 0.0])
    limits = (rng.uniform(0, 5e3, 6), rng.uniform(20e3, 150e3, 6), rng.uniform(0, 100, 6), rng.uniform(5e3, 3e4, 6))
    args = (x, cand, kind, 50.0, 55.0, InterceptTables(assets, radius, launcher, 1200.0, *limits, 6.371e6))
    out = Evaluation.empty(k)
    evaluate_tracks(*args, out)
    ref = evaluate_tracks_numpy(*args)
    assert out[0].tolist() == ref[0].tolist()
    assert np.allclose(out[1], ref[1], rtol=1e-12, atol=0) or np.array_equal(out[1], ref[1])
    assert out[2].tolist() == ref[2].tolist()
    finite_ = np.isfinite(ref[3])
    assert np.array_equal(np.isfinite(out[3]), finite_)
    assert np.allclose(out[3][finite_], ref[3][finite_], rtol=1e-12)
    assert set(out[0].tolist()) <= {NOT_THREAT, OUT_OF_ENVELOPE, TOO_LATE, ENGAGEABLE}


def test_leak_time_of_a_straight_pass_and_a_miss():
    fl = Flights(300.0)
    fl.add((3000.0, 60e3, 500.0), (0.0, -250.0, 0.0), t1=300.0)  # passes 3 km east of the asset (radius 5 km)
    fl.add((9000.0, 60e3, 500.0), (0.0, -250.0, 0.0), t1=300.0)  # passes 9 km east: never within 5 km
    fl.add((3000.0, 60e3, 500.0), (0.0, -250.0, 0.0), t1=300.0, hostile=False)  # civil: no asset
    truth = fl.truth()
    lt = leak_times(truth, np.zeros((1, 2)), np.array([5000.0]))
    # enters the 5 km circle at north = 4 km (3-4-5 triangle): (60 - 4) km / 250 m/s = 224 s
    assert lt[0] == pytest.approx(224.0, abs=1e-9)
    assert math.isinf(lt[1]) and math.isinf(lt[2])


def test_magazine_takes_rounds_and_reloads_from_spares():
    b = Battery(name="b", defends=["a"], launchers=2, rounds_per_launcher=2, reload_rounds=3, reload_time_s=60.0)
    m = Magazine.of(b)
    assert (m.ready_total, m.inventory_left) == (4, 7)
    assert m.take(10.0, 3).tolist() == [0, 0, 1]  # launcher 0 empties first and starts reloading
    assert (m.ready_total, m.spares, m.loading.tolist()) == (1, 1, [2, 0])
    m.advance(69.9)
    assert m.ready_total == 1
    m.advance(70.0)
    assert m.ready.tolist() == [2, 1] and m.inventory_left == 4
    m.take(71.0, 3)  # launcher 0 empties again and gets the last spare; launcher 1 empties with none left
    assert m.loading.tolist() == [1, 0] and m.spares == 0 and m.inventory_left == 1
    with pytest.raises(ValueError):
        m.take(72.0, 1)
    m.advance(131.0)
    assert m.ready.tolist() == [1, 0] and m.inventory_left == 1
