"""Geodesy against an independent implementation (pymap3d): < 1 mm out to 300 km."""

from __future__ import annotations

import numpy as np
import pymap3d
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airpicture.geodesy import (
    LocalFrame,
    ecef_to_enu,
    ecef_to_geodetic,
    enu_to_geodetic,
    geodetic_to_ecef,
    geodetic_to_enu,
    rotate_enu_vectors,
)

SITES = [(0.0, 0.0, 0.0), (34.5, -38.2, 20.0), (-33.9, 151.2, 50.0), (78.2, 15.6, 10.0), (-89.0, 120.0, 2800.0)]


def _points_around(lat0: float, lon0: float, n: int, rng: np.random.Generator):
    """Random points up to 300 km away and 0-100 km high (using pymap3d to place them)."""
    az = rng.uniform(0, 360, n)
    dist = rng.uniform(0, 300e3, n)
    up = rng.uniform(-500, 100e3, n)
    e, nn = dist * np.sin(np.radians(az)), dist * np.cos(np.radians(az))
    lat, lon, alt = pymap3d.enu2geodetic(e, nn, up, lat0, lon0, 0.0)
    return np.asarray(lat), np.asarray(lon), np.asarray(alt)


@pytest.mark.parametrize("site", SITES)
def test_geodetic_to_enu_matches_pymap3d(site: tuple[float, float, float]) -> None:
    rng = np.random.default_rng(1)
    lat, lon, alt = _points_around(site[0], site[1], 2000, rng)
    ours = np.array(geodetic_to_enu(lat, lon, alt, *site))
    ref = np.array(pymap3d.geodetic2enu(lat, lon, alt, *site))
    assert np.max(np.abs(ours - ref)) < 1e-3


@pytest.mark.parametrize("site", SITES)
def test_enu_to_geodetic_matches_pymap3d(site: tuple[float, float, float]) -> None:
    rng = np.random.default_rng(2)
    e = rng.uniform(-300e3, 300e3, 2000)
    n = rng.uniform(-300e3, 300e3, 2000)
    u = rng.uniform(-8e3, 100e3, 2000)
    lat, lon, alt = enu_to_geodetic(e, n, u, *site)
    rlat, rlon, ralt = pymap3d.enu2geodetic(e, n, u, *site)
    # compare as positions: angle errors converted to metres on the ground
    assert np.max(np.abs(alt - ralt)) < 1e-3
    assert np.max(np.abs(np.radians(lat - rlat))) * 6.4e6 < 1e-3
    dlon = (lon - rlon + 180.0) % 360.0 - 180.0
    assert np.max(np.abs(np.radians(dlon) * np.cos(np.radians(lat)))) * 6.4e6 < 1e-3


def test_ecef_roundtrip_and_pymap3d() -> None:
    rng = np.random.default_rng(3)
    lat = rng.uniform(-90, 90, 5000)
    lon = rng.uniform(-180, 180, 5000)
    alt = rng.uniform(-1000, 1e6, 5000)
    x, y, z = geodetic_to_ecef(lat, lon, alt)
    rx, ry, rz = pymap3d.geodetic2ecef(lat, lon, alt)
    assert np.max(np.abs(np.array([x - rx, y - ry, z - rz]))) < 1e-3
    lat2, lon2, alt2 = ecef_to_geodetic(x, y, z)
    assert np.max(np.abs(alt2 - alt)) < 1e-3
    assert np.max(np.abs(lat2 - lat)) < 1e-9


@settings(max_examples=200, deadline=None)
@given(lat0=st.floats(-89.9, 89.9), lon0=st.floats(-180, 180), e=st.floats(-3e5, 3e5), n=st.floats(-3e5, 3e5),
       u=st.floats(-5e3, 1e5))
def test_enu_roundtrip_property(lat0: float, lon0: float, e: float, n: float, u: float) -> None:
    lat, lon, alt = enu_to_geodetic(e, n, u, lat0, lon0, 0.0)
    e2, n2, u2 = geodetic_to_enu(lat, lon, alt, lat0, lon0, 0.0)
    assert abs(e2 - e) < 1e-3 and abs(n2 - n) < 1e-3 and abs(u2 - u) < 1e-3


def test_ecef_to_enu_matches_pymap3d() -> None:
    rng = np.random.default_rng(4)
    lat, lon, alt = _points_around(34.5, -38.2, 500, rng)
    x, y, z = geodetic_to_ecef(lat, lon, alt)
    ours = np.array(ecef_to_enu(x, y, z, 34.5, -38.2, 20.0))
    ref = np.array(pymap3d.ecef2enu(x, y, z, 34.5, -38.2, 20.0))
    assert np.max(np.abs(ours - ref)) < 1e-3


def test_rotate_enu_vectors_matches_pymap3d() -> None:
    rng = np.random.default_rng(5)
    lat, lon, _ = _points_around(34.5, -38.2, 200, rng)
    ve, vn, vu = rng.normal(0, 200, (3, 200))
    ours = np.array(rotate_enu_vectors(lat, lon, ve, vn, vu, 34.5, -38.2))
    ref = []
    for i in range(200):
        ecef = pymap3d.enu2uvw(ve[i], vn[i], vu[i], lat[i], lon[i])
        ref.append(pymap3d.uvw2enu(*ecef, 34.5, -38.2))
    assert np.max(np.abs(ours - np.array(ref).T)) < 1e-9 * 300


def test_spherical_ground_model_is_consistent() -> None:
    frame = LocalFrame.at(34.5, -38.2, 20.0)
    e = np.array([0.0, 1e5, -2e5, 3e5])
    n = np.array([0.0, 5e4, 1e5, -1e5])
    h = np.array([0.0, 30.0, 1e4, 5e4])
    u = frame.up_from_height(e, n, h)
    assert np.allclose(frame.height_from_enu(e, n, u), h, atol=1e-6)
    # a point at height 0 100 km away lies below the tangent plane by about d^2 / (2 R)
    d = 1e5
    assert frame.up_from_height(d, 0.0, 0.0) == pytest.approx(-(d**2) / (2 * frame.earth_radius_m), rel=1e-3)
    # the sphere approximates the ellipsoid: ellipsoidal height of a ground point 100 km away is ~ 0 (< 50 m)
    lat, lon, alt = frame.to_geodetic(d, 0.0, frame.up_from_height(d, 0.0, 0.0))
    assert abs(alt - 20.0) < 50.0
