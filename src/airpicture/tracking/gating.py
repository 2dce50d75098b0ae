"""Gating: a coarse pre-gate on a grid in the sensor's polar coordinates, then the chi-square test on the
Mahalanobis distance.

Pre-gate. Every batch holds detections of one sensor, measured in (range, azimuth, elevation). For a track,
each measurement component k obeys a necessary condition of the chi-square gate: ``nu^T S^-1 nu <= gamma``
implies ``|nu_k| <= sqrt(gamma S_kk)``. So each track gets a box in (range, azimuth, elevation): its predicted
measurement at both ends of the batch's time span (the box covers the segment between them) widened by
``sqrt(gamma (h_k P h_k^T + sigma_k^2))`` with the larger predicted covariance of the two ends (the
covariance grows convexly in time) and the largest measurement sigma of the batch, plus a 10 % margin for the
linearisation. Detections are bucketed into an (azimuth, range) grid (a counting sort; azimuth wraps) and each
track visits only the cells its box touches, then tests the three box intervals: the cost grows with tracks +
detections + candidate pairs, not with tracks x detections. A box in measurement space follows the strongly
anisotropic radar errors (tens of metres in range, hundreds across), so it admits several times fewer
candidates than a sphere in Cartesian space; and a compiled grid beats ``scipy.spatial.cKDTree`` here (per-track
sizes; ``query_ball_point`` returns Python lists), see ``benchmarks/bench_tracker_scale.py``.

Chi-square gate: a pair passes when its squared Mahalanobis distance is at most the ``gate_probability``
quantile of chi-square with as many degrees of freedom as the measurement has (3, or 4 with range rate). The
quantile (:func:`chi_square_quantile`) is solved here from the closed-form tail of chi-square with 1 to 4 degrees
of freedom rather than taken from ``scipy.special.chdtri``: importing ``scipy.special`` costs a process ~0.3 s,
for four numbers per tracker. The two agree to a few units in the last place (``tests/test_tracking_gating.py``).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from airpicture.compiled import njit

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

PREGATE_MARGIN = 1.1


def gate_thresholds(gate_probability: float) -> F64:
    """Chi-square gate thresholds indexed by measurement dimension (entries 3 and 4 are used)."""
    out = np.full(5, np.inf)
    for m in (1, 2, 3, 4):
        out[m] = chi_square_quantile(gate_probability, m)
    return out


def chi_square_quantile(p: float, k: int) -> float:
    """The ``p`` quantile (0 < p < 1) of chi-square with ``k`` = 1, 2, 3 or 4 degrees of freedom: the x with
    P(X > x) = 1 - p. Newton's method on ln P(X > x), kept inside a shrinking bracket, to full double precision."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"probability must be in (0, 1), got {p}")
    if k not in (1, 2, 3, 4):
        raise ValueError(f"degrees of freedom must be 1, 2, 3 or 4, got {k}")
    q = 1.0 - p
    ln_q = math.log(q)
    if k == 2:
        return -2.0 * ln_q
    lo, hi = 0.0, max(-2.0 * ln_q, 1.0)
    while _chi2_tail(hi, k) > q:  # bracket the root: the tail falls as x grows
        lo, hi = hi, 2.0 * hi
    x = 0.5 * (lo + hi)
    for _ in range(200):
        tail = _chi2_tail(x, k)
        if tail > q:
            lo = x
        else:
            hi = x
        step = (math.log(tail) - ln_q) * tail / _chi2_density(x, k) if tail > 0.0 else -math.inf
        new = x + step
        if not lo < new < hi:  # Newton left the bracket: bisect instead
            new = 0.5 * (lo + hi)
        if abs(new - x) <= 2.0 * math.ulp(x) or hi - lo <= 2.0 * math.ulp(hi):
            return new
        x = new
    return x


def _chi2_tail(x: float, k: int) -> float:
    """P(X > x) of chi-square with k = 1, 3 or 4 degrees of freedom (closed forms)."""
    if k == 4:
        return math.exp(-0.5 * x) * (1.0 + 0.5 * x)
    tail = math.erfc(math.sqrt(0.5 * x))
    if k == 3:
        tail += math.sqrt(2.0 * x / math.pi) * math.exp(-0.5 * x)
    return tail


def _chi2_density(x: float, k: int) -> float:
    """Density of chi-square with k = 1, 3 or 4 degrees of freedom at x > 0."""
    if k == 4:
        return 0.25 * x * math.exp(-0.5 * x)
    if k == 3:
        return math.sqrt(x / (2.0 * math.pi)) * math.exp(-0.5 * x)
    return math.exp(-0.5 * x) / math.sqrt(2.0 * math.pi * x)


