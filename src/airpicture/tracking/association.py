"""Data association of gated (track, detection) pairs: GNN and JPDA, both per independent cluster.

Both use the same pair score, the log likelihood ratio of "detection j is track i's" against "track i missed
and detection j is clutter or a new target":

    ln L_ij = ln Pd + ln N(nu_ij; 0, S_ij) - ln(1 - Pd) - ln lambda_j

(``lambda_j``: clutter-plus-new-target density at the detection, in measurement-space units). With this score:

* **GNN** picks the joint assignment (each track at most one detection, each detection at most one track)
  maximising ``sum ln L_ij`` -- the single most likely joint association hypothesis, i.e. the maximum of the
  JPDA posterior below. Pairs with ``ln L_ij <= 0`` never help and are dropped. Clusters of at most
  ``ENUMERATE_GNN`` joint hypotheses are solved by exhaustive enumeration in compiled code, all in one pass; the
  others with ``scipy.optimize.linear_sum_assignment`` on the cluster's cost matrix ``-ln L`` augmented with one
  "missed" column per track (cost 0), so that leaving a track unassigned is always feasible -- or, for clusters
  of ``SPARSE_CLUSTER_TRACKS`` tracks or more (dense raids), the same problem on the sparse gate graph by
  ``scipy.sparse.csgraph.min_weight_full_bipartite_matching``.
* **JPDA** computes the marginal association probabilities ``beta_ij`` (and the miss probability
  ``beta_i0``) of the joint hypotheses weighted by ``prod L_ij``: exactly, by enumerating every feasible joint
  hypothesis, for clusters with at most ``EXACT_HYPOTHESES`` of them (bounded by ``prod_i (1 + degree_i)``);
  for larger clusters by loopy belief propagation on the bipartite association graph (Williams & Lau 2014,
  "Approximate evaluation of marginal association probabilities with belief propagation", IEEE TAES 50(4)),
  which converges for this problem, is exact on trees and within a few percent in dense clusters.

Clusters are the connected components of the bipartite gate graph (compiled union-find).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from airpicture.compiled import njit
from airpicture.graph import connected_components
from airpicture.lsap import linear_sum_assignment

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B = NDArray[np.bool_]

EXACT_HYPOTHESES = 20_000
ENUMERATE_GNN = 20_000
#: Clusters of at least this many tracks (too many to enumerate) are solved sparse (:func:`_solve_sparse`); below
#: it the dense ``linear_sum_assignment`` is faster (its set-up is cheaper; measured on the clusters of a
#: 10,000-threat run, ``benchmarks/bench_assignment.py``).
SPARSE_CLUSTER_TRACKS = 256
LBP_TOLERANCE = 1e-9
LBP_MAX_ITERATIONS = 500


def clusters(pair_trk: I64, pair_det: I64, n_trk: int, n_det: int) -> tuple[I64, int]:
    """Cluster label of every pair (connected components of the bipartite gate graph) and an upper bound of the
    labels (the number of components of the graph, isolated nodes included)."""
    k = pair_trk.shape[0]
    if k == 0:
        return np.zeros(0, np.int64), 0
    node_label = np.empty(n_trk + n_det, np.int64)
    n_comp = connected_components(np.ascontiguousarray(pair_trk, np.int64),
                                  np.ascontiguousarray(pair_det, np.int64) + n_trk, node_label)
    return node_label[pair_trk], int(n_comp)


# ------------------------------------------------------------------------------------------------ GNN
def assign_gnn(pair_trk: I64, pair_det: I64, score: F64, n_trk: int, n_det: int) -> B:
    """Mask of the pairs chosen by global nearest neighbour: the assignment maximising the summed ``score``
    (``ln L``) over chosen pairs, each track and each detection used at most once.

    One compiled pass (:func:`_gnn_clusters`) clusters the useful pairs and solves every cluster of at most
    ``ENUMERATE_GNN`` joint hypotheses exactly; the rare larger ones go to ``linear_sum_assignment``."""
    k = pair_trk.shape[0]
    chosen = np.zeros(k, dtype=bool)
    if k == 0:
        return chosen
    unsolved = np.zeros(k, dtype=np.int64)
    n_unsolved = _gnn_clusters(np.ascontiguousarray(pair_trk, np.int64), np.ascontiguousarray(pair_det, np.int64),
                               np.ascontiguousarray(score, np.float64), n_trk, n_det, float(ENUMERATE_GNN), chosen,
                               unsolved)
    if n_unsolved:
        for c in range(1, n_unsolved + 1):
            group = np.flatnonzero(unsolved == c)
            chosen[group[_solve_cluster(pair_trk[group], pair_det[group], score[group])]] = True
    return chosen


def assign_gnn_leftovers(pair_trk: I64, pair_det: I64, score: F64, log_n: F64, n_trk: int, n_det: int) -> B:
    """:func:`assign_gnn` on ``score``, then a second assignment over the pairs whose track and detection are
    both left free, maximising the summed ``log_n`` (their log likelihoods, shifted positive). Pairs with
    ``score <= 0`` are less likely than clutter; but a detection left with no track would start a new one, and if
    it lies in the gate of a track left without a detection, continuing that track is the better explanation (it
    is the same object either way). One compiled call when every cluster is small enough to enumerate."""
    k = pair_trk.shape[0]
    chosen = np.zeros(k, dtype=bool)
    if k == 0:
        return chosen
    t = np.ascontiguousarray(pair_trk, np.int64)
    d = np.ascontiguousarray(pair_det, np.int64)
    unsolved = np.zeros(k, dtype=np.int64)
    left = np.zeros(k, dtype=np.int64)  # second-pass scores of the pairs left free (0: not left)
    n_first, n_second = _gnn_two_passes(t, d, np.ascontiguousarray(score, np.float64),
                                        np.ascontiguousarray(log_n, np.float64), n_trk, n_det, float(ENUMERATE_GNN),
                                        chosen, unsolved, left)
    if n_first or n_second:  # rare: a cluster too large to enumerate -- the two passes in Python
        chosen = assign_gnn(pair_trk, pair_det, score, n_trk, n_det)
        trk_taken = np.zeros(n_trk, dtype=bool)
        trk_taken[pair_trk[chosen]] = True
        det_taken = np.zeros(n_det, dtype=bool)
        det_taken[pair_det[chosen]] = True
        free = np.flatnonzero(~trk_taken[pair_trk] & ~det_taken[pair_det])
        if free.size:
            lnn = log_n[free]
            chosen[free[assign_gnn(pair_trk[free], pair_det[free], lnn - lnn.min() + 1.0, n_trk, n_det)]] = True
    return chosen


@njit(cache=True)
def _gnn_two_passes(ptrk, pdet, score, log_n, n_trk, n_det, limit, chosen, unsolved, left) -> tuple[int, int]:
    """Compiled body of :func:`assign_gnn_leftovers`; returns the numbers of unsolved clusters of each pass
    (then ``chosen`` is not to be used)."""
    n_first = _gnn_clusters(ptrk, pdet, score, n_trk, n_det, limit, chosen, unsolved)
    if n_first:
        return n_first, 0
    trk_taken = np.zeros(n_trk, dtype=np.bool_)
    det_taken = np.zeros(n_det, dtype=np.bool_)
    for q in range(ptrk.shape[0]):
        if chosen[q]:
            trk_taken[ptrk[q]] = True
            det_taken[pdet[q]] = True
    m = 0
    low = np.inf
    for q in range(ptrk.shape[0]):
        if not trk_taken[ptrk[q]] and not det_taken[pdet[q]]:
            left[m] = q
            m += 1
            low = min(low, log_n[q])
    if m == 0:
        return 0, 0
    idx = left[:m].copy()
    shifted = np.empty(m)
    for q in range(m):
        shifted[q] = log_n[idx[q]] - low + 1.0
    second = np.zeros(m, dtype=np.bool_)
    unsolved2 = np.zeros(m, dtype=np.int64)
    n_second = _gnn_clusters(ptrk[idx], pdet[idx], shifted, n_trk, n_det, limit, second, unsolved2)
    if n_second:
        return 0, n_second
    for q in range(m):
        if second[q]:
            chosen[idx[q]] = True
    return 0, 0


@njit(cache=True)
def _stable_by(key, n_key: int, items):
    """``items`` reordered stably by ``key`` (one value in 0..n_key-1 per item): a counting sort. Two of them (by
    the minor key, then by the major) give a stable sort by both, as ``np.argsort(kind="mergesort")`` on the
    combined key would, without compiling Numba's merge sort on the first run (~1.5 s)."""
    start = np.zeros(n_key + 1, np.int64)
    for q in range(items.shape[0]):
        start[key[q] + 1] += 1
    for c in range(n_key):
        start[c + 1] += start[c]
    out = np.empty(items.shape[0], np.int64)
    for q in range(items.shape[0]):
        c = key[q]
        out[start[c]] = items[q]
        start[c] += 1
    return out


