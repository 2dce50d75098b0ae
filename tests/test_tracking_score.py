"""The track score (log likelihood ratio) and the decisions taken on it: increments against a likelihood ratio
computed here independently (scipy's multivariate normal, finite-difference Jacobians, FilterPy's process
noise), the sequential test's thresholds, the Pd estimate, single-point initiation, deletion outside the
radars' coverage and the manoeuvre recovery."""

from __future__ import annotations

import math

import numpy as np
import pytest
from filterpy.common import Q_continuous_white_noise
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import block_diag
from scipy.stats import multivariate_normal

from airpicture.detections import Detections, Look
from airpicture.geodesy import LocalFrame
from airpicture.scenario import FixedAccuracy, Radar, TrackerConfig
from airpicture.sensors.geometry import cartesian_to_polar
from airpicture.sensors.physics import radar_horizon_m
from airpicture.sensors.placement import radar_geometry
from airpicture.testing.detections import drive, linear_targets
from airpicture.tracking import Tracker
from airpicture.tracking.management import initial_states, score_decisions
from airpicture.tracking.store import CONFIRMED, TENTATIVE, TrackStore

FRAME = LocalFrame.at(10.0, 20.0, 0.0)
PERIOD = 4.0
SIG = (30.0, 0.1, 0.2)  # range m, azimuth deg, elevation deg


def radar(**kw) -> Radar:
    return Radar(id=2, scan_period_s=PERIOD, max_range_m=250e3,
                 accuracy=FixedAccuracy(range_m=SIG[0], azimuth_deg=SIG[1], elevation_deg=SIG[2]), **kw)


def detections(t, r, az, el) -> Detections:
    n = len(t)
    return Detections(time_s=np.array(t, float), sensor_id=np.full(n, 2, np.int64), range_m=np.array(r, float),
                      azimuth_deg=np.array(az, float), elevation_deg=np.array(el, float),
                      range_rate_mps=np.full(n, np.nan), snr_db=np.full(n, 20.0))


def look(k: int) -> list[Look]:
    return [Look(sensor_id=2, start_s=PERIOD * k, end_s=PERIOD * (k + 1), az_start_deg=0.0, sweep_deg=360.0)]


# ------------------------------------------------------------------------------------------ independent model
def _polar(geo, p: np.ndarray) -> np.ndarray:
    r, az, el = cartesian_to_polar(geo.to_local(np.asarray(p, float).reshape(1, 3)))
    return np.array([r[0], az[0], el[0]])


def _jacobian(geo, p: np.ndarray, h: float = 0.5) -> np.ndarray:
    """d(r, az, el)/d(site position) by central differences (azimuth differences wrapped)."""
    H = np.zeros((3, 3))
    for a in range(3):
        dp = np.zeros(3)
        dp[a] = h
        d = _polar(geo, p + dp) - _polar(geo, p - dp)
        d[1] = (d[1] + np.pi) % (2 * np.pi) - np.pi
        H[:, a] = d / (2 * h)
    return H


def _initial(geo, z: np.ndarray, speed: float, vertical: float) -> tuple[np.ndarray, np.ndarray]:
    """Single-point initiation built independently: position by inverting the polar measurement numerically
    (Newton on _polar), its covariance H^-1 R H^-T, velocity prior along the local vertical of a sphere."""
    p = geo.to_site(np.array([[z[0] * math.cos(z[2]) * math.sin(z[1]), z[0] * math.cos(z[2]) * math.cos(z[1]),
                               z[0] * math.sin(z[2])]]))[0]
    for _ in range(3):
        H = _jacobian(geo, p)
        res = z - _polar(geo, p)
        res[1] = (res[1] + np.pi) % (2 * np.pi) - np.pi
        p = p + np.linalg.solve(H, res)
    Hi = np.linalg.inv(_jacobian(geo, p))
    R = np.diag(np.square([SIG[0], math.radians(SIG[1]), math.radians(SIG[2])]))
    up = p + np.array([0.0, 0.0, FRAME.earth_radius_m])
    up /= np.linalg.norm(up)
    Pv = speed**2 * np.eye(3) + (vertical**2 - speed**2) * np.outer(up, up)
    return np.concatenate([p, np.zeros(3)]), block_diag(Hi @ R @ Hi.T, Pv)


