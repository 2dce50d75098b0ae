"""GOSPA: against brute force over all assignments, metric properties, its parts, and Stone Soup."""

from __future__ import annotations

import itertools
from datetime import datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from airpicture.metrics.gospa import assign_within_cutoff, gospa

# Coordinates on a coarse grid so that ties and distances close to the cut-off occur often.
coord = st.integers(-6, 6).map(lambda v: v * 250.0)
point = st.tuples(coord, coord, coord)
point_set = st.lists(point, min_size=0, max_size=4).map(lambda v: np.array(v, dtype=float).reshape(-1, 3))
cutoff = st.sampled_from([300.0, 1000.0, 2500.0])


def _dist(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.sum((a - b) ** 2)))


def brute_force_partial(x: np.ndarray, y: np.ndarray, c: float, p: float) -> float:
    """GOSPA^p (alpha = 2) as the minimum over every one-to-one partial assignment (no cut-off on distances):
    the assignment-set form of Rahmathullah et al. 2017, Proposition 1."""
    n, m = len(x), len(y)
    best = np.inf
    for k in range(min(n, m) + 1):
        for rows in itertools.combinations(range(n), k):
            for cols in itertools.permutations(range(m), k):
                cost = sum(_dist(x[i], y[j]) ** p for i, j in zip(rows, cols, strict=True))
                best = min(best, cost + c**p / 2 * (n + m - 2 * k))
    return best


def brute_force_permutation(x: np.ndarray, y: np.ndarray, c: float, p: float, alpha: float) -> float:
    """GOSPA^p as defined in the paper (eq. 1): the smaller set mapped injectively into the larger one with the
    cut-off distance min(d, c), plus c^p / alpha per unmatched element of the larger set."""
    if len(x) > len(y):
        x, y = y, x
    n, m = len(x), len(y)
    best = np.inf
    for cols in itertools.permutations(range(m), n):
        cost = sum(min(_dist(x[i], y[j]), c) ** p for i, j in enumerate(cols))
        best = min(best, cost)
    if n == 0:
        best = 0.0
    return best + c**p / alpha * (m - n)


@settings(max_examples=150, deadline=None)
@given(point_set, point_set, cutoff, st.sampled_from([1.0, 2.0, 3.0]))
def test_equals_brute_force_over_partial_assignments(x, y, c, p) -> None:
    r = gospa(x, y, c, p=p)
    assert r.total_m**p == pytest.approx(brute_force_partial(x, y, c, p), rel=1e-9, abs=1e-6)


@settings(max_examples=100, deadline=None)
@given(point_set, point_set, cutoff, st.sampled_from([0.5, 1.0, 1.5, 2.0]))
def test_general_alpha_equals_brute_force_over_permutations(x, y, c, alpha) -> None:
    r = gospa(x, y, c, p=2.0, alpha=alpha)
    assert r.total_m**2 == pytest.approx(brute_force_permutation(x, y, c, 2.0, alpha), rel=1e-9, abs=1e-6)
    assert r.localisation_m2 + r.missed_m2 + r.false_m2 == pytest.approx(r.total_m**2, rel=1e-12, abs=1e-9)


@settings(max_examples=150, deadline=None)
@given(point_set, point_set, cutoff)
def test_parts_add_up_and_describe_the_assignment(x, y, c) -> None:
    r = gospa(x, y, c)
    pairs = r.pairs
    # one-to-one, every pair closer than c
    assert len(set(pairs[:, 0].tolist())) == len(pairs) == len(set(pairs[:, 1].tolist()))
    d = np.array([_dist(x[i], y[j]) for i, j in pairs])
    assert np.all(d < c)
    assert r.localisation_m2 == pytest.approx(float(np.sum(d**2)), rel=1e-12, abs=1e-9)
    assert r.n_missed == len(x) - len(pairs)
    assert r.n_false == len(y) - len(pairs)
    assert r.missed_m2 == pytest.approx(c**2 / 2 * r.n_missed)
    assert r.false_m2 == pytest.approx(c**2 / 2 * r.n_false)
    assert r.total_m**2 == pytest.approx(r.localisation_m2 + r.missed_m2 + r.false_m2, rel=1e-12, abs=1e-9)


