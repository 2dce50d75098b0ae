"""Truth trajectories: each motion model checked against its defining physics."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from airpicture.geodesy import LocalFrame
from airpicture.scenario import builtin_path, load_scenario, parse_scenario, read_toml
from airpicture.truth import frame_of, generate_truth
from airpicture.truth.ballistic import MU_EARTH, RHO0, SCALE_HEIGHT_M, fly_arcs

BASE = read_toml(builtin_path("teaching"))


def _scenario(raids: list[dict], **top) -> object:
    data = copy.deepcopy(BASE)
    data["raids"] = raids
    data["civil_traffic"] = []
    data.update(top)
    return parse_scenario(data, "test.toml")


def _track(truth, tid: int):
    s = truth.samples
    m = s.target_id == tid
    return s.time_s[m], s.x[m]


def _accel(t: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Finite-difference acceleration from velocities (samples at 1 s)."""
    return np.diff(x[:, 3:], axis=0) / np.diff(t)[:, None]


def test_straight_flight_is_constant_velocity_and_reaches_asset() -> None:
    sc = _scenario([{"name": "a", "kind": "aircraft", "count": 5, "asset": "airbase", "launch_spread_s": 30.0,
                     "azimuth_min_deg": 0.0, "azimuth_max_deg": 360.0, "start_distance_m": 40000.0,
                     "speed_mps": 250.0, "height_m": 3000.0}], duration_s=400.0)
    truth = generate_truth(sc)
    frame = frame_of(sc)
    for tid in range(5):
        t, x = _track(truth, tid)
        speed_h = np.hypot(x[:, 3], x[:, 4])
        assert np.allclose(speed_h, 250.0, atol=1e-6)
        h = frame.height_from_enu(*x[:, :3].T)
        assert np.allclose(h, 3000.0, atol=1e-3)
        # horizontal heading constant
        hd = np.arctan2(x[:, 3], x[:, 4])
        assert np.ptp(np.unwrap(hd)) < 1e-9
        # ends at the asset after distance / speed
        assert truth.targets.end_reason[tid] == "impact"
        assert truth.targets.end_s[tid] - truth.targets.start_s[tid] == pytest.approx(40000.0 / 250.0, rel=1e-9)
        assert np.hypot(x[-1, 0], x[-1, 1]) < 1.0
        # positions integrate velocities (trapezoid, straight line: exact)
        dp = np.diff(x[:, :2], axis=0)
        assert np.allclose(dp, 0.5 * (x[1:, 3:5] + x[:-1, 3:5]) * np.diff(t)[:, None], atol=1e-6)


def test_launch_times_and_azimuths_respect_window_and_sector() -> None:
    sc = _scenario([{"name": "a", "kind": "drone", "count": 300, "asset": "airbase", "launch_start_s": 20.0,
                     "launch_spread_s": 50.0, "azimuth_min_deg": 350.0, "azimuth_max_deg": 20.0,
                     "start_distance_m": 10000.0, "speed_mps": 40.0, "height_m": 500.0}], duration_s=100.0)
    truth = generate_truth(sc)
    start = truth.targets.start_s
    assert start.min() >= 20.0 and start.max() <= 70.0
    t0 = np.array([_track(truth, i)[1][0] for i in range(300)])
    az = np.degrees(np.arctan2(t0[:, 0], t0[:, 1])) % 360.0
    assert np.all((az >= 350.0 - 1e-6) | (az <= 20.0 + 1e-6))
    assert np.allclose(np.hypot(t0[:, 0], t0[:, 1]), 10000.0, rtol=1e-9)


