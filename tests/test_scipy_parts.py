"""The pieces of SciPy a run needs, without importing the SciPy packages that hold them: the assignment solver
loaded from its extension module (:mod:`airpicture.lsap`), connected components (:mod:`airpicture.graph`) and
the chi-square gate quantiles (:func:`airpicture.tracking.gating.chi_square_quantile`) -- each checked against
SciPy itself."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment as scipy_lsap
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components as scipy_components
from scipy.special import chdtri

from airpicture.graph import connected_components
from airpicture.lsap import linear_sum_assignment
from airpicture.tracking.gating import chi_square_quantile, gate_thresholds


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 8), st.integers(1, 8), st.integers(0, 2**31 - 1), st.booleans(), st.booleans())
def test_assignment_is_scipys(n: int, m: int, seed: int, with_inf: bool, maximize: bool) -> None:
    rng = np.random.default_rng(seed)
    cost = rng.integers(0, 4, (n, m)).astype(float)  # small integers: ties, where a different solver would differ
    if with_inf:
        cost[rng.random((n, m)) < 0.3] = -np.inf if maximize else np.inf
    try:
        ref = scipy_lsap(cost, maximize)
    except ValueError:  # infeasible
        with pytest.raises(ValueError):
            linear_sum_assignment(cost, maximize)
        return
    rows, cols = linear_sum_assignment(cost, maximize)
    assert np.array_equal(rows, ref[0]) and np.array_equal(cols, ref[1])


def test_assignment_loads_without_scipy_optimize() -> None:
    code = ("import sys, numpy as np\nfrom airpicture.lsap import linear_sum_assignment\n"
            "r, c = linear_sum_assignment(np.array([[4.0, 1.0], [2.0, 0.0]]))\n"
            "print(r.tolist(), c.tolist(), 'scipy.optimize' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.split() == ["[0,", "1]", "[1,", "0]", "False"], out.stderr


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 40), st.integers(0, 80), st.integers(0, 2**31 - 1))
def test_components_numbered_as_scipy(n: int, n_edges: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, n, n_edges)
    b = rng.integers(0, n, n_edges)
    label = np.full(n, -7, np.int64)
    count = connected_components(a, b, label)
    ref_count, ref = scipy_components(coo_matrix((np.ones(n_edges), (a, b)), shape=(n, n)), directed=False)
    assert count == ref_count
    assert np.array_equal(label, ref)


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_chi_square_quantile_matches_scipy(k: int) -> None:
    ps = np.concatenate([np.linspace(0.01, 0.99, 99), 1.0 - np.logspace(-12, -2, 41)])
    ours = np.array([chi_square_quantile(float(p), k) for p in ps])
    ref = chdtri(k, 1.0 - ps)
    # the closed-form tail and SciPy's inverse incomplete gamma agree to ~1e-14 (a few units in the last place
    # at gate probabilities)
    np.testing.assert_allclose(ours, ref, rtol=1e-13, atol=0)


def test_gate_thresholds_at_the_default_probability_are_scipys_bits() -> None:
    gamma = gate_thresholds(0.9999)
    assert [gamma[m] for m in (1, 2, 3, 4)] == pytest.approx([float(chdtri(m, 1e-4)) for m in (1, 2, 3, 4)],
                                                             rel=1e-15)
    assert gamma[3] == float(chdtri(3, 1.0 - 0.9999)) and gamma[4] == float(chdtri(4, 1.0 - 0.9999))


@pytest.mark.parametrize(("p", "k"), [(0.0, 3), (1.0, 3), (-0.5, 3), (float("nan"), 3), (0.5, 0), (0.5, 5)])
def test_chi_square_quantile_refuses_bad_input(p: float, k: int) -> None:
    with pytest.raises(ValueError):
        chi_square_quantile(p, k)
