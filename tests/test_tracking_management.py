"""Track management: M-of-N confirmation, deletion (misses, M-of-N, position sigma), looks, capacity, ids."""
# The track-score rule (the default) is tested in test_tracking_score.py; these tests pin the M-of-N rule.

from __future__ import annotations

import math

import numpy as np
import pytest

from airpicture.detections import Detections
from airpicture.geodesy import LocalFrame
from airpicture.scenario import FixedAccuracy, Radar, TrackerConfig
from airpicture.sensors.placement import radar_geometry
from airpicture.testing.detections import all_labels, drive, linear_targets
from airpicture.tracking import Tracker

FRAME = LocalFrame.at(10.0, 20.0, 0.0)
PERIOD = 4.0
M_OF_N = TrackerConfig(confirmation="m_of_n")


def radar(**kw) -> Radar:
    return Radar(id=2, scan_period_s=PERIOD, max_range_m=250e3,
                 accuracy=FixedAccuracy(range_m=30.0, azimuth_deg=0.1, elevation_deg=0.2), **kw)


def target_at(az_deg: float, range_m: float, height_m: float = 5e3, speed: float = 150.0,
              heading_deg: float = 90.0) -> list[float]:
    a, h = math.radians(az_deg), math.radians(heading_deg)
    return [range_m * math.sin(a), range_m * math.cos(a), height_m, speed * math.sin(h), speed * math.cos(h), 0.0]


def run(targets, pattern=None, duration=60.0, window=1.0, config=None, capacity=None, assets_en=None, seed=0,
        false_alarms=0.0):
    """Drive a tracker with 1 s windows over a 4 s radar; ``pattern[i][k]``: target i present in scan k."""
    r = radar()
    x0 = np.array(targets, dtype=float)

    def alive(t):
        if pattern is None:
            return None
        k = round(t / PERIOD)
        return np.array([p[k] if k < len(p) else p[-1] for p in pattern], dtype=bool)

    tracker = Tracker(config or TrackerConfig(), [r], FRAME, capacity=capacity, assets_en=assets_en)
    out = drive(tracker, [r], [radar_geometry(r, FRAME)], linear_targets(x0), x0.shape[0], duration, window,
                np.random.default_rng(seed), false_alarms=false_alarms, alive=alive if pattern else None)
    return tracker, out, tracker.history_table().to_pandas()


def events(hist, track_id, event):
    return hist[(hist.track_id == track_id) & (hist.event == event)]


def test_confirmed_on_the_mth_hit():
    tracker, out, hist = run([target_at(45.0, 50e3)], duration=20.0, config=M_OF_N)
    updates = hist[hist.event.isin(["start", "update"])]
    assert updates.track_id.nunique() == 1
    tid = int(updates.track_id.iloc[0])
    third = updates.time_s.iloc[2]
    confirm = events(hist, tid, "confirm")
    assert len(confirm) == 1 and confirm.time_s.iloc[0] == pytest.approx(third)
    assert tracker.stats()["confirmed"] == 1


def test_one_miss_delays_confirmation_within_n_looks():
    _, _, hist = run([target_at(45.0, 50e3)], pattern=[[1, 0, 1, 1, 1, 1, 1]], duration=24.0, config=M_OF_N)
    tid = int(hist.track_id.iloc[0])
    hits = hist[(hist.track_id == tid) & hist.event.isin(["start", "update"])]
    assert len(events(hist, tid, "confirm")) == 1
    assert events(hist, tid, "confirm").time_s.iloc[0] == pytest.approx(hits.time_s.iloc[2])
    assert hits.time_s.iloc[2] > 3 * PERIOD  # hits in scans 0, 2, 3


