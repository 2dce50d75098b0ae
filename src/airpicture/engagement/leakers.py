"""When each threat reaches its defended asset, from the truth: the first time its horizontal distance to the
asset falls to the asset's ``radius_m``.

Between truth samples the position is taken as linear (samples are one time step apart, so the error is the
chord-to-arc gap of one step: metres against kilometre radii), and the crossing solved exactly on that chord.
Frame: local ENU metres; times in seconds from the scenario start.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from airpicture.truth import Truth

F64 = NDArray[np.float64]


def leak_times(truth: Truth, asset_en: F64, asset_radius_m: F64) -> F64:
    """(N,) time at which each hostile target first comes within its asset's radius (horizontally), inf for
    targets that never do, civil targets and targets without an asset."""
    n = truth.n_targets
    out = np.full(n, np.inf)
    s = truth.samples
    if n == 0 or len(s) == 0 or asset_en.shape[0] == 0:
        return out
    tgt = truth.targets
    owner = s.target_id
    asset = tgt.asset_index[owner]
    relevant = tgt.hostile[owner] & (asset >= 0)
    a = np.where(relevant, asset, 0)
    rel = s.x[:, :2] - asset_en[a]
    radius = asset_radius_m[a]
    inside = relevant & (np.hypot(rel[:, 0], rel[:, 1]) <= radius)
    idx = np.flatnonzero(inside)
    if idx.size == 0:
        return out
    targets, first = np.unique(owner[idx], return_index=True)  # samples are sorted by (target, time)
    j = idx[first]
    prev = j - 1
    has_prev = (prev >= 0) & (owner[np.maximum(prev, 0)] == owner[j])
    t_cross = s.time_s[j].copy()
    k = np.flatnonzero(has_prev)
    if k.size:
        jj, pp = j[k], prev[k]
        p0, p1 = rel[pp], rel[jj]  # relative to the asset; |p0| > R >= |p1|
        d = p1 - p0
        qa = np.einsum("ij,ij->i", d, d)
        qb = np.einsum("ij,ij->i", p0, d)
        qc = np.einsum("ij,ij->i", p0, p0) - radius[jj] ** 2
        disc = np.maximum(qb * qb - qa * qc, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.where(qa > 0, (-qb - np.sqrt(disc)) / qa, 1.0)
        frac = np.clip(np.nan_to_num(frac, nan=1.0), 0.0, 1.0)
        t_cross[k] = s.time_s[pp] + frac * (s.time_s[jj] - s.time_s[pp])
    out[targets] = t_cross
    return out
