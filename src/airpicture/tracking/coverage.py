"""Which predicted track positions some radar can still see: instrumented range and the radar horizon.

A track whose predicted position lies beyond every radar's instrumented range, or below every radar's horizon,
can no longer be detected: its target has left the picture (flown out of range, descended below the horizon to
land). Such a track is deleted at once (``deleted_coverage``) instead of coasting until its misses or the coast
limit delete it -- published meanwhile, it would be a false track.

The test is the one the radar simulation applies to targets (:meth:`airpicture.sensors.radar.RadarSimulator.
visible`): range from the antenna, and the line of sight over the effective Earth (``refraction_k`` x the
scenario's spherical ground, :func:`airpicture.sensors.physics.above_horizon`), on the track's predicted mean
position with a margin of ``margin_sigma`` standard deviations of its predicted position (a track near the edge
whose target may still be inside is kept). Elevation limits and the blind range are not tested: a target above
the highest elevation (the cone of silence over the radar) or inside the blind range comes back, so its track
coasts through -- but, predicted above every radar's highest elevation (:meth:`CoverageTable.above_ceiling`),
it can be left out of the published picture meanwhile (``picture_in_coverage``, off by default): no radar
supports it there.

Frames and units: positions in site ENU metres; the spherical ground of radius ``earth_radius_m`` touches the
site's origin.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from airpicture.compiled import njit
from airpicture.sensors.physics import tangent_angle

F64 = NDArray[np.float64]


class CoverageTable:
    """Range and horizon of each radar, for :meth:`outside`. ``antenna_heights_m``: each antenna's height above
    the spherical ground; ``refraction_k``: each radar's effective-Earth factor."""

    def __init__(self, positions: Sequence[F64], max_range_m: Sequence[float], antenna_heights_m: Sequence[float],
                 refraction_k: Sequence[float], earth_radius_m: float, rotations: Sequence[F64] | None = None,
                 elevation_max_rad: Sequence[float] | None = None) -> None:
        self.positions = np.array(positions, dtype=float).reshape(-1, 3)
        n = self.positions.shape[0]
        #: each radar's axes (site -> sensor rotation) and highest elevation, for :meth:`above_ceiling`
        self.rotations = (np.array(rotations, dtype=float).reshape(-1, 3, 3) if rotations is not None
                          else np.tile(np.eye(3), (n, 1, 1)))
        self.elevation_max_rad = (np.asarray(elevation_max_rad, dtype=float) if elevation_max_rad is not None
                                  else np.full(n, math.pi / 2))
        self.max_range_m = np.asarray(max_range_m, dtype=float)
        self.k = np.asarray(refraction_k, dtype=float)
        self.earth_radius_m = float(earth_radius_m)
        centre = self.positions + np.array([0.0, 0.0, self.earth_radius_m])
        self._up = centre / np.linalg.norm(centre, axis=1, keepdims=True)  # radar's ground normal
        self._antenna_angle = np.array([float(tangent_angle(h, k * self.earth_radius_m))
                                        for h, k in zip(antenna_heights_m, self.k, strict=True)])

    def outside(self, pos: F64, sigma_m: F64, margin_sigma: float,
                range_margin_sigma: float | None = None) -> NDArray[np.bool_]:
        """(K,) True where the position (K, 3) lies beyond every radar's instrumented range by more than
        ``range_margin_sigma`` (default ``margin_sigma``) x ``sigma_m`` (K,), or below every radar's horizon by
        more than ``margin_sigma`` x ``sigma_m``."""
        pos = np.ascontiguousarray(pos, dtype=float).reshape(-1, 3)
        out = np.empty(pos.shape[0], dtype=bool)
        sig = np.ascontiguousarray(sigma_m, dtype=float)
        r_sigma = margin_sigma if range_margin_sigma is None else range_margin_sigma
        _outside(pos, sig * margin_sigma, sig * r_sigma, self.positions, self.max_range_m, self.k, self._up,
                 self._antenna_angle, self.earth_radius_m, out)
        return out


    def above_ceiling(self, pos: F64) -> NDArray[np.bool_]:
        """(K,) True where the position (K, 3) lies above every radar's highest elevation (seen in its own axes):
        inside the cones of silence of them all."""
        pos = np.ascontiguousarray(pos, dtype=float).reshape(-1, 3)
        out = np.empty(pos.shape[0], dtype=bool)
        _above_ceiling(pos, self.positions, self.rotations, self.elevation_max_rad, out)
        return out


@njit(cache=True)
def _above_ceiling(pos, rpos, rrot, el_max, out) -> None:
    for i in range(pos.shape[0]):
        above = True
        for j in range(rpos.shape[0]):
            p0, p1, p2 = pos[i, 0] - rpos[j, 0], pos[i, 1] - rpos[j, 1], pos[i, 2] - rpos[j, 2]
            d0 = rrot[j, 0, 0] * p0 + rrot[j, 0, 1] * p1 + rrot[j, 0, 2] * p2
            d1 = rrot[j, 1, 0] * p0 + rrot[j, 1, 1] * p1 + rrot[j, 1, 2] * p2
            d2 = rrot[j, 2, 0] * p0 + rrot[j, 2, 1] * p1 + rrot[j, 2, 2] * p2
            if math.atan2(d2, math.sqrt(d0 * d0 + d1 * d1)) <= el_max[j]:
                above = False
                break
        out[i] = above


@njit(cache=True)
def _outside(pos, margin, range_margin, rpos, rmax, kfac, rup, antenna_angle, earth_r, out) -> None:
    """Compiled body of :meth:`CoverageTable.outside` (one pass, no temporaries): ``margin`` (K,) of the horizon
    and ``range_margin`` (K,) of the range test, in metres."""
    for i in range(pos.shape[0]):
        c0, c1, c2 = pos[i, 0], pos[i, 1], pos[i, 2] + earth_r
        dist = math.sqrt(c0 * c0 + c1 * c1 + c2 * c2)
        height = max(dist - earth_r + margin[i], 0.0)  # raised by the margin: kept unless clearly below
        seen = False
        for j in range(rpos.shape[0]):
            d0, d1, d2 = pos[i, 0] - rpos[j, 0], pos[i, 1] - rpos[j, 1], pos[i, 2] - rpos[j, 2]
            if math.sqrt(d0 * d0 + d1 * d1 + d2 * d2) - range_margin[i] > rmax[j]:
                continue
            e0, e1, e2 = c0 / dist - rup[j, 0], c1 / dist - rup[j, 1], c2 / dist - rup[j, 2]
            ground_angle = 2.0 * math.asin(min(math.sqrt(e0 * e0 + e1 * e1 + e2 * e2) / 2.0, 1.0))
            a = kfac[j] * earth_r
            target_angle = math.atan2(math.sqrt(height * (2.0 * a + height)), a)
            if ground_angle / kfac[j] <= antenna_angle[j] + target_angle:
                seen = True
                break
        out[i] = not seen


def sigma_from_trace(trace_m2: F64) -> F64:
    """A position standard deviation (m) from the trace of a 3x3 position covariance: sqrt(trace / 3)."""
    return np.sqrt(np.maximum(np.asarray(trace_m2, dtype=float), 0.0) / 3.0)

