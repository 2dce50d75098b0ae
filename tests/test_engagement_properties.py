"""Properties of fire control over random small raids, batteries and noisy pictures (hypothesis): capacities
are never exceeded, inventory never goes negative, two batteries never hold one track at once, every threat ends
exactly one of killed / leaked / survived, and the same seed gives the same tables.

The limits are checked from the event table (independently of the counters fire control keeps) and from the
timeline.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from airpicture.picture import Picture
from tests.test_engagement_support import Flights, battery, drive, scenario, toward_origin

KINDS = ("aircraft", "cruise_missile", "drone", "ballistic_missile")


@st.composite
def battery_config(draw, name: str, n_m: float) -> dict:
    mif = draw(st.integers(1, 6))
    return battery(
        name=name, n_m=n_m,
        fire_channels=draw(st.integers(0, 4)), max_in_flight=mif, salvo_size=draw(st.integers(1, min(3, mif))),
        launchers=draw(st.integers(0, 3)), rounds_per_launcher=draw(st.integers(0, 3)),
        reload_rounds=draw(st.integers(0, 4)), reload_time_s=draw(st.sampled_from([0.0, 7.0, 40.0, 120.0])),
        reaction_time_s=draw(st.floats(0.0, 8.0)), launch_interval_s=draw(st.floats(0.0, 4.0)),
        kill_assessment_s=draw(st.floats(0.0, 8.0)), correction_radius_m=draw(st.floats(50.0, 3000.0)),
        doctrine=draw(st.sampled_from(["salvo", "shoot_look_shoot"])), max_shots=draw(st.integers(1, 3)),
        max_wait_s=draw(st.sampled_from([None, 0.0, 15.0])),
        misidentification_probability=draw(st.sampled_from([0.0, 0.5, 1.0])),
        engage_unknown=draw(st.booleans()),
        pk={k: draw(st.floats(0.0, 1.0)) for k in (*KINDS, "airliner")},
    )


@st.composite
def world(draw) -> dict:
    n_bat = draw(st.integers(1, 2))
    bats = [draw(battery_config(f"battery-{i + 1}", -3000.0 * i)) for i in range(n_bat)]
    threats = draw(st.lists(st.tuples(st.floats(15e3, 60e3), st.floats(0, 360), st.floats(100, 700),
                                      st.floats(0, 8000), st.floats(0, 40), st.sampled_from(KINDS),
                                      st.one_of(st.none(), st.floats(-60, 60))), min_size=1, max_size=10))
    civil = draw(st.lists(st.tuples(st.floats(0, 360), st.floats(150, 250)), max_size=3))
    return {
        "batteries": bats, "threats": threats, "civil": civil, "seed": draw(st.integers(0, 2**31)),
        "sigma_m": draw(st.sampled_from([0.0, 150.0, 600.0])), "duplicate": draw(st.booleans()),
        "false_track": draw(st.booleans()),
    }


def build(w: dict):
    sc = scenario(w["batteries"], duration_s=200.0, seed=w["seed"])
    fl = Flights(sc.duration_s)
    for dist, az, spd, up, t0, kind, turn in w["threats"]:
        start, vel = toward_origin(dist, az, spd, up)
        if turn is None:
            fl.add(start, vel, t0=t0, kind=kind)
        else:  # turns by `turn` degrees half-way to the asset
            c, s = np.cos(np.radians(turn)), np.sin(np.radians(turn))
            after = (c * vel[0] + s * vel[1], -s * vel[0] + c * vel[1], 0.0)
            fl.add(start, vel, t0=t0, kind=kind, turn_s=t0 + 0.5 * dist / spd, velocity_after_mps=after)
    for az, spd in w["civil"]:
        start, vel = toward_origin(30e3, az, spd, 3000.0)
        fl.add(start, vel, t1=200.0, hostile=False, kind="airliner")
    truth = fl.truth()
    rng = np.random.default_rng(w["seed"])
    tg = truth.targets

    def picture(t, kill_time_s):
        live = np.flatnonzero((tg.start_s <= t) & (t <= tg.end_s) & (kill_time_s > t))
        x = truth.state_at(live, np.full(live.size, t))
        x = x + np.concatenate([rng.normal(0, w["sigma_m"], (live.size, 3)),
                                rng.normal(0, w["sigma_m"] / 30, (live.size, 3))], axis=1)
        ids, follows = live + 1000, live
        if w["duplicate"]:  # a second track on every target
            x = np.concatenate([x, x + 50.0])
            ids, follows = np.concatenate([ids, live + 5000]), np.concatenate([follows, live])
        if w["false_track"]:  # a false track closing on the asset
            x = np.concatenate([x, [[0.0, 40e3 - 250.0 * t, 1000.0, 0.0, -250.0, 0.0]]])
            ids, follows = np.concatenate([ids, [9999]]), np.concatenate([follows, [-1]])
        k = ids.size
        return Picture(t, ids.astype(np.int64), x, np.zeros((k, 6, 6)), np.full(k, t)), follows.astype(np.int64)

    return sc, truth, picture


def most_at_once(intervals: list[tuple[float, float]]) -> int:
    """Most half-open intervals covering one instant (the maximum is reached at some start)."""
    return max((sum(1 for s, e in intervals if s <= t < e) for t, _ in intervals), default=0)


@settings(max_examples=40, deadline=None)
@given(world())
def test_limits_inventory_and_outcomes(w):
    sc, truth, picture = build(w)
    fc = drive(sc, truth, picture=picture)
    rows = fc.events_table().to_pylist()
    bats = {b.name: b for b in sc.batteries}
    # fire channels and interceptors in flight, from the events alone
    for name, b in bats.items():
        chans = [(r["time_s"], r["assessment_time_s"]) for r in rows if r["event"] == "engage" and r["battery"] == name]
        assert most_at_once(chans) <= b.fire_channels
        flying = [(r["time_s"], r["intercept_time_s"]) for r in rows if r["event"] == "launch" and r["battery"] == name]
        assert most_at_once(flying) <= b.max_in_flight
        assert all(t0 < t1 for t0, t1 in flying)
        assert len(flying) <= b.launchers * b.rounds_per_launcher + b.reload_rounds
    # one battery at a time per track
    per_track = defaultdict(list)
    for r in rows:
        if r["event"] == "engage":
            per_track[r["track_id"]].append((r["time_s"], r["assessment_time_s"]))
    assert all(most_at_once(iv) <= 1 for iv in per_track.values())
    # the timeline
    for r in fc.timeline_table().to_pylist():
        b = bats[r["battery"]]
        assert 0 <= r["channels_busy"] <= b.fire_channels
        assert 0 <= r["in_flight"] <= b.max_in_flight
        assert 0 <= r["ready_rounds"] <= b.launchers * b.rounds_per_launcher
        assert r["ready_rounds"] <= r["inventory_left"]
    for name in bats:
        inv = [r["inventory_left"] for r in fc.timeline_table().to_pylist() if r["battery"] == name]
        assert all(a >= b for a, b in itertools.pairwise(inv))
    # every threat ends exactly one way
    tg = truth.targets
    threats = set(np.flatnonzero(tg.hostile & (tg.start_s <= sc.duration_s)).tolist())
    ends = Counter(r["target_id"] for r in rows if r["event"] in ("kill", "leak", "survived")
                   and r["target_id"] in threats)
    assert set(ends) == threats and all(c == 1 for c in ends.values())
    s = fc.summary()
    assert s["kills"] + s["leakers"] + s["survived"] == s["threats"] == len(threats)
    for r in rows:
        if r["event"] == "kill":
            assert fc.kill_time_s[r["target_id"]] == r["time_s"]
    assert s["blocked_no_channel"] <= s["threat_arrivals"]
    assert s["civil_engaged"] == 0 or any(b.misidentification_probability > 0 for b in sc.batteries)


@settings(max_examples=8, deadline=None)
@given(world())
def test_same_seed_same_tables(w):
    tables = []
    for _ in range(2):
        sc, truth, picture = build(w)
        fc = drive(sc, truth, picture=picture)
        tables.append((fc.events_table(), fc.timeline_table(), fc.summary()))
    assert tables[0][0].equals(tables[1][0]) and tables[0][1].equals(tables[1][1])
    assert tables[0][2] == tables[1][2]