def test_coordinated_turns_bound_lateral_acceleration() -> None:
    a_max = 20.0
    sc = _scenario([{"name": "a", "kind": "aircraft", "count": 3, "asset": "airbase", "azimuth_min_deg": 0.0,
                     "azimuth_max_deg": 10.0, "start_distance_m": 60000.0, "speed_mps": 300.0,
                     "height_m": 5000.0,
                     "profile": {"kind": "waypoints", "waypoints_m": [[30000.0, 40000.0], [-20000.0, 20000.0]],
                                 "max_lateral_accel_mps2": a_max}}], duration_s=600.0)
    truth = generate_truth(sc)
    for tid in range(3):
        t, x = _track(truth, tid)
        acc = _accel(t, x)
        horiz = np.hypot(acc[:, 0], acc[:, 1])
        assert horiz.max() <= a_max * 1.02
        assert horiz.max() >= a_max * 0.9  # it does turn, at the bound
        assert np.allclose(np.hypot(x[:, 3], x[:, 4]), 300.0, atol=1e-6)
        # passes each waypoint at the fly-by fillet's offset r (1 / cos(D/2) - 1), D the turn angle there
        r = 300.0**2 / a_max
        route = np.array([x[0, :2], [30000.0, 40000.0], [-20000.0, 20000.0], [0.0, 0.0]])
        for k in (1, 2):
            d_in, d_out = route[k] - route[k - 1], route[k + 1] - route[k]
            turn = np.arccos(np.dot(d_in, d_out) / np.linalg.norm(d_in) / np.linalg.norm(d_out))
            offset = r * (1.0 / np.cos(turn / 2.0) - 1.0)
            closest = np.min(np.hypot(x[:, 0] - route[k, 0], x[:, 1] - route[k, 1]))
            assert closest == pytest.approx(offset, abs=300.0)  # 1 s samples at 300 m/s


def test_cruise_holds_height_above_curved_ground_with_popup_and_dive() -> None:
    sc = _scenario([{"name": "c", "kind": "cruise_missile", "count": 2, "asset": "airbase",
                     "start_distance_m": 120000.0, "speed_mps": 240.0, "height_m": 30.0,
                     "profile": {"kind": "cruise", "popup_distance_m": 6000.0, "popup_height_m": 400.0,
                                 "dive_distance_m": 2000.0}}], duration_s=600.0)
    truth = generate_truth(sc)
    frame = frame_of(sc)
    t, x = _track(truth, 0)
    h = frame.height_from_enu(*x[:, :3].T)
    dist = np.hypot(x[:, 0], x[:, 1])
    far = dist > 7000.0
    assert np.allclose(h[far], 30.0, atol=1e-3)
    # far from the site the flat ENU 'up' is well below 30 m: the Earth curves away
    assert x[0, 2] < -1000.0
    assert h.max() == pytest.approx(400.0, abs=1.0)  # popped up
    assert h[-1] < 1.0  # dived to the ground at the asset
    assert truth.targets.end_reason[0] == "impact"


def test_ballistic_arc_apogee_gravity_and_impact() -> None:
    sc = _scenario([{"name": "b", "kind": "ballistic_missile", "count": 3, "asset": "airbase",
                     "start_distance_m": 300000.0, "profile": {"kind": "ballistic", "apogee_m": 80000.0}}],
                   duration_s=600.0)
    truth = generate_truth(sc)
    frame = frame_of(sc)
    centre = np.array([0.0, 0.0, -frame.earth_radius_m])
    for tid in range(3):
        t, x = _track(truth, tid)
        h = frame.height_from_enu(*x[:, :3].T)
        assert h.max() == pytest.approx(80000.0, abs=50.0)
        assert np.hypot(x[-1, 0], x[-1, 1]) < 5.0 and abs(h[-1]) < 5.0
        # free fall: acceleration equals inverse-square gravity towards the Earth's centre
        acc = _accel(t, x)
        mid = 0.5 * (x[1:, :3] + x[:-1, :3]) - centre
        r = np.linalg.norm(mid, axis=1)
        g = -MU_EARTH * mid / r[:, None] ** 3
        inner = slice(1, -1)
        assert np.max(np.linalg.norm(acc[inner] - g[inner], axis=1)) < 0.05


def test_ballistic_with_drag_decelerates_on_reentry() -> None:
    raid = {"name": "b", "kind": "ballistic_missile", "count": 1, "asset": "airbase", "start_distance_m": 400000.0,
            "profile": {"kind": "ballistic", "apogee_m": 120000.0, "ballistic_coefficient_kg_m2": 3000.0}}
    sc = _scenario([raid], duration_s=600.0)
    truth = generate_truth(sc)
    frame = frame_of(sc)
    t, x = _track(truth, 0)
    h = frame.height_from_enu(*x[:, :3].T)
    speed = np.linalg.norm(x[:, 3:], axis=1)
    assert h.max() == pytest.approx(120000.0, abs=200.0)
    assert np.hypot(x[-1, 0], x[-1, 1]) < 50.0
    assert speed[-1] < 0.8 * speed[0]  # drag slowed it; without drag impact speed equals launch speed
    raid["profile"].pop("ballistic_coefficient_kg_m2")
    t2, x2 = _track(generate_truth(_scenario([raid], duration_s=600.0)), 0)
    s2 = np.linalg.norm(x2[:, 3:], axis=1)
    assert s2[-1] == pytest.approx(s2[0], rel=1e-3)