@settings(max_examples=150, deadline=None)
@given(point_set, point_set, cutoff)
def test_zero_exactly_for_equal_sets_and_symmetric(x, y, c) -> None:
    assert gospa(x, x, c).total_m == 0.0
    assert gospa(x, x[::-1], c).total_m == pytest.approx(0.0, abs=1e-9)
    same = sorted(map(tuple, x)) == sorted(map(tuple, y))
    d_xy, d_yx = gospa(x, y, c), gospa(y, x, c)
    assert (d_xy.total_m == 0.0) == same
    assert d_xy.total_m == pytest.approx(d_yx.total_m, rel=1e-12)
    assert d_xy.missed_m2 == pytest.approx(d_yx.false_m2)
    assert d_xy.n_missed == d_yx.n_false


@settings(max_examples=200, deadline=None)
@given(point_set, point_set, point_set, cutoff, st.sampled_from([(1.0, 2.0), (2.0, 2.0), (2.0, 1.0)]))
def test_triangle_inequality(x, y, z, c, p_alpha) -> None:
    p, alpha = p_alpha
    xz = gospa(x, z, c, p, alpha).total_m
    xy = gospa(x, y, c, p, alpha).total_m
    yz = gospa(y, z, c, p, alpha).total_m
    assert xz <= xy + yz + 1e-9 * max(1.0, xz)


def test_hand_worked_example() -> None:
    truth = np.array([[0.0, 0.0, 0.0], [10_000.0, 0.0, 0.0], [0.0, 50_000.0, 1000.0]])
    tracks = np.array([[3.0, 4.0, 0.0], [10_000.0, 0.0, 120.0], [90_000.0, 0.0, 0.0], [30.0, 40.0, 0.0]])
    r = gospa(truth, tracks, c=2000.0)
    # truth 0 <-> track 0 (5 m), truth 1 <-> track 1 (120 m); truth 2 missed; tracks 2 and 3 false
    assert r.pairs.tolist() == [[0, 0], [1, 1]]
    assert r.localisation_m2 == pytest.approx(25.0 + 14_400.0)
    assert (r.n_missed, r.n_false) == (1, 2)
    assert r.missed_m2 == pytest.approx(2000.0**2 / 2)
    assert r.false_m2 == pytest.approx(2 * 2000.0**2 / 2)
    assert r.total_m == pytest.approx(np.sqrt(14_425.0 + 3 * 2_000_000.0))


def test_empty_sets() -> None:
    assert gospa(np.zeros((0, 3)), np.zeros((0, 3)), 100.0).total_m == 0.0
    r = gospa(np.zeros((3, 3)), np.zeros((0, 3)), 100.0)
    assert (r.n_missed, r.n_false, r.missed_m2, r.false_m2) == (3, 0, 15_000.0, 0.0)
    assert r.total_m == pytest.approx(np.sqrt(15_000.0))
    assert r.pairs.shape == (0, 2)


def test_distance_exactly_at_cutoff_is_not_assigned() -> None:
    r = gospa(np.array([[0.0, 0.0, 0.0]]), np.array([[100.0, 0.0, 0.0]]), c=100.0)
    assert (r.n_missed, r.n_false, len(r.pairs)) == (1, 1, 0)
    assert r.total_m == pytest.approx(100.0)


@pytest.mark.parametrize("bad", [{"c": 0.0}, {"c": np.inf}, {"c": 10.0, "p": 0.5}, {"c": 10.0, "alpha": 2.5},
                                 {"c": 10.0, "alpha": 0.0}])
def test_bad_parameters_raise(bad) -> None:
    with pytest.raises(ValueError):
        gospa(np.zeros((1, 3)), np.zeros((1, 3)), **bad)


def test_bad_shapes_raise() -> None:
    with pytest.raises(ValueError):
        gospa(np.zeros((2, 2)), np.zeros((1, 3)), 10.0)
    with pytest.raises(ValueError):
        gospa(np.array([[np.nan, 0.0, 0.0]]), np.zeros((1, 3)), 10.0)


