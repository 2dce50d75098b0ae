"""The per-step threat evaluation of one battery fused into one compiled loop.

It computes, for every candidate track, exactly what :func:`.threat.time_to_go`, :func:`.intercept.solve_intercept`,
:func:`.intercept.in_envelope` and ``LocalFrame.height_from_enu`` compute (those NumPy functions are the
reference; the tests check this kernel against them). Fused because the per-step cost of some forty small NumPy
calls on ~100 tracks is dominated by call overhead (~0.3 ms against ~10 us here; see
``benchmarks/bench_engagement.py``).

Frame and units: local ENU metres, m/s, seconds.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from airpicture.compiled import njit
from airpicture.vocab import ThreatStatus

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: ``status`` values: not a threat (not a candidate, or closing on no asset); a threat whose intercept point is
#: outside the envelope (or that cannot be caught); a threat caught inside the envelope only after it reaches its
#: asset; an engageable threat.
NOT_THREAT, OUT_OF_ENVELOPE, TOO_LATE, ENGAGEABLE = (int(s) for s in ThreatStatus)


class InterceptTables(NamedTuple):
    """A battery's fixed inputs of the threat evaluation: the defended assets, the launcher, the interceptor and
    the engagement envelope per target kind (indexed like ``ALL_KINDS``). Site ENU metres, m/s."""

    asset_en: F64  # (A, 2) east/north of the defended assets
    asset_radius_m: F64  # (A,) radius within which a threat has reached its asset
    launcher_m: F64  # (3,) launcher position (e, n, u)
    speed_mps: float  # mean interceptor speed
    min_range_m: F64  # (kinds,) envelope: slant range of the intercept point from the launcher
    max_range_m: F64
    min_altitude_m: F64  # (kinds,) envelope: height of the intercept point above the spherical ground
    max_altitude_m: F64
    earth_radius_m: float  # radius of the site frame's spherical ground model


class Evaluation(NamedTuple):
    """Per track (K,), what :func:`evaluate_tracks` fills in."""

    status: NDArray[np.int8]  # NOT_THREAT, OUT_OF_ENVELOPE, TOO_LATE or ENGAGEABLE
    time_to_go_s: F64  # to the asset it reaches first (inf: none)
    asset: I64  # index into ``InterceptTables.asset_en`` (-1: none)
    intercept_time_s: F64  # planned intercept (inf: none)

    @classmethod
    def empty(cls, k: int) -> Evaluation:
        return cls(np.empty(k, np.int8), np.empty(k), np.empty(k, np.int64), np.empty(k))


@njit(cache=True, nogil=True)
def evaluate_tracks(x: F64, candidate: NDArray[np.bool_], kind: I64, t: float, launch_time_s: float,
                    tab: InterceptTables, out: Evaluation) -> None:
    """Fill ``out`` for tracks ``x`` (K, 6) predicted to ``t`` (s), of kinds ``kind`` (K,) where ``candidate``
    (K,); interceptors launched at ``launch_time_s`` (s) from the battery described by ``tab``."""
    asset_en, asset_radius_m, launcher_m = tab.asset_en, tab.asset_radius_m, tab.launcher_m
    speed_mps, earth_radius_m = tab.speed_mps, tab.earth_radius_m
    min_range_m, max_range_m = tab.min_range_m, tab.max_range_m
    min_altitude_m, max_altitude_m = tab.min_altitude_m, tab.max_altitude_m
    status, time_to_go_s, asset, intercept_time_s = out.status, out.time_to_go_s, out.asset, out.intercept_time_s
    k_n = x.shape[0]
    a_n = asset_en.shape[0]
    for k in range(k_n):
        status[k] = NOT_THREAT
        time_to_go_s[k] = np.inf
        asset[k] = -1
        intercept_time_s[k] = np.inf
        if not candidate[k]:
            continue
        e, n, u, ve, vn, vu = x[k, 0], x[k, 1], x[k, 2], x[k, 3], x[k, 4], x[k, 5]
        best = np.inf
        best_a = -1
        for a in range(a_n):
            re = e - asset_en[a, 0]
            rn = n - asset_en[a, 1]
            dist = math.hypot(re, rn)
            closing = -(re * ve + rn * vn) / (dist if dist > 0.0 else 1.0)
            if dist <= asset_radius_m[a]:
                tgo = 0.0
            elif closing > 0.0:
                tgo = (dist - asset_radius_m[a]) / closing
            else:
                continue
            if tgo < best:
                best = tgo
                best_a = a
        if best_a < 0:
            continue
        time_to_go_s[k] = best
        asset[k] = best_a
        status[k] = OUT_OF_ENVELOPE
        dt = launch_time_s - t
        rx = e + ve * dt - launcher_m[0]
        ry = n + vn * dt - launcher_m[1]
        rz = u + vu * dt - launcher_m[2]
        qa = ve * ve + vn * vn + vu * vu - speed_mps * speed_mps
        hb = rx * ve + ry * vn + rz * vu
        qc = rx * rx + ry * ry + rz * rz
        disc = hb * hb - qa * qc
        if disc < 0.0:
            continue
        den = math.sqrt(disc) - hb
        if qc == 0.0:
            tau = 0.0
        elif den > 0.0:
            tau = qc / den
        else:
            continue
        if not (tau >= 0.0 and math.isfinite(tau)):
            continue
        pe = rx + ve * tau + launcher_m[0]
        pn = ry + vn * tau + launcher_m[1]
        pu = rz + vu * tau + launcher_m[2]
        rng = speed_mps * tau
        height = math.sqrt(pe * pe + pn * pn + (pu + earth_radius_m) ** 2) - earth_radius_m
        kk = kind[k]
        t_int = launch_time_s + tau
        intercept_time_s[k] = t_int
        if not (min_range_m[kk] <= rng <= max_range_m[kk] and min_altitude_m[kk] <= height <= max_altitude_m[kk]):
            continue
        status[k] = ENGAGEABLE if t_int < t + best else TOO_LATE


def evaluate_tracks_numpy(x: F64, candidate: NDArray[np.bool_], kind: I64, t: float, launch_time_s: float,
                          tab: InterceptTables) -> Evaluation:
    """The same as :func:`evaluate_tracks`, composed from the NumPy reference functions; returns the
    :class:`Evaluation`. The reference for tests and benchmarks."""
    from airpicture.engagement.intercept import in_envelope, solve_intercept
    from airpicture.engagement.threat import time_to_go

    asset_en, asset_radius_m, launcher_m, speed_mps = tab.asset_en, tab.asset_radius_m, tab.launcher_m, tab.speed_mps
    min_range_m, max_range_m, min_altitude_m, max_altitude_m = (tab.min_range_m, tab.max_range_m, tab.min_altitude_m,
                                                                tab.max_altitude_m)
    earth_radius_m = tab.earth_radius_m
    k = x.shape[0]
    status = np.full(k, NOT_THREAT, np.int8)
    tgo = np.full(k, np.inf)
    asset = np.full(k, -1, np.int64)
    t_int = np.full(k, np.inf)
    idx = np.flatnonzero(candidate)
    ta = time_to_go(x[idx], asset_en, asset_radius_m)
    idx, go, a = idx[ta.closing], ta.time_to_go_s[ta.closing], ta.asset[ta.closing]
    tgo[idx], asset[idx] = go, a
    status[idx] = OUT_OF_ENVELOPE
    sol = solve_intercept(x[idx, :3], x[idx, 3:], t, launch_time_s, launcher_m, speed_mps)
    t_int[idx] = sol.intercept_time_s
    p = sol.point_m
    height = np.sqrt(p[:, 0] ** 2 + p[:, 1] ** 2 + (p[:, 2] + earth_radius_m) ** 2) - earth_radius_m
    kk = kind[idx]
    inside = sol.feasible & in_envelope(sol.range_m, height, min_range_m[kk], max_range_m[kk], min_altitude_m[kk],
                                        max_altitude_m[kk])
    status[idx[inside]] = np.where(sol.intercept_time_s[inside] < t + go[inside], ENGAGEABLE, TOO_LATE)
    return Evaluation(status, tgo, asset, t_int)
