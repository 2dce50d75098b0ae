"""GOSPA: the generalised optimal sub-pattern assignment metric between true and tracked positions.

Reference: A. S. Rahmathullah, Á. F. García-Fernández, L. Svensson, "Generalized optimal sub-pattern
assignment metric", 20th International Conference on Information Fusion, 2017.

Definition (shown to users). For the true positions X = {x_1..x_n} and the track positions Y = {y_1..y_m}
at one epoch (3-D, site ENU metres), cut-off c > 0 metres and order p >= 1, with alpha = 2 (the project's
setting):

    GOSPA(X, Y) = ( min over one-to-one partial assignments g between X and Y of
                    sum_{(i, j) in g} |x_i - y_j|^p  +  c^p / 2 * (n - |g|)  +  c^p / 2 * (m - |g|) )^(1/p)

An optimal g only pairs a truth and a track closer than c (a pair at c or beyond costs at least as much as
leaving both unassigned), so the total splits into three parts, in metres^p (m^2 for p = 2):

- localisation = sum of |x_i - y_j|^p over the assigned pairs (all closer than c);
- missed       = c^p / 2 per truth left unassigned (``n_missed`` of them);
- false        = c^p / 2 per track left unassigned (``n_false`` of them);

and GOSPA^p = localisation + missed + false. For 0 < alpha < 2 the paper's general form is used:
GOSPA^p = min over injective maps of the smaller set into the larger of sum min(|x - y|, c)^p
+ c^p / alpha * |n - m|; its parts here are localisation as above, c^p / 2 per truth and per track of a pair
at or beyond c, and the cardinality term c^p / alpha * |n - m| booked as missed (n > m) or false (m > n), so
the three parts still add up to GOSPA^p (and match the alpha = 2 split exactly).

The optimal assignment is solved with ``scipy.optimize.linear_sum_assignment`` (loaded by :mod:`airpicture.lsap`)
on min(d, c)^p. Candidate pairs (closer than c) come from :mod:`airpicture.metrics.neighbours`; the problem then
splits into independent connected components of the "closer than c" graph
(:func:`airpicture.graph.connected_components`, numbered as scipy's ``connected_components``): a component
that is a single pair is assigned directly, one with a single truth or a single track takes its closest pair,
and only the others go through the solver, one call each (the star choices and the cost matrices come from one
compiled kernel). Many epochs are solved in one call by giving each epoch its own group number.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from airpicture.compiled import njit
from airpicture.graph import connected_components
from airpicture.lsap import linear_sum_assignment
from airpicture.metrics.neighbours import candidate_pairs

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True)
class GospaResult:
    """GOSPA at one epoch. ``total_m`` in metres; the parts in metres^p (m^2 for p = 2) with
    ``total_m ** p == localisation_m2 + missed_m2 + false_m2``. ``pairs`` is (k, 2) int64 of
    [truth index, track index] for the assigned pairs (all closer than the cut-off), sorted by truth index."""

    total_m: float
    localisation_m2: float
    missed_m2: float
    false_m2: float
    n_missed: int
    n_false: int
    pairs: I64


def check_parameters(c: float, p: float, alpha: float) -> None:
    """Raise ``ValueError`` unless c > 0 (finite), p >= 1 (finite) and 0 < alpha <= 2: the range in which
    GOSPA is a metric."""
    if not (np.isfinite(c) and c > 0):
        raise ValueError(f"GOSPA cut-off c must be a finite number > 0, got {c}")
    if not (np.isfinite(p) and p >= 1):
        raise ValueError(f"GOSPA order p must be a finite number >= 1, got {p}")
    if not (0 < alpha <= 2):
        raise ValueError(f"GOSPA alpha must be in (0, 2], got {alpha}")


def gospa(truth_pos: F64, track_pos: F64, c: float, p: float = 2.0, alpha: float = 2.0) -> GospaResult:
    """GOSPA between truth positions (n, 3) and track positions (m, 3), metres, cut-off ``c`` metres.

    See the module docstring for the definition and its parts.
    """
    check_parameters(c, p, alpha)
    truth_pos = _positions(truth_pos, "truth_pos")
    track_pos = _positions(track_pos, "track_pos")
    n, m = len(truth_pos), len(track_pos)
    zeros_n, zeros_m = np.zeros(n, np.int64), np.zeros(m, np.int64)
    ti, kj, dist = assign_within_cutoff(zeros_n, truth_pos, zeros_m, track_pos, c, p)
    k = len(ti)
    localisation = float(np.sum(dist**p))
    missed, false = unassigned_costs(np.array([n]), np.array([m]), np.array([k]), c, p, alpha)
    total = (localisation + missed[0] + false[0]) ** (1.0 / p)
    return GospaResult(float(total), localisation, float(missed[0]), float(false[0]), n - k, m - k,
                       np.stack([ti, kj], axis=1))


def unassigned_costs(n_truth: I64, n_tracks: I64, n_assigned: I64, c: float, p: float,
                     alpha: float = 2.0) -> tuple[F64, F64]:
    """Missed and false GOSPA parts (metres^p) per epoch from the counts of truths, tracks and assigned pairs
    (pairs closer than c). See the module docstring for the split when alpha < 2."""
    n_truth = np.asarray(n_truth, dtype=float)
    n_tracks = np.asarray(n_tracks, dtype=float)
    n_assigned = np.asarray(n_assigned, dtype=float)
    half = c**p / 2.0
    cut_pairs = np.minimum(n_truth, n_tracks) - n_assigned  # pairs of the optimal map at or beyond c
    cardinality = c**p / alpha
    missed = half * cut_pairs + cardinality * np.maximum(n_truth - n_tracks, 0.0)
    false = half * cut_pairs + cardinality * np.maximum(n_tracks - n_truth, 0.0)
    return missed, false


def assign_within_cutoff(truth_group: I64, truth_pos: F64, track_group: I64, track_pos: F64,
                         c: float, p: float = 2.0) -> tuple[I64, I64, F64]:
    """Optimal GOSPA assignment of truths to tracks, solved independently within each group (epoch).

    ``truth_group`` (n,) and ``track_group`` (m,) are non-negative group numbers; positions are (n, 3) and
    (m, 3) metres. Returns (truth row, track row, distance in metres) of the assigned pairs, all closer than
    ``c``, sorted by truth row. The assignment minimises the sum of min(d, c)^p within each group, the
    GOSPA assignment for any alpha.

    Each connected component of the "closer than c" graph is solved on its own. A component with a single truth
    or a single track (a star, a single pair included) takes its shortest edge (the first in edge order among
    equals). Any other gets a cost matrix holding d^p - c^p on its edges and 0 elsewhere, rows and columns its
    truths and tracks in ascending order, so ``linear_sum_assignment`` minimises sum min(d, c)^p - c^p over the
    component; only pairs that are edges (closer than c) are kept.
    """
    ti, kj, dist = candidate_pairs(truth_group, truth_pos, track_group, track_pos, c)
    if ti.size == 0:
        return ti, kj, dist
    n, m = len(truth_pos), len(track_pos)
    label = np.empty(n + m, np.int64)
    n_comp = connected_components(ti, n + kj, label)
    keep, hard, offset, n_cols, matrices, edge_of_cell = _plan_components(ti, kj, dist, label, n, n_comp,
                                                                          float(p), float(c**p))
    if hard.size:
        # one solver call per hard component (targets flying close together, crossing tracks)
        picked_cells: list[I64] = []
        for o, k, size in zip(offset[hard].tolist(), n_cols[hard].tolist(), (offset[hard + 1] - offset[hard]).tolist(),
                              strict=True):
            rr, kk = linear_sum_assignment(matrices[o : o + size].reshape(size // k, k))
            picked_cells.append(o + rr * k + kk)
        picked = edge_of_cell[np.concatenate(picked_cells)]
        keep[picked[picked >= 0]] = True
    # the pairs came sorted by (truth row, track row): a mask keeps them sorted by truth row
    return ti[keep], kj[keep], dist[keep]


@njit(cache=True)
def _plan_components(ti: I64, kj: I64, dist: F64, label: I64, n: int, n_comp: int, p: float,
                     cp: float) -> tuple[NDArray[np.bool_], I64, I64, I64, F64, I64]:
    """The work of :func:`assign_within_cutoff` short of the solver calls, in two passes over the edges (``ti``,
    ``kj``, ``dist`` metres; sorted by (truth row, track row)) of the graph whose components are ``label`` (truth
    rows 0..n-1, then track rows; ``n_comp`` components).

    Returns: ``keep`` (edges) marking the shortest edge of every star component (the first in edge order among
    equals); the hard components (at least two truths and two tracks), ascending; per component the offset of
    its cost matrix in ``matrices`` (``n_comp + 1``: a matrix ends where the next begins, empty for non-hard
    components) and its number of tracks (columns); ``matrices``, each hard component's (truths x tracks) matrix
    row-major, rows and columns in ascending row order, holding d^p - c^p (``cp`` = c^p, metres^p) at its edges
    and 0 elsewhere; and ``edge_of_cell``, the edge at each cell (-1: none)."""
    n_edges = ti.shape[0]
    n_track_rows = label.shape[0] - n
    n_rows = np.zeros(n_comp, np.int64)
    n_cols = np.zeros(n_comp, np.int64)
    truth_rank = np.zeros(n, np.int64)
    track_rank = np.full(n_track_rows, -1, np.int64)
    for e in range(n_edges):
        i = ti[e]
        if e == 0 or i != ti[e - 1]:  # edges sorted by truth row: ranks of the truths ascend within a component
            comp = label[i]
            truth_rank[i] = n_rows[comp]
            n_rows[comp] += 1
        track_rank[kj[e]] = 0
    for j in range(n_track_rows):  # tracks in ascending row order
        if track_rank[j] == 0:
            comp = label[n + j]
            track_rank[j] = n_cols[comp]
            n_cols[comp] += 1
    offset = np.zeros(n_comp + 1, np.int64)
    n_hard = 0
    for comp in range(n_comp):
        size = 0
        if n_rows[comp] > 1 and n_cols[comp] > 1:
            size = n_rows[comp] * n_cols[comp]
            n_hard += 1
        offset[comp + 1] = offset[comp] + size
    hard = np.empty(n_hard, np.int64)
    h = 0
    for comp in range(n_comp):
        if offset[comp + 1] > offset[comp]:
            hard[h] = comp
            h += 1
    matrices = np.zeros(offset[n_comp])
    edge_of_cell = np.full(offset[n_comp], -1, np.int64)
    best = np.full(n_comp, -1, np.int64)
    for e in range(n_edges):
        i = ti[e]
        comp = label[i]
        if n_rows[comp] == 1 or n_cols[comp] == 1:
            b = best[comp]
            if b < 0 or dist[e] < dist[b]:
                best[comp] = e
        else:
            cell = offset[comp] + truth_rank[i] * n_cols[comp] + track_rank[kj[e]]
            d = dist[e]
            matrices[cell] = (d * d if p == 2.0 else d**p) - cp
            edge_of_cell[cell] = e
    keep = np.zeros(n_edges, np.bool_)
    for comp in range(n_comp):
        if best[comp] >= 0:
            keep[best[comp]] = True
    return keep, hard, offset, n_cols, matrices, edge_of_cell


def _positions(pos: F64, name: str) -> F64:
    arr = np.asarray(pos, dtype=float)
    if arr.size == 0:
        return np.zeros((0, 3))
    if arr.ndim != 2 or arr.shape[1] != 3:
        raise ValueError(f"{name} must have shape (k, 3), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    return arr