def test_tentative_track_deleted_when_m_of_n_is_out_of_reach():
    _, _, hist = run([target_at(45.0, 50e3)], pattern=[[1, 0, 0, 1, 1, 1, 1, 1]], duration=28.0, config=M_OF_N)
    first = int(hist.track_id.min())
    deleted = events(hist, first, "deleted_m_of_n")
    # looks in scans 0 (hit), 1, 2 (misses): 1 hit + 1 look left < 3; the scan-2 look ends with the window [8, 9)
    assert len(deleted) == 1 and deleted.time_s.iloc[0] == pytest.approx(9.0)
    assert len(events(hist, first, "confirm")) == 0
    # the target's next detection starts a new track with a new id, which is confirmed
    later = hist[(hist.event == "start") & (hist.track_id != first)]
    assert len(later) == 1 and int(later.track_id.iloc[0]) > first
    assert len(events(hist, int(later.track_id.iloc[0]), "confirm")) == 1


def test_confirmed_track_deleted_after_k_missed_looks_only():
    """With 1 s windows and a 4 s scan, three of four windows do not sweep the target: they are no misses."""
    pattern = [[1] * 6 + [0] * 10]
    _, _, hist = run([target_at(45.0, 50e3)], pattern=pattern, duration=48.0, config=M_OF_N)
    tid = int(hist.track_id.iloc[0])
    deleted = events(hist, tid, "deleted_misses")
    # misses in scans 6, 7, 8; the beam is at 45 degrees 0.5 s into each scan: deleted with window [32, 33)
    assert len(deleted) == 1 and deleted.time_s.iloc[0] == pytest.approx(33.0)
    assert (hist[hist.track_id == tid].time_s <= 33.0).all()


def test_no_misses_outside_the_instrumented_range():
    """A track whose prediction leaves the radar's range is not looked at: without the coverage test it coasts
    until its position sigma exceeds the bound (here before the coast limit)."""
    cfg = TrackerConfig(confirmation="m_of_n", delete_position_sigma_m=3000.0, delete_coast_s=1e6,
                        delete_outside_coverage=False)
    # heading away at 300 m/s from 242 km: out of the 250 km range after ~27 s
    _, _, hist = run([target_at(45.0, 242e3, speed=300.0, heading_deg=45.0)], duration=120.0, config=cfg)
    tid = int(hist.track_id.iloc[0])
    assert len(events(hist, tid, "confirm")) == 1
    assert len(events(hist, tid, "deleted_misses")) == 0
    assert len(events(hist, tid, "deleted_sigma")) == 1


def test_position_sigma_deletion_time():
    """One detection, then nothing and no looks: the track coasts until sqrt(lambda_max(P_pos)) > bound."""
    cfg = TrackerConfig(model={"kind": "cv"}, initial_speed_sigma_mps=300.0, initial_vertical_speed_sigma_mps=300.0,
                        delete_position_sigma_m=10e3, delete_coast_s=1e6)
    r = radar()
    tracker = Tracker(cfg, [r], FRAME)
    det = Detections(np.array([0.3]), np.array([r.id]), np.array([50e3]), np.array([10.0]), np.array([3.0]),
                     np.array([np.nan]), np.array([20.0]))
    tracker.process(det, [])
    for w in range(1, 60):
        tracker.process(Detections.empty(), [])
        tracker._prune(float(w))
    hist = tracker.history_table().to_pandas()
    start = hist[hist.event == "start"].iloc[0]
    deleted = hist[hist.event == "deleted_sigma"]
    assert len(deleted) == 1
    # independent expectation: largest eigenvalue of P_pos0 + (sigma_v^2 t^2 + q t^3 / 3) I (CV prediction)
    p0 = np.array([[start.pee_m2, start.pen_m2, start.peu_m2], [start.pen_m2, start.pnn_m2, start.pnu_m2],
                   [start.peu_m2, start.pnu_m2, start.puu_m2]])
    lam0 = np.linalg.eigvalsh(p0).max()
    q = cfg.model.accel_sigma_mps2**2
    expected = next(w for w in range(1, 60)
                    if lam0 + 300.0**2 * (w - 0.3) ** 2 + q * (w - 0.3) ** 3 / 3 > 10e3**2)
    assert deleted.time_s.iloc[0] == pytest.approx(float(expected))