def test_initial_state_matches_an_independent_construction():
    r = radar()
    geo = radar_geometry(r, FRAME)
    z = np.array([[120e3, math.radians(63.0), math.radians(2.5), np.nan]])
    sig = np.array([[SIG[0], math.radians(SIG[1]), math.radians(SIG[2]), 1.0]])
    x = np.empty((1, 6))
    P = np.empty((1, 6, 6))
    initial_states(z, sig, geo.position, geo.rotation, 250.0, 20.0, FRAME.earth_radius_m, x, P)
    x_ref, P_ref = _initial(geo, z[0, :3], 250.0, 20.0)
    np.testing.assert_allclose(x[0], x_ref, atol=1e-3)
    np.testing.assert_allclose(P[0], P_ref, rtol=1e-4, atol=1e-2)
    # 120 km out, the local vertical is tilted ~1.1 degrees from the site's up: the prior follows it
    up = x_ref[:3] + np.array([0.0, 0.0, FRAME.earth_radius_m])
    up /= np.linalg.norm(up)
    assert up @ P[0, 3:, 3:] @ up == pytest.approx(20.0**2, rel=1e-9)
    assert P[0, 5, 5] > 20.0**2 + 10.0  # not simply the site's vertical


def test_score_increment_of_a_hit_is_the_likelihood_ratio_computed_independently():
    """Two detections of a target: the second one's score increment is ln Pd + ln N(nu; 0, S) - ln lambda, with
    nu and S from an independent EKF prediction (FilterPy's Q, finite-difference H) and lambda the radar's
    false-alarm density per resolution cell."""
    r = radar()
    geo = radar_geometry(r, FRAME)
    cfg = TrackerConfig(model={"kind": "cv", "accel_sigma_mps2": 2.0}, initial_speed_sigma_mps=250.0,
                        initial_vertical_speed_sigma_mps=20.0, new_targets="none", manoeuvre_recovery_accel_mps2=None)
    tracker = Tracker(cfg, [r], FRAME, capacity=None)
    z1 = np.array([80e3, math.radians(40.0), math.radians(3.0)])
    z2 = np.array([80.9e3, math.radians(40.2), math.radians(3.05)])
    t1, t2 = 0.44, 4.46
    tracker.process(detections([t1], [z1[0]], [math.degrees(z1[1])], [math.degrees(z1[2])]), look(0))
    tracker.process(detections([t2], [z2[0]], [math.degrees(z2[1])], [math.degrees(z2[2])]), look(1))
    hist = tracker.history_table().to_pandas()
    q = hist.quality.to_numpy()
    llr = np.log(q) - np.log1p(-q)
    assert list(hist.event[:2]) == ["start", "update"] and llr[0] == pytest.approx(0.0)

    x0, P0 = _initial(geo, z1, 250.0, 20.0)
    dt = t2 - t1
    F = np.eye(6)
    F[:3, 3:] = dt * np.eye(3)
    Q = np.zeros((6, 6))
    q1 = Q_continuous_white_noise(dim=2, dt=dt, spectral_density=4.0)
    for a in range(3):
        Q[np.ix_([a, a + 3], [a, a + 3])] = q1
    xp, Pp = F @ x0, F @ P0 @ F.T + Q
    H = np.zeros((3, 6))
    H[:, :3] = _jacobian(geo, xp[:3])
    R = np.diag(np.square([SIG[0], math.radians(SIG[1]), math.radians(SIG[2])]))
    nu = z2 - _polar(geo, xp[:3])
    nu[1] = (nu[1] + np.pi) % (2 * np.pi) - np.pi
    S = H @ Pp @ H.T + R
    cell = r.range_resolution_m * math.radians(r.azimuth_cell_deg) * math.radians(r.elevation_resolution_deg)
    density = r.pfa / cell
    pd = tracker.detection_probability(0)
    assert pd == pytest.approx(0.9)  # no looks at confirmed tracks yet: the prior
    # scipy's density on unit-scaled coordinates (range in metres and angles in radians differ by 1e6),
    # back to the measurement units by the Jacobian of the scaling
    d = np.sqrt(np.diag(S))
    log_n = multivariate_normal(np.zeros(3), S / np.outer(d, d)).logpdf(nu / d) - np.log(d).sum()
    expected = math.log(pd) + log_n - math.log(density)
    assert llr[1] == pytest.approx(expected, abs=2e-3)


