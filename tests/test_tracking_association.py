"""GNN and JPDA against brute-force enumeration of the joint association hypotheses; the JPDA mixture update
against the classical PDA formulas; the pre-gate never drops a pair the chi-square gate keeps."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airpicture.tracking import association
from airpicture.tracking.association import assign_gnn, jpda_marginals
from airpicture.tracking.gating import PREGATE_MARGIN, candidate_pairs, gate_thresholds, polar_boxes
from airpicture.tracking.kernels import gate_pairs, update_mixture


def hypotheses(t, d, n_trk):
    """Every feasible joint hypothesis as a tuple of chosen pair indices (brute force, recursive)."""
    by_track = [[k for k in range(len(t)) if t[k] == i] for i in range(n_trk)]
    out = []

    def rec(i, used, chosen):
        if i == n_trk:
            out.append(tuple(chosen))
            return
        rec(i + 1, used, chosen)
        for k in by_track[i]:
            if d[k] not in used:
                rec(i + 1, used | {d[k]}, [*chosen, k])

    rec(0, frozenset(), [])
    return out


@st.composite
def problems(draw, max_tracks=6, max_dets=6):
    nt = draw(st.integers(1, max_tracks))
    nd = draw(st.integers(1, max_dets))
    seed = draw(st.integers(0, 2**32 - 1))
    density = draw(st.floats(0.2, 1.0))
    rng = np.random.default_rng(seed)
    mask = rng.random((nt, nd)) < density
    t, d = np.nonzero(mask)
    score = rng.normal(1.0, 4.0, t.shape[0])
    return t.astype(np.int64), d.astype(np.int64), score, nt, nd


@settings(max_examples=300, deadline=None)
@given(problems())
def test_gnn_is_optimal_against_brute_force(problem):
    t, d, s, nt, nd = problem
    chosen = assign_gnn(t, d, s, nt, nd)
    assert len(set(t[chosen].tolist())) == chosen.sum()  # each track at most once
    assert len(set(d[chosen].tolist())) == chosen.sum()  # each detection at most once
    best = max(sum(s[list(h)]) for h in hypotheses(t, d, nt))
    assert s[chosen].sum() == pytest.approx(best, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(problems(max_tracks=7, max_dets=7))
def test_gnn_linear_sum_assignment_path_is_optimal(problem):
    """The same with the compiled enumeration disabled, so every conflict goes to linear_sum_assignment."""
    t, d, s, nt, nd = problem
    old = association.ENUMERATE_GNN
    association.ENUMERATE_GNN = 0
    try:
        chosen = assign_gnn(t, d, s, nt, nd)
    finally:
        association.ENUMERATE_GNN = old
    best = max(sum(s[list(h)]) for h in hypotheses(t, d, nt))
    assert s[chosen].sum() == pytest.approx(best, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(problems(max_tracks=7, max_dets=7))
def test_gnn_sparse_matching_path_is_optimal(problem):
    """The same with every conflict solved on the sparse gate graph (the path of the largest clusters)."""
    t, d, s, nt, nd = problem
    old = association.ENUMERATE_GNN, association.SPARSE_CLUSTER_TRACKS
    association.ENUMERATE_GNN, association.SPARSE_CLUSTER_TRACKS = 0, 1
    try:
        chosen = assign_gnn(t, d, s, nt, nd)
    finally:
        association.ENUMERATE_GNN, association.SPARSE_CLUSTER_TRACKS = old
    assert len(set(t[chosen].tolist())) == chosen.sum() and len(set(d[chosen].tolist())) == chosen.sum()
    best = max(sum(s[list(h)]) for h in hypotheses(t, d, nt))
    assert s[chosen].sum() == pytest.approx(best, abs=1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_sparse_and_dense_solvers_choose_the_same_pairs_in_a_large_cluster(seed):
    """A dense raid's cluster (300-600 tracks, a few detections in each gate): the sparse solver and the dense
    ``linear_sum_assignment`` choose the same pairs."""
    rng = np.random.default_rng(seed)
    nt = int(rng.integers(300, 600))
    nd = nt + int(rng.integers(-50, 50))
    t = np.repeat(np.arange(nt), rng.integers(1, 9, nt))
    d = (t * nd // nt + rng.integers(-6, 7, t.shape[0])) % nd
    keep = np.unique(t * nd + d, return_index=True)[1]
    t, d = t[np.sort(keep)], d[np.sort(keep)]
    s = rng.exponential(4.0, t.shape[0]) + 1e-3
    old = association.SPARSE_CLUSTER_TRACKS
    try:
        association.SPARSE_CLUSTER_TRACKS = 10**9
        dense = np.sort(association._solve_cluster(t, d, s))
        association.SPARSE_CLUSTER_TRACKS = 1
        sparse = np.sort(association._solve_cluster(t, d, s))
    finally:
        association.SPARSE_CLUSTER_TRACKS = old
    assert sparse.shape[0] > nt // 2
    np.testing.assert_array_equal(sparse, dense)


@settings(max_examples=150, deadline=None)
@given(problems(), st.booleans())
def test_gnn_with_leftovers_is_the_two_optimal_passes(problem, enumerate_all):
    """First the best assignment of the score, then the best assignment of the second score over the pairs whose
    track and detection are both free -- both passes checked against brute force, compiled and fallback paths."""
    t, d, s, nt, nd = problem
    log_n = np.random.default_rng(len(t)).normal(-3.0, 2.0, t.shape[0])
    old = association.ENUMERATE_GNN
    association.ENUMERATE_GNN = old if enumerate_all else 0
    try:
        chosen = association.assign_gnn_leftovers(t, d, s, log_n, nt, nd)
    finally:
        association.ENUMERATE_GNN = old
    assert len(set(t[chosen].tolist())) == chosen.sum() and len(set(d[chosen].tolist())) == chosen.sum()
    first = chosen & (s > 0.0)
    best = max(sum(s[list(h)]) for h in hypotheses(t, d, nt))
    assert s[first].sum() == pytest.approx(best, abs=1e-9)
    free = np.flatnonzero(~np.isin(t, t[first]) & ~np.isin(d, d[first]))
    second = chosen.copy()
    second[first] = False
    assert set(np.flatnonzero(second).tolist()) <= set(free.tolist())
    if free.size:
        shifted = log_n[free] - log_n[free].min() + 1.0
        best2 = max(sum(shifted[list(h)]) for h in hypotheses(t[free], d[free], nt))
        assert log_n[second].sum() - second.sum() * (log_n[free].min() - 1.0) == pytest.approx(best2, abs=1e-9)


def brute_marginals(t, d, s, nt):
    beta = np.zeros(len(t))
    miss = np.zeros(nt)
    total = 0.0
    for h in hypotheses(t, d, nt):
        w = math.exp(sum(s[list(h)]))
        total += w
        beta[list(h)] += w
        hit = {int(t[k]) for k in h}
        for i in range(nt):
            if i not in hit:
                miss[i] += w
    return beta / total, miss / total


@settings(max_examples=200, deadline=None)
@given(problems())
def test_jpda_marginals_equal_brute_force(problem):
    t, d, s, nt, nd = problem
    beta, beta0, n_approx = jpda_marginals(t, d, s, nt, nd, exact_limit=10**6)
    assert n_approx == 0
    ref, ref0 = brute_marginals(t, d, s, nt)
    np.testing.assert_allclose(beta, ref, atol=1e-12)
    np.testing.assert_allclose(beta0, ref0[t], atol=1e-12)


def test_jpda_belief_propagation_is_exact_on_trees_and_close_on_loops():
    rng = np.random.default_rng(3)
    # a chain track0-det0-track1-det1-track2-det2: a tree, where belief propagation is exact
    t = np.array([0, 1, 1, 2, 2], np.int64)
    d = np.array([0, 0, 1, 1, 2], np.int64)
    s = rng.normal(1.0, 2.0, 5)
    beta, _, n_approx = jpda_marginals(t, d, s, 3, 3, exact_limit=0)
    assert n_approx == 1
    np.testing.assert_allclose(beta, brute_marginals(t, d, s, 3)[0], atol=1e-8)
    # dense loopy clusters: an approximation (largest error per problem a few hundredths)
    errs = []
    for _ in range(30):
        nt, nd = 5, 5
        tt, dd = np.nonzero(rng.random((nt, nd)) < 0.7)
        ss = rng.normal(1.0, 2.0, tt.shape[0])
        b, _, _ = jpda_marginals(tt, dd, ss, nt, nd, exact_limit=0)
        errs.append(np.abs(b - brute_marginals(tt, dd, ss, nt)[0]).max())
    assert np.mean(errs) < 0.05 and np.max(errs) < 0.2  # measured: mean 0.03 for 5x5 clusters at 70 % density


def test_jpda_update_equals_classical_pda_when_detections_share_time_and_noise():
    """Mixture reduction of the per-hypothesis EKF posteriors against Bar-Shalom's PDA update:
    x+ = x + K sum(beta_j nu_j);  P+ = beta0 P + (1 - beta0) (P - K S K^T) + K (sum beta_j nu_j nu_j^T - nu nu^T) K^T
    (linearised at the prediction: at a long range and small spread the EKF Jacobians of the detections agree)."""
    spos = np.zeros(3)
    srot = np.eye(3)
    x = np.array([[0.0, 150e3, 5e3, 0.0, -200.0, 0.0]])
    P = np.diag([100.0, 100.0, 100.0, 10.0, 10.0, 10.0]).astype(float)[None] ** 2
    sig = np.tile([20.0, 5e-4, 5e-4, 1.0], (3, 1))
    r0 = math.hypot(150e3, 5e3)
    z = np.array([[r0 + 30.0, 1e-4, math.atan2(5e3, 150e3), np.nan],
                  [r0 - 50.0, -3e-4, math.atan2(5e3, 150e3) + 2e-4, np.nan],
                  [r0 + 5.0, 2e-4, math.atan2(5e3, 150e3) - 1e-4, np.nan]])
    beta = np.array([0.5, 0.2, 0.25])
    beta0 = np.array([0.05])
    xm = x[:, None].copy()
    Pm = P[:, None].copy()
    mu = np.ones((1, 1))
    xo, Po = x.copy(), P.copy()
    kinds, qs, om = np.array([0]), np.array([1e-12]), np.zeros(1)
    update_mixture(np.array([0, 3]), np.zeros(3, np.int64), np.arange(3), beta, beta0, np.zeros(1), xo, Po, xm, Pm,
                   mu, np.zeros(3), z, sig, np.full(3, 3, np.int64), spos, srot, kinds, qs, om, 0.0)
    # classical PDA with the Jacobian at the prediction
    from airpicture.testing.filters import measurement

    zp, H = measurement(x, spos, srot)
    Hm = H[0, :3]
    R = np.diag(sig[0, :3] ** 2)
    S = Hm @ P[0] @ Hm.T + R
    K = P[0] @ Hm.T @ np.linalg.inv(S)
    nus = z[:, :3] - zp[0, :3]
    nu = (beta[:, None] * nus).sum(axis=0)
    spread = sum(b * np.outer(n, n) for b, n in zip(beta, nus, strict=True)) - np.outer(nu, nu)
    Pc = P[0] - K @ S @ K.T
    x_ref = x[0] + K @ nu
    P_ref = beta0[0] * P[0] + (1 - beta0[0]) * Pc + K @ spread @ K.T
    np.testing.assert_allclose(xo[0], x_ref, rtol=1e-6, atol=1e-3)
    np.testing.assert_allclose(Po[0], P_ref, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("seed", range(5))
def test_pregate_keeps_every_pair_inside_the_chi_square_gate(seed):
    """All-pairs chi-square gating (brute force) against pre-gate + gate, with tracks of mixed uncertainty."""
    rng = np.random.default_rng(seed)
    n, m = 300, 400
    spos = np.array([100.0, -200.0, 20.0])
    srot = np.eye(3)
    ang = rng.uniform(0, 2 * np.pi, n)
    rad = rng.uniform(2e3, 60e3, n)
    x = np.column_stack([rad * np.sin(ang), rad * np.cos(ang), rng.uniform(100, 8e3, n), rng.normal(0, 200, (n, 3))])
    sd = rng.choice([30.0, 300.0, 1500.0], n)
    P = np.zeros((n, 6, 6))
    P[:, [0, 1, 2], [0, 1, 2]] = sd[:, None] ** 2
    P[:, [3, 4, 5], [3, 4, 5]] = (sd[:, None] / 3.0) ** 2
    t_trk = rng.uniform(-2.0, 0.0, n)
    # detections near tracks plus clutter, over one second
    src = rng.integers(0, n, m)
    t_det = np.sort(rng.uniform(0.0, 1.0, m))
    pos = x[src, :3] + x[src, 3:] * (t_det - t_trk[src])[:, None] + rng.normal(0, 1, (m, 3)) * sd[src, None]
    d = pos - spos
    r = np.linalg.norm(d, axis=1)
    az = np.mod(np.arctan2(d[:, 0], d[:, 1]), 2 * np.pi)
    z = np.column_stack([r, az, np.arcsin(d[:, 2] / r), np.full(m, np.nan)])
    sig = np.tile([30.0, 0.003, 0.004, 1.0], (m, 1))
    dim = np.full(m, 3, np.int64)
    kinds, qs, om = np.array([0]), np.array([25.0]), np.zeros(1)
    xm, Pm, mu = x[:, None].copy(), P[:, None].copy(), np.ones((n, 1))
    gamma = gate_thresholds(0.9999)
    all_t = np.repeat(np.arange(n), m)
    all_d = np.tile(np.arange(m), n)
    d2 = np.empty(n * m)
    lnn = np.empty(n * m)
    gate_pairs(all_t, all_d, t_trk, xm, Pm, mu, t_det, z, sig, dim, spos, srot, kinds, qs, om, 0.0, d2, lnn)
    truth = set(zip(all_t[d2 <= gamma[3]].tolist(), all_d[d2 <= gamma[3]].tolist(), strict=True))
    lo = np.empty((n, 3))
    hi = np.empty((n, 3))
    polar_boxes(np.arange(n), t_trk, x, P, 25.0, 0.0, 1.0, spos, srot, sig[:, :3].max(axis=0), gamma[3],
                PREGATE_MARGIN, lo, hi)
    pt, pd = candidate_pairs(lo, hi, z)
    got = set(zip(pt.tolist(), pd.tolist(), strict=True))
    assert len(truth) > 50
    assert truth <= got
    assert len(got) < 0.05 * n * m  # and it does prune


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 30), st.integers(1, 30), st.integers(0, 60), st.integers(0, 2**31 - 1))
def test_clusters_match_scipy_connected_components(n_trk: int, n_det: int, n_pairs: int, seed: int) -> None:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    from airpicture.tracking.association import clusters

    rng = np.random.default_rng(seed)
    t = rng.integers(0, n_trk, n_pairs)
    d = rng.integers(0, n_det, n_pairs)
    label, n_comp = clusters(t, d, n_trk, n_det)
    graph = coo_matrix((np.ones(n_pairs), (t, n_trk + d)), shape=(n_trk + n_det,) * 2)
    ref_n, ref = connected_components(graph, directed=False)
    if n_pairs:
        assert n_comp == ref_n
    # same partition of the pairs: equal labels exactly where the reference labels are equal
    same = label[:, None] == label[None, :]
    ref_same = ref[t][:, None] == ref[t][None, :]
    assert np.array_equal(same, ref_same)
