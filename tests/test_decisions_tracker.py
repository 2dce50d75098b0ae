"""The tracker's decision rows, derived from its history and associations, against hand-worked cases and
brute-force recomputations: which detection started each track, the hits that confirmed it, coasting, deletions
with their rule, and -- for a candidate refused at capacity -- the least threatening confirmed track holding a
slot."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest

from airpicture.decisions.schema import to_table
from airpicture.identity import TrackFollowing
from airpicture.scenario import TrackerConfig
from airpicture.tracking.decisions import tracker_decisions
from tests.test_tracking_management import M_OF_N, PERIOD, run, target_at


def decide(tracker, out, assets_en=None, capacity=None, rule="keep_existing", t_end=None, confirm_score=None):
    """The tracker's decision rows (as dicts) of a run by tests.test_tracking_management.run."""
    det_t = np.concatenate([d.time_s for _, d, _, _ in out])
    labels = np.concatenate([lab for _, _, lab, _ in out])
    assoc = [a for *_, a in out]
    di = np.concatenate([a.detection_index for a in assoc])
    ti = np.concatenate([a.track_id for a in assoc])
    st = np.concatenate([a.started for a in assoc])
    following = TrackFollowing()
    following.add(ti, labels[di])
    cols = tracker_decisions(tracker.history_table(), di, ti, st, det_t, labels, following.followed,
                             t_end=t_end if t_end is not None else out[-1][0], capacity=capacity, capacity_rule=rule,
                             assets_en=assets_en, coast_gap_s=1.5 * PERIOD, delete_misses=3,
                             confirm_score=confirm_score)
    table = to_table(cols).to_pylist()
    return sorted(table, key=lambda r: (r["time_s"], r["track_id"])), (di, ti, st, det_t, labels)


def test_born_from_its_first_detection_and_confirmed_by_the_three_hits():
    tracker, out, hist = run([target_at(45.0, 50e3)], duration=20.0, config=M_OF_N)
    rows, (di, ti, st, det_t, labels) = decide(tracker, out)
    (born,) = [r for r in rows if r["event"] == "born"]
    (conf,) = [r for r in rows if r["event"] == "confirmed"]
    assert born["detection_index"] == int(di[st][0]) and born["target_id"] == 0 and born["hits"] == 1
    assert born["time_s"] == det_t[born["detection_index"]] and born["sensor_id"] == 2
    mine = np.sort(det_t[di[ti == born["track_id"]]])
    assert conf["hits"] == 3 and conf["time_s"] == pytest.approx(mine[2])  # M-of-N: the third hit confirms
    assert conf["detail"] == f"confirmed after 3 hits (detections at {mine[0]:.1f}, {mine[1]:.1f}, {mine[2]:.1f} s)"
    q = hist[(hist.event == "confirm")].quality.iloc[0]
    assert conf["quality"] == pytest.approx(q)


def test_confirmed_by_the_track_score():
    """Under the score rule the row gives the hits so far and the score at confirmation (read back from the
    quality), against the threshold."""
    cfg = TrackerConfig()
    assert cfg.confirmation == "score"
    tracker, out, hist = run([target_at(45.0, 50e3)], duration=20.0, config=cfg)
    rows, (di, ti, st, det_t, labels) = decide(tracker, out, confirm_score=cfg.confirm_score)
    (conf,) = [r for r in rows if r["event"] == "confirmed"]
    mine = np.sort(det_t[di[ti == conf["track_id"]]])
    assert conf["hits"] == int(np.sum(mine <= conf["time_s"] + 1e-9)) >= 1
    q = hist[hist.event == "confirm"].quality.iloc[0]
    score = math.log(q / (1 - q))
    assert score >= cfg.confirm_score - 1e-6
    assert conf["detail"].endswith(f"; track score {score:.1f} (confirms at {cfg.confirm_score:g})")


def test_a_target_lost_is_deleted_after_its_misses_and_coasted_before():
    # present for 7 scans, then gone: the confirmed track coasts, then is deleted after 3 missed looks
    tracker, out, hist = run([target_at(45.0, 50e3)], pattern=[[1] * 7 + [0] * 8], duration=60.0, config=M_OF_N)
    rows, _ = decide(tracker, out)
    deleted = [r for r in rows if r["event"] == "deleted"]
    hist_del = hist[hist.event.str.startswith("deleted_")]
    assert [r["reason"] for r in deleted] == [e[len("deleted_"):] for e in hist_del.event]
    (gone,) = deleted
    assert gone["reason"] == "misses" and gone["misses"] == 3 and gone["hits"] == 7
    last_update = hist[hist.event.isin(["start", "update"])].time_s.max()
    assert f"last update {gone['time_s'] - last_update:.1f} s before" in gone["detail"]
    (coast,) = [r for r in rows if r["event"] == "coasting"]
    assert coast["time_s"] == pytest.approx(last_update + 1.5 * PERIOD)
    assert coast["until_s"] == gone["time_s"] and coast["reason"] == "deleted"