@njit(cache=True)
def _gnn_clusters(ptrk, pdet, score, n_trk, n_det, limit, chosen, unsolved) -> int:
    """Compiled GNN: of the pairs with ``score > 0``, the connected components of the bipartite graph (union-find),
    each solved by :func:`_map_small` (exact enumeration) into ``chosen``; components too large for it are
    numbered 1.. in ``unsolved`` (per pair, 0 elsewhere). Returns the number of unsolved components."""
    m = 0
    for i in range(score.shape[0]):
        if score[i] > 0.0:
            m += 1
    if m == 0:
        return 0
    useful = np.empty(m, np.int64)
    m = 0
    for i in range(score.shape[0]):
        if score[i] > 0.0:
            useful[m] = i
            m += 1
    label = np.empty(n_trk + n_det, np.int64)
    connected_components(ptrk[useful], pdet[useful] + n_trk, label)
    # sort the useful pairs by (component, track), stable: the callers' order (detection) within a track
    by_track = _stable_by(ptrk[useful], n_trk, useful)
    order = _stable_by(label[ptrk[by_track]], n_trk + n_det, by_track)
    lab = label[ptrk[order]]
    n_cl = 1
    for q in range(1, m):
        if lab[q] != lab[q - 1]:
            n_cl += 1
    cptr = np.empty(n_cl + 1, np.int64)
    cptr[0] = 0
    c = 1
    for q in range(1, m):
        if lab[q] != lab[q - 1]:
            cptr[c] = q
            c += 1
    cptr[n_cl] = m
    pick = np.zeros(m, dtype=np.bool_)
    solved = np.zeros(n_cl, dtype=np.bool_)
    _map_small(cptr, ptrk[order], pdet[order], score[order], n_det, limit, pick, solved)
    n_unsolved = 0
    for c in range(n_cl):
        if solved[c]:
            for q in range(cptr[c], cptr[c + 1]):
                if pick[q]:
                    chosen[order[q]] = True
        else:
            n_unsolved += 1
            for q in range(cptr[c], cptr[c + 1]):
                unsolved[order[q]] = n_unsolved
    return n_unsolved


