"""The real-traffic benchmark harness: data cleaning, the independent radar generator, scoring and both trackers'
set-up.

References are independent of the code under test: analytic trajectories, the rotation rate, scipy.stats
distributions, the 4/3-Earth horizon formula, Stone Soup's own measurement model and GOSPA metric, and
``airpicture track``'s own loop (``track_detections``). Nothing is downloaded: the data tests build a small
wheel-like zip with synthetic ADS-B records.
"""

from __future__ import annotations

import datetime as dt
import gzip
import importlib.util
import json
import math
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import real_traffic_data as rtd
import real_traffic_radar as rtr
import real_traffic_scoring as rts

needs_stonesoup = pytest.mark.skipif(importlib.util.find_spec("stonesoup") is None,
                                     reason="stonesoup (the 'bench' extra) is not installed")


def truth_of(funcs, spans) -> rtd.Truth:
    """A Truth sampled each second from analytic position functions f(t) -> (K, 3) and their derivatives
    (numerical, central, step 1e-4 s) over integer spans [t0, t1]."""
    parts_p, parts_v, t0s, counts = [], [], [], []
    for f, (t0, t1) in zip(funcs, spans, strict=True):
        t = np.arange(t0, t1 + 1.0)
        parts_p.append(f(t))
        parts_v.append((f(t + 1e-4) - f(t - 1e-4)) / 2e-4)
        t0s.append(float(t0))
        counts.append(t.size)
    return rtd._assemble(parts_p, parts_v, t0s, counts, [f"t{i}" for i in range(len(funcs))])


def straight(p0, v):
    p0, v = np.asarray(p0, float), np.asarray(v, float)
    return lambda t: p0 + np.asarray(t, float)[:, None] * v


def quiet_radar(**kw) -> rtr.RadarSpec:
    base = dict(sigma_range_m=1e-9, sigma_azimuth_deg=1e-9, sigma_elevation_deg=1e-9, detection_probability=1.0,
                false_alarms_per_scan=0.0)
    return rtr.RadarSpec(**{**base, **kw})


# ------------------------------------------------------------------------------------------------ truth
def test_hermite_interpolation_is_exact_for_cubic_motion():
    coef = np.array([[3e4, -2e4, 5e3], [120.0, -80.0, 4.0], [0.3, 0.2, -0.01], [-0.002, 0.001, 1e-5]])

    def f(t):
        t = np.asarray(t, float)[:, None]
        return coef[0] + coef[1] * t + coef[2] * t**2 + coef[3] * t**3

    truth = rtd._assemble([f(np.arange(0, 101.0))],
                          [coef[1] + 2 * coef[2] * np.arange(0, 101.0)[:, None]
                           + 3 * coef[3] * np.arange(0, 101.0)[:, None] ** 2], [0.0], [101], ["cubic"])
    t = np.random.default_rng(1).uniform(0, 100, 500)
    pos, vel = truth.states(t, np.zeros(t.size, np.int64))
    assert np.allclose(pos, f(t), atol=1e-6)
    assert np.allclose(vel, coef[1] + 2 * coef[2] * t[:, None] + 3 * coef[3] * t[:, None] ** 2, atol=1e-6)


def test_window_and_rotation_keep_the_geometry():
    truth = truth_of([straight([5e4, 0, 3e3], [0, 200, 0]), straight([0, -6e4, 9e3], [150, 0, -2])],
                     [(0, 600), (100, 900)])
    w = truth.window(200.0, 500.0)
    assert len(w) == 2 and w.t0.tolist() == [0.0, 0.0] and w.count.tolist() == [301, 301]
    p, _ = w.states(50.0)
    q, _ = truth.states(250.0)
    assert np.allclose(p, q)
    r = truth.rotated(math.radians(90.0), 10.0)
    p0, v0 = truth.states(300.0)
    p1, v1 = r.states(310.0)
    # a quarter turn clockwise takes north to east: (e, n) -> (n, -e)
    assert np.allclose(p1[:, :2], np.stack([p0[:, 1], -p0[:, 0]], 1), atol=1e-6)
    assert np.allclose(np.linalg.norm(p1, axis=1), np.linalg.norm(p0, axis=1))
    assert np.allclose(v1[:, 2], v0[:, 2])


def _fake_wheel(tmp_path: Path, records: list[dict]) -> Path:
    path = tmp_path / rtd.WHEEL
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(rtd.SAMPLES + "collections/fake.json.gz", gzip.compress(json.dumps(records).encode()))
    return path


