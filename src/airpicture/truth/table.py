"""The truth table: every target's state over time, as struct-of-arrays, with fast interpolation.

Frame: local ENU metres and m/s at the scenario site; time in seconds from the scenario start.
Samples are sorted by (target, time). Between samples the state is interpolated with a cubic Hermite
polynomial through the two positions and velocities (exact for constant-acceleration motion).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from airpicture.vocab import EndReason

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Target end reasons, stored as strings in tables.
END_IMPACT = EndReason.IMPACT  # reached its asset (threats) / hit the ground (ballistic)
END_EXIT = EndReason.EXIT  # left the area (civil traffic, replays)
END_RUNNING = EndReason.RUNNING  # still flying when the scenario ended

_TIME_KEY = 1.0e7  # > span of scenario times (times are within [-86400, 2 * 86400])
_TIME_OFFSET = 2.0e5


@dataclass(frozen=True)
class Targets:
    """Per-target attributes (one row per target, ``target_id`` = row index)."""

    kind: NDArray[np.str_]
    hostile: NDArray[np.bool_]
    rcs_m2: F64
    asset_index: I64  # defended asset the threat flies to, -1 for none
    start_s: F64
    end_s: F64
    end_reason: NDArray[np.str_]
    group: NDArray[np.str_]  # raid / traffic / replay name
    callsign: NDArray[np.str_]  # icao24 for replays, else a generated label
    rcs_broadside_ratio: F64 | None = None  # RCS broadside / head-on per target (None: 1, no aspect dependence)

    def __len__(self) -> int:
        return int(self.kind.shape[0])

    @property
    def target_id(self) -> I64:
        return np.arange(len(self), dtype=np.int64)


@dataclass(frozen=True)
class Samples:
    """States of all targets, sorted by (target_id, time_s). ``x`` is (M, 6): [e, n, u, ve, vn, vu]."""

    target_id: I64
    time_s: F64
    x: F64
    _offsets: I64 = field(repr=False, default_factory=lambda: np.zeros(1, dtype=np.int64))

    def __len__(self) -> int:
        return int(self.time_s.shape[0])


@dataclass(frozen=True)
class Truth:
    """Targets and their sampled states."""

    targets: Targets
    samples: Samples

    @property
    def n_targets(self) -> int:
        return len(self.targets)

    def alive(self, t: float | F64) -> NDArray[np.bool_]:
        """(N,) mask (or (T, N) for an array of times) of targets in the sky at time t."""
        t = np.asarray(t, dtype=float)
        return (self.targets.start_s <= t[..., None]) & (t[..., None] <= self.targets.end_s)

    def state_at(self, target_id: I64, t: F64) -> F64:
        """Interpolated (K, 6) states of targets ``target_id`` at times ``t`` (within each target's life)."""
        return interpolate(self.samples, target_id, t, self._sample_key)

    @cached_property
    def _sample_key(self) -> F64:
        """The samples' (target, time) search key, computed once rather than at every call (a call for a few
        states would otherwise cost a pass over every sample)."""
        return sample_key(self.samples)


def sample_key(samples: Samples) -> F64:
    return samples.target_id * _TIME_KEY + (samples.time_s + _TIME_OFFSET)


def interpolate(samples: Samples, target_id: I64, t: F64, key: F64 | None = None) -> F64:
    """(K, 6) states of ``target_id`` at times ``t``: cubic Hermite between the bracketing samples. ``key``:
    :func:`sample_key` of ``samples`` if already computed."""
    target_id = np.asarray(target_id, dtype=np.int64)
    t = np.asarray(t, dtype=float)
    s = samples
    if target_id.size == 0:
        return np.zeros((0, 6))
    key_s = sample_key(s) if key is None else key
    key_q = target_id * _TIME_KEY + (t + _TIME_OFFSET)
    j = np.searchsorted(key_s, key_q, side="right")  # first sample after the query
    lo = np.clip(j - 1, 0, len(s) - 1)
    first = s._offsets[target_id]
    last = s._offsets[target_id + 1] - 1
    lo = np.clip(lo, first, np.maximum(last - 1, first))
    hi = np.minimum(lo + 1, last)
    return hermite(s.time_s[lo], s.x[lo], s.time_s[hi], s.x[hi], t)


def hermite(t0: F64, x0: F64, t1: F64, x1: F64, t: F64) -> F64:
    """Cubic Hermite interpolation of (K, 6) states between (t0, x0) and (t1, x1) at times t.

    Where t0 == t1 (a single sample) the state is extrapolated at constant velocity.
    """
    h = t1 - t0
    safe = np.where(h > 0, h, 1.0)
    s = np.where(h > 0, (t - t0) / safe, 0.0)[:, None]
    p0, v0 = x0[:, :3], x0[:, 3:]
    p1, v1 = x1[:, :3], x1[:, 3:]
    hh = safe[:, None]
    s2, s3 = s * s, s * s * s
    h00 = 2 * s3 - 3 * s2 + 1
    h10 = s3 - 2 * s2 + s
    h01 = -2 * s3 + 3 * s2
    h11 = s3 - s2
    p = h00 * p0 + h10 * hh * v0 + h01 * p1 + h11 * hh * v1
    d00 = 6 * s2 - 6 * s
    d10 = 3 * s2 - 4 * s + 1
    d01 = -6 * s2 + 6 * s
    d11 = 3 * s2 - 2 * s
    v = (d00 * p0 + d01 * p1) / hh + d10 * v0 + d11 * v1
    single = (h <= 0)[:, None]
    dt = (t - t0)[:, None]
    p = np.where(single, p0 + v0 * dt, p)
    v = np.where(single, v0, v)
    return np.concatenate([p, v], axis=1)


def make_samples(target_id: I64, time_s: F64, x: F64, n_targets: int) -> Samples:
    """Sort samples by (target, time) and index them per target."""
    order = np.lexsort((time_s, target_id))
    target_id = np.ascontiguousarray(target_id[order], dtype=np.int64)
    time_s = np.ascontiguousarray(time_s[order], dtype=float)
    x = np.ascontiguousarray(x[order], dtype=float)
    counts = np.bincount(target_id, minlength=n_targets)
    offsets = np.zeros(n_targets + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return Samples(target_id, time_s, x, offsets)


def grid_times(start_s: F64, end_s: F64, step_s: float, duration_s: float) -> tuple[I64, F64]:
    """Sample times of each target: the grid k*step inside [start, end] clipped to [0, duration], plus the
    exact start and end instants. Returns (owner index, time) flattened, sorted by owner then time."""
    start = np.maximum(start_s, 0.0)
    end = np.minimum(end_s, duration_s)
    live = end >= start
    k0 = np.ceil(start / step_s - 1e-9).astype(np.int64)
    k1 = np.floor(end / step_s + 1e-9).astype(np.int64)
    n = np.where(live, np.maximum(k1 - k0 + 1, 0), 0)
    owner = np.repeat(np.arange(start.size, dtype=np.int64), n)
    first = np.repeat(np.cumsum(n) - n, n)
    k = np.arange(owner.size, dtype=np.int64) - first + np.repeat(k0, n)
    t = k * step_s
    extra_owner = np.concatenate([np.flatnonzero(live), np.flatnonzero(live)])
    extra_t = np.concatenate([start[live], end[live]])
    owner = np.concatenate([owner, extra_owner])
    t = np.concatenate([t, extra_t])
    order = np.lexsort((t, owner))
    owner, t = owner[order], t[order]
    # drop exact duplicates and near-duplicates (< 1 ms) of grid points
    keep = np.ones(t.size, dtype=bool)
    keep[1:] = ~((owner[1:] == owner[:-1]) & (np.abs(t[1:] - t[:-1]) < 1e-3))
    return owner[keep], t[keep]
