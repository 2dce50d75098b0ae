"""WGS84 geodetic <-> ECEF <-> local East-North-Up, and the spherical ground model of the local frame.

Units: metres, degrees at the boundary (latitude, longitude), radians inside. All functions are vectorised
over NumPy arrays.

The ECEF -> geodetic conversion is closed-form (Vermeille 2004, "Direct transformation from geocentric
coordinates to geodetic coordinates", J. Geodesy 76), exact to well under a millimetre at any height.

Ground model: the simulator has no terrain. "Height above the ground" means height above a sphere of the
site's Gaussian mean radius of curvature that touches the ground at the site (the ENU origin). Threat
altitudes, antenna heights and radar horizons all use it, so they agree with one another.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

WGS84_A = 6378137.0
WGS84_F = 1.0 / 298.257223563
WGS84_B = WGS84_A * (1.0 - WGS84_F)
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)

F64 = NDArray[np.float64]


def geodetic_to_ecef(lat_deg: ArrayLike, lon_deg: ArrayLike, alt_m: ArrayLike) -> tuple[F64, F64, F64]:
    """WGS84 geodetic (degrees, degrees, metres above the ellipsoid) to ECEF metres."""
    lat = np.radians(np.asarray(lat_deg, dtype=float))
    lon = np.radians(np.asarray(lon_deg, dtype=float))
    h = np.asarray(alt_m, dtype=float)
    slat, clat = np.sin(lat), np.cos(lat)
    n = WGS84_A / np.sqrt(1.0 - WGS84_E2 * slat**2)
    x = (n + h) * clat * np.cos(lon)
    y = (n + h) * clat * np.sin(lon)
    z = (n * (1.0 - WGS84_E2) + h) * slat
    return x, y, z


def ecef_to_geodetic(x: ArrayLike, y: ArrayLike, z: ArrayLike) -> tuple[F64, F64, F64]:
    """ECEF metres to WGS84 geodetic (degrees, degrees, metres), closed form (Vermeille 2004)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    z = np.asarray(z, dtype=float)
    a2 = WGS84_A**2
    e2 = WGS84_E2
    e4 = e2 * e2
    p = (x * x + y * y) / a2
    q = (1.0 - e2) / a2 * z * z
    r = (p + q - e4) / 6.0
    s = e4 * p * q / (4.0 * r**3)
    t = np.cbrt(1.0 + s + np.sqrt(s * (2.0 + s)))
    u = r * (1.0 + t + 1.0 / t)
    v = np.sqrt(u * u + e4 * q)
    w = e2 * (u + v - q) / (2.0 * v)
    k = np.sqrt(u + v + w * w) - w
    d = k * np.hypot(x, y) / (k + e2)
    hyp = np.hypot(d, z)
    lat = 2.0 * np.arctan2(z, d + hyp)
    lon = np.arctan2(y, x)
    h = (k + e2 - 1.0) / k * hyp
    return np.degrees(lat), np.degrees(lon), h


def _rotation(lat0_deg: float, lon0_deg: float) -> F64:
    """Rows are the E, N, U unit vectors at (lat0, lon0) expressed in ECEF."""
    lat, lon = np.radians(lat0_deg), np.radians(lon0_deg)
    sl, cl = np.sin(lat), np.cos(lat)
    so, co = np.sin(lon), np.cos(lon)
    return np.array([[-so, co, 0.0], [-sl * co, -sl * so, cl], [cl * co, cl * so, sl]])


def ecef_to_enu(
    x: ArrayLike, y: ArrayLike, z: ArrayLike, lat0_deg: float, lon0_deg: float, alt0_m: float
) -> tuple[F64, F64, F64]:
    """ECEF metres to local ENU metres centred on (lat0, lon0, alt0)."""
    x0, y0, z0 = geodetic_to_ecef(lat0_deg, lon0_deg, alt0_m)
    d = np.stack(np.broadcast_arrays(np.asarray(x, float) - x0, np.asarray(y, float) - y0,
                                     np.asarray(z, float) - z0))
    r = _rotation(lat0_deg, lon0_deg)
    enu = np.tensordot(r, d, axes=1)
    return enu[0], enu[1], enu[2]


def enu_to_ecef(
    e: ArrayLike, n: ArrayLike, u: ArrayLike, lat0_deg: float, lon0_deg: float, alt0_m: float
) -> tuple[F64, F64, F64]:
    """Local ENU metres centred on (lat0, lon0, alt0) to ECEF metres."""
    x0, y0, z0 = geodetic_to_ecef(lat0_deg, lon0_deg, alt0_m)
    d = np.stack(np.broadcast_arrays(np.asarray(e, float), np.asarray(n, float), np.asarray(u, float)))
    r = _rotation(lat0_deg, lon0_deg)
    xyz = np.tensordot(r.T, d, axes=1)
    return xyz[0] + x0, xyz[1] + y0, xyz[2] + z0


def geodetic_to_enu(
    lat_deg: ArrayLike, lon_deg: ArrayLike, alt_m: ArrayLike, lat0_deg: float, lon0_deg: float, alt0_m: float
) -> tuple[F64, F64, F64]:
    """WGS84 geodetic to local ENU metres at (lat0, lon0, alt0)."""
    return ecef_to_enu(*geodetic_to_ecef(lat_deg, lon_deg, alt_m), lat0_deg, lon0_deg, alt0_m)