def test_cleaning_counts_what_it_removes_and_smooths_a_straight_flight(tmp_path):
    lat0, lon0 = 48.9, 2.4
    t = np.arange(0, 600)
    e = 180.0 * t  # due east at 180 m/s, 3000 m high
    lat, lon, _ = __import__("pymap3d").enu2geodetic(e, np.zeros_like(e), np.zeros_like(e), lat0, lon0, 0.0)
    rec = []
    for k in t:
        rec.append({"timestamp": int(1.6e12 + 1000 * k), "icao24": "abc123", "latitude": float(lat[k]),
                    "longitude": float(lon[k]), "altitude": 3000.0 / rtd.FT, "groundspeed": 350.0,
                    "onground": False, "callsign": "TEST1"})
    for k in range(5):  # on the ground before take-off
        rec.append({**rec[0], "timestamp": int(1.6e12 - 1000 * (100 - k)), "onground": True, "groundspeed": 10.0})
    rec[100]["altitude"] = 9000.0 / rtd.FT  # altitude spike
    rec[200]["latitude"] += 0.05  # ~5.5 km position jump
    rec[301]["latitude"], rec[301]["longitude"] = rec[300]["latitude"], rec[300]["longitude"]  # stale position
    rec[400]["latitude"] = None
    del rec[450:480]  # a 31 s gap: two segments
    _fake_wheel(tmp_path, rec)
    cols = rtd.read_sample("collections/fake.json.gz", tmp_path)
    segs, rep = rtd.clean(cols, rtd.RULES["collections"])
    assert rep.on_ground == 5 and rep.no_position_or_altitude == 1 and rep.repeated_position == 1
    assert rep.altitude_outliers == 1 and rep.position_outliers + rep.position_jumps == 1
    assert rep.segments_after_gap_split == 2 and len(segs) == 2
    truth = rtd.truth_from_segments(segs, rtd.RULES["collections"], lat0, lon0, 1.6e9, rep)
    assert rep.segments_kept == 2 and rep.implausible_segments == 0
    tt = np.arange(10.0, 440.0)
    pos, vel = truth.states(tt, np.zeros(tt.size, np.int64))
    ref_e, ref_n, ref_u = __import__("pymap3d").geodetic2enu(*__import__("pymap3d").enu2geodetic(
        180.0 * tt, 0 * tt, 0 * tt, lat0, lon0, 0.0)[:2], 3000.0, lat0, lon0, 0.0)
    assert np.max(np.abs(pos[:, 0] - ref_e)) < 60.0 and np.max(np.abs(pos[:, 2] - ref_u)) < 20.0
    assert np.median(np.abs(vel[:, 0] - 180.0)) < 1.0


def test_pandas_column_files_are_read(tmp_path):
    cols = {"timestamp": {"0": 1000, "1": 2000}, "icao24": {"0": "a", "1": "a"}, "latitude": {"0": 1.0, "1": 1.1},
            "longitude": {"0": 2.0, "1": 2.1}, "altitude": {"0": 100, "1": None}, "groundspeed": {"0": 1, "1": 2},
            "callsign": {"0": "X", "1": "X"}}
    path = tmp_path / rtd.WHEEL
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(rtd.SAMPLES + "calibration/x.json.gz", gzip.compress(json.dumps(cols).encode()))
    got = rtd.read_sample("calibration/x.json.gz", tmp_path)
    assert got["time_s"].tolist() == [1.0, 2.0] and np.isnan(got["alt_ft"][1]) and np.isnan(got["onground"]).all()


# ------------------------------------------------------------------------------------------------ generator
def test_each_target_is_seen_when_the_beam_crosses_it():
    truth = truth_of([straight([8e4, 3e4, 5e3], [-150, 120, 3]), straight([-2e4, -9e4, 9e3], [0, 250, 0]),
                      straight([-5e4, 3e4, 2e3], [200, 0, 0])], [(0, 400), (0, 400), (0, 400)])
    radar = quiet_radar()
    det = rtr.generate(truth, radar, 60, seed=3)
    m = det.target >= 0
    pos, _ = truth.states(det.time_s[m], det.target[m])
    r, az, el = rtr.polar(pos, radar)
    beam = np.mod(360.0 * det.time_s[m] / radar.scan_period_s, 360.0)
    d_beam = (beam - np.degrees(az) + 180.0) % 360.0 - 180.0
    assert np.max(np.abs(d_beam)) < 1e-3  # 1 us of rounding is 7e-5 degrees of beam
    assert np.allclose(det.range_m[m], r, atol=1e-3) and np.allclose(det.elevation_deg[m], np.degrees(el), atol=1e-6)
    for i in range(3):  # one detection per rotation, a rotation apart (the third target crosses north)
        ti = det.time_s[det.target == i]
        assert 59 <= ti.size <= 61
        assert np.allclose(np.diff(ti), radar.scan_period_s, atol=0.5)


