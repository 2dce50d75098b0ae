"""Resolution: echoes that share a resolution cell in one scan cannot be told apart and give one detection.

Two targets are unresolved when they are closer than the range resolution, the azimuth cell *and* the
elevation resolution (a box in polar coordinates); unresolved pairs are chained into groups (connected
components), so a close formation reports as one target until it spreads. A group's echo is the sum of its
members' (fluctuated) powers (incoherent sum), and its position, time and range rate are the power-weighted
centroid; its label is the strongest member. Groups come from one compiled sort-and-sweep in cell units: echoes
sorted by range, each compared with the following ones less than a range cell away (the box test on azimuth and
elevation), unresolved pairs joined by union-find, groups numbered by their lowest echo index (as
``scipy.sparse.csgraph.connected_components`` numbers them). Measured on 34,000 echoes of one rotation: 4.4 ms
against 10.2 ms for a ``cKDTree`` pair query plus ``connected_components``, identical groups. Chains merge (A
near B near C is one group even when A and C are two cells apart). Grouping works within one rotation: two
echoes within a cell of each other but on either side of the rotation's start azimuth are swept a rotation apart
and stay separate (an edge effect over one azimuth cell in 360 degrees).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from airpicture.compiled import njit

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

TWO_PI = 2.0 * math.pi


def resolution_groups(range_m: F64, azimuth_rad: F64, elevation_rad: F64, range_resolution_m: float,
                      azimuth_cell_rad: float, elevation_resolution_rad: float,
                      cut_azimuth_rad: float = 0.0) -> tuple[int, I64]:
    """Group echoes of one rotation closer than one cell in range, azimuth and elevation. Returns
    ``(n_groups, group)``, ``group[i]`` in ``0..n_groups-1``.

    Azimuth is measured clockwise from ``cut_azimuth_rad``, the beam's azimuth at the start of the rotation:
    echoes on either side of it are swept a whole rotation apart and are never merged.
    """
    n = int(np.asarray(range_m).shape[0])
    if n == 0:
        return 0, np.zeros(0, dtype=np.int64)
    group = np.empty(n, dtype=np.int64)
    n_groups = box_groups(cell_units(range_m, azimuth_rad, elevation_rad, range_resolution_m, azimuth_cell_rad,
                                     elevation_resolution_rad, cut_azimuth_rad), group)
    return n_groups, group


def cell_units(range_m: F64, azimuth_rad: F64, elevation_rad: F64, range_resolution_m: float,
               azimuth_cell_rad: float, elevation_resolution_rad: float, cut_azimuth_rad: float = 0.0) -> F64:
    """(K, 3) echo positions in resolution cells: range, azimuth clockwise from ``cut_azimuth_rad``, elevation."""
    n = int(np.asarray(range_m).shape[0])
    x = np.empty((n, 3))
    x[:, 0] = np.asarray(range_m, dtype=float) / range_resolution_m
    x[:, 1] = np.mod(np.asarray(azimuth_rad, dtype=float) - cut_azimuth_rad, TWO_PI) / azimuth_cell_rad
    x[:, 2] = np.asarray(elevation_rad, dtype=float) / elevation_resolution_rad
    return x


def box_groups(x: F64, group: I64) -> int:
    """Groups of the echoes at cell positions ``x`` (K, 3; see :func:`cell_units`) closer than one cell in every
    coordinate (chained) into ``group`` (K,), numbered from 0 by their lowest index; returns how many."""
    if x.shape[0] == 0:
        return 0
    return int(_box_groups(x, np.argsort(x[:, 0]), group))


@njit(cache=True, nogil=True)
def _root(parent: I64, i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]  # path halving
        i = parent[i]
    return i


@njit(cache=True, nogil=True)
def _box_groups(x: F64, order: I64, out: I64) -> int:
    """Groups of the points ``x`` (K, 3) in cell units closer than 1 in every coordinate (chained), ``order``
    sorting them by ``x[:, 0]``; ``out[i]`` the group of point i, groups numbered by their lowest point index.
    Returns the number of groups."""
    n = x.shape[0]
    parent = np.arange(n)
    for a in range(n):
        i = order[a]
        for b in range(a + 1, n):
            j = order[b]
            if x[j, 0] - x[i, 0] >= 1.0:
                break
            if abs(x[j, 1] - x[i, 1]) < 1.0 and abs(x[j, 2] - x[i, 2]) < 1.0:
                ri = _root(parent, i)
                rj = _root(parent, j)
                if ri < rj:
                    parent[rj] = ri
                elif rj < ri:
                    parent[ri] = rj
    label = np.full(n, -1, dtype=np.int64)
    k = 0
    for i in range(n):
        r = _root(parent, i)
        if label[r] < 0:
            label[r] = k
            k += 1
        out[i] = label[r]
    return k


@dataclass(frozen=True)
class Merged:
    """One echo per resolution group: summed power, power-weighted centroid, strongest member, member count."""

    power: F64
    time_s: F64
    range_m: F64
    azimuth_rad: F64
    elevation_rad: F64
    range_rate_mps: F64
    strongest: I64  # index (into the inputs) of the group's strongest member
    members: I64


def merge_echoes(group: I64, n_groups: int, power: F64, time_s: F64, range_m: F64, azimuth_rad: F64,
                 elevation_rad: F64, range_rate_mps: F64) -> Merged:
    """Combine the echoes of each group (power-weighted centroid; azimuth averaged around the strongest)."""
    members = np.bincount(group, minlength=n_groups)
    single = members[group] == 1
    out = {name: np.empty(n_groups) for name in ("time_s", "range_m", "azimuth_rad", "elevation_rad",
                                                  "range_rate_mps", "power")}
    strongest = np.empty(n_groups, dtype=np.int64)
    values = {"time_s": time_s, "range_m": range_m, "azimuth_rad": azimuth_rad, "elevation_rad": elevation_rad,
              "range_rate_mps": range_rate_mps, "power": power}
    gs = group[single]
    for name, v in values.items():
        out[name][gs] = v[single]
    strongest[gs] = np.flatnonzero(single)
    multi = np.flatnonzero(~single)
    if multi.size:
        g = group[multi]
        w = power[multi]
        order = np.lexsort((multi, -w, g))  # by group, strongest first, ties by input order
        gsorted = g[order]
        first = np.ones(order.size, dtype=bool)
        first[1:] = gsorted[1:] != gsorted[:-1]
        top = multi[order[first]]
        strongest[gsorted[first]] = top
        total = np.bincount(g, weights=w, minlength=n_groups)
        out["power"][g] = total[g]

        def mean(v: F64) -> F64:
            return np.bincount(g, weights=w * v, minlength=n_groups)[g] / total[g]

        for name in ("time_s", "range_m", "elevation_rad", "range_rate_mps"):
            out[name][g] = mean(values[name][multi])
        ref = azimuth_rad[strongest[g]]
        offset = np.mod(azimuth_rad[multi] - ref + math.pi, TWO_PI) - math.pi
        out["azimuth_rad"][g] = np.mod(ref + mean(offset), TWO_PI)
    return Merged(out["power"], out["time_s"], out["range_m"], out["azimuth_rad"], out["elevation_rad"],
                  out["range_rate_mps"], strongest, members.astype(np.int64))