@njit(cache=True, forceinline=True)
def _box_one(x, P, dt, q, spos, srot, out_z, out_var, Pp, p, d, g, h) -> None:
    """Predicted (r, az, el) at dt (constant velocity) and the variances h_k P_pos(dt) h_k^T. ``Pp``, ``g``
    (3, 3), ``p``, ``d``, ``h`` (3,) are scratch."""
    adt = abs(dt)
    qpp = q * adt * adt * adt / 3.0
    for a in range(3):
        p[a] = x[a] + dt * x[a + 3] - spos[a]
        for b in range(3):
            Pp[a, b] = P[a, b] + dt * (P[a, b + 3] + P[b, a + 3]) + dt * dt * P[a + 3, b + 3]
        Pp[a, a] += qpp
    for a in range(3):
        d[a] = srot[a, 0] * p[0] + srot[a, 1] * p[1] + srot[a, 2] * p[2]
    rho2 = d[0] * d[0] + d[1] * d[1]
    r2 = rho2 + d[2] * d[2]
    r = math.sqrt(max(r2, 1e-12))
    rho = max(math.sqrt(rho2), 1e-9 * r + 1e-9)
    out_z[0] = r
    out_z[1] = math.atan2(d[0], d[1])
    out_z[2] = math.atan2(d[2], math.sqrt(rho2))
    # Jacobian rows in sensor axes, then back to site axes: h_site = h_local @ srot
    g[0, 0], g[0, 1], g[0, 2] = d[0] / r, d[1] / r, d[2] / r
    g[1, 0], g[1, 1], g[1, 2] = d[1] / (rho * rho), -d[0] / (rho * rho), 0.0
    g[2, 0] = -d[0] * d[2] / (r * r * rho)
    g[2, 1] = -d[1] * d[2] / (r * r * rho)
    g[2, 2] = rho / (r * r)
    for k in range(3):
        for a in range(3):
            h[a] = g[k, 0] * srot[0, a] + g[k, 1] * srot[1, a] + g[k, 2] * srot[2, a]
        acc = 0.0
        for a in range(3):
            for b in range(3):
                acc += h[a] * Pp[a, b] * h[b]
        out_var[k] = max(acc, 0.0)


@njit(cache=True)
def polar_boxes(slots, trk_t, x, P, q_max, ta, tb, spos, srot, sig_max, gamma, margin, lo, hi) -> None:
    """Gate boxes of tracks ``slots`` for detections over ``[ta, tb]``: ``lo``/``hi`` (K, 3) bounds of range
    (m), azimuth (rad, ``lo`` in [-pi, pi), ``hi`` may exceed it: the interval is taken modulo 2 pi) and
    elevation (rad)."""
    za = np.empty(3)
    zb = np.empty(3)
    va = np.empty(3)
    vb = np.empty(3)
    Pp = np.empty((3, 3))
    g = np.empty((3, 3))
    p = np.empty(3)
    d = np.empty(3)
    h = np.empty(3)
    for k in range(slots.shape[0]):
        i = slots[k]
        _box_one(x[i], P[i], ta - trk_t[i], q_max, spos, srot, za, va, Pp, p, d, g, h)
        _box_one(x[i], P[i], tb - trk_t[i], q_max, spos, srot, zb, vb, Pp, p, d, g, h)
        daz = zb[1] - za[1]
        daz -= 2.0 * math.pi * math.floor(daz / (2.0 * math.pi) + 0.5)
        for a in range(3):
            w = margin * math.sqrt(gamma * (max(va[a], vb[a]) + sig_max[a] * sig_max[a]))
            if a == 1:
                c0 = za[1] + min(daz, 0.0)
                c1 = za[1] + max(daz, 0.0)
                w = min(w, math.pi)
                lo[k, 1] = c0 - w
                hi[k, 1] = c1 + w
            else:
                lo[k, a] = min(za[a], zb[a]) - w
                hi[k, a] = max(za[a], zb[a]) + w


