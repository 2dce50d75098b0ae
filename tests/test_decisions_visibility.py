"""First visibility of each target and what hid it: the same three conditions as the radar simulation's
visibility (tested against ``RadarSimulator.visible``), and hand-worked horizon crossings."""

from __future__ import annotations

import math

import numpy as np
import pytest

from airpicture.decisions.visibility import first_visibility, flags
from airpicture.sensors.look_geometry import look_geometry
from airpicture.sensors.placement import radar_geometry
from airpicture.sensors.radar import RadarSimulator
from airpicture.truth.builder import TruthBuilder
from tests.radar_support import FRAME, at_height, radar, straight_truth


def test_the_same_conditions_as_the_radar_simulation() -> None:
    rng = np.random.default_rng(5)
    r = radar(max_range_m=120e3, min_range_m=2e3, elevation_min_deg=-1.0, elevation_max_deg=30.0,
              antenna_height_m=15.0)
    e, n = rng.uniform(-150e3, 150e3, (2, 4000))
    h = rng.choice([10.0, 100.0, 1000.0, 8000.0, 60000.0], 4000)
    p = at_height(e, n, h)
    states = np.column_stack([p, np.zeros((4000, 3))])
    truth = straight_truth(p[:1], np.zeros((1, 3)))
    sim = RadarSimulator(r, FRAME, truth, seed=1, sensor_index=0)
    expected = sim.visible(look_geometry(states, radar_geometry(r, FRAME), FRAME.earth_radius_m))
    in_range, in_elev, horizon, _ = flags(r, FRAME, states)
    assert np.array_equal(in_range & in_elev & horizon, expected)
    assert expected.any() and not expected.all() and (~horizon).any() and (~in_elev).any() and (~in_range).any()


@pytest.mark.parametrize("height_m", [30.0, 300.0])
def test_a_low_flier_comes_into_view_at_the_horizon(height_m: float) -> None:
    """Flying at the radar (10 m antenna) from 150 km at 250 m/s: in view from the 4/3-Earth horizon
    d = sqrt(2 k R 10) + sqrt(2 k R h) on, hidden by the horizon before."""
    mast = 10.0
    k_r = 4.0 / 3.0 * FRAME.earth_radius_m
    d = math.sqrt(2 * k_r * mast) + math.sqrt(2 * k_r * height_m)
    v = 250.0
    t = np.arange(0.0, 500.0 + 1e-9, 1.0)
    n_m = 150e3 - v * t
    p = at_height(np.zeros(t.size), n_m, height_m)  # each second's point at that height over the curved ground

    b = TruthBuilder()
    b.add(kind="cruise_missile", hostile=True, rcs_m2=np.array([1.0]), asset_index=-1, start_s=np.array([0.0]),
          end_s=np.array([500.0]), end_reason=np.array(["running"], object), group="test",
          callsign=np.array(["low"], object), owner=np.zeros(t.size, np.int64), t=t,
          x=np.column_stack([p, np.zeros(t.size), np.full(t.size, -v), np.zeros(t.size)]))
    vis = first_visibility([radar(antenna_height_m=mast, max_range_m=300e3)], FRAME, b.build())
    assert vis.hidden[0] == "below_horizon" and vis.sensor_id[0] == 1
    expected = (150e3 - d) / v
    assert vis.first_visible_s[0] == pytest.approx(expected, abs=1.5)  # sampled every second
    assert vis.range_m[0] == pytest.approx(d, rel=0.02)


def test_never_in_view_and_in_view_from_the_start() -> None:
    far = at_height(np.array([0.0, 0.0]), np.array([400e3, 50e3]), 5000.0)
    truth = straight_truth(far, np.zeros((2, 3)))
    vis = first_visibility([radar(max_range_m=200e3)], FRAME, truth)
    assert math.isinf(vis.first_visible_s[0]) and vis.hidden[0] == "below_horizon" and vis.sensor_id[0] == -1
    assert vis.first_visible_s[1] == 0.0 and vis.hidden[1] == ""
    high = straight_truth(at_height(np.array([0.0]), np.array([100e3]), 12000.0), np.zeros((1, 3)))
    vis = first_visibility([radar(max_range_m=50e3)], FRAME, high)
    assert vis.hidden[0] == "out_of_range"