def _dense_reference(x: np.ndarray, y: np.ndarray, c: float) -> float:
    """GOSPA^2 from one dense linear_sum_assignment on min(d, c)^2 plus c^2/2 per unmatched element."""
    if len(x) == 0 or len(y) == 0:
        return c**2 / 2 * (len(x) + len(y))
    d = np.sqrt(((x[:, None, :] - y[None, :, :]) ** 2).sum(-1))
    cost = np.minimum(d, c) ** 2
    r, k = linear_sum_assignment(cost)
    return float(cost[r, k].sum()) + c**2 / 2 * abs(len(x) - len(y))


@pytest.mark.parametrize("seed", range(6))
def test_large_clustered_sets_match_one_dense_assignment(seed: int) -> None:
    """Close formations make big connected components: the split into components must not change the optimum."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-50_000, 50_000, (12, 3))
    x = np.repeat(centres, 25, axis=0) + rng.normal(0, 600, (300, 3))
    keep = rng.random(300) < 0.8
    y = x[keep] + rng.normal(0, 400, (int(keep.sum()), 3))
    y = np.concatenate([y, rng.uniform(-50_000, 50_000, (30, 3))])
    c = float(rng.choice([500.0, 1500.0, 5000.0]))
    r = gospa(x, y, c)
    assert r.total_m**2 == pytest.approx(_dense_reference(x, y, c), rel=1e-9)


def test_groups_are_solved_independently() -> None:
    rng = np.random.default_rng(7)
    sizes = [(5, 3), (0, 4), (6, 0), (8, 8), (1, 1)]
    tg, tp, kg, kp, ref = [], [], [], [], []
    for g, (n, m) in enumerate(sizes):
        # every group at the same place: only the group number keeps them apart
        x = rng.normal(0, 300, (n, 3))
        y = rng.normal(0, 300, (m, 3))
        tg.append(np.full(n, g)), tp.append(x), kg.append(np.full(m, g)), kp.append(y)
        ref.append(gospa(x, y, 400.0).localisation_m2)
    ti, kj, d = assign_within_cutoff(np.concatenate(tg), np.concatenate(tp), np.concatenate(kg),
                                     np.concatenate(kp), 400.0)
    truth_group = np.concatenate(tg)[ti]
    assert np.array_equal(truth_group, np.concatenate(kg)[kj])
    loc = np.bincount(truth_group, weights=d**2, minlength=len(sizes))
    assert np.allclose(loc, ref, rtol=1e-12, atol=1e-9)


def test_agrees_with_stone_soup_gospa() -> None:
    stonesoup = pytest.importorskip("stonesoup")
    from stonesoup.measures import Euclidean
    from stonesoup.metricgenerator.ospametric import GOSPAMetric
    from stonesoup.types.state import State

    assert stonesoup.__version__
    rng = np.random.default_rng(11)
    now = datetime(2024, 1, 1)
    metric = None
    for trial in range(40):
        n, m = int(rng.integers(0, 9)), int(rng.integers(0, 9))
        x = rng.uniform(-3000, 3000, (n, 3))
        y = np.concatenate([x[: min(n, m)] + rng.normal(0, 700, (min(n, m), 3)),
                            rng.uniform(-3000, 3000, (max(m - n, 0), 3))])
        c = float(rng.choice([500.0, 1000.0, 3000.0]))
        metric = GOSPAMetric(c=c, p=2, measure=Euclidean(mapping=[0, 1, 2]))
        truth_states = [State(v.reshape(3, 1), timestamp=now) for v in x]
        track_states = [State(v.reshape(3, 1), timestamp=now) for v in y]
        if n == 0 and m == 0:
            continue
        theirs, _ = metric.compute_gospa_metric(track_states, truth_states)
        ours = gospa(x, y, c)
        v = theirs.value
        assert ours.total_m == pytest.approx(float(v["distance"]), rel=1e-9, abs=1e-9), trial
        assert ours.localisation_m2 == pytest.approx(float(v["localisation"]), rel=1e-9, abs=1e-6), trial
        assert ours.missed_m2 == pytest.approx(float(v["missed"]), rel=1e-12, abs=1e-6), trial
        assert ours.false_m2 == pytest.approx(float(v["false"]), rel=1e-12, abs=1e-6), trial
    assert metric is not None