def test_score_increment_of_a_miss_is_ln_one_minus_pd():
    r = radar()
    cfg = TrackerConfig(detection_probability=0.8, detection_probability_estimate=False,
                        manoeuvre_recovery_accel_mps2=None, confirm_score=50.0)
    tracker = Tracker(cfg, [r], FRAME, capacity=None)
    tracker.process(detections([0.44], [80e3], [40.0], [3.0]), look(0))
    before = float(tracker.store.llr[0])
    tracker.process(Detections.empty(), look(1))  # the look sweeps the track, nothing comes
    assert tracker.store.llr[0] - before == pytest.approx(math.log(0.2))


@given(llr=st.lists(st.floats(-20, 20), min_size=1, max_size=12), peak=st.lists(st.floats(0, 30), min_size=12,
                                                                                  max_size=12),
       status=st.lists(st.booleans(), min_size=12, max_size=12),
       hits=st.lists(st.integers(1, 5), min_size=12, max_size=12), min_hits=st.integers(1, 4))
@settings(max_examples=60, deadline=None)
def test_sequential_test_thresholds(llr, peak, status, hits, min_hits):
    store = TrackStore(1, 1)
    slots = store.new_slots(len(llr))
    store.llr[slots] = llr
    store.llr_max[slots] = np.maximum(np.array(peak[: len(llr)]), llr)
    store.status[slots] = np.where(status[: len(llr)], CONFIRMED, TENTATIVE)
    store.n_hits[slots] = hits[: len(llr)]
    confirm, fail, lost = score_decisions(store, slots, 6.0, -3.0, 5.5, min_hits)
    for i in slots:
        tent = store.status[i] == TENTATIVE
        assert (i in confirm) == (tent and store.llr[i] >= 6.0 and store.n_hits[i] >= min_hits)
        assert (i in fail) == (tent and store.llr[i] < -3.0)
        assert (i in lost) == (not tent and store.llr[i] < store.llr_max[i] - 5.5)


def _run(targets, pattern=None, duration=60.0, config=None, seed=0, pd=1.0):
    r = radar()
    x0 = np.array(targets, dtype=float)

    def alive(t):
        k = round(t / PERIOD)
        return np.array([p[k] if k < len(p) else p[-1] for p in pattern], dtype=bool)

    tracker = Tracker(config or TrackerConfig(), [r], FRAME, capacity=None)
    drive(tracker, [r], [radar_geometry(r, FRAME)], linear_targets(x0), x0.shape[0], duration, 1.0,
          np.random.default_rng(seed), pd=pd, alive=alive if pattern else None)
    return tracker, tracker.history_table().to_pandas()


def target(az_deg: float, range_m: float, height_m: float = 5e3, speed: float = 150.0,
           heading_deg: float = 90.0) -> list[float]:
    a, h = math.radians(az_deg), math.radians(heading_deg)
    return [range_m * math.sin(a), range_m * math.cos(a), height_m, speed * math.sin(h), speed * math.cos(h), 0.0]