@njit(cache=True)
def _map_small(cptr, ptrk, pdet, score, n_det, limit, pick, solved) -> None:
    """Exact GNN of each small cluster (pairs cptr[c]:cptr[c+1], sorted by track) by enumerating its joint
    hypotheses (at most ``limit``, bounded by prod (1 + degree)); others are left to linear_sum_assignment.
    Compiled enumeration because a Python call of linear_sum_assignment costs ~50 us per cluster, which
    dominates at 10,000 tracks where most conflicts are 2-4 tracks."""
    det_local = np.full(n_det, -1, np.int64)
    for c in range(cptr.shape[0] - 1):
        lo, hi = cptr[c], cptr[c + 1]
        bound = 1.0
        deg = 1
        nseg = 0
        for k in range(lo, hi):
            if k + 1 < hi and ptrk[k + 1] == ptrk[k]:
                deg += 1
            else:
                bound *= 1.0 + deg
                deg = 1
                nseg += 1
        nloc = 0
        for k in range(lo, hi):
            if det_local[pdet[k]] < 0:
                det_local[pdet[k]] = nloc
                nloc += 1
        if bound > limit or nloc > 62:
            for k in range(lo, hi):
                det_local[pdet[k]] = -1
            continue
        seg = np.empty(nseg + 1, np.int64)
        seg[0] = lo
        q = 1
        for k in range(lo + 1, hi):
            if ptrk[k] != ptrk[k - 1]:
                seg[q] = k
                q += 1
        seg[nseg] = hi
        choice = np.full(nseg, -2, np.int64)
        best_choice = np.full(nseg, -1, np.int64)
        acc = np.zeros(nseg + 1)
        best = 0.0  # all tracks missed
        used = np.int64(0)
        a = 0
        while a >= 0:
            ch = choice[a]
            dg = seg[a + 1] - seg[a]
            if ch >= 0:
                used ^= np.int64(1) << det_local[pdet[seg[a] + ch]]
            ch += 1
            while 0 <= ch < dg and (used & (np.int64(1) << det_local[pdet[seg[a] + ch]])) != 0:
                ch += 1
            if ch >= dg:
                choice[a] = -2
                a -= 1
                continue
            choice[a] = ch
            if ch == -1:
                acc[a + 1] = acc[a]
            else:
                used |= np.int64(1) << det_local[pdet[seg[a] + ch]]
                acc[a + 1] = acc[a] + score[seg[a] + ch]
            if a == nseg - 1:
                if acc[nseg] > best:
                    best = acc[nseg]
                    for b in range(nseg):  # an element loop: a slice assignment compiles Numba's shape-error path
                        best_choice[b] = choice[b]
            else:
                a += 1
                choice[a] = -2
        for b in range(nseg):
            if best_choice[b] >= 0:
                pick[seg[b] + best_choice[b]] = True
        for k in range(lo, hi):
            det_local[pdet[k]] = -1
        solved[c] = True


