"""Hand-worked engagement cases: timing, channels, the in-flight limit, reloads, inventory, manoeuvres,
identification, several batteries, waiting and capacity refusals.

Common geometry (see test_engagement_support): battery, asset and launcher at the ENU origin; a threat flying
straight at the origin along the ground plane (u = 0) at 300 m/s from 100 km; interceptors at 1200 m/s after a
5 s reaction time; envelope 3-51 km. Head-on, the flyout time from a launch at t_L is
tau = n(t_L) / (1200 + 300) with n(t_L) = 100 km - 300 t_L, and the intercept range is 1200 tau.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from airpicture.picture import Picture
from tests.test_engagement_support import Flights, battery, drive, events, scenario, toward_origin

D0, V, S, REACT, MAXR = 100e3, 300.0, 1200.0, 5.0, 51000.0


def head_on_decision() -> tuple[float, float]:
    """First whole second at which the head-on intercept falls within max range, and its intercept time."""
    for t in range(1, 400):
        n_launch = D0 - V * (t + REACT)
        tau = n_launch / (S + V)
        if S * tau <= MAXR:
            return float(t), t + REACT + tau
    raise AssertionError


def test_one_threat_killed_at_the_hand_computed_time():
    sc = scenario([battery()])
    fl = Flights(sc.duration_s)
    fl.add(*toward_origin(D0, 0.0, V))
    fc = drive(sc, fl.truth())
    t_dec, t_int = head_on_decision()
    assert t_dec == 116.0 and t_int == pytest.approx(121 + 63700 / 1500)  # worked: n(121) = 63.7 km
    eng = events(fc, "engage")
    assert [e["time_s"] for e in eng] == [t_dec]
    assert eng[0]["intercept_time_s"] == pytest.approx(t_int, abs=1e-9)
    assert eng[0]["assessment_time_s"] == pytest.approx(t_int + 5.0, abs=1e-9)
    launch = events(fc, "launch")
    assert [e["time_s"] for e in launch] == [t_dec + REACT]
    kill = events(fc, "kill")
    assert len(kill) == 1 and kill[0]["time_s"] == pytest.approx(t_int, abs=1e-9)
    assert kill[0]["miss_distance_m"] == pytest.approx(0.0, abs=1e-6)
    assert fc.kill_time_s[0] == pytest.approx(t_int, abs=1e-9)
    s = fc.summary()
    assert (s["threats"], s["kills"], s["leakers"], s["survived"]) == (1, 1, 0, 0)
    assert s["interceptors_expended"] == 1 and s["kills_per_interceptor"] == 1.0
    assert s["mean_channel_holding_s"] == pytest.approx(t_int + 5.0 - t_dec)
    tl = fc.timeline_table().to_pylist()
    busy = {r["time_s"]: r["channels_busy"] for r in tl}
    flying = {r["time_s"]: r["in_flight"] for r in tl}
    assert busy[t_dec - 1] == 0 and busy[t_dec] == 1 and busy[math.floor(t_int + 5)] == 1
    assert busy[math.ceil(t_int + 5)] == 0
    assert flying[t_dec + REACT - 1] == 0 and flying[t_dec + REACT] == 1 and flying[math.ceil(t_int)] == 0


def test_unengaged_threat_leaks_at_its_radius_crossing():
    sc = scenario([battery(fire_channels=0)])
    fl = Flights(sc.duration_s)
    fl.add(*toward_origin(D0, 30.0, V))
    fc = drive(sc, fl.truth())
    leak = events(fc, "leak")
    assert len(leak) == 1 and leak[0]["time_s"] == pytest.approx((D0 - 1000.0) / V, abs=1e-6)
    assert fc.summary()["leakers"] == 1


def seven_threats(**bat) -> tuple:
    sc = scenario([battery(**bat)])
    fl = Flights(sc.duration_s)
    for i in range(7):  # all engageable at the same step; target i is 2 i metres farther, so ranked i-th
        fl.add(*toward_origin(D0 + 2.0 * i, 40.0 * i, V))
    return sc, fl.truth()


def test_seven_simultaneous_threats_six_channels_the_seventh_waits():
    sc, truth = seven_threats()
    fc = drive(sc, truth)
    t_dec, t_int = head_on_decision()
    eng = events(fc, "engage")
    first = [e for e in eng if e["time_s"] == t_dec]
    assert len(first) == 6
    waits = events(fc, "no-channel")
    assert len(waits) == 1 and waits[0]["time_s"] == t_dec
    assert waits[0]["target_id"] == 6  # same kind and time-to-go bin: the farthest is ranked last
    late = [e for e in eng if e["time_s"] > t_dec]
    assert len(late) == 1 and late[0]["target_id"] == 6
    assert late[0]["time_s"] == math.ceil(t_int + 5.0)  # the first channel frees at the kill assessment
    s = fc.summary()
    assert s["kills"] == 7 and s["peak_channels_busy"] == 6
    assert s["threat_arrivals"] == 7 and s["blocked_no_channel"] == 1
    assert s["first_saturation_s"] == t_dec
    assert max(r["channels_busy"] for r in fc.timeline_table().to_pylist()) == 6


def test_in_flight_cap_of_twelve():
    sc, truth = seven_threats(fire_channels=10, salvo_size=2)
    fc = drive(sc, truth)
    t_dec, t_int = head_on_decision()
    eng = events(fc, "engage")
    assert sum(e["time_s"] == t_dec for e in eng) == 6  # 6 salvos of 2 = 12 interceptors
    wait = events(fc, "no-interceptor")
    assert len(wait) == 1 and wait[0]["time_s"] == t_dec and wait[0]["target_id"] == 6
    late = [e for e in eng if e["time_s"] > t_dec]
    assert [e["time_s"] for e in late] == [math.ceil(t_int)]  # interceptors free at intercept
    assert fc.summary()["peak_in_flight"] == 12
    assert max(r["in_flight"] for r in fc.timeline_table().to_pylist()) == 12


def test_reload_after_the_reload_time():
    sc = scenario([battery(launchers=1, rounds_per_launcher=2, reload_rounds=2, reload_time_s=60.0, salvo_size=2)])
    fl = Flights(sc.duration_s)
    fl.add(*toward_origin(D0, 0.0, V))
    fl.add(*toward_origin(D0, 90.0, V))
    fc = drive(sc, fl.truth())
    t_dec, _ = head_on_decision()
    eng = events(fc, "engage")
    assert [e["time_s"] for e in eng] == [t_dec, t_dec + 60.0]
    assert [e["interceptors"] for e in eng] == [2, 2]
    assert [e["time_s"] for e in events(fc, "no-interceptor")] == [t_dec]
    tl = {r["time_s"]: r for r in fc.timeline_table().to_pylist()}
    assert tl[t_dec]["ready_rounds"] == 0 and tl[t_dec]["inventory_left"] == 2
    assert tl[t_dec + 59]["ready_rounds"] == 0
    assert tl[t_dec + 60]["inventory_left"] == 0
    assert fc.summary()["kills"] == 2


def test_inventory_exhaustion_partial_salvo_then_nothing():
    sc = scenario([battery(launchers=1, rounds_per_launcher=3, reload_rounds=0, salvo_size=2)])
    fl = Flights(sc.duration_s)
    for az in (0.0, 120.0, 240.0):
        fl.add(*toward_origin(D0, az, V))
    fc = drive(sc, fl.truth())
    eng = events(fc, "engage")
    assert [e["interceptors"] for e in eng] == [2, 1]
    starved = events(fc, "no-interceptor")
    assert [e["target_id"] for e in starved] == [2]
    s = fc.summary()
    assert (s["kills"], s["leakers"], s["interceptors_expended"]) == (2, 1, 3)
    assert [e["target_id"] for e in events(fc, "leak")] == [2]
    assert min(r["inventory_left"] for r in fc.timeline_table().to_pylist()) == 0


def jinking_threat(fl: Flights) -> int:
    # flies south at 300 m/s, then at t = 140 s turns 45 degrees (still closing on the asset)
    v_after = (V * math.sqrt(0.5), -V * math.sqrt(0.5), 0.0)
    return fl.add((0.0, D0, 0.0), (0.0, -V, 0.0), t1=400.0, turn_s=140.0, velocity_after_mps=v_after)


def test_manoeuvre_beats_the_constant_velocity_aim_point():
    t_dec, t_int = head_on_decision()
    aim_n = D0 - V * t_int  # the CV prediction at intercept
    turn_n = D0 - V * 140.0
    dt = t_int - 140.0
    true_e, true_n = V * math.sqrt(0.5) * dt, turn_n - V * math.sqrt(0.5) * dt
    expected_miss = math.hypot(true_e, true_n - aim_n)
    assert expected_miss > 1500.0  # worked: ~5.39 km
    results = {}
    for radius in (1500.0, 2 * expected_miss):
        sc = scenario([battery(correction_radius_m=radius)])
        fl = Flights(sc.duration_s)
        jinking_threat(fl)
        fc = drive(sc, fl.truth())
        results[radius] = fc
    tight = results[1500.0]
    miss = events(tight, "miss")
    assert len(miss) == 1 and miss[0]["miss_distance_m"] == pytest.approx(expected_miss, rel=1e-6)
    assert "correction radius" in miss[0]["detail"]
    assert events(tight, "kill") == [] and len(events(tight, "engage")) == 1  # salvo doctrine: one engagement
    loose = results[2 * expected_miss]
    assert len(events(loose, "kill")) == 1


def test_shoot_look_shoot_reengages_after_the_assessment():
    sc = scenario([battery(doctrine="shoot_look_shoot", max_shots=2)])
    fl = Flights(sc.duration_s)
    jinking_threat(fl)
    fc = drive(sc, fl.truth())
    t_dec, t_int = head_on_decision()
    eng = events(fc, "engage")
    assert [e["time_s"] for e in eng] == [t_dec, math.ceil(t_int + 5.0)]
    assert [e["event"] for e in events(fc) if e["event"] in ("miss", "kill")] == ["miss", "kill"]


def test_salvo_kills_if_any_interceptor_does_pk_zero_never():
    sc = scenario([battery(salvo_size=3, pk={"aircraft": 0.0})])
    fl = Flights(sc.duration_s)
    fl.add(*toward_origin(D0, 0.0, V))
    fc = drive(sc, fl.truth())
    miss = events(fc, "miss")
    assert len(miss) == 1 and miss[0]["interceptors"] == 3 and "Pk" in miss[0]["detail"]
    assert fc.summary()["leakers"] == 1


@pytest.mark.parametrize("misid", [0.0, 1.0])
def test_civil_traffic_engaged_only_when_misidentified(misid):
    sc = scenario([battery(misidentification_probability=misid)])
    fl = Flights(sc.duration_s)
    start, vel = toward_origin(D0, 200.0, V)
    fl.add(start, vel, t1=330.0, hostile=False, kind="airliner")
    fc = drive(sc, fl.truth())
    s = fc.summary()
    eng = events(fc, "engage")
    if misid == 0.0:
        assert eng == [] and s["civil_engaged"] == 0 and s["civil_killed"] == 0
        assert events(fc, "out-of-envelope") == []  # civil tracks are not threats at all
    else:
        assert len(eng) == 1 and eng[0]["detail"].startswith("misidentified civil")
        assert s["civil_engaged"] == 1 and s["civil_killed"] == 1
    assert s["threats"] == 0


def test_unknown_tracks_only_with_engage_unknown():
    def false_track(t, kill_time_s):
        # a track born of false alarms closing on the asset: nothing is there in truth
        n = D0 - V * t
        return Picture(t, np.array([5]), np.array([[0.0, n, 0.0, 0.0, -V, 0.0]]), np.zeros((1, 6, 6)),
                       np.array([t])), np.array([-1])

    for flag in (False, True):
        sc = scenario([battery(engage_unknown=flag)])
        fc = drive(sc, Flights(sc.duration_s).truth(), picture=false_track)
        eng = events(fc, "engage")
        if not flag:
            assert eng == []
        else:
            assert len(eng) == 1 and eng[0]["target_id"] == -1 and eng[0]["detail"].startswith("unknown")
            assert events(fc, "miss")[0]["detail"] == "no target behind the track"
            assert fc.summary()["unknown_engaged"] == 1


def test_two_batteries_never_engage_one_track_at_once():
    # Pk = 0: every engagement fails, so both batteries keep trying the one track under shoot-look-shoot
    b1 = battery(name="north", pk={"aircraft": 0.0}, doctrine="shoot_look_shoot", max_shots=3)
    b2 = battery(name="south", n_m=-2000.0, pk={"aircraft": 0.0}, doctrine="shoot_look_shoot", max_shots=3)
    sc = scenario([b1, b2])
    fl = Flights(sc.duration_s)
    fl.add(*toward_origin(D0, 0.0, V))
    fc = drive(sc, fl.truth())
    eng = events(fc, "engage")
    assert {e["battery"] for e in eng} == {"north", "south"}
    spans = sorted((e["time_s"], e["assessment_time_s"]) for e in eng)
    for (_, e0), (s1, _) in itertools.pairwise(spans):
        assert s1 >= e0  # the next engagement of the track starts after the previous assessment


def test_waiting_episode_recorded_once_and_max_wait_gives_up():
    sc, truth = seven_threats(max_wait_s=0.0)
    fc = drive(sc, truth)
    assert len(events(fc, "no-channel")) == 1
    ab = events(fc, "abandon")
    assert len(ab) == 1 and ab[0]["target_id"] == 6
    assert all(e["target_id"] != 6 for e in events(fc, "engage"))
    s = fc.summary()
    assert s["blocked_no_channel"] == 1 and s["leakers"] == 1


def test_a_track_replaced_on_the_same_target_is_a_new_track():
    # fire control redoes the identification and candidates only when the picture's tracks or their targets
    # change: track 1000 is dropped at 150 s for track 2000 on the same target (same targets, other id)
    sc = scenario([battery(fire_channels=0, max_wait_s=0.0)])
    fl = Flights(sc.duration_s)
    fl.add(*toward_origin(D0, 0.0, V))
    truth = fl.truth()
    from airpicture.testing.truth_picture import TruthPicture

    exact = TruthPicture(truth, np.random.default_rng(0), position_sigma_m=0.0, velocity_sigma_mps=0.0)

    def picture(t, kill_time_s):
        pic, followed = exact.at(t, kill_time_s)
        if t >= 150:
            pic = Picture(pic.time_s, pic.track_id + 1000, pic.x, pic.P, pic.last_update_s)
        return pic, followed

    fc = drive(sc, truth, picture=picture, until_s=155.0)
    # each track waits for a channel and is given up at once (max_wait_s = 0); the threat still flying at the
    # end is reported with the last track that followed it
    assert [(e["time_s"], e["track_id"]) for e in events(fc, "abandon")] == [(116.0, 1000), (150.0, 2000)]
    assert [e["track_id"] for e in events(fc, "survived")] == [2000]


def test_capacity_refused_recorded_at_the_start_of_each_episode():
    sc = scenario([battery()])
    fl = Flights(sc.duration_s)
    fl.add(*toward_origin(D0, 0.0, V))
    truth = fl.truth()
    from airpicture.testing.truth_picture import TruthPicture

    exact = TruthPicture(truth, np.random.default_rng(0), position_sigma_m=0.0, velocity_sigma_mps=0.0)

    def untracked(t):  # no track follows the threat before 50 s, nor from 55 to 64 s
        return t < 50 or 55 <= t < 65

    def refused(t):  # the tracker refuses it a slot until 50 s, at 60-61 s, and (a duplicate) at 100 s
        return [0] if t < 50 or 60 <= t < 62 or t == 100 else []

    def picture(t, kill_time_s):
        return (Picture.empty(t), np.zeros(0, np.int64)) if untracked(t) else exact.at(t, kill_time_s)

    fc = drive(sc, truth, picture=picture, capacity_refused=refused)
    recorded = events(fc, "capacity-refused")
    # one event per episode; a refusal for a threat that a track already follows is no saturation
    assert [e["time_s"] for e in recorded] == [1.0, 60.0]
    assert fc.summary()["first_saturation_s"] == 1.0


def test_no_engagement_when_the_intercept_comes_after_the_threat_reaches_its_asset():
    # battery 30 km south of the asset, slow interceptors (300 m/s); the threat comes from 20 km north at 300 m/s.
    # Head-on from the battery, the flyout covers (20 + 30 km) / 600 m/s > 80 s, but the threat is within the
    # asset's 1 km radius after (20 - 1 km) / 300 m/s = 63 s: always too late.
    sc = scenario([battery(n_m=-30000.0, interceptor_speed_mps=300.0)])
    fl = Flights(sc.duration_s)
    fl.add(*toward_origin(20e3, 0.0, V))
    fc = drive(sc, fl.truth())
    assert events(fc, "engage") == []
    out = events(fc, "out-of-envelope")
    assert len(out) == 1 and out[0]["time_s"] == 1.0 and out[0]["detail"].startswith("no intercept before")
    assert fc.summary()["leakers"] == 1


@pytest.mark.parametrize("threshold", [30.0, None])
def test_a_track_is_engaged_once_its_velocity_is_firm(threshold):
    """The track's velocity sigma falls from 100 m/s by 10 m/s a second (then rises to 80 m/s at 20 s, a coast,
    during the flyout): with a 30 m/s requirement the engagement comes at the first step with sigma <= 30 (8 s);
    without it, at the first step."""
    fl = Flights(200.0)
    start, vel = toward_origin(40_000.0, 30.0, 250.0, up_m=3000.0)
    fl.add(start, vel)
    truth = fl.truth()
    sc = scenario([battery(firm_track_velocity_sigma_mps=threshold)], duration_s=200.0)

    def picture(t, kill_time_s):
        if kill_time_s[0] <= t:
            return Picture.empty(t), np.zeros(0, np.int64)
        x = truth.state_at(np.array([0]), np.array([t]))
        sigma_v = 80.0 if t >= 20.0 else max(100.0 - 10.0 * (t - 1.0), 5.0)
        P = np.diag([100.0**2] * 3 + [sigma_v**2] * 3)[None]
        return Picture(t, np.array([1000]), x, P, np.array([t])), np.array([0])

    fc = drive(sc, truth, picture)
    engage = events(fc, "engage")
    assert engage, "the threat was never engaged"
    assert engage[0]["time_s"] == (8.0 if threshold else 1.0)
    assert len(events(fc, "kill")) == 1
    cols = fc.decisions_columns()
    firm = [i for i, e in enumerate(list(cols["event"])) if e == "firm"]
    assert len(firm) == (1 if threshold else 0)  # the decision log says why the engagement waited
    if threshold:
        assert float(cols["time_s"][firm[0]]) == 8.0 and "held back" in str(cols["detail"][firm[0]])
