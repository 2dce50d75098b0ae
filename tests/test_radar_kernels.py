"""Compiled radar kernels against the plain references they replace: truth look-ups against
``Truth.state_at``, look geometry against ``SensorGeometry``/``LocalFrame``."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from airpicture.scenario import load_scenario
from airpicture.sensors.geometry import SensorGeometry, cartesian_to_polar, range_rate
from airpicture.sensors.look_geometry import look_geometry
from airpicture.sensors.truth_index import TruthIndex
from airpicture.truth import generate_truth
from tests.radar_support import FRAME


def test_truth_index_matches_truth_interpolation_on_the_default_scenario() -> None:
    truth = generate_truth(load_scenario("default"))
    index = TruthIndex.of(truth)
    rng = np.random.default_rng(0)
    tid = rng.integers(0, truth.n_targets, 20_000)
    t = rng.uniform(index.first_s[tid], index.last_s[tid])
    np.testing.assert_allclose(index.state_at(tid, t), truth.state_at(tid, t), rtol=0, atol=1e-6)
    # at the samples themselves the look-up returns the samples
    s = truth.samples
    pick = rng.integers(0, len(s), 5000)
    inside = (s.time_s[pick] >= index.first_s[s.target_id[pick]]) & (s.time_s[pick] <= index.last_s[s.target_id[pick]])
    pick = pick[inside]
    np.testing.assert_allclose(index.state_at(s.target_id[pick], s.time_s[pick]), s.x[pick], rtol=0, atol=1e-6)


def test_truth_index_clips_queries_to_each_life() -> None:
    truth = generate_truth(load_scenario("default"))
    index = TruthIndex.of(truth)
    tid = np.arange(truth.n_targets)
    early = index.state_at(tid, index.first_s - 100.0)
    np.testing.assert_allclose(early, index.state_at(tid, index.first_s), atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(e=st.floats(-50e3, 50e3), n=st.floats(-50e3, 50e3), h=st.floats(0.0, 300.0), seed=st.integers(0, 1000))
def test_look_geometry_matches_sensor_geometry(e: float, n: float, h: float, seed: int) -> None:
    geom = SensorGeometry.at(1, FRAME, e, n, h)
    rng = np.random.default_rng(seed)
    p = rng.uniform([-200e3, -200e3, 0.0], [200e3, 200e3, 20e3], (50, 3))
    v = rng.uniform(-600, 600, (50, 3))
    look = look_geometry(np.concatenate([p, v], axis=1), geom, FRAME.earth_radius_m)
    d = geom.to_local(p)
    r, az, el = cartesian_to_polar(d)
    np.testing.assert_allclose(look.range_m, r, rtol=1e-12)
    np.testing.assert_allclose(np.angle(np.exp(1j * (look.azimuth_rad - az))), 0.0, atol=1e-12)
    np.testing.assert_allclose(look.elevation_rad, el, atol=1e-12)
    np.testing.assert_allclose(look.range_rate_mps, range_rate(d, v @ geom.rotation.T), atol=1e-9)
    np.testing.assert_allclose(look.height_m, FRAME.height_from_enu(p[:, 0], p[:, 1], p[:, 2]), atol=1e-6)
    # ground angle: between the Earth-centre directions of the antenna and the target
    big_r = FRAME.earth_radius_m
    up = np.array([0.0, 0.0, big_r])
    a = geom.position + up
    b = p + up
    cos = b @ a / (np.linalg.norm(b, axis=1) * np.linalg.norm(a))
    np.testing.assert_allclose(look.ground_angle_rad, np.arccos(np.clip(cos, -1, 1)), atol=1e-7)