def _plain_rk4_arcs(v0: np.ndarray, radius: float, beta: np.ndarray, h: float, steps: int) -> np.ndarray:
    """States (K, steps + 1, 4) of the arcs from (0, R) with velocity v0, RK4 written out step by step."""

    def accel(p: np.ndarray, v: np.ndarray) -> np.ndarray:
        r = np.sqrt(p[:, 0] * p[:, 0] + p[:, 1] * p[:, 1])
        a = -MU_EARTH * p / (r**3)[:, None]
        drag = np.isfinite(beta) & (p[:, 0] * v[:, 0] + p[:, 1] * v[:, 1] < 0.0)  # on the way down only
        rho = RHO0 * np.exp(-np.maximum(r - radius, 0.0) / SCALE_HEIGHT_M)
        k = rho * np.sqrt(v[:, 0] * v[:, 0] + v[:, 1] * v[:, 1]) / (2.0 * np.where(drag, beta, 1.0))
        return a - np.where(drag, k, 0.0)[:, None] * v

    p, v = np.tile([0.0, radius], (len(v0), 1)), v0.copy()
    out = [np.concatenate([p, v], axis=1)]
    for _ in range(steps):
        a1 = accel(p, v)
        p2, v2 = p + 0.5 * h * v, v + 0.5 * h * a1
        a2 = accel(p2, v2)
        p3, v3 = p + 0.5 * h * v2, v + 0.5 * h * a2
        a3 = accel(p3, v3)
        p4, v4 = p + h * v3, v + h * a3
        a4 = accel(p4, v4)
        p, v = p + h / 6.0 * (v + 2 * v2 + 2 * v3 + v4), v + h / 6.0 * (a1 + 2 * a2 + 2 * a3 + a4)
        out.append(np.concatenate([p, v], axis=1))
    return np.stack(out, axis=1)


