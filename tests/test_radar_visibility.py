"""Visibility: the 4/3-Earth radar horizon for given target heights (against d = sqrt(2kRh1) + sqrt(2kRh2)),
a low cruise missile that appears late, elevation limits and range limits."""

from __future__ import annotations

import math

import numpy as np
import pytest

from airpicture.sensors.radar import RadarSimulator
from tests.radar_support import FRAME, at_height, radar, straight_truth

STRONG = {"kind": "reference", "snr_db": 90.0, "range_m": 100e3, "rcs_m2": 1.0}  # Pd = 1 wherever visible


def ground_distance(p: np.ndarray, radar_en=(0.0, 0.0)) -> np.ndarray:
    """Arc length over the spherical ground between the radar's and the points' ground positions."""
    big_r = FRAME.earth_radius_m
    c = p + np.array([0.0, 0.0, big_r])
    c0 = np.array([radar_en[0], radar_en[1], FRAME.up_from_height(radar_en[0], radar_en[1], 0.0) + big_r])
    cos = c @ c0 / (np.linalg.norm(c, axis=1) * np.linalg.norm(c0))
    return big_r * np.arccos(np.clip(cos, -1, 1))


@pytest.mark.parametrize("target_height_m", [30.0, 150.0, 1000.0])
@pytest.mark.parametrize("k", [4.0 / 3.0, 1.0])
@pytest.mark.parametrize("place", ["site", "hill east-north", "hill lat-lon"])
def test_detection_stops_at_the_radar_horizon(target_height_m: float, k: float, place: str) -> None:
    """On the site's ground, or on a 475 m hill (``altitude_m``, the radar placed by east/north or by latitude
    and longitude): the horizon follows d = sqrt(2kRh1) + sqrt(2kRh2) with h1 the antenna's height."""
    mast = 25.0
    where: dict = {}
    if place != "site":
        where["altitude_m"] = FRAME.altitude_m + 475.0
    if place == "hill lat-lon":
        where.update(e_m=None, n_m=None, latitude_deg=FRAME.latitude_deg, longitude_deg=FRAME.longitude_deg)
    antenna = mast + (475.0 if place != "site" else 0.0)
    big_r = FRAME.earth_radius_m
    horizon = math.sqrt(2 * k * big_r * antenna) + math.sqrt(2 * k * big_r * target_height_m)
    n = 120
    dist = horizon + np.linspace(-6e3, 6e3, n)  # 100 m steps around the horizon
    bearing = np.radians(np.arange(n) * 3.0)
    p = at_height(dist * np.sin(bearing), dist * np.cos(bearing), target_height_m)
    truth = straight_truth(p, np.zeros((n, 3)), end_s=20.0, step_s=5.0)
    rad = radar(antenna_height_m=mast, refraction_k=k, swerling=0, max_range_m=400e3, sensitivity=STRONG,
                elevation_min_deg=-5.0, **where)
    sim = RadarSimulator(rad, FRAME, truth, seed=1, sensor_index=0)
    _, lab = sim.scan(1)
    seen = np.zeros(n, dtype=bool)
    seen[lab.target_id[lab.target_id >= 0]] = True
    gd = ground_distance(p)
    assert seen[gd < horizon * 0.995].all()
    assert not seen[gd > horizon * 1.005].any()
    farthest = gd[seen].max()
    assert farthest == pytest.approx(horizon, rel=2e-3)


def test_low_cruise_missile_appears_late_at_its_horizon() -> None:
    antenna, height, speed = 20.0, 30.0, 250.0
    big_r = FRAME.earth_radius_m
    horizon = math.sqrt(2 * 4 / 3 * big_r * antenna) + math.sqrt(2 * 4 / 3 * big_r * height)  # ~40.9 km
    start = 100e3
    # inbound along north at constant height: sample the curved path densely as straight segments
    t = np.arange(0.0, 400.0, 1.0)
    n_pos = start - speed * t
    pts = at_height(np.zeros_like(n_pos), n_pos, height)
    from airpicture.truth.builder import TruthBuilder

    v = np.gradient(pts, t, axis=0)
    b = TruthBuilder()
    b.add(kind="cruise_missile", hostile=True, rcs_m2=0.1, asset_index=-1, start_s=np.array([0.0]),
          end_s=np.array([t[-1]]), end_reason=np.array(["running"], dtype=object), group="cm",
          callsign=np.array(["cm"], dtype=object), owner=np.zeros(t.size, np.int64), t=t,
          x=np.concatenate([pts, v], axis=1))
    truth = b.build()
    rad = radar(antenna_height_m=antenna, swerling=0, scan_period_s=4.0, sensitivity=STRONG, max_range_m=300e3)
    sim = RadarSimulator(rad, FRAME, truth, seed=2, sensor_index=0)
    first = None
    for k in range(100):
        det, lab = sim.scan(k)
        mine = lab.target_id == 0
        if mine.any():
            first = det.time_s[mine][0]
            break
    assert first is not None
    at_first = ground_distance(truth.state_at(np.array([0]), np.array([first]))[:, :3])[0]
    # first seen within one scan's flight (4 s x 250 m/s) inside the horizon, far inside the 300 km range
    assert horizon - 4.0 * speed - 50.0 <= at_first <= horizon + 50.0


def test_elevation_and_range_limits() -> None:
    # targets straight up the north axis at fixed height: elevation falls with ground distance
    height = 5000.0
    dist = np.array([500.0, 2000.0, 4000.0, 8000.0, 20e3, 39e3, 41e3, 60e3])
    bearing = np.radians(np.arange(dist.size) * 20.0)
    p = at_height(dist * np.sin(bearing), dist * np.cos(bearing), height)
    truth = straight_truth(p, np.zeros((dist.size, 3)), end_s=20.0, step_s=5.0)
    rad = radar(antenna_height_m=10.0, swerling=0, sensitivity=STRONG, min_range_m=3000.0, max_range_m=40e3,
                elevation_min_deg=0.0, elevation_max_deg=45.0)
    sim = RadarSimulator(rad, FRAME, truth, seed=1, sensor_index=0)
    _, lab = sim.scan(2)
    seen = np.zeros(dist.size, dtype=bool)
    seen[lab.target_id[lab.target_id >= 0]] = True
    slant = np.linalg.norm(p - sim.geometry.position, axis=1)
    elev = np.degrees(np.arcsin((sim.geometry.to_local(p)[:, 2]) / slant))
    expected = (slant >= 3000.0) & (slant <= 40e3) & (elev >= 0.0) & (elev <= 45.0)
    assert expected.any() and (~expected).any()
    np.testing.assert_array_equal(seen, expected)
