"""Thinning long histories for display, without losing what matters.

Paths keep one point per time bucket per object plus each object's first and last point, so every path still
starts and ends where it really did. Time series are reduced per bucket with the reduction that keeps the
message (the maximum for loads against a capacity, the minimum for stocks), so a saturation never disappears
by averaging.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

NICE_STEPS_S = (1.0, 2.0, 5.0, 10.0, 15.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0)


def nice_step(span_s: float, max_count: int, base_s: float) -> float:
    """The smallest 'round' step (a multiple of ``base_s``) that cuts ``span_s`` into at most ``max_count`` parts."""
    want = span_s / max(max_count, 1)
    for s in NICE_STEPS_S:
        if s >= want and s >= base_s:
            return float(base_s * np.ceil(s / base_s - 1e-9))
    return float(base_s * np.ceil(want / base_s))


def path_order(owner: I64, time_s: F64) -> I64:
    """Indices sorting rows by (owner, time)."""
    return np.lexsort((time_s, owner))


def path_keep(owner: I64, time_s: F64, step_s: float) -> NDArray[np.bool_]:
    """For rows sorted by (owner, time): keep the first row of each ``step_s`` bucket of each owner, and each
    owner's last row."""
    n = owner.size
    keep = np.zeros(n, dtype=bool)
    if n == 0:
        return keep
    bucket = np.floor(time_s / step_s).astype(np.int64)
    new_owner = np.ones(n, dtype=bool)
    new_owner[1:] = owner[1:] != owner[:-1]
    keep[0] = True
    keep[1:] = new_owner[1:] | (bucket[1:] != bucket[:-1])
    last = np.ones(n, dtype=bool)
    last[:-1] = owner[1:] != owner[:-1]
    return keep | last


def with_breaks(owner: I64, *columns: F64) -> tuple[F64, ...]:
    """Columns of rows sorted by owner, with a NaN row inserted between owners (line breaks for plotting)."""
    if owner.size == 0:
        return tuple(np.zeros(0) for _ in columns)
    cut = np.flatnonzero(owner[1:] != owner[:-1]) + 1
    return tuple(np.insert(np.asarray(c, dtype=float), cut, np.nan) for c in columns)


def bucket_series(time_s: F64, values: F64, max_points: int,
                  reduce: Callable[..., F64] = np.maximum.reduceat) -> tuple[F64, F64]:
    """A time series (sorted by time) cut to at most ``max_points`` buckets of equal row count, each reduced
    with ``reduce`` (a ``ufunc.reduceat``, e.g. ``np.maximum.reduceat``); the time of a bucket is its first."""
    n = time_s.size
    if n <= max_points:
        return time_s, values
    size = int(np.ceil(n / max_points))
    starts = np.arange(0, n, size)
    return time_s[starts], reduce(values, starts)