@pytest.mark.parametrize("beta", [np.inf, 3000.0])
def test_ballistic_integration_matches_plain_rk4_and_hits_the_aim(beta: float) -> None:
    # the batched integration gives the textbook RK4's numbers bit for bit, and the solved arcs land on the aim
    radius = 6371000.0
    ranges = np.array([150e3, 320e3])
    apogees = np.array([60e3, 110e3])
    betas = np.full(2, beta)
    arcs = fly_arcs(ranges / radius, apogees, radius, betas, step_s=0.5)
    steps = arcs.pos.shape[1] - 1
    plain = _plain_rk4_arcs(arcs.vel[:, 0].copy(), radius, betas, 0.5, steps)
    assert np.array_equal(arcs.pos, plain[:, :, :2]) and np.array_equal(arcs.vel, plain[:, :, 2:])
    for i in range(2):
        j = int(arcs.impact_time_s[i] // 0.5)  # the impact lies between samples j and j + 1
        r = np.linalg.norm(arcs.pos[i, j:j + 2], axis=1)
        assert r[0] >= radius > r[1]
        frac = (arcs.impact_time_s[i] - j * 0.5) / 0.5
        hit = arcs.pos[i, j] + frac * (arcs.pos[i, j + 1] - arcs.pos[i, j])
        assert abs(np.arctan2(hit[0], hit[1]) * radius - ranges[i]) < 1.0  # lands within 1 m of the aim
        assert abs(np.linalg.norm(arcs.pos[i], axis=1).max() - radius - apogees[i]) < 2.0  # apogee (0.5 s samples)
    if np.isinf(beta):  # no drag: energy and angular momentum are conserved by the integration
        p, v = arcs.pos[:, : steps // 2], arcs.vel[:, : steps // 2]
        energy = 0.5 * np.sum(v * v, axis=2) - MU_EARTH / np.linalg.norm(p, axis=2)
        momentum = p[..., 0] * v[..., 1] - p[..., 1] * v[..., 0]
        assert np.ptp(energy, axis=1).max() < 1e-6 * np.abs(energy).min()
        assert np.ptp(momentum, axis=1).max() < 1e-9 * np.abs(momentum).min()


def test_loiter_circles_then_dives_on_asset() -> None:
    sc = _scenario([{"name": "d", "kind": "drone", "count": 4, "asset": "airbase", "start_distance_m": 15000.0,
                     "speed_mps": 50.0, "height_m": 800.0,
                     "profile": {"kind": "loiter", "loiter_distance_m": 6000.0, "loiter_radius_m": 1000.0,
                                 "loiter_time_s": 200.0, "dive_distance_m": 800.0}}], duration_s=900.0)
    truth = generate_truth(sc)
    frame = frame_of(sc)
    for tid in range(4):
        t, x = _track(truth, tid)
        assert np.allclose(np.hypot(x[:, 3], x[:, 4]), 50.0, atol=1e-6)
        acc = np.hypot(*_accel(t, x)[:, :2].T)
        turning = acc > 1.0
        # turning at v^2 / r for at least the loiter time
        assert np.median(acc[turning]) == pytest.approx(50.0**2 / 1000.0, rel=0.02)
        assert turning.sum() >= 200
        flight = truth.targets.end_s[tid] - truth.targets.start_s[tid]
        assert flight >= (15000.0 - 6000.0 - 1000.0 + 6000.0 - 1000.0) / 50.0 + 200.0
        h = frame.height_from_enu(*x[:, :3].T)
        assert h[-1] < 1.0 and np.hypot(x[-1, 0], x[-1, 1]) < 1.0


def test_civil_traffic_crosses_the_area_and_is_not_hostile() -> None:
    data = copy.deepcopy(BASE)
    data["raids"] = []
    data["civil_traffic"] = [{"name": "air", "count": 40, "start_s": -3000.0, "spread_s": 3000.0,
                              "area_radius_m": 200000.0, "max_offset_m": 100000.0}]
    sc = parse_scenario(data, "t.toml")
    truth = generate_truth(sc)
    assert len(truth.targets) > 0
    assert not truth.targets.hostile.any()
    assert (truth.targets.start_s >= 0).all()
    r = np.hypot(truth.samples.x[:, 0], truth.samples.x[:, 1])
    assert r.max() <= 200000.0 + 1.0
    frame = frame_of(sc)
    h = frame.height_from_enu(*truth.samples.x[:, :3].T)
    assert h.min() >= 8000.0 - 1e-3 and h.max() <= 12000.0 + 1e-3


def test_samples_on_the_clock_plus_exact_ends() -> None:
    sc = load_scenario("teaching")
    truth = generate_truth(sc)
    s = truth.samples
    on_grid = np.isclose(s.time_s, np.round(s.time_s / sc.time_step_s) * sc.time_step_s)
    first = s._offsets[:-1]
    last = s._offsets[1:] - 1
    off = ~on_grid
    off[first] = False
    off[last] = False
    assert not off.any()  # only each target's first and last samples may be off the grid
    assert np.allclose(s.time_s[first], np.maximum(truth.targets.start_s, 0.0))
    assert (s.time_s >= 0).all() and (s.time_s <= sc.duration_s + 1e-9).all()


def test_interpolation_matches_dense_truth() -> None:
    sc = load_scenario("teaching")
    dense = generate_truth(sc.model_copy(update={"time_step_s": 0.1}))
    coarse = generate_truth(sc)
    tid = np.arange(len(coarse.targets))
    s = dense.samples
    pick = np.arange(0, len(s), 37)
    got = coarse.state_at(s.target_id[pick], s.time_s[pick])
    err = np.abs(got[:, :3] - s.x[pick, :3]).max(axis=1)
    # Hermite between 1 s samples is exact for straight and ballistic flight; the kinks where a profile
    # changes (start of a dive: vertical speed jumps by ~50 m/s) cost a few metres for one second.
    assert np.quantile(err, 0.95) < 0.1
    assert err.max() < 10.0
    assert len(tid) == len(dense.targets)


def test_local_frame_radius_is_wgs84_gaussian() -> None:
    f = LocalFrame.at(45.0, 0.0)
    assert 6.36e6 < f.earth_radius_m < 6.39e6