def test_noise_and_detection_statistics():
    rng = np.random.default_rng(5)
    n = 400
    starts = np.column_stack([rng.uniform(-1.5e5, 1.5e5, (n, 2)), rng.uniform(3e3, 1e4, n)])
    starts = starts[np.hypot(starts[:, 0], starts[:, 1]) > 3e4]
    vel = rng.uniform(-200, 200, (starts.shape[0], 3)) * [1, 1, 0]
    truth = truth_of([straight(p, v) for p, v in zip(starts, vel, strict=True)], [(0, 200)] * starts.shape[0])
    radar = rtr.RadarSpec(detection_probability=0.7, false_alarms_per_scan=0.0)
    det = rtr.generate(truth, radar, 30, seed=11)
    m = det.target >= 0
    pos, _ = truth.states(det.time_s[m], det.target[m])
    r, az, el = rtr.polar(pos, radar)
    for resid, sigma in ((det.range_m[m] - r, radar.sigma_range_m),
                         ((det.azimuth_deg[m] - np.degrees(az) + 180) % 360 - 180, radar.sigma_azimuth_deg),
                         (det.elevation_deg[m] - np.degrees(el), radar.sigma_elevation_deg)):
        assert stats.kstest(resid / sigma, "norm").pvalue > 1e-3
    quiet = rtr.generate(truth, quiet_radar(), 30, seed=11)
    looks = int((quiet.target >= 0).sum())
    assert stats.binomtest(int(m.sum()), looks, 0.7).pvalue > 1e-3


def test_false_alarms_are_poisson_and_uniform_in_measurement_space():
    radar = rtr.RadarSpec(false_alarms_per_scan=40.0)
    truth = truth_of([straight([1e5, 0, 5e3], [0, 0, 0])], [(0, 10)])
    det = rtr.generate(truth, radar, 400, seed=2)
    fa = det.take(np.flatnonzero(det.target < 0))
    counts = np.bincount(np.floor(fa.time_s / radar.scan_period_s).astype(int), minlength=400)
    assert stats.kstest(counts, stats.poisson(40.0).cdf).pvalue > 1e-4 or abs(counts.mean() - 40) < 1.0
    assert abs(counts.var() / counts.mean() - 1.0) < 0.2
    assert stats.kstest(fa.range_m, stats.uniform(radar.min_range_m, radar.max_range_m - radar.min_range_m).cdf
                        ).pvalue > 1e-3
    assert stats.kstest(fa.azimuth_deg, stats.uniform(0, 360).cdf).pvalue > 1e-3
    span = radar.elevation_max_deg - radar.elevation_min_deg
    assert stats.kstest(fa.elevation_deg, stats.uniform(radar.elevation_min_deg, span).cdf).pvalue > 1e-3
    beam = np.mod(360.0 * fa.time_s / radar.scan_period_s, 360.0)
    assert np.max(np.abs((beam - fa.azimuth_deg + 180) % 360 - 180)) < 1e-3


def test_coverage_range_elevation_and_horizon():
    radar = quiet_radar()
    ke = radar.refraction_k * rtd.EARTH_RADIUS_M
    horizon_500 = math.sqrt(2 * ke * radar.antenna_height_m) + math.sqrt(2 * ke * 500.0)

    def at(ground_m: float, height_m: float, bearing_deg: float = 30.0) -> np.ndarray:
        # a point height_m above the spherical ground at ground distance ground_m, in site ENU
        a = ground_m / rtd.EARTH_RADIUS_M
        rr = rtd.EARTH_RADIUS_M + height_m
        horiz = rr * math.sin(a)
        b = math.radians(bearing_deg)
        return np.array([[horiz * math.sin(b), horiz * math.cos(b), rr * math.cos(a) - rtd.EARTH_RADIUS_M]])

    assert rtr.in_coverage(at(0.99 * horizon_500, 500.0), radar)[0]
    assert not rtr.in_coverage(at(1.01 * horizon_500, 500.0), radar)[0]
    assert not rtr.in_coverage(at(260e3, 12e3), radar)[0]  # beyond the instrumented range
    assert rtr.in_coverage(at(240e3, 12e3), radar)[0]
    assert not rtr.in_coverage(at(1e3, 5e3), radar)[0]  # 78 degrees of elevation
    assert not rtr.in_coverage(at(1.5e3, 0.0), radar)[0]  # inside the blind range
    # no detection of a target flying beyond the horizon
    low = truth_of([straight(at(120e3, 300.0)[0], [0, 0, 0])], [(0, 60)])
    assert len(rtr.generate(low, radar, 10, seed=1)) == 0