@njit(cache=True)
def _kth_smallest(a, k: int) -> float:
    """``np.sort(a)[k]`` for an array without NaN, by Hoare's selection (``a`` is reordered): the same value, and
    it spares the first run compiling Numba's sort (~1.5 s)."""
    lo = 0
    hi = a.shape[0] - 1
    while lo < hi:
        pivot = a[(lo + hi) // 2]
        i = lo
        j = hi
        while i <= j:
            while a[i] < pivot:
                i += 1
            while a[j] > pivot:
                j -= 1
            if i <= j:
                a[i], a[j] = a[j], a[i]
                i += 1
                j -= 1
        if k <= j:
            hi = j
        elif k >= i:
            lo = i
        else:
            break
    return a[k]


@njit(cache=True)
def _grid_pairs(lo, hi, det_z):
    """Pairs (box k, detection j) with det_z[j] inside box k (azimuth modulo 2 pi); sorted by k then j."""
    two_pi = 2.0 * math.pi
    n_det = det_z.shape[0]
    n_trk = lo.shape[0]
    if n_det == 0 or n_trk == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    rmin = det_z[0, 0]
    rmax = rmin
    for j in range(n_det):
        rmin = min(rmin, det_z[j, 0])
        rmax = max(rmax, det_z[j, 0])
    # cell sizes: the median box size (from a sample of at most 1025 boxes), coarsened until the grid has at
    # most ~4 cells per detection
    step = max(n_trk // 1024, 1)
    ns = (n_trk + step - 1) // step
    wr = np.empty(ns)
    wa = np.empty(ns)
    for q in range(ns):
        wr[q] = hi[q * step, 0] - lo[q * step, 0]
        wa[q] = hi[q * step, 1] - lo[q * step, 1]
    cr = max(_kth_smallest(wr, ns // 2), 1.0)
    ca = min(max(_kth_smallest(wa, ns // 2), 1e-6), two_pi)
    nr = int((rmax - rmin) / cr) + 1
    na = max(int(two_pi / ca), 1)
    while nr * na > 4 * n_det + 64:
        if nr > 1:
            nr = (nr + 1) // 2
        if na > 1:
            na = (na + 1) // 2
    cr = max(rmax - rmin, 1.0) / nr * (1.0 + 1e-9)
    ca = two_pi / na
    cell_of = np.empty(n_det, np.int64)
    start = np.zeros(na * nr + 1, np.int64)
    for j in range(n_det):
        ia = min(int((det_z[j, 1] % two_pi) / ca), na - 1)
        ir = min(int((det_z[j, 0] - rmin) / cr), nr - 1)
        c = ia * nr + ir
        cell_of[j] = c
        start[c + 1] += 1
    for c in range(na * nr):
        start[c + 1] += start[c]
    fill = start[:-1].copy()
    order = np.empty(n_det, np.int64)
    for j in range(n_det):
        c = cell_of[j]
        order[fill[c]] = j
        fill[c] += 1
    # detections copied in cell order, so that a cell's candidates are read contiguously
    zr = np.empty(n_det)
    za = np.empty(n_det)
    ze = np.empty(n_det)
    for q in range(n_det):
        zr[q] = det_z[order[q], 0]
        za[q] = det_z[order[q], 1]
        ze[q] = det_z[order[q], 2]
    cap = 2 * (n_trk + n_det) + 16
    out_t = np.empty(cap, np.int64)
    out_d = np.empty(cap, np.int64)
    k = 0
    for i in range(n_trk):
        k_first = k
        if hi[i, 0] < rmin or lo[i, 0] > rmax:
            continue
        r0 = max(math.floor((lo[i, 0] - rmin) / cr), 0)
        r1 = min(math.floor((hi[i, 0] - rmin) / cr), nr - 1)
        a_lo = lo[i, 1]
        span = hi[i, 1] - a_lo
        a0 = math.floor(a_lo / ca)
        a1 = math.floor((a_lo + span) / ca)
        if a1 - a0 + 1 > na:
            a1 = a0 + na - 1
        for aa in range(a0, a1 + 1):
            ia = aa % na
            for ir in range(r0, r1 + 1):
                c = ia * nr + ir
                for s in range(start[c], start[c + 1]):
                    if zr[s] < lo[i, 0] or zr[s] > hi[i, 0]:
                        continue
                    if ze[s] < lo[i, 2] or ze[s] > hi[i, 2]:
                        continue
                    off = (za[s] - a_lo) % two_pi
                    if off > span:
                        continue
                    j = order[s]
                    if k == cap:
                        cap *= 2
                        nt = np.empty(cap, np.int64)
                        nd = np.empty(cap, np.int64)
                        for q in range(k):  # element loops: a slice assignment compiles Numba's shape-error path
                            nt[q] = out_t[q]
                            nd[q] = out_d[q]
                        out_t = nt
                        out_d = nd
                    out_t[k] = i
                    out_d[k] = j
                    k += 1
        # detections of one track in index order (insertion sort: a track has few candidates)
        for a in range(k_first + 1, k):
            v = out_d[a]
            b = a - 1
            while b >= k_first and out_d[b] > v:
                out_d[b + 1] = out_d[b]
                b -= 1
            out_d[b + 1] = v
    return out_t[:k].copy(), out_d[:k].copy()


def candidate_pairs(lo: F64, hi: F64, det_z: F64) -> tuple[I64, I64]:
    """All (box, detection) index pairs with the detection's (range m, azimuth rad, elevation rad) inside the
    box ``[lo, hi]`` (azimuth interval taken modulo 2 pi), sorted by box then by detection."""
    return _grid_pairs(np.ascontiguousarray(lo, dtype=float), np.ascontiguousarray(hi, dtype=float),
                       np.ascontiguousarray(det_z, dtype=float))
