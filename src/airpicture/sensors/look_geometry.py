"""Where each look finds its target, in the radar's terms: range, azimuth, elevation and range rate in the
radar's local axes, plus the target's height above the spherical ground and the ground angle from the radar
(for the horizon). One fused pass per look.

Same results as :func:`~airpicture.sensors.geometry.cartesian_to_polar`, :func:`~.geometry.range_rate` and
:meth:`~airpicture.geodesy.LocalFrame.height_from_enu` (tested against them); compiled with Numba because the
NumPy form needs about twenty (K, 3) temporary arrays per scan.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from airpicture.compiled import njit
from airpicture.sensors.geometry import SensorGeometry

F64 = NDArray[np.float64]


@dataclass(frozen=True)
class LookGeometry:
    """Per look: range (m), azimuth (rad, [0, 2 pi)), elevation (rad), range rate (m/s), all in the radar's
    axes; target height above the spherical ground (m) and central angle between radar and target (rad)."""

    range_m: F64
    azimuth_rad: F64
    elevation_rad: F64
    range_rate_mps: F64
    height_m: F64
    ground_angle_rad: F64


@njit(cache=True, nogil=True)
def _look_geometry(state: F64, position: F64, rotation: F64, earth_radius: float, radar_up: F64,
                   out: F64) -> None:
    two_pi = 2.0 * math.pi
    for i in range(state.shape[0]):
        de = state[i, 0] - position[0]
        dn = state[i, 1] - position[1]
        du = state[i, 2] - position[2]
        d0 = rotation[0, 0] * de + rotation[0, 1] * dn + rotation[0, 2] * du
        d1 = rotation[1, 0] * de + rotation[1, 1] * dn + rotation[1, 2] * du
        d2 = rotation[2, 0] * de + rotation[2, 1] * dn + rotation[2, 2] * du
        v0 = rotation[0, 0] * state[i, 3] + rotation[0, 1] * state[i, 4] + rotation[0, 2] * state[i, 5]
        v1 = rotation[1, 0] * state[i, 3] + rotation[1, 1] * state[i, 4] + rotation[1, 2] * state[i, 5]
        v2 = rotation[2, 0] * state[i, 3] + rotation[2, 1] * state[i, 4] + rotation[2, 2] * state[i, 5]
        r = math.sqrt(d0 * d0 + d1 * d1 + d2 * d2)
        rs = max(r, 1e-9)
        az = math.atan2(d0, d1)
        if az < 0.0:
            az += two_pi
        if az >= two_pi:
            az = 0.0
        out[i, 0] = r
        out[i, 1] = az
        out[i, 2] = math.asin(min(max(d2 / rs, -1.0), 1.0))
        out[i, 3] = (d0 * v0 + d1 * v1 + d2 * v2) / rs
        c0 = state[i, 0]
        c1 = state[i, 1]
        c2 = state[i, 2] + earth_radius
        dist = math.sqrt(c0 * c0 + c1 * c1 + c2 * c2)
        out[i, 4] = dist - earth_radius
        e0 = c0 / dist - radar_up[0]
        e1 = c1 / dist - radar_up[1]
        e2 = c2 / dist - radar_up[2]
        chord = math.sqrt(e0 * e0 + e1 * e1 + e2 * e2)
        out[i, 5] = 2.0 * math.asin(min(chord / 2.0, 1.0))


def look_geometry(state: F64, geometry: SensorGeometry, earth_radius_m: float) -> LookGeometry:
    """Polar coordinates, range rate, height and ground angle of (K, 6) site-ENU states seen by ``geometry``."""
    state = np.ascontiguousarray(state, dtype=float).reshape(-1, 6)
    centre = geometry.position + np.array([0.0, 0.0, earth_radius_m])
    radar_up = centre / np.linalg.norm(centre)
    out = np.empty((state.shape[0], 6))
    if state.shape[0]:
        _look_geometry(state, np.ascontiguousarray(geometry.position, dtype=float),
                       np.ascontiguousarray(geometry.rotation, dtype=float), float(earth_radius_m), radar_up, out)
    return LookGeometry(*(np.ascontiguousarray(out[:, j]) for j in range(6)))