# ------------------------------------------------------------------------------------------------ scoring
@needs_stonesoup
def test_scoring_gospa_agrees_with_stonesoup():
    from stonesoup.metricgenerator.ospametric import GOSPAMetric
    from stonesoup.types.state import State

    rng = np.random.default_rng(4)
    when = dt.datetime(2000, 1, 1)
    reference = GOSPAMetric(p=2, c=rts.CUTOFF_M)
    for _ in range(60):
        n, m = rng.integers(0, 9, size=2)
        if n + m == 0:
            continue
        tru = rng.uniform(-2e4, 2e4, (n, 3))
        est = np.concatenate([tru[:min(n, m)] + rng.normal(0, 3e3, (min(n, m), 3)),
                              rng.uniform(-2e4, 2e4, (max(m - n, 0), 3))])
        score = rts.RunScore()
        score.add(np.arange(n), tru, est, list(range(m)))
        ss, _ = reference.compute_gospa_metric([State(x.reshape(3, 1), timestamp=when) for x in est],
                                               [State(x.reshape(3, 1), timestamp=when) for x in tru])
        assert score.gospa_m[0] == pytest.approx(ss.value["distance"], rel=1e-9, abs=1e-6)
        assert score.missed[0] * rts.CUTOFF_M**2 / 2 == pytest.approx(ss.value["missed"])
        assert score.false[0] * rts.CUTOFF_M**2 / 2 == pytest.approx(ss.value["false"])


def test_id_switches_and_errors_are_counted_per_target():
    s = rts.RunScore()
    tru = np.array([[0.0, 0, 0], [1e4, 0, 0]])
    s.add(np.array([7, 8]), tru, tru + np.array([0.0, 0.0, 30.0]), [1, 2])
    s.add(np.array([7, 8]), tru, tru[::-1] + np.array([40.0, 0.0, 0.0]), [3, 1])  # 7 keeps track 1, 8 goes to track 3
    s.add(np.array([7]), tru[:1], np.zeros((0, 3)), [])  # 7 missed: no switch
    s.add(np.array([7, 8]), tru, tru.copy(), [1, 3])  # same as last assigned: no switch
    s.add(np.array([7, 8]), tru, np.array([[9e3, 9e3, 0.0]]), [5])  # a false track, both missed
    assert s.switches == [0, 1, 0, 0, 0] and s.missed == [0, 0, 1, 0, 2] and s.false == [0, 0, 0, 0, 1]
    summ = rts.summary(s)
    assert summ["id_switches"] == 1
    assert summ["rmse_m"] == pytest.approx(math.sqrt((2 * 900 + 2 * 1600) / 6))
    assert summ["rmse_up_m"] == pytest.approx(math.sqrt(2 * 900 / 6))


# ------------------------------------------------------------------------------------------------ trackers
@pytest.fixture(scope="module")
def small_scene():
    rng = np.random.default_rng(8)
    starts = np.column_stack([rng.uniform(-1e5, 1e5, (12, 2)), rng.uniform(2e3, 9e3, 12)])
    vel = np.column_stack([rng.uniform(-220, 220, (12, 2)), np.zeros(12)])
    truth = truth_of([straight(p, v) for p, v in zip(starts, vel, strict=True)], [(0, 80)] * 12)
    radar = rtr.RadarSpec()
    return truth, radar, rtr.generate(truth, radar, 14, seed=4)


def test_sensor_file_holds_the_radar_facts(tmp_path):
    import real_traffic_airpicture as rap
    from airpicture.sensors.false_alarms import mean_noise_false_alarms

    radar = rtr.RadarSpec(false_alarms_per_scan=100.0)
    same = rap.load_sensors(radar, "same-q", tmp_path)
    default = rap.load_sensors(radar, "defaults", tmp_path)
    s = same.sensors[0]
    assert mean_noise_false_alarms(s) == pytest.approx(100.0)
    assert (s.scan_period_s, s.max_range_m, s.antenna_height_m, s.accuracy.azimuth_deg) == (5.0, 250e3, 20.0, 0.15)
    assert same.tracker.model.kind == "cv" and same.tracker.model.accel_sigma_mps2 ** 2 == pytest.approx(2.0)
    assert default.tracker == type(default.tracker)()
    assert "[tracker]" not in rap.sensor_toml(radar, "defaults")