def _solve_cluster(t: I64, d: I64, s: F64) -> I64:
    """Indices (into the cluster's pairs) of the optimal assignment of one cluster: by
    ``linear_sum_assignment`` on the dense cost matrix, or, from ``SPARSE_CLUSTER_TRACKS`` tracks on, by the
    sparse solver (:func:`_solve_sparse`)."""
    tracks, ti = np.unique(t, return_inverse=True)
    dets, di = np.unique(d, return_inverse=True)
    nt, nd = tracks.shape[0], dets.shape[0]
    if nt >= SPARSE_CLUSTER_TRACKS:
        return _solve_sparse(ti, di, s, nt, nd)
    cost = np.full((nt, nd + nt), np.inf)
    cost[ti, di] = -s
    cost[np.arange(nt), nd + np.arange(nt)] = 0.0
    rows, cols = linear_sum_assignment(cost)
    real = cols < nd
    pair_of = np.full((nt, nd), -1, np.int64)
    pair_of[ti, di] = np.arange(t.shape[0])
    return pair_of[rows[real], cols[real]]


def _solve_sparse(ti: I64, di: I64, s: F64, nt: int, nd: int) -> I64:
    """The optimal assignment of a large cluster (pairs of track ``ti`` and detection ``di``, numbered from 0;
    ``s > 0``) by ``scipy.sparse.csgraph.min_weight_full_bipartite_matching`` (LAPJVsp) on the gate graph
    itself, each track with its own "missed" column, instead of a dense (tracks x (detections + tracks)) matrix:
    a dense gate cluster of 1,000-2,000 tracks holds ~1 % of the dense matrix's entries. The solver needs
    non-zero weights, so every entry is shifted by ``max(s) + 1``: a full matching takes one entry of each
    track's row, so the shift adds the same to every matching and the optimum is the same assignment."""
    from scipy.sparse import csr_array  # only for the largest clusters: SciPy's sparse package takes ~0.5 s
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching

    shift = float(s.max()) + 1.0
    rows = np.concatenate([ti, np.arange(nt)])
    cols = np.concatenate([di, nd + np.arange(nt)])
    weights = np.concatenate([shift - s, np.full(nt, shift)])
    matched_rows, matched_cols = min_weight_full_bipartite_matching(
        csr_array((weights, (rows, cols)), shape=(nt, nd + nt)))
    real = matched_cols < nd
    # the pair index of each chosen (track, detection), found by its key (pairs are unique, and so are keys)
    key = ti * nd + di
    by_key = np.argsort(key, kind="stable")
    at = np.searchsorted(key[by_key], matched_rows[real] * nd + matched_cols[real])
    return by_key[at]  # type: ignore[no-any-return]


