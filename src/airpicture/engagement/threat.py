"""Threat evaluation: which tracks close on a defended asset, how soon they get there, and in what order to
engage them.

Frame and units: local East-North-Up metres and m/s at the scenario site; times in seconds. Distances to
assets are horizontal (the asset's leak radius is horizontal too).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from airpicture.vocab import ALL_KINDS, TargetKind

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Secondary ranking key (lower = engaged first) after time-to-go: fast, hard-to-stop kinds first.
KIND_PRIORITY: dict[str, int] = {
    TargetKind.BALLISTIC_MISSILE: 0,
    TargetKind.CRUISE_MISSILE: 1,
    TargetKind.AIRCRAFT: 2,
    TargetKind.DRONE: 3,
    TargetKind.GENERAL_AVIATION: 4,
    TargetKind.AIRLINER: 4,
}
#: ``KIND_PRIORITY`` indexed like ``ALL_KINDS``.
KIND_PRIORITY_BY_INDEX: I64 = np.array([KIND_PRIORITY[k] for k in ALL_KINDS], dtype=np.int64)


@dataclass(frozen=True)
class ThreatAssessment:
    """Per track: the defended asset it reaches first (-1 if it closes on none) and the time to go (s, inf if
    not closing) until it crosses that asset's radius."""

    asset: I64
    time_to_go_s: F64

    @property
    def closing(self) -> NDArray[np.bool_]:
        return self.asset >= 0


def time_to_go(x: F64, asset_en: F64, asset_radius_m: F64) -> ThreatAssessment:
    """Constant-velocity time to go of tracks ``x`` (K, 6) ENU to the nearest of the assets ``asset_en`` (A, 2).

    A track closes on an asset when its horizontal range to it decreases (radial closing speed > 0); its
    time to go is ``max(range - radius, 0) / closing speed``. The asset with the smallest time to go wins
    (ties: the lower asset index).
    """
    k = x.shape[0]
    a = asset_en.shape[0]
    if k == 0 or a == 0:
        return ThreatAssessment(np.full(k, -1, np.int64), np.full(k, np.inf))
    rel = x[:, None, :2] - asset_en[None, :, :]  # (K, A, 2) asset -> track
    dist = np.hypot(rel[..., 0], rel[..., 1])
    radial = rel[..., 0] * x[:, None, 3] + rel[..., 1] * x[:, None, 4]  # d(dist)/dt * dist
    closing_speed = -radial / np.where(dist > 0, dist, 1.0)
    inside = dist <= asset_radius_m[None, :]
    closing = (closing_speed > 0) | inside
    gap = np.maximum(dist - asset_radius_m[None, :], 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        tgo = np.where(inside, 0.0, np.where(closing, gap / np.where(closing_speed > 0, closing_speed, 1.0), np.inf))
    best = np.argmin(tgo, axis=1)
    best_tgo = tgo[np.arange(k), best]
    asset = np.where(np.isfinite(best_tgo), best, -1).astype(np.int64)
    return ThreatAssessment(asset, best_tgo)


#: Times to go are compared in bins of this width (s): a track's estimate is not better than that, and within a
#: bin the threat kind decides.
TIME_TO_GO_BIN_S = 5.0


def threat_order(time_to_go_s: F64, kind_priority: I64, track_id: I64, bin_s: float = TIME_TO_GO_BIN_S) -> I64:
    """Indices of tracks in engagement order: soonest at an asset first (times to go in ``bin_s`` bins), then by
    kind priority, then by exact time to go, then track id (so the order is total and deterministic)."""
    binned = np.floor(np.asarray(time_to_go_s, float) / bin_s)
    return np.lexsort((track_id, time_to_go_s, kind_priority, binned)).astype(np.int64)
