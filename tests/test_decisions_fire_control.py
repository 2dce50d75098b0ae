"""Fire control's decision rows against hand-worked cases (the geometry of tests/test_engagement_cases.py): who
waits, for which limit, from when until when; how each threat is ranked; what the truth says of each interceptor.

Head-on (see test_engagement_cases): the first decision at which the intercept falls within the 51 km envelope is
t = 116 s, with the intercept at 121 + 63700 / 1500 s, and a fire channel is held until 5 s after it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from airpicture.decisions.schema import to_table
from airpicture.picture import Picture
from airpicture.testing.truth_picture import TruthPicture
from tests.test_engagement_cases import D0, V, head_on_decision, jinking_threat, seven_threats
from tests.test_engagement_support import Flights, battery, drive, scenario, toward_origin


def rows(fc, event: str | None = None, reason: str | None = None) -> list[dict]:
    out = to_table(fc.decisions_columns()).to_pylist()
    return sorted([r for r in out if (event is None or r["event"] == event)
                   and (reason is None or r["reason"] == reason)], key=lambda r: (r["time_s"], r["target_id"]))


def test_seven_threats_on_six_channels_who_waits_for_what_until_when():
    sc, truth = seven_threats()
    fc = drive(sc, truth)
    t_dec, t_int = head_on_decision()
    ranked = rows(fc, "ranked")
    # all seven become engageable at once and are ranked by time to go (target i is 2 i metres farther)
    assert [(r["time_s"], r["target_id"], r["rank"]) for r in ranked] == [(t_dec, i, i + 1) for i in range(7)]
    tgo = [r["time_to_go_s"] for r in ranked]
    assert tgo == sorted(tgo) and tgo[0] == pytest.approx((D0 - 1000.0) / V - t_dec)
    engaged = rows(fc, "engage")
    assert [(r["time_s"], r["target_id"], r["rank"]) for r in engaged[:6]] == [(t_dec, i, i + 1) for i in range(6)]
    (wait,) = rows(fc, "wait")
    assert (wait["target_id"], wait["reason"], wait["rank"]) == (6, "channels", 7)
    assert (wait["in_use"], wait["limit"]) == (6, 6)
    assert wait["time_s"] == t_dec
    first_free = math.ceil(t_int + 5.0)  # the first channel frees at the first kill assessment
    assert wait["until_s"] == first_free
    late = engaged[6]
    assert (late["time_s"], late["target_id"], late["rank"]) == (first_free, 6, 1)
    assert "all 6 fire channels busy" in wait["detail"]


def test_the_in_flight_limit_binds_until_the_first_intercepts():
    sc, truth = seven_threats(fire_channels=10, salvo_size=2)
    fc = drive(sc, truth)
    t_dec, t_int = head_on_decision()
    (wait,) = rows(fc, "wait")
    assert (wait["target_id"], wait["reason"], wait["in_use"], wait["limit"]) == (6, "in_flight", 12, 12)
    assert (wait["time_s"], wait["until_s"]) == (t_dec, math.ceil(t_int))


def test_no_ready_rounds_until_the_reload_completes():
    sc = scenario([battery(launchers=1, rounds_per_launcher=2, reload_rounds=2, reload_time_s=60.0, salvo_size=2)])
    fl = Flights(sc.duration_s)
    fl.add(*toward_origin(D0, 0.0, V))
    fl.add(*toward_origin(D0, 90.0, V))
    fc = drive(sc, fl.truth())
    t_dec, _ = head_on_decision()
    (reload,) = rows(fc, "reload")
    assert (reload["time_s"], reload["until_s"], reload["launcher"], reload["interceptors"]) == (
        t_dec, t_dec + 60.0, 1, 2)
    (wait,) = rows(fc, "wait")
    assert (wait["target_id"], wait["reason"], wait["in_use"]) == (1, "ready_rounds", 0)
    assert (wait["time_s"], wait["until_s"]) == (t_dec, t_dec + 60.0)  # engaged as soon as the rounds are ready
    assert [r["time_s"] for r in rows(fc, "engage")] == [t_dec, t_dec + 60.0]


def test_a_track_slot_wait_lasts_until_a_track_follows_the_threat():
    sc = scenario([battery()])
    fl = Flights(sc.duration_s)
    fl.add(*toward_origin(D0, 0.0, V))
    truth = fl.truth()
    exact = TruthPicture(truth, np.random.default_rng(0), position_sigma_m=0.0, velocity_sigma_mps=0.0)

    def picture(t, kill_time_s):  # no track follows the threat before 50 s
        return (Picture.empty(t), np.zeros(0, np.int64)) if t < 50 else exact.at(t, kill_time_s)

    fc = drive(sc, truth, picture=picture, capacity_refused=lambda t: [0] if t < 50 else [])
    (wait,) = rows(fc, "wait")
    assert (wait["reason"], wait["target_id"], wait["track_id"], wait["time_s"], wait["until_s"]) == (
        "track_slot", 0, -1, 1.0, 50.0)


def test_a_wait_given_up_ends_at_the_abandon():
    sc = scenario([battery(fire_channels=1, max_wait_s=20.0)])
    fl = Flights(sc.duration_s)
    fl.add(*toward_origin(D0, 0.0, V))
    fl.add(*toward_origin(D0 + 2.0, 40.0, V))
    fc = drive(sc, fl.truth())
    t_dec, _ = head_on_decision()
    (wait,) = rows(fc, "wait")
    (gave_up,) = rows(fc, "abandon")
    assert wait["target_id"] == gave_up["target_id"] == 1
    assert (wait["time_s"], wait["until_s"], gave_up["time_s"]) == (t_dec, t_dec + 20.0, t_dec + 20.0)


def test_each_interceptor_is_judged_by_the_truth():
    """Every intercept row states the draw, the Pk and the miss distance behind its reason: a kill needs the true
    target within the correction radius and draw < Pk; 'pk_draw' is inside the radius with draw >= Pk;
    'correction_radius' is outside it."""
    sc = scenario([battery(salvo_size=2, launch_interval_s=3.0, pk={"aircraft": 0.5})], duration_s=400.0)
    fl = Flights(sc.duration_s)
    for i in range(6):
        fl.add(*toward_origin(D0 + 2.0 * i, 60.0 * i, V))
    fc = drive(sc, fl.truth(), seed=3)
    judged = rows(fc, "intercept")
    assert len(judged) == 12
    seen = set()
    for r in judged:
        seen.add(r["reason"])
        assert r["pk"] == 0.5 and r["correction_radius_m"] == 1500.0
        if r["reason"] == "kill":
            assert r["draw"] < 0.5 and r["miss_distance_m"] <= 1500.0
        elif r["reason"] == "pk_draw":
            assert r["draw"] >= 0.5 and r["miss_distance_m"] <= 1500.0
        elif r["reason"] == "destroyed":  # a later interceptor of a salvo that had already killed
            assert r["time_s"] > min(k["time_s"] for k in judged if k["target_id"] == r["target_id"])
    assert {"kill", "pk_draw"} <= seen
    kills = {r["target_id"] for r in judged if r["reason"] == "kill"}
    assessed = rows(fc, "assessed")
    assert {r["target_id"] for r in assessed if r["reason"] == "kill"} == kills
    assert {r["target_id"] for r in assessed if r["reason"] == "miss"} == set(range(6)) - kills


def test_a_manoeuvre_outside_the_correction_radius():
    sc = scenario([battery()])
    fl = Flights(sc.duration_s)
    jinking_threat(fl)
    fc = drive(sc, fl.truth())
    (judged,) = rows(fc, "intercept")
    assert judged["reason"] == "correction_radius" and judged["miss_distance_m"] > 1500.0
    (miss,) = rows(fc, "assessed")
    assert miss["reason"] == "miss" and "correction radius" in miss["detail"]