def test_a_short_gap_coasts_and_resumes():
    # two scans missed (not three): the confirmed track coasts, then resumes
    tracker, out, hist = run([target_at(45.0, 50e3)], pattern=[[1] * 5 + [0, 0] + [1] * 6], duration=52.0,
                             config=M_OF_N)
    rows, _ = decide(tracker, out)
    (coast,) = [r for r in rows if r["event"] == "coasting"]
    upd = np.sort(hist[hist.event.isin(["start", "update"])].time_s.to_numpy())
    gap = int(np.argmax(np.diff(upd)))
    assert coast["reason"] == "resumed"
    assert coast["time_s"] == pytest.approx(upd[gap] + 1.5 * PERIOD) and coast["until_s"] == pytest.approx(upd[gap + 1])
    assert not [r for r in rows if r["event"] == "deleted"]


def _farthest_holder(hist, t: float, assets: np.ndarray) -> int:
    """Brute force: among tracks confirmed at or before t and not deleted yet, the one farthest from every asset
    (position from its last history row at or before t, at constant velocity); ties to the higher id."""
    best, best_d = -1, -1.0
    for tid, rows in hist.groupby("track_id"):
        conf = rows[rows.event == "confirm"]
        if conf.empty or conf.time_s.iloc[0] > t:
            continue
        gone = rows[rows.event.str.startswith("deleted_") | rows.event.isin(["dropped", "refused"])]
        if not gone.empty and gone.time_s.iloc[0] <= t:
            continue
        last = rows[rows.time_s <= t].iloc[-1]
        dt = t - last.time_s
        e, n = last.e_m + last.ve_mps * dt, last.n_m + last.vn_mps * dt
        d = min(math.hypot(e - a[0], n - a[1]) for a in assets)
        if d > best_d or (d == best_d and tid > best):
            best, best_d = int(tid), d
    return best


def test_a_refused_candidate_names_the_least_threatening_slot_holder():
    targets = [target_at(20.0, 60e3), target_at(110.0, 90e3), target_at(200.0, 40e3), target_at(290.0, 70e3)]
    assets = np.array([[0.0, 0.0], [20e3, 5e3]])
    tracker, out, hist = run(targets, duration=40.0, capacity=2, assets_en=assets)
    rows, _ = decide(tracker, out, assets_en=assets, capacity=2)
    refused = [r for r in rows if r["event"] == "refused"]
    assert len(refused) == (hist.event == "refused").sum() >= 2
    for r in refused:
        assert r["other_track_id"] == _farthest_holder(hist, r["time_s"], assets)
        assert (r["in_use"], r["limit"], r["reason"]) == (2, 2, "capacity")
        assert f"least threatening holder: track {r['other_track_id']}" in r["detail"]


def test_dropped_tracks_are_rows_too():
    cfg = TrackerConfig(capacity_rule="keep_threatening")
    far = [target_at(30.0, 150e3, heading_deg=120.0), target_at(120.0, 120e3, heading_deg=210.0)]
    close = target_at(250.0, 30e3, heading_deg=70.0)
    pattern = [[1] * 20, [1] * 20, [0, 0, 0] + [1] * 17]
    assets = np.array([[0.0, 0.0]])
    tracker, out, hist = run([*far, close], pattern=pattern, duration=40.0, capacity=2, config=cfg,
                             assets_en=assets)
    rows, _ = decide(tracker, out, assets_en=assets, capacity=2, rule="keep_threatening")
    dropped = [r for r in rows if r["event"] == "dropped"]
    assert [r["track_id"] for r in dropped] == hist[hist.event == "dropped"].track_id.tolist()
    assert dropped[0]["reason"] == "keep_threatening"


def test_a_new_deletion_rule_shows_up_by_its_name():
    """The rows are generic: a rule the tracker gains later (here a made-up 'deleted_low_score' history event)
    appears as a deletion with that reason, with no change to the decision log."""
    cols = {"time_s": [0.0, 1.0, 2.0], "track_id": [7, 7, 7], "status": ["tentative", "tentative", "deleted"],
            "event": ["start", "update", "deleted_low_score"], "sensor_id": [1, 1, -1]}
    for name in ("e_m", "n_m", "u_m", "ve_mps", "vn_mps", "vu_mps", "pen_m2", "peu_m2", "pnu_m2"):
        cols[name] = [0.0] * 3
    for name in ("pee_m2", "pnn_m2", "puu_m2"):
        cols[name] = [100.0**2] * 3
    cols["quality"] = [0.5, 0.4, 0.1]
    table = pa.table(cols)
    out = tracker_decisions(table, np.array([0, 1]), np.array([7, 7]), np.array([True, False]), np.array([0.0, 1.0]),
                            np.array([3, 3]), lambda ids: np.full(len(ids), 3), t_end=10.0, capacity=None,
                            capacity_rule="keep_existing", assets_en=None, coast_gap_s=6.0, delete_misses=3)
    deleted = [r for r in to_table(out).to_pylist() if r["event"] == "deleted"]
    assert [(r["reason"], r["hits"], r["target_id"]) for r in deleted] == [("low_score", 2, 3)]
    assert deleted[0]["position_sigma_m"] == pytest.approx(100.0) and deleted[0]["misses"] == -1