def test_capacity_refuses_newcomers_and_counts_them():
    targets = [target_at(az, 60e3) for az in (20.0, 110.0, 200.0, 290.0)]
    tracker, out, hist = run(targets, duration=40.0, capacity=2)
    st = tracker.stats()
    assert st["max_confirmed"] == 2
    assert st["refused"] >= 2 and st["refused"] == len(st["refused_times_s"])
    assert (hist.event == "refused").sum() == st["refused"]
    refused_rows = hist[hist.event == "refused"]
    assert sorted(tracker.refused_track_ids) == sorted(refused_rows.track_id.tolist())
    assert sorted(tracker.refused_times_s) == pytest.approx(sorted(refused_rows.time_s.tolist()))
    for t1, *_ in out[::4]:
        assert len(tracker.picture(t1)) <= 2
    # keep_existing: the first two confirmed tracks are kept to the end
    confirmed = hist[hist.event == "confirm"].track_id.tolist()
    assert len(confirmed) == 2
    assert set(tracker.picture(40.0).track_id.tolist()) == set(confirmed)


def test_zero_capacity_confirms_nothing():
    tracker, _, hist = run([target_at(45.0, 50e3)], duration=20.0, capacity=0)
    assert tracker.stats()["confirmed"] == 0 and tracker.stats()["refused"] >= 1
    assert len(tracker.picture(20.0)) == 0


def test_keep_threatening_drops_the_farthest_track_for_a_closer_newcomer():
    cfg = TrackerConfig(capacity_rule="keep_threatening")
    far = [target_at(30.0, 150e3, heading_deg=120.0), target_at(120.0, 120e3, heading_deg=210.0)]
    close = target_at(250.0, 30e3, heading_deg=70.0)
    pattern = [[1] * 20, [1] * 20, [0, 0, 0] + [1] * 17]
    tracker, _, hist = run([*far, close], pattern=pattern, duration=40.0, capacity=2, config=cfg,
                           assets_en=np.array([[0.0, 0.0]]))
    dropped = hist[hist.event == "dropped"]
    assert len(dropped) == 1
    # the dropped one was the track on the target at 150 km
    first_rows = hist[hist.event == "start"].sort_values("time_s")
    far_id = int(first_rows.track_id.iloc[0])  # the 30 degree target is swept first
    assert int(dropped.track_id.iloc[0]) == far_id
    pic = tracker.picture(40.0)
    assert len(pic) == 2
    assert np.min(np.hypot(pic.x[:, 0], pic.x[:, 1])) < 40e3
    assert tracker.stats()["dropped"] == 1
    # the dropped target keeps starting candidates, refused while they are the farthest from the asset
    refused = hist[hist.event == "refused"]
    assert tracker.stats()["refused"] == len(refused)
    assert (np.hypot(refused.e_m, refused.n_m) > 140e3).all()


def test_track_ids_are_never_reused():
    _, _, hist = run([target_at(45.0, 50e3), target_at(200.0, 80e3)], duration=60.0, false_alarms=30.0, seed=4)
    starts = hist[hist.event == "start"]
    assert starts.track_id.is_unique
    assert (np.diff(starts.sort_values(["time_s", "track_id"]).track_id.to_numpy()) > 0).all()
    ended = hist[hist.status == "deleted"]
    assert ended.track_id.is_unique
    for _, row in ended.iterrows():  # nothing happens to a track after it is deleted
        assert (hist[hist.track_id == row.track_id].time_s <= row.time_s).all()
    assert len(starts) > 100