def enu_to_geodetic(
    e: ArrayLike, n: ArrayLike, u: ArrayLike, lat0_deg: float, lon0_deg: float, alt0_m: float
) -> tuple[F64, F64, F64]:
    """Local ENU metres at (lat0, lon0, alt0) to WGS84 geodetic."""
    return ecef_to_geodetic(*enu_to_ecef(e, n, u, lat0_deg, lon0_deg, alt0_m))


def enu_velocity_from_heading(speed_mps: ArrayLike, heading_deg: ArrayLike, vertical_mps: ArrayLike) -> tuple[
    F64, F64, F64
]:
    """Ground speed, heading (clockwise from north) and vertical rate to (ve, vn, vu) in m/s."""
    hdg = np.radians(np.asarray(heading_deg, dtype=float))
    s = np.asarray(speed_mps, dtype=float)
    return s * np.sin(hdg), s * np.cos(hdg), np.asarray(vertical_mps, dtype=float) * np.ones_like(s)


def gaussian_radius_m(lat_deg: float) -> float:
    """Gaussian mean radius of curvature sqrt(M N) of the WGS84 ellipsoid at a latitude, metres."""
    s2 = np.sin(np.radians(lat_deg)) ** 2
    w = 1.0 - WGS84_E2 * s2
    m = WGS84_A * (1.0 - WGS84_E2) / w**1.5
    n = WGS84_A / np.sqrt(w)
    return float(np.sqrt(m * n))


@dataclass(frozen=True)
class LocalFrame:
    """The scenario's local ENU frame and its spherical ground (radius ``earth_radius_m``, touching at the origin)."""

    latitude_deg: float
    longitude_deg: float
    altitude_m: float
    earth_radius_m: float

    @classmethod
    def at(cls, latitude_deg: float, longitude_deg: float, altitude_m: float = 0.0) -> LocalFrame:
        return cls(latitude_deg, longitude_deg, altitude_m, gaussian_radius_m(latitude_deg))

    def to_enu(self, lat_deg: ArrayLike, lon_deg: ArrayLike, alt_m: ArrayLike) -> tuple[F64, F64, F64]:
        """WGS84 (degrees, metres above the ellipsoid) to this frame's ENU metres."""
        return geodetic_to_enu(lat_deg, lon_deg, alt_m, self.latitude_deg, self.longitude_deg, self.altitude_m)

    def to_geodetic(self, e: ArrayLike, n: ArrayLike, u: ArrayLike) -> tuple[F64, F64, F64]:
        return enu_to_geodetic(e, n, u, self.latitude_deg, self.longitude_deg, self.altitude_m)

    def ground_point(self, lat_deg: float, lon_deg: float) -> tuple[float, float]:
        """East/north of the ground point below a WGS84 position, metres."""
        e, n, _ = self.to_enu(lat_deg, lon_deg, self.altitude_m)
        return float(e), float(n)

    def up_from_height(self, e: ArrayLike, n: ArrayLike, h: ArrayLike) -> F64:
        """ENU up coordinate of the point above (e, n) at height h over the spherical ground."""
        r = self.earth_radius_m
        e = np.asarray(e, float)
        n = np.asarray(n, float)
        return np.sqrt((r + np.asarray(h, float)) ** 2 - e * e - n * n) - r

    def height_from_enu(self, e: ArrayLike, n: ArrayLike, u: ArrayLike) -> F64:
        """Height above the spherical ground of an ENU point, metres."""
        r = self.earth_radius_m
        e = np.asarray(e, float)
        n = np.asarray(n, float)
        u = np.asarray(u, float)
        return np.sqrt(e * e + n * n + (u + r) ** 2) - r

    def vertical_velocity(self, e: ArrayLike, n: ArrayLike, u: ArrayLike, ve: ArrayLike, vn: ArrayLike,
                          dh: ArrayLike) -> F64:
        """ENU vertical velocity of a point moving horizontally at (ve, vn) while its height changes at dh."""
        r = self.earth_radius_m
        e = np.asarray(e, float)
        n = np.asarray(n, float)
        u = np.asarray(u, float)
        rad = np.sqrt(e * e + n * n + (u + r) ** 2)
        return (rad * np.asarray(dh, float) - e * np.asarray(ve, float) - n * np.asarray(vn, float)) / (u + r)


def rotate_enu_vectors(lat_deg: ArrayLike, lon_deg: ArrayLike, ve: ArrayLike, vn: ArrayLike, vu: ArrayLike,
                       lat0_deg: float, lon0_deg: float) -> tuple[F64, F64, F64]:
    """Re-express vectors given in the local ENU axes at (lat, lon) in the ENU axes at (lat0, lon0)."""
    lat = np.radians(np.asarray(lat_deg, float))
    lon = np.radians(np.asarray(lon_deg, float))
    sl, cl, so, co = np.sin(lat), np.cos(lat), np.sin(lon), np.cos(lon)
    ve, vn, vu = (np.asarray(v, float) for v in (ve, vn, vu))
    x = -so * ve - sl * co * vn + cl * co * vu
    y = co * ve - sl * so * vn + cl * so * vu
    z = cl * vn + sl * vu
    r0 = _rotation(lat0_deg, lon0_deg)
    return (r0[0, 0] * x + r0[0, 1] * y + r0[0, 2] * z, r0[1, 0] * x + r0[1, 1] * y + r0[1, 2] * z,
            r0[2, 0] * x + r0[2, 1] * y + r0[2, 2] * z)
