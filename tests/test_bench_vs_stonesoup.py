"""The Stone Soup comparison harness: the detection generator, the Stone Soup configuration and the scorer.

Checks are against independent references: beam geometry from the rotation rate, noise and detection
statistics against their distributions (scipy.stats), the closed-form trajectories against numerical
integration, Stone Soup's own measurement model and GOSPA metric.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from scipy.integrate import cumulative_trapezoid

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from scenarios_bench import BenchScenario, Fleet, generate, windows

SMALL = BenchScenario(n_targets=300, n_scans=6, seed=7)
needs_stonesoup = pytest.mark.skipif(importlib.util.find_spec("stonesoup") is None,
                                     reason="stonesoup (the 'bench' extra) is not installed")


@pytest.fixture(scope="module")
def small():
    return generate(SMALL)


def _truth_polar(data, det):
    m = det.target_id >= 0
    d = data.fleet.positions(det.time_s[m], det.target_id[m]) - data.antenna
    r = np.linalg.norm(d, axis=1)
    az = np.degrees(np.arctan2(d[:, 0], d[:, 1])) % 360.0
    el = np.degrees(np.arcsin(d[:, 2] / r))
    return m, r, az, el


def _wrap180(a):
    return (a + 180.0) % 360.0 - 180.0


# ------------------------------------------------------------------------------------------------ generator
def test_targets_are_detected_when_the_beam_points_at_them(small):
    det = small.detections
    m, _, az, _ = _truth_polar(small, det)
    beam = 360.0 * det.time_s[m] / SMALL.scan_period_s  # north at t = 0, clockwise, one turn per period
    # times are rounded to 1 us: the beam turns 72 deg/s, so 0.5 us is 3.6e-5 deg
    assert np.max(np.abs(_wrap180(az - beam))) < 1e-4


def test_detections_are_sorted_and_inside_the_run(small):
    t = small.detections.time_s
    assert np.all(np.diff(t) >= 0)
    assert t.min() >= 0 and t.max() < SMALL.duration_s
    assert np.array_equal(t, np.round(t, 6))
    az = small.detections.azimuth_deg
    assert az.min() >= 0.0 and az.max() < 360.0


def test_azimuth_just_below_a_full_turn_stays_below_360():
    from scenarios_bench import _azimuth_deg

    out = _azimuth_deg(np.array([-1e-19, -1e-15, 0.5, -0.5]))
    assert np.all((out >= 0.0) & (out < 360.0))
    np.testing.assert_allclose(out[2:], [np.degrees(0.5), 360.0 - np.degrees(0.5)])


def test_measurement_noise_has_the_configured_sigmas(small):
    det = small.detections
    m, r, az, el = _truth_polar(small, det)
    residuals = {
        "range": (det.range_m[m] - r, SMALL.sigma_range_m),
        "azimuth": (_wrap180(det.azimuth_deg[m] - az), SMALL.sigma_azimuth_deg),
        "elevation": (det.elevation_deg[m] - el, SMALL.sigma_elevation_deg),
    }
    for name, (res, sigma) in residuals.items():
        z = res / sigma
        # standard normal: Kolmogorov-Smirnov at a strict level, and sample variance against chi-square
        assert stats.kstest(z, "norm").pvalue > 1e-4, name
        k = z.size
        lo, hi = stats.chi2.ppf([1e-5, 1 - 1e-5], k) / k
        assert lo < np.mean(z**2) < hi, name


def test_detection_probability_and_one_crossing_per_scan(small):
    det = small.detections
    tid = det.target_id[det.target_id >= 0]
    # Every target is crossed once per rotation: over the run, n_scans crossings give or take one at the ends.
    # So detections of a target are Binomial(~n_scans, Pd); the total is tested against Pd.
    n_cross = SMALL.n_targets * SMALL.n_scans
    hits = tid.size
    assert stats.binomtest(hits, n_cross, SMALL.detection_probability).pvalue > 1e-4
    per_target = np.bincount(tid, minlength=SMALL.n_targets)
    assert per_target.max() <= SMALL.n_scans + 1


def test_false_alarms_are_poisson_and_uniform_in_measurement_space(small):
    det = small.detections
    fa = det.target_id < 0
    per_scan = np.bincount(np.floor(det.time_s[fa] / SMALL.scan_period_s).astype(int), minlength=SMALL.n_scans)
    total = per_scan.sum()
    assert stats.poisson.cdf(total, SMALL.false_alarm_rate * SMALL.n_scans) > 1e-4
    assert stats.poisson.sf(total - 1, SMALL.false_alarm_rate * SMALL.n_scans) > 1e-4
    r0, r1 = SMALL.coverage_min_range_m, SMALL.coverage_max_range_m
    assert stats.kstest(det.range_m[fa], stats.uniform(r0, r1 - r0).cdf).pvalue > 1e-4
    assert stats.kstest(det.azimuth_deg[fa], stats.uniform(0, 360).cdf).pvalue > 1e-4
    # a false alarm is stamped when the beam points at its azimuth
    beam = (360.0 * det.time_s[fa] / SMALL.scan_period_s) % 360.0
    assert np.max(np.abs(_wrap180(det.azimuth_deg[fa] - beam))) < 1e-4


def test_false_alarms_uniform_in_volume():
    sc = BenchScenario(n_targets=50, n_scans=40, false_alarms_per_scan=100.0, false_alarm_model="cartesian", seed=3)
    det = generate(sc).detections
    fa = det.target_id < 0
    r0, r1 = sc.coverage_min_range_m, sc.coverage_max_range_m
    el1 = np.radians(sc.coverage_max_elevation_deg)
    # uniform in volume: P(R <= r) = (r^3 - r0^3) / (r1^3 - r0^3), P(E <= e) = sin(e) / sin(el1)
    assert stats.kstest(det.range_m[fa], lambda r: (r**3 - r0**3) / (r1**3 - r0**3)).pvalue > 1e-4
    assert stats.kstest(np.radians(det.elevation_deg[fa]), lambda e: np.sin(e) / np.sin(el1)).pvalue > 1e-4


def test_default_false_alarm_rate_and_clutter_densities():
    from scipy.integrate import tplquad

    assert BenchScenario(n_targets=100).false_alarm_rate == 20.0
    assert BenchScenario(n_targets=10_000).false_alarm_rate == 1000.0
    v = BenchScenario(n_targets=100)
    r0, r1, el1 = v.coverage_min_range_m, v.coverage_max_range_m, np.radians(v.coverage_max_elevation_deg)
    polar_volume = (r1 - r0) * 2 * np.pi * el1
    assert v.clutter_density_polar() == pytest.approx(20.0 / polar_volume)
    # volume of the coverage by numerical integration of r^2 cos(el) dr daz del
    volume, _ = tplquad(lambda r, az, el: r * r * np.cos(el), 0.0, el1, 0.0, 2 * np.pi, r0, r1)
    assert v.clutter_density_m3() == pytest.approx(20.0 / volume, rel=1e-9)


def test_closed_form_trajectories_match_integrated_velocities():
    rng = np.random.default_rng(3)
    n = 40
    fleet = Fleet(start=rng.uniform(-1e5, 1e5, (n, 3)), speed_mps=rng.uniform(100, 300, n),
                  heading0_rad=rng.uniform(0, 2 * np.pi, n),
                  turn_rate_rad_s=np.where(rng.random(n) < 0.3, 0.0, np.radians(rng.uniform(-3, 3, n))))
    t = np.linspace(0.0, 300.0, 30001)
    v = np.stack([fleet.velocities(tk) for tk in t])  # (T, n, 3)
    integrated = fleet.start[None] + cumulative_trapezoid(v, t, axis=0, initial=0.0)
    closed = np.stack([fleet.positions(tk) for tk in t[::1000]])
    np.testing.assert_allclose(closed, integrated[::1000], atol=0.05)
    assert np.allclose(np.linalg.norm(v, axis=2), fleet.speed_mps)


def test_targets_keep_clear_of_the_radar(small):
    t = np.linspace(0.0, SMALL.duration_s, 200)
    ranges = np.stack([np.hypot(*small.fleet.positions(tk)[:, :2].T) for tk in t])
    assert ranges.min() >= SMALL.min_range_m


def test_same_seed_same_detections_and_shorter_runs_are_prefixes(small):
    again = generate(SMALL)
    for f in ("time_s", "range_m", "azimuth_deg", "elevation_deg", "target_id"):
        assert np.array_equal(getattr(again.detections, f), getattr(small.detections, f))
    short = generate(BenchScenario(n_targets=300, n_scans=3, seed=7))
    keep = small.detections.time_s < 3 * SMALL.scan_period_s
    assert np.array_equal(short.detections.range_m, small.detections.range_m[keep])
    other = generate(BenchScenario(n_targets=300, n_scans=6, seed=8))
    assert not np.array_equal(other.detections.range_m[:50], small.detections.range_m[:50])


def test_windows_partition_the_detections(small):
    wins = windows(small, 1.0)
    assert len(wins) == int(SMALL.duration_s)
    idx = np.concatenate([w[2] for w in wins])
    assert np.array_equal(idx, np.arange(len(small.detections)))
    for t0, t1, rows in wins:
        assert np.all((small.detections.time_s[rows] >= t0) & (small.detections.time_s[rows] < t1))
    with pytest.raises(ValueError):
        windows(small, 0.7)


# ------------------------------------------------------------------------------------------------ Stone Soup side
@needs_stonesoup
def test_stonesoup_detections_match_its_measurement_model(small):
    from stonesoup.types.state import State

    from stonesoup_side import measurement_model, to_stonesoup

    det = small.detections.take(np.flatnonzero(small.detections.target_id >= 0)[:200])
    model = measurement_model(small)
    ss = to_stonesoup(det, model)
    for d, t, i in zip(ss, det.time_s, det.target_id, strict=True):
        p = small.fleet.positions(t, np.array([i]))[0]
        state = State(np.array([[p[0]], [0.0], [p[1]], [0.0], [p[2]], [0.0]]))
        expect = model.function(state, noise=False)
        diff = np.asarray(d.state_vector - expect, float).ravel()  # Stone Soup wraps the angle differences
        # residuals are the generator's noise: within 6 sigma of (elevation, bearing, range)
        sig = np.array([np.radians(SMALL.sigma_elevation_deg), np.radians(SMALL.sigma_azimuth_deg),
                        SMALL.sigma_range_m])
        assert np.all(np.abs(diff) < 6 * sig)
        assert d.timestamp == dt.datetime(2000, 1, 1) + dt.timedelta(microseconds=round(t * 1e6))


def _track(hit_pattern, times=None, positions=None):
    """A Stone Soup track with one state per look (at 0, 5, 10... s unless ``times`` are given, at the origin
    unless ``positions`` (east, north) are): an update for a hit, a prediction for a miss."""
    from stonesoup.types.detection import Detection
    from stonesoup.types.hypothesis import SingleHypothesis
    from stonesoup.types.prediction import GaussianStatePrediction
    from stonesoup.types.track import Track
    from stonesoup.types.update import GaussianStateUpdate

    from stonesoup_side import stamp

    times = [5.0 * k for k in range(len(hit_pattern))] if times is None else times
    positions = [(0.0, 0.0)] * len(hit_pattern) if positions is None else positions
    states = []
    for hit, t, (e, n) in zip(hit_pattern, times, positions, strict=True):
        when = stamp(t)
        sv = np.array([[e], [0.0], [n], [0.0], [1000.0], [0.0]])
        if hit:
            hyp = SingleHypothesis(None, Detection(np.zeros((3, 1)), timestamp=when))
            states.append(GaussianStateUpdate(sv, np.eye(6), hyp, timestamp=when))
        else:
            states.append(GaussianStatePrediction(sv, np.eye(6), timestamp=when))
    return Track(states)


@needs_stonesoup
@pytest.mark.parametrize("m,n", [(3, 4), (2, 3), (2, 2), (4, 6)])
def test_m_of_n_deleter_drops_a_candidate_exactly_when_m_hits_in_n_looks_became_impossible(m, n):
    import itertools

    from stonesoup_side import MofNDeleter

    deleter = MofNDeleter(m=m, n=n, period_s=5.0, antenna=np.zeros(3))
    for looks in range(1, n + 2):
        for rest in itertools.product([True, False], repeat=looks - 1):
            pattern = (True, *rest)  # the first look is the initiating detection
            if sum(pattern) >= m:
                continue  # confirmed: no longer a candidate
            # brute force: can any continuation reach m hits within the first n looks?
            reachable = sum(pattern) + max(0, n - looks) >= m
            assert deleter.check_for_deletion(_track(pattern)) == (not reachable), pattern


@needs_stonesoup
def test_missed_looks_deleter_counts_beam_passes_not_batches():
    from stonesoup_side import MissedLooksDeleter

    deleter = MissedLooksDeleter(misses=3, period_s=5.0, antenna=np.zeros(3))
    # one prediction per 1 s window after the last hit: deleted once three scans have passed, not three windows
    for k in range(1, 20):
        track = _track([True] + [False] * k, times=[float(i) for i in range(k + 1)])
        assert deleter.check_for_deletion(track) == (k >= 15), k


@needs_stonesoup
def test_beam_passes_follow_the_target_azimuth():
    from stonesoup_side import beam_passes

    # A target detected at azimuth 30 deg (the beam there at 30/72 s) moves clockwise at 2 deg/s, range 100 km.
    # The beam (72 deg/s) catches it again when 72 t = 360 + 30 + 2 (t - t0) (t0 = 30/72): t - t0 = 360/70 s.
    t0 = 30.0 / 72.0
    catch = 360.0 / 70.0

    def at(dt_s):
        az = np.radians(30.0 + 2.0 * dt_s)
        return (1e5 * np.sin(az), 1e5 * np.cos(az))

    for dt_s in (4.9, 5.0, catch - 0.01, catch + 0.01, 5.5, catch * 2 - 0.01, catch * 2 + 0.01):
        track = _track([True, False], times=[t0, t0 + dt_s], positions=[at(0.0), at(dt_s)])
        expect = int(dt_s // catch)
        assert beam_passes(track.state, track[0], 5.0, np.zeros(3)) == expect, dt_s
    # A detection is at a crossing: one whose estimated azimuth is a little past the beam still counts its pass.
    for k in (1, 2):
        noisy = [at(0.0), at(k * catch)]
        az = np.arctan2(*noisy[1]) + np.radians(0.3)
        noisy[1] = (1e5 * np.sin(az), 1e5 * np.cos(az))
        track = _track([True, True], times=[t0, t0 + k * catch], positions=noisy)
        assert beam_passes(track.state, track[0], 5.0, np.zeros(3)) == k


@needs_stonesoup
def test_gospa_scorer_agrees_with_stonesoup():
    from stonesoup.metricgenerator.ospametric import GOSPAMetric
    from stonesoup.types.state import State

    from airpicture.metrics import gospa

    rng = np.random.default_rng(11)
    when = dt.datetime(2000, 1, 1)
    reference = GOSPAMetric(p=2, c=3.0)
    for _ in range(150):
        k, m = rng.integers(0, 7, size=2)
        if k + m == 0:
            continue
        est = rng.uniform(0, 8, (k, 3))
        tru = rng.uniform(0, 8, (m, 3))
        ours = gospa(tru, est, 3.0, 2.0)
        ss, _ = reference.compute_gospa_metric([State(x.reshape(3, 1), timestamp=when) for x in est],
                                               [State(x.reshape(3, 1), timestamp=when) for x in tru])
        assert ours.total_m == pytest.approx(ss.value["distance"], rel=1e-9, abs=1e-9)
        assert ours.localisation_m2 == pytest.approx(ss.value["localisation"], rel=1e-9, abs=1e-9)
        assert ours.missed_m2 == pytest.approx(ss.value["missed"])
        assert ours.false_m2 == pytest.approx(ss.value["false"])


# ------------------------------------------------------------------------------------------------ both sides
@pytest.mark.parametrize("model", ["polar", "cartesian"])
def test_airpicture_is_given_the_generator_clutter_density(model):
    from airpicture.tracking.sensors import radar_clutter_log_density
    from airpicture_side import clutter_density_m3, radar

    data = generate(BenchScenario(n_targets=40, n_scans=2, seed=3, false_alarm_model=model))
    if model == "cartesian":
        assert clutter_density_m3(data) == pytest.approx(data.scenario.clutter_density_m3())
        return
    assert clutter_density_m3(data) is None  # derived from the radar, whose Pfa per cell gives the density
    r = np.array([5e3, 50e3, 190e3])
    derived = np.exp(radar_clutter_log_density(radar(data), r, np.zeros(3), np.full(3, 0.1)))
    np.testing.assert_allclose(derived, data.scenario.clutter_density_polar(), rtol=1e-12)


@needs_stonesoup
def test_both_trackers_confirm_the_same_small_sky_equally_well():
    from airpicture.metrics import gospa
    from airpicture_side import AirpictureSide, clutter_density_m3
    from stonesoup_side import StoneSoupSide
    from tracker_settings_bench import TrackerSettings

    data = generate(BenchScenario(n_targets=12, n_scans=6, seed=5))
    s = TrackerSettings()
    ours = AirpictureSide(data, s, clutter_density_m3(data))
    theirs = StoneSoupSide(data, s)
    for k in range(data.scenario.n_scans):
        ours.scan(k, ours.inputs(k))
        theirs.scan(k, theirs.inputs(k))
    t = data.epochs()[-1]
    truth = data.fleet.positions(t)
    a, b = ours.confirmed_positions(t), theirs.confirmed_positions(t)
    # 3-of-4 confirmation with Pd 0.9: by the sixth scan nearly every target has a confirmed track on both sides
    assert len(a) >= 10 and len(b) >= 10
    ga, gb = gospa(truth, a, s.gospa_cutoff_m), gospa(truth, b, s.gospa_cutoff_m)
    assert ga.n_false <= 1 and gb.n_false <= 1
    # same model, gate and filter: the localisation errors agree closely (not exactly: different GNN costs)
    rms_a = np.sqrt(ga.localisation_m2 / len(ga.pairs))
    rms_b = np.sqrt(gb.localisation_m2 / len(gb.pairs))
    assert rms_a == pytest.approx(rms_b, rel=0.1)
    assert rms_a < 1500.0