# ------------------------------------------------------------------------------------------------ JPDA
@njit(cache=True)
def _exact_cluster(lo, hi, ptrk, pdet, lw, det_local, beta, beta0) -> None:
    """Exact marginals of one cluster (pairs lo:hi sorted by track) by enumerating the joint hypotheses."""
    # track segments and per-track scaling (marginals are invariant to scaling one track's weights)
    nseg = 1
    for k in range(lo + 1, hi):
        if ptrk[k] != ptrk[k - 1]:
            nseg += 1
    seg = np.empty(nseg + 1, np.int64)
    seg[0] = lo
    s = 1
    for k in range(lo + 1, hi):
        if ptrk[k] != ptrk[k - 1]:
            seg[s] = k
            s += 1
    seg[nseg] = hi
    w = np.empty(hi - lo)
    w0 = np.empty(nseg)
    bit = np.empty(hi - lo, np.int64)
    nloc = 0
    for a in range(nseg):
        mx = 0.0
        for k in range(seg[a], seg[a + 1]):
            mx = max(mx, lw[k])
        w0[a] = math.exp(-mx)
        for k in range(seg[a], seg[a + 1]):
            w[k - lo] = math.exp(lw[k] - mx)
            j = pdet[k]
            if det_local[j] < 0:
                det_local[j] = nloc
                nloc += 1
            bit[k - lo] = np.int64(1) << det_local[j]
    acc = np.zeros(hi - lo)
    acc0 = np.zeros(nseg)
    choice = np.full(nseg, -2, np.int64)
    prod = np.ones(nseg + 1)
    total = 0.0
    used = np.int64(0)
    a = 0
    while a >= 0:
        c = choice[a]
        deg = seg[a + 1] - seg[a]
        if c >= 0:
            used ^= bit[seg[a] + c - lo]
        c += 1
        while 0 <= c < deg and (used & bit[seg[a] + c - lo]) != 0:
            c += 1
        if c >= deg:
            choice[a] = -2
            a -= 1
            continue
        choice[a] = c
        if c == -1:
            prod[a + 1] = prod[a] * w0[a]
        else:
            used |= bit[seg[a] + c - lo]
            prod[a + 1] = prod[a] * w[seg[a] + c - lo]
        if a == nseg - 1:
            h = prod[nseg]
            total += h
            for b in range(nseg):
                if choice[b] == -1:
                    acc0[b] += h
                else:
                    acc[seg[b] + choice[b] - lo] += h
        else:
            a += 1
            choice[a] = -2
    for k in range(lo, hi):
        det_local[pdet[k]] = -1
        beta[k] = acc[k - lo] / total
    for b in range(nseg):
        for k in range(seg[b], seg[b + 1]):
            beta0[k] = acc0[b] / total


@njit(cache=True)
def _lbp_cluster(lo, hi, ptrk, pdet, lw, det_sum, beta, beta0) -> None:
    """Loopy belief propagation marginals of one cluster (pairs lo:hi sorted by track); Williams & Lau 2014:
    mu_ij = psi_ij / (psi_i0 + sum_{j' != j} psi_ij' nu_j'i),  nu_ji = 1 / (1 + sum_{i' != i} mu_i'j)."""
    n = hi - lo
    psi = np.empty(n)
    psi0 = np.empty(n)  # the track's miss weight, repeated on each of its pairs
    k = lo
    while k < hi:
        e = k
        mx = 0.0
        while e < hi and ptrk[e] == ptrk[k]:
            mx = max(mx, lw[e])
            e += 1
        for q in range(k, e):
            psi[q - lo] = math.exp(lw[q] - mx)
            psi0[q - lo] = math.exp(-mx)
        k = e
    nu = np.ones(n)
    mu = np.empty(n)
    for _ in range(LBP_MAX_ITERATIONS):
        k = lo
        while k < hi:  # track -> detection messages
            e = k
            s = psi0[k - lo]
            while e < hi and ptrk[e] == ptrk[k]:
                s += psi[e - lo] * nu[e - lo]
                e += 1
            for q in range(k, e):
                mu[q - lo] = psi[q - lo] / (s - psi[q - lo] * nu[q - lo])
            k = e
        for q in range(lo, hi):
            det_sum[pdet[q]] = 1.0
        for q in range(lo, hi):
            det_sum[pdet[q]] += mu[q - lo]
        change = 0.0
        for q in range(lo, hi):  # detection -> track messages
            new = 1.0 / (det_sum[pdet[q]] - mu[q - lo])
            change = max(change, abs(new - nu[q - lo]))
            nu[q - lo] = new
        if change < LBP_TOLERANCE:
            break
    k = lo
    while k < hi:
        e = k
        s = psi0[k - lo]
        while e < hi and ptrk[e] == ptrk[k]:
            s += psi[e - lo] * nu[e - lo]
            e += 1
        for q in range(k, e):
            beta[q] = psi[q - lo] * nu[q - lo] / s
            beta0[q] = psi0[q - lo] / s
        k = e


