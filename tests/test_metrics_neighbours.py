"""Candidate pairs for scoring: brute-force and k-d tree searches agree with a plain all-pairs reference."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airpicture.metrics.neighbours import candidate_pairs


def _reference(tg, tp, kg, kp, c):
    d2 = ((tp[:, None, :] - kp[None, :, :]) ** 2).sum(-1)
    ok = (tg[:, None] == kg[None, :]) & (d2 < c * c)
    ti, kj = np.nonzero(ok)  # row-major: sorted by (truth, track)
    return ti, kj, np.sqrt(d2[ti, kj])


def _scene(rng, n_groups, n, m, spread):
    tg = rng.integers(0, n_groups, n)
    kg = rng.integers(0, n_groups, m)
    tp = rng.uniform(-spread, spread, (n, 3))
    kp = np.concatenate([tp[: min(n, m)] + rng.normal(0, 300, (min(n, m), 3)),
                         rng.uniform(-spread, spread, (max(m - n, 0), 3))])
    return tg, tp, kg, kp


@pytest.mark.parametrize("limit", [0, 50, 10**9])  # all k-d tree, mixed, all brute force
@pytest.mark.parametrize("seed", range(4))
def test_both_searches_match_all_pairs(limit: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    tg, tp, kg, kp = _scene(rng, 7, 200, 150, 5000.0)
    c = float(rng.choice([200.0, 800.0, 3000.0]))
    got = candidate_pairs(tg, tp, kg, kp, c, brute_force_max_pairs=limit)
    ref = _reference(tg, tp, kg, kp, c)
    assert np.array_equal(got[0], ref[0]) and np.array_equal(got[1], ref[1])
    assert np.allclose(got[2], ref[2], rtol=1e-12)
    assert got[0].size > 0


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 30), st.integers(0, 30), st.integers(1, 4))
def test_paths_agree_on_random_groups(seed: int, n: int, m: int, groups: int) -> None:
    rng = np.random.default_rng(seed)
    tg, tp, kg, kp = _scene(rng, groups, n, m, 1000.0)
    brute = candidate_pairs(tg, tp, kg, kp, 500.0, brute_force_max_pairs=10**9)
    tree = candidate_pairs(tg, tp, kg, kp, 500.0, brute_force_max_pairs=0)
    for a, b in zip(brute, tree, strict=True):
        assert np.array_equal(a, b)


def test_point_exactly_at_cutoff_is_excluded_by_both() -> None:
    tp = np.array([[0.0, 0.0, 0.0]])
    kp = np.array([[300.0, 400.0, 0.0], [299.0, 400.0, 0.0]])  # 500 m and just under
    for limit in (0, 10**9):
        ti, kj, d = candidate_pairs(np.zeros(1, np.int64), tp, np.zeros(2, np.int64), kp, 500.0, limit)
        assert kj.tolist() == [1]
