"""Candidate pairs for scoring: every (truth, track) of the same group (epoch) closer than the cut-off.

Two exact methods, chosen per group by its size:

- small groups (n * m <= ``BRUTE_FORCE_MAX_PAIRS``): every pair's distance in a compiled loop. Written with
  Numba because a scoring run is hundreds of small epochs: on the default scenario (901 epochs, up to 188 targets
  and ~90 tracks each, raids flying in formation) it finds the 413,000 pairs about 6x faster than one
  ``scipy.spatial.cKDTree`` over all epochs, whose cost grows with the number of pairs it returns;
- large groups: ``cKDTree.sparse_distance_matrix``, one tree for all of them with a fourth coordinate of
  group * 4c, so that points of different groups are always more than c apart.

Both compare the same squared distance (dx*dx + dy*dy + dz*dz < c*c) so the choice never changes the result.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from airpicture.compiled import njit

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Groups with at most this many truth-track combinations are searched by brute force.
BRUTE_FORCE_MAX_PAIRS = 1_000_000
#: Up to this many truth-track combinations in all (24 bytes of buffers each), the brute-force search writes the
#: pairs in one pass instead of counting them first.
SINGLE_PASS_MAX_COMBOS = 1_000_000


def candidate_pairs(truth_group: I64, truth_pos: F64, track_group: I64, track_pos: F64, c: float,
                    brute_force_max_pairs: int = BRUTE_FORCE_MAX_PAIRS) -> tuple[I64, I64, F64]:
    """All (truth row, track row, distance in metres) of the same group closer than ``c`` metres, sorted by
    (truth row, track row). Groups are non-negative integers; positions are (n, 3) and (m, 3) metres."""
    truth_group = np.asarray(truth_group, dtype=np.int64)
    track_group = np.asarray(track_group, dtype=np.int64)
    if truth_group.size == 0 or track_group.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    n_groups = int(max(truth_group.max(), track_group.max())) + 1
    t_order, t_off, tp = _by_group(truth_group, truth_pos, n_groups)
    k_order, k_off, kp = _by_group(track_group, track_pos, n_groups)
    combos = np.diff(t_off) * np.diff(k_off)
    small = np.flatnonzero((combos > 0) & (combos <= brute_force_max_pairs))
    large = np.flatnonzero(combos > brute_force_max_pairs)
    ti, kj, d2 = _brute_force(t_off[small], t_off[small + 1], k_off[small], k_off[small + 1], tp, kp, c)
    if not large.size and t_order is None and k_order is None:
        # rows given group by group: the pairs came in (group, truth row, track row) order, that is by
        # (truth row, track row)
        return ti, kj, np.sqrt(d2)
    if large.size:
        tg = truth_group if t_order is None else truth_group[t_order]
        kg = track_group if k_order is None else track_group[k_order]
        lt, lk, ld2 = _kd_tree(large, tg, tp, kg, kp, c)
        ti, kj, d2 = np.concatenate([ti, lt]), np.concatenate([kj, lk]), np.concatenate([d2, ld2])
    if t_order is not None:
        ti = t_order[ti]
    if k_order is not None:
        kj = k_order[kj]
    key = ti * track_group.size + kj  # distinct pairs: the order of lexsort((kj, ti)), one int64 sort
    if (key[1:] > key[:-1]).all():  # already in order: no copies
        return ti, kj, np.sqrt(d2)
    order = np.argsort(key)
    return ti[order], kj[order], np.sqrt(d2[order])


def _by_group(group: I64, pos: F64, n_groups: int) -> tuple[I64 | None, I64, F64]:
    """(order of the rows by group, stable -- None when they already are; offsets of each group's rows in that
    order, (n_groups + 1,); positions (k, 3) metres in that order, C-contiguous)."""
    order = None if (group[1:] >= group[:-1]).all() else np.argsort(group, kind="stable")
    sorted_group = group if order is None else group[order]
    offsets = np.searchsorted(sorted_group, np.arange(n_groups + 1))
    pos = pos if order is None else pos[order]
    return order, offsets, np.ascontiguousarray(pos, dtype=float)


def _brute_force(t_lo: I64, t_hi: I64, k_lo: I64, k_hi: I64, tp: F64, kp: F64,
                 c: float) -> tuple[I64, I64, F64]:
    """Pairs closer than ``c`` metres of the given groups (rows [t_lo, t_hi) x [k_lo, k_hi) of ``tp`` x ``kp``):
    (truth row, track row, squared distance m^2) in (group, truth row, track row) order. Up to
    ``SINGLE_PASS_MAX_COMBOS`` combinations in all, one pass into buffers that hold every combination; beyond,
    a first pass counts the pairs."""
    c2 = float(c) * float(c)
    capacity = int(np.sum((t_hi - t_lo) * (k_hi - k_lo)))
    if capacity > SINGLE_PASS_MAX_COMBOS:
        counts = np.zeros(t_lo.size, dtype=np.int64)
        _count_close(t_lo, t_hi, k_lo, k_hi, tp, kp, c2, counts)
        capacity = int(counts.sum())
    ti = np.empty(capacity, dtype=np.int64)
    kj = np.empty(capacity, dtype=np.int64)
    d2 = np.empty(capacity)
    found = _fill_close(t_lo, t_hi, k_lo, k_hi, tp, kp, c2, ti, kj, d2)
    return ti[:found], kj[:found], d2[:found]


@njit(cache=True)
def _count_close(t_lo: I64, t_hi: I64, k_lo: I64, k_hi: I64, tp: F64, kp: F64, c2: float, counts: I64) -> None:
    for g in range(t_lo.size):
        s = 0
        for i in range(t_lo[g], t_hi[g]):
            for j in range(k_lo[g], k_hi[g]):
                dx = tp[i, 0] - kp[j, 0]
                dy = tp[i, 1] - kp[j, 1]
                dz = tp[i, 2] - kp[j, 2]
                if dx * dx + dy * dy + dz * dz < c2:
                    s += 1
        counts[g] = s


@njit(cache=True)
def _fill_close(t_lo: I64, t_hi: I64, k_lo: I64, k_hi: I64, tp: F64, kp: F64, c2: float,
                out_t: I64, out_k: I64, out_d2: F64) -> int:
    """Writes the pairs closer than sqrt(``c2``) one after the other, group by group; returns their number."""
    s = 0
    for g in range(t_lo.size):
        for i in range(t_lo[g], t_hi[g]):
            for j in range(k_lo[g], k_hi[g]):
                dx = tp[i, 0] - kp[j, 0]
                dy = tp[i, 1] - kp[j, 1]
                dz = tp[i, 2] - kp[j, 2]
                d2 = dx * dx + dy * dy + dz * dz
                if d2 < c2:
                    out_t[s] = i
                    out_k[s] = j
                    out_d2[s] = d2
                    s += 1
    return s


def _kd_tree(groups: I64, tg: I64, tp: F64, kg: I64, kp: F64, c: float) -> tuple[I64, I64, F64]:
    """Pairs of the given groups via one k-d tree over (e, n, u, group * 4c)."""
    from scipy.spatial import cKDTree  # imported on first use: scipy.spatial costs ~0.3 s, rarely needed

    t_rows = np.flatnonzero(np.isin(tg, groups))
    k_rows = np.flatnonzero(np.isin(kg, groups))
    spacing = 4.0 * c
    a = cKDTree(np.column_stack([tp[t_rows], tg[t_rows] * spacing]))
    b = cKDTree(np.column_stack([kp[k_rows], kg[k_rows] * spacing]))
    found = a.sparse_distance_matrix(b, c, output_type="ndarray")
    ti = t_rows[found["i"].astype(np.int64)]
    kj = k_rows[found["j"].astype(np.int64)]
    same = tg[ti] == kg[kj]
    ti, kj = ti[same], kj[same]
    dx = tp[ti, 0] - kp[kj, 0]
    dy = tp[ti, 1] - kp[kj, 1]
    dz = tp[ti, 2] - kp[kj, 2]
    d2 = dx * dx + dy * dy + dz * dz  # the tree's distances are 4-D and only a pre-filter
    close = d2 < float(c) * float(c)
    return ti[close], kj[close], d2[close]