def test_stepped_airpicture_publishes_what_airpicture_track_publishes(small_scene, tmp_path):
    import real_traffic_airpicture as rap

    truth, radar, det = small_scene
    sf = rap.load_sensors(radar, "defaults", tmp_path)
    stepped = rap.SteppedAirpicture(det, sf, radar.scan_period_s, 14)
    for k in range(14):
        stepped.scan(k, stepped.inputs(k))
    assert rap.check_same_as_offline(stepped, rap.offline_pictures(det, sf, radar.scan_period_s)) == ""
    pos, ids = stepped.confirmed()
    assert len(ids) >= 8  # most of the 12 aircraft are held after 14 scans


@needs_stonesoup
def test_stonesoup_measurement_model_matches_the_generator():
    from stonesoup.types.state import State

    import real_traffic_stonesoup as rss

    radar = rtr.RadarSpec()
    mm = rss.measurement_model(radar)
    p = np.array([[4e4, -7e4, 6e3], [-1e5, 2e4, 1.1e4]])
    r, az, el = rtr.polar(p, radar)
    for k in range(2):
        sv = np.zeros((6, 1))
        sv[rss.POSITION, 0] = p[k]
        z = np.asarray(mm.function(State(sv)), float)[:, 0]
        assert z[0] == pytest.approx(el[k], abs=1e-12)
        assert math.remainder(z[1] - (math.pi / 2 - az[k]), 2 * math.pi) == pytest.approx(0.0, abs=1e-12)
        assert z[2] == pytest.approx(r[k], rel=1e-12)


@needs_stonesoup
def test_stonesoup_pregate_does_not_change_the_associations(small_scene):
    import real_traffic_stonesoup as rss

    truth, _, _ = small_scene
    radar = rtr.RadarSpec(false_alarms_per_scan=5.0)
    det = rtr.generate(truth, radar, 6, seed=9)
    runs = []
    for pregate in (rss.PREGATE_M, None):
        ss = rss.SteppedStoneSoup(det, radar, 6, pregate)
        score = rts.RunScore()
        for k in range(6):
            ss.scan(k, ss.inputs(k))
            tid, tpos = rts.truth_in_coverage(truth, radar, (k + 1) * radar.scan_period_s)
            pos, ids = ss.confirmed()
            score.add(tid, tpos, pos, ids)
        runs.append(score)
    assert runs[0].gospa_m == pytest.approx(runs[1].gospa_m, rel=1e-9)
    assert runs[0].n_tracks == runs[1].n_tracks and max(runs[0].n_tracks) >= 6


@needs_stonesoup
@pytest.mark.parametrize("period", [5.0, 10.0])
def test_stonesoup_pregate_radius_holds_every_pair_inside_the_gate(small_scene, period):
    """Every detection the hypothesiser accepts for a track (tentative or confirmed) lies inside the pre-gate
    radius, at both scan periods (a tentative track's gate after a missed 10 s scan is ~25 km)."""
    import real_traffic_stonesoup as rss

    truth, _, _ = small_scene
    radar = rtr.RadarSpec(scan_period_s=period, false_alarms_per_scan=15.0)
    det = rtr.generate(truth, radar, 8, seed=5)
    ss = rss.SteppedStoneSoup(det, radar, 8)
    seen = {"pairs": 0}

    def check(assoc, tracks, detections, timestamp):
        for track in tracks:
            pred = assoc.predictor.predict(track, timestamp=timestamp)
            centre = np.asarray(pred.state_vector, float)[rss.POSITION, 0]
            for h in assoc.hypothesiser.hypothesise(track, detections, timestamp):
                if h.measurement and h.distance < assoc.gate:
                    xyz = np.asarray(h.measurement.measurement_model.inverse_function(h.measurement),
                                     float)[rss.POSITION, 0]
                    assert np.linalg.norm(xyz - centre) <= assoc.radius(pred)
                    seen["pairs"] += 1

    for k in range(8):
        when, batch = ss.inputs(k)
        check(ss.tracker.data_associator, ss.tracker.tracks, batch, when)
        check(ss.tracker.initiator.data_associator, ss.tracker.initiator.holding_tracks, batch, when)
        ss.scan(k, (when, batch))
    assert seen["pairs"] > 50
