"""Fast state look-ups into the truth for the sensors: many (target, time) queries per scan.

``Truth.state_at`` rebuilds a sort key over every sample on each call (O(samples)), which costs more than the
queries themselves when a scan asks for a few thousand states out of millions of samples. ``TruthIndex`` keeps
each target's sample block (samples are sorted by target, then time) and answers a batch of queries with a
binary search inside the block and the same cubic Hermite interpolation as the truth table. The loop is
compiled with Numba: a fused per-query kernel does the search and the interpolation without the ~20 temporary
(K, 3) arrays of the NumPy form (see benchmarks/bench_sensing.py for the measured ratio).

Frame and units: site ENU metres and m/s; time in seconds from the scenario start. Query times are clipped to
each target's sampled span, so no query extrapolates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from airpicture.compiled import njit
from airpicture.truth import Truth

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@njit(cache=True, nogil=True, forceinline=True)
def interpolate_one(sample_t: F64, sample_x: F64, first: int, last: int, t: float, out: F64) -> None:
    """(6,) state at time t from one target's samples ``first..last`` (inclusive) into ``out``: cubic Hermite
    between the bracketing samples (constant velocity from a lone or repeated sample)."""
    if last <= first:
        dt = t - sample_t[first]
        for c in range(3):
            out[c] = sample_x[first, c] + sample_x[first, c + 3] * dt
            out[c + 3] = sample_x[first, c + 3]
        return
    # Find sample_t[lo] <= t < sample_t[lo + 1] (or the block's ends). Samples are nearly evenly spaced (a time
    # grid plus the start and end instants), so guess from the mean spacing and walk: O(1) instead of a
    # binary search's log2(samples) unpredictable branches.
    t_first = sample_t[first]
    span = sample_t[last] - t_first
    lo = first
    if span > 0.0:
        lo = first + int((t - t_first) / span * (last - first))
        lo = min(max(lo, first), last - 1)
    while lo > first and sample_t[lo] > t:
        lo -= 1
    while lo < last - 1 and sample_t[lo + 1] <= t:
        lo += 1
    hi = lo + 1
    t0 = sample_t[lo]
    h = sample_t[hi] - t0
    if h <= 0.0:  # repeated sample time: constant velocity from the first of them
        for c in range(3):
            out[c] = sample_x[lo, c] + sample_x[lo, c + 3] * (t - t0)
            out[c + 3] = sample_x[lo, c + 3]
        return
    s = (t - t0) / h
    s2 = s * s
    s3 = s2 * s
    h00 = 2.0 * s3 - 3.0 * s2 + 1.0
    h10 = s3 - 2.0 * s2 + s
    h01 = -2.0 * s3 + 3.0 * s2
    h11 = s3 - s2
    d00 = (6.0 * s2 - 6.0 * s) / h
    d10 = 3.0 * s2 - 4.0 * s + 1.0
    d11 = 3.0 * s2 - 2.0 * s
    for c in range(3):
        p0 = sample_x[lo, c]
        p1 = sample_x[hi, c]
        v0 = sample_x[lo, c + 3]
        v1 = sample_x[hi, c + 3]
        out[c] = h00 * p0 + h10 * h * v0 + h01 * p1 + h11 * h * v1
        out[c + 3] = d00 * (p0 - p1) + d10 * v0 + d11 * v1


@njit(cache=True, nogil=True)
def _interpolate(sample_t: F64, sample_x: F64, offsets: I64, target_id: I64, t: F64, out: F64) -> None:
    """States of target_id[i] at t[i] into out[i]."""
    for i in range(target_id.shape[0]):
        k = target_id[i]
        interpolate_one(sample_t, sample_x, offsets[k], offsets[k + 1] - 1, t[i], out[i])


class TruthSamples(NamedTuple):
    """The sample blocks of a :class:`TruthIndex` as compiled kernels take them: times (s), states (site ENU, m
    and m/s), and per target the first sample (``offsets``, (N + 1,))."""

    sample_t: F64
    sample_x: F64
    offsets: I64


@dataclass(frozen=True)
class TruthIndex:
    """Per-target sample blocks of a :class:`Truth` and each target's usable time span."""

    sample_t: F64
    sample_x: F64
    offsets: I64  # (N + 1,): samples of target k are offsets[k]:offsets[k + 1]
    first_s: F64  # (N,) start of each target's life within its samples, seconds
    last_s: F64  # (N,) end of each target's life within its samples, seconds
    rcs_m2: F64  # (N,) mean radar cross section (head-on value when aspect-dependent)
    rcs_broadside_ratio: F64  # (N,) RCS broadside / head-on (1: no aspect dependence)

    @classmethod
    def of(cls, truth: Truth) -> TruthIndex:
        s = truth.samples
        n = truth.n_targets
        offsets = np.searchsorted(s.target_id, np.arange(n + 1, dtype=np.int64)).astype(np.int64)
        has = offsets[1:] > offsets[:-1]
        first = np.full(n, np.inf)
        last = np.full(n, -np.inf)
        first[has] = s.time_s[offsets[:-1][has]]
        last[has] = s.time_s[offsets[1:][has] - 1]
        first = np.maximum(first, truth.targets.start_s)
        last = np.minimum(last, truth.targets.end_s)
        return cls(np.ascontiguousarray(s.time_s, dtype=float), np.ascontiguousarray(s.x, dtype=float), offsets,
                   first, last, np.asarray(truth.targets.rcs_m2, dtype=float),
                   np.ones(n) if truth.targets.rcs_broadside_ratio is None
                   else np.asarray(truth.targets.rcs_broadside_ratio, dtype=float))

    @property
    def samples(self) -> TruthSamples:
        return TruthSamples(self.sample_t, self.sample_x, self.offsets)

    @property
    def n_targets(self) -> int:
        return int(self.first_s.shape[0])

    def state_at(self, target_id: I64, t: F64) -> F64:
        """(K, 6) site-ENU states [e, n, u, ve, vn, vu] of ``target_id`` at ``t`` (clipped to each life)."""
        target_id = np.ascontiguousarray(target_id, dtype=np.int64)
        t = np.clip(np.asarray(t, dtype=float), self.first_s[target_id], self.last_s[target_id])
        out = np.empty((target_id.shape[0], 6))
        if target_id.shape[0]:
            _interpolate(self.sample_t, self.sample_x, self.offsets, target_id, np.ascontiguousarray(t), out)
        return out
