"""Where a sensor is and how it sees: position and local axes of each sensor, and the conversions between
site ENU and the sensor's polar coordinates (range, azimuth, elevation, range rate).

A sensor measures in its *own* local East-North-Up axes (tangent to the Earth at the sensor), which differ from
the site's by the Earth's curvature (about 0.9 degrees per 100 km). ``rotation`` takes site-ENU vectors to the
sensor's axes. Inside: radians, azimuth clockwise from north, elevation above the sensor's horizontal plane.
Shared by the radar simulation (truth -> measurements) and the tracker (measurement model).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from airpicture.geodesy import LocalFrame, _rotation

F64 = NDArray[np.float64]


@dataclass(frozen=True)
class SensorGeometry:
    """Antenna position in site ENU metres and the rotation from site-ENU axes to the sensor's ENU axes."""

    sensor_id: int
    position: F64  # (3,) site ENU, metres
    rotation: F64  # (3, 3), sensor_axes = rotation @ site_axes

    @classmethod
    def at(cls, sensor_id: int, frame: LocalFrame, e_m: float, n_m: float, height_m: float) -> SensorGeometry:
        """A sensor ``height_m`` above the spherical ground at site ENU (e_m, n_m)."""
        u = float(frame.up_from_height(e_m, n_m, height_m))
        lat, lon, _ = frame.to_geodetic(e_m, n_m, u)
        r_site = _rotation(frame.latitude_deg, frame.longitude_deg)
        r_sensor = _rotation(float(lat), float(lon))
        return cls(int(sensor_id), np.array([e_m, n_m, u], dtype=float), r_sensor @ r_site.T)

    def to_local(self, p: F64) -> F64:
        """(K, 3) site-ENU points to (K, 3) sensor-axes offsets from the antenna."""
        return (np.asarray(p, float) - self.position) @ self.rotation.T

    def to_site(self, d: F64) -> F64:
        """(K, 3) sensor-axes offsets to (K, 3) site-ENU points."""
        return np.asarray(d, float) @ self.rotation + self.position


def cartesian_to_polar(d: F64) -> tuple[F64, F64, F64]:
    """(K, 3) sensor-axes offsets to range (m), azimuth (rad, [0, 2 pi), clockwise from north), elevation (rad)."""
    r = np.linalg.norm(d, axis=1)
    az = np.mod(np.arctan2(d[:, 0], d[:, 1]), 2 * np.pi)
    el = np.arcsin(np.clip(d[:, 2] / np.maximum(r, 1e-9), -1.0, 1.0))
    return r, az, el


def polar_to_cartesian(r: F64, az: F64, el: F64) -> F64:
    """Range (m), azimuth and elevation (rad) to (K, 3) sensor-axes offsets."""
    ce = np.cos(el)
    return np.stack([r * ce * np.sin(az), r * ce * np.cos(az), r * np.sin(el)], axis=1)


def range_rate(d: F64, v_local: F64) -> F64:
    """Range rate (m/s) of targets at offsets d moving at v_local (both in sensor axes)."""
    r = np.linalg.norm(d, axis=1)
    return np.sum(d * v_local, axis=1) / np.maximum(r, 1e-9)