def test_confirmation_comes_with_the_first_hit_whose_score_reaches_the_threshold():
    """An accurate radar without clutter: two consistent detections already outweigh the false-alarm
    hypothesis by far more than e^6, so the second hit confirms (with ``confirm_min_hits`` 1 or 2; the default 3
    waits for the third); with a threshold above the second hit's score, the first hit that reaches it does."""
    for score, min_hits in ((6.0, 1), (6.0, 2), (6.0, 3), (15.0, 1), (25.0, 1)):
        # quality = 1 / (1 + e^-score) keeps the score readable below ~35
        _, hist = _run([target(45.0, 50e3)], duration=40.0,
                       config=TrackerConfig(confirm_score=score, confirm_min_hits=min_hits))
        tid = int(hist.track_id.iloc[0])
        updates = hist[(hist.track_id == tid) & hist.event.isin(["start", "update"])]
        q = np.clip(updates.quality.to_numpy(), 1e-300, 1.0 - 1e-16)
        llr = np.log(q) - np.log1p(-q)
        first = min_hits - 1 + int(np.argmax(llr[min_hits - 1:] >= score))  # first hit allowed to confirm
        assert llr[first] >= score and (llr[min_hits - 1:first] < score).all()
        if score == 6.0:
            assert first == max(1, min_hits - 1)
        confirm = hist[(hist.track_id == tid) & (hist.event == "confirm")]
        assert len(confirm) == 1 and confirm.time_s.iloc[0] == pytest.approx(updates.time_s.iloc[first])


def test_deletion_waits_longer_when_pd_is_low():
    """A confirmed track whose target vanishes is deleted once its score has fallen delete_score_drop below its
    peak: ceil(drop / -ln(1 - Pd)) misses."""
    pattern = [[1] * 8 + [0] * 12]
    for pd, misses in ((0.9, 3), (0.7, 5)):
        cfg = TrackerConfig(detection_probability=pd, detection_probability_estimate=False)
        _, hist = _run([target(45.0, 50e3)], pattern=pattern, duration=80.0, config=cfg)
        tid = int(hist.track_id.iloc[0])
        gone = hist[(hist.track_id == tid) & (hist.event == "deleted_score")]
        assert misses == math.ceil(cfg.delete_score_drop / -math.log1p(-pd))
        # the beam is at 45 degrees 0.5 s into each 4 s scan; the last hit is in scan 7, misses from scan 8
        assert len(gone) == 1 and gone.time_s.iloc[0] == pytest.approx(4.0 * (7 + misses) + 1.0)


def test_pd_estimate_counts_the_looks_at_confirmed_tracks():
    cfg = TrackerConfig(detection_probability=0.9, detection_probability_prior_looks=10.0)
    tracker, hist = _run([target(45.0, 50e3), target(200.0, 80e3, heading_deg=10.0)], duration=200.0, config=cfg,
                         pd=0.6, seed=4)
    # independent count from the history: each confirmed track's hits and the looks it missed after confirmation
    est = tracker.detection_probability(0)
    looks, hits = tracker._pd_looks[0], tracker._pd_hits[0]
    assert est == pytest.approx((0.9 * 10.0 + hits) / (10.0 + looks))
    assert looks > 60 and abs(hits / looks - 0.6) < 0.12
    assert abs(est - 0.6) < 0.12


def test_track_leaving_the_instrumented_range_is_deleted_when_its_prediction_leaves():
    cfg = TrackerConfig(delete_position_sigma_m=1e6)
    # heading away at 300 m/s from 242 km towards 45 degrees: beyond 250 km after ~27 s
    tracker, hist = _run([target(45.0, 242e3, speed=300.0, heading_deg=45.0)], duration=80.0, config=cfg)
    tid = int(hist.track_id.iloc[0])
    gone = hist[(hist.track_id == tid) & (hist.event == "deleted_coverage")]
    assert len(gone) == 1
    rng = math.hypot(gone.e_m.iloc[0], gone.n_m.iloc[0])
    assert 250e3 < rng < 252e3  # three predicted sigmas (a few hundred metres) past the range, within a window