def test_associations_cover_every_detection_without_conflicts():
    targets = [target_at(az, 60e3 + 10e3 * i) for i, az in enumerate((10.0, 100.0, 190.0))]
    tracker, out, hist = run(targets, duration=24.0)
    labels = all_labels(out)
    used = np.concatenate([assoc.detection_index for _, _, _, assoc in out])
    # every detection updated or started exactly one track (some a window late: held at a window end)
    assert np.array_equal(np.sort(used), np.arange(labels.size))
    for _, _, _, assoc in out:
        # the started ones are the tracks' first detections
        assert set(assoc.track_id[assoc.started].tolist()) <= set(hist[hist.event == "start"].track_id)
    by_target = {}
    for _, _, _, assoc in out:
        for d, t in zip(assoc.detection_index, assoc.track_id, strict=True):
            by_target.setdefault(int(labels[d]), set()).add(int(t))
    assert all(len(v) == 1 for v in by_target.values()) and len(by_target) == 3


def test_track_outside_every_coverage_is_deleted_at_the_coast_limit() -> None:
    """Leaving the instrumented range, a confirmed track gets no looks and so no misses; without the coverage test
    it is deleted once it has not been updated for (delete_misses + 1) scan periods."""
    cfg = TrackerConfig(confirmation="m_of_n", delete_position_sigma_m=1e6, delete_outside_coverage=False)
    _, _, hist = run([target_at(45.0, 242e3, speed=300.0, heading_deg=45.0)], duration=120.0, config=cfg)
    tid = int(hist.track_id.iloc[0])
    assert len(events(hist, tid, "confirm")) == 1
    assert len(events(hist, tid, "deleted_misses")) == 0
    gone = events(hist, tid, "deleted_coast")
    assert len(gone) == 1
    last_update = hist[(hist.track_id == tid) & (hist.event == "update")].time_s.max()
    limit = (cfg.delete_misses + 1) * radar().scan_period_s
    # deleted in the first window after the limit has passed
    assert limit < gone.time_s.iloc[0] - last_update <= limit + 1.0 + 1e-9


def _two_looks(tracker: Tracker) -> None:
    """Two 4 s looks: two well-separated targets, then the same two with a false alarm 1 km from the first."""
    from airpicture.detections import Look

    def dets(t, r, az, el):
        n = len(t)
        return Detections(time_s=np.array(t), sensor_id=np.full(n, 2, np.int64), range_m=np.array(r),
                          azimuth_deg=np.array(az), elevation_deg=np.array(el), range_rate_mps=np.full(n, np.nan),
                          snr_db=np.full(n, 20.0))

    tracker.process(dets([0.11, 0.44], [50e3, 80e3], [10.0, 40.0], [5.0, 3.0]),
                    [Look(sensor_id=2, start_s=0.0, end_s=4.0, az_start_deg=0.0, sweep_deg=360.0)])
    tracker.process(dets([4.11, 4.12, 4.44], [50.6e3, 50.7e3, 80.6e3], [10.0, 11.0, 40.0], [5.0, 5.0, 3.0]),
                    [Look(sensor_id=2, start_s=4.0, end_s=8.0, az_start_deg=0.0, sweep_deg=360.0)])


def test_jpda_tentative_tracks_take_hard_gnn_decisions_by_default():
    """Before confirmation, JPDA (default ``confirmed_first=True``) gives exactly the GNN tracker's tentative
    tracks; with ``confirmed_first=False`` the track near the false alarm takes a mixture update instead."""
    tables = {}
    for name, cfg in {"gnn": TrackerConfig(association="gnn", confirmation="m_of_n"),
                      "jpda": TrackerConfig(association="jpda", confirmation="m_of_n"),
                      "jpda-all": TrackerConfig(association="jpda", confirmed_first=False,
                                                confirmation="m_of_n")}.items():
        tracker = Tracker(cfg, [radar()], FRAME)
        _two_looks(tracker)
        tables[name] = tracker.history_table().to_pandas()
    assert (tables["gnn"].status == "tentative").all()
    assert tables["jpda"].equals(tables["gnn"])
    a, b = tables["gnn"], tables["jpda-all"]
    first = (a.event == "update") & (a.track_id == a.track_id.min())
    assert first.sum() == 1
    pa_, pb_ = a[first][["e_m", "n_m"]].to_numpy(), b[first][["e_m", "n_m"]].to_numpy()
    assert np.hypot(*(pa_ - pb_)[0]) > 10.0  # the mixture is pulled towards the false alarm