@njit(cache=True)
def _jpda_all(cptr, ptrk, pdet, lw, n_det, exact_limit, beta, beta0, exact_flag) -> None:
    det_local = np.full(n_det, -1, np.int64)
    det_sum = np.zeros(n_det)
    det_seen = np.zeros(n_det, np.bool_)
    for c in range(cptr.shape[0] - 1):
        lo, hi = cptr[c], cptr[c + 1]
        # hypothesis bound prod (1 + degree) and number of distinct detections
        bound = 1.0
        deg = 1
        ndet = 0
        for k in range(lo, hi):
            if not det_seen[pdet[k]]:
                det_seen[pdet[k]] = True
                ndet += 1
            if k + 1 < hi and ptrk[k + 1] == ptrk[k]:
                deg += 1
            else:
                bound *= 1.0 + deg
                deg = 1
        for k in range(lo, hi):
            det_seen[pdet[k]] = False
        if bound <= exact_limit and ndet <= 62:
            _exact_cluster(lo, hi, ptrk, pdet, lw, det_local, beta, beta0)
            exact_flag[c] = True
        else:
            _lbp_cluster(lo, hi, ptrk, pdet, lw, det_sum, beta, beta0)
            exact_flag[c] = False


def jpda_marginals(pair_trk: I64, pair_det: I64, score: F64, n_trk: int, n_det: int,
                   exact_limit: int = EXACT_HYPOTHESES) -> tuple[F64, F64, int]:
    """JPDA association probabilities: ``beta`` (K,) of each pair and ``beta0`` (K,) the miss probability of
    the pair's track; ``score`` is ``ln L`` of each pair. Also returns how many clusters were approximated
    (loopy belief propagation). Star clusters (one track, or one detection) have the closed form
    beta_j = L_j / (1 + sum L) and are computed vectorised."""
    k = pair_trk.shape[0]
    beta = np.zeros(k)
    beta0 = np.ones(k)
    if k == 0:
        return beta, beta0, 0
    label, n_lab = clusters(pair_trk, pair_det, n_trk, n_det)
    trk_label = np.full(n_trk, -1, np.int64)
    trk_label[pair_trk] = label
    det_label = np.full(n_det, -1, np.int64)
    det_label[pair_det] = label
    n_t = np.bincount(trk_label[trk_label >= 0], minlength=n_lab)
    n_d = np.bincount(det_label[det_label >= 0], minlength=n_lab)
    star = ((n_t == 1) | (n_d == 1))[label]
    if star.any():
        idx = np.flatnonzero(star)
        lab = label[idx]
        mx = np.zeros(n_lab)
        np.maximum.at(mx, lab, score[idx])  # scale by the largest weight of the cluster (and the miss, 1)
        w = np.exp(score[idx] - mx[lab])
        total = np.exp(-mx) + np.bincount(lab, weights=w, minlength=n_lab)
        beta[idx] = w / total[lab]
        one_track = (n_t == 1)[lab]
        # one track: its miss probability is 1 / (1 + sum L); one detection, several tracks: each track misses
        # unless it takes the detection
        beta0[idx] = np.where(one_track, np.exp(-mx[lab]) / total[lab], 1.0 - beta[idx])
    rest = np.flatnonzero(~star)
    if rest.size == 0:
        return beta, beta0, 0
    order = rest[np.lexsort((pair_det[rest], pair_trk[rest], label[rest]))]
    lab = label[order]
    cptr = np.concatenate(([0], np.flatnonzero(np.diff(lab)) + 1, [order.shape[0]])).astype(np.int64)
    b = np.empty(order.shape[0])
    b0 = np.empty(order.shape[0])
    flag = np.zeros(cptr.shape[0] - 1, dtype=np.bool_)
    _jpda_all(cptr, np.ascontiguousarray(pair_trk[order]), np.ascontiguousarray(pair_det[order]),
              np.ascontiguousarray(score[order], dtype=float), n_det, float(exact_limit), b, b0, flag)
    beta[order] = b
    beta0[order] = b0
    return beta, beta0, int((~flag).sum())