def test_track_descending_below_the_horizon_is_deleted():
    """A target 120 km out descending at 40 m/s: the horizon of a 10 m antenna over the 4/3 Earth is at
    radar_horizon_m; the track goes once its prediction is clearly below it, not before."""
    r = radar()
    x0 = target(45.0, 120e3, height_m=1200.0, speed=100.0, heading_deg=0.0)
    x0[5] = -40.0
    cfg = TrackerConfig(delete_position_sigma_m=1e6, initial_vertical_speed_sigma_mps=60.0)
    tracker, hist = _run([x0], duration=60.0, config=cfg)
    tid = int(hist.track_id.iloc[0])
    gone = hist[(hist.track_id == tid) & (hist.event == "deleted_coverage")]
    assert len(gone) == 1
    h = FRAME.height_from_enu(gone.e_m.iloc[0], gone.n_m.iloc[0], gone.u_m.iloc[0])
    ground = math.hypot(gone.e_m.iloc[0], gone.n_m.iloc[0])
    k_r = r.refraction_k * FRAME.earth_radius_m
    visible_from = (ground - math.sqrt(2 * k_r * r.antenna_height_m)) ** 2 / (2 * k_r)  # lowest visible height
    assert radar_horizon_m(r.antenna_height_m, visible_from, FRAME.earth_radius_m, r.refraction_k) == \
        pytest.approx(ground, rel=1e-9)
    assert h < visible_from  # below the horizon when deleted
    assert visible_from - h < 600.0  # and not long after


def turning(v=200.0, rate_deg=4.0, t_turn=30.0, t_end=75.0):
    """200 m/s east at 60 km, then a 4 deg/s turn (14 m/s^2) from 30 s to 75 s."""
    w = math.radians(rate_deg)
    p0 = np.array([-20e3, 60e3, 5e3])

    def state(ids, t):
        t = np.asarray(t, float)
        out = np.empty((t.shape[0], 6))
        for k, tk in enumerate(t):
            s = min(max(tk - t_turn, 0.0), t_end - t_turn)
            th = w * s
            c = p0 + np.array([v * min(tk, t_turn), 0.0, 0.0])
            pos = c + np.array([v / w * math.sin(th), v / w * (1 - math.cos(th)), 0.0])
            vel = np.array([v * math.cos(th), v * math.sin(th), 0.0])
            if tk > t_end:
                pos = pos + vel * (tk - t_end)
            out[k] = [*pos, *vel]
        return out

    return state


@pytest.mark.parametrize("accel", [20.0, None])
@pytest.mark.parametrize("seed", [1, 2])
def test_manoeuvre_recovery_keeps_one_track_through_a_hard_turn(accel, seed):
    """A quiet CV model (1 m/s^2) against a 14 m/s^2 turn: it lags out of its gate; the recovery (20 m/s^2)
    takes the target's detection back each time, so one track follows the whole turn."""
    r = radar()
    cfg = TrackerConfig(model={"kind": "cv", "accel_sigma_mps2": 1.0}, manoeuvre_recovery_accel_mps2=accel)
    tracker = Tracker(cfg, [r], FRAME, capacity=None)
    drive(tracker, [r], [radar_geometry(r, FRAME)], turning(), 1, 120.0, 1.0, np.random.default_rng(seed))
    hist = tracker.history_table().to_pandas()
    confirmed = hist[hist.event == "confirm"].track_id.nunique()
    if accel is None:
        assert confirmed > 1  # the quiet CV model loses the turning target and starts again
    else:
        assert confirmed == 1 and tracker.counters["recovered"] >= 1


def test_manoeuvre_recovery_with_jpda_books_each_hit_at_its_time(monkeypatch):
    """With JPDA the recovered tracks' hits join the confirmed tracks' in stage order: every hit comes with its
    own detection time (an update's time is the track's time)."""
    booked = []
    hit = TrackStore.hit

    def checked(store, slots, t, sensor):
        booked.append(slots.shape == t.shape and bool(np.all(store.t[slots] == t)))
        hit(store, slots, t, sensor)

    monkeypatch.setattr(TrackStore, "hit", checked)
    r = radar()
    cfg = TrackerConfig(model={"kind": "cv", "accel_sigma_mps2": 1.0}, manoeuvre_recovery_accel_mps2=20.0,
                        association="jpda")
    tracker = Tracker(cfg, [r], FRAME, capacity=None)
    drive(tracker, [r], [radar_geometry(r, FRAME)], turning(), 1, 120.0, 1.0, np.random.default_rng(1))
    assert tracker.counters["recovered"] >= 1 and booked and all(booked)