@pytest.mark.parametrize("window,cut_deg", [(1.0, 90.0), (PERIOD, 0.0)])
@pytest.mark.parametrize("defer", [True, False])
def test_new_targets_split_by_a_window_end_are_not_mixed_up(defer, window, cut_deg):
    """Two targets 0.4 deg apart either side of the beam's position at a window end (90 deg at 1 s, 5 s, ... with
    1 s windows; 0 deg with windows of a whole rotation, whose look is then split at half a turn to take the
    carried detection); the first (A, seen after the cut) is alone in the first scan. Its new track's gate covers
    B's detection, which comes just before the cut: decided at once, A's track takes it and A's own detection
    starts another track. Held to the next window, A's track takes A's detection and B starts its own. With
    windows of a whole rotation, A's track meets A's next detection in the same window as B's, so neither way
    mixes them up (and nothing held meets its target's next detection)."""
    targets = [target_at(cut_deg + 0.2, 80e3, heading_deg=cut_deg + 0.2),
               target_at((cut_deg - 0.2) % 360.0, 80.3e3, heading_deg=(cut_deg - 0.2) % 360.0)]
    pattern = [[True], [False, True]]
    cfg = TrackerConfig(defer_at_window_end=defer)
    tracker, out, hist = run(targets, pattern=pattern, duration=24.0, window=window, config=cfg)
    labels = all_labels(out)
    tracks_of = {0: set(), 1: set()}
    for _, _, _, assoc in out:
        for d, t in zip(assoc.detection_index, assoc.track_id, strict=True):
            tracks_of[int(labels[d])].add(int(t))
    clean = len(tracks_of[0]) == len(tracks_of[1]) == 1 and tracks_of[0] != tracks_of[1]
    assert clean == (defer or window == PERIOD), tracks_of
    if defer and window < PERIOD:
        assert tracker.counters["carried_detections"] > 0
        assert len(tracker.picture(24.0)) == 2


def _detections(t, r, az, el) -> Detections:
    n = len(t)
    return Detections(time_s=np.array(t, float), sensor_id=np.full(n, 2, np.int64), range_m=np.array(r, float),
                      azimuth_deg=np.array(az, float), elevation_deg=np.array(el, float),
                      range_rate_mps=np.full(n, np.nan), snr_db=np.full(n, 20.0))


@pytest.mark.parametrize("confirmed_first", [True, False])
def test_confirmed_track_takes_a_contested_detection_first(confirmed_first):
    """A confirmed track (three looks at 50 km, 10 deg) and a new candidate (10.6 deg) both gate the only detection
    of the next look, at 10.68 deg: near the edge of the confirmed track's gate, central in the candidate's wide
    one. Jointly, the candidate's likelihood wins; with confirmed tracks first, the confirmed track keeps it."""
    from airpicture.detections import Look

    def look(k: int) -> list[Look]:
        return [Look(sensor_id=2, start_s=PERIOD * k, end_s=PERIOD * (k + 1), az_start_deg=0.0, sweep_deg=360.0)]

    tracker = Tracker(TrackerConfig(confirmed_first=confirmed_first), [radar()], FRAME)
    for k in range(3):
        tracker.process(_detections([0.11 + PERIOD * k], [50e3], [10.0], [5.0]), look(k))
    tracker.process(_detections([12.10, 12.11], [50e3, 50e3], [10.6, 10.0], [5.0, 5.0]), look(3))
    hist = tracker.history_table().to_pandas()
    confirmed = int(hist[hist.event == "confirm"].track_id.iloc[0])
    candidate = int(hist[(hist.event == "start") & (hist.track_id != confirmed)].track_id.iloc[0])
    assoc = tracker.process(_detections([16.11], [50e3], [10.68], [5.0]), look(4))
    assert assoc.track_id.tolist() == [confirmed if confirmed_first else candidate]
