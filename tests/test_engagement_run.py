"""Fire control over the whole built-in default scenario, driven by a stand-in picture made from the truth plus
noise (so it does not depend on the radar and tracker): consistent outcomes, JSON-safe summary, byte-identical
Parquet for the same seed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from airpicture.engagement import EVENT_KINDS, EVENT_SCHEMA, TIMELINE_SCHEMA
from airpicture.io import write_parquet
from airpicture.scenario import load_scenario
from airpicture.seeding import stream
from airpicture.testing.truth_picture import TruthPicture, run_on_truth
from airpicture.truth import frame_of, generate_truth


@pytest.fixture(scope="module")
def default_world():
    sc = load_scenario()
    return sc, frame_of(sc), generate_truth(sc)


def run(world, **battery_changes):
    sc, frame, truth = world
    if battery_changes:
        b = sc.batteries[0].model_copy(update=battery_changes)
        sc = sc.model_copy(update={"batteries": [b]})
    src = TruthPicture(truth, stream(sc.seed, 99), position_sigma_m=50.0, velocity_sigma_mps=5.0,
                       max_range_m=250e3, confirm_delay_s=20.0)
    return sc, run_on_truth(sc, frame, truth, src)


def test_default_scenario_end_to_end(default_world, tmp_path: Path):
    sc, fc = run(default_world)
    truth = default_world[2]
    s = fc.summary()
    json.dumps(s, allow_nan=False)
    n_threats = int(truth.targets.hostile.sum())
    assert s["threats"] == n_threats and s["kills"] + s["leakers"] + s["survived"] == n_threats
    assert s["civil_engaged"] == 0 and s["civil_killed"] == 0
    b = sc.batteries[0]
    assert 0 < s["peak_channels_busy"] <= b.fire_channels and 0 < s["peak_in_flight"] <= b.max_in_flight
    assert s["interceptors_expended"] <= b.launchers * b.rounds_per_launcher + b.reload_rounds
    events = fc.events_table()
    assert events.schema == EVENT_SCHEMA and set(events.column("event").to_pylist()) <= set(EVENT_KINDS)
    times = events.column("time_s").to_numpy()
    assert np.all(np.diff(times) >= 0) and times.max() <= sc.duration_s
    timeline = fc.timeline_table()
    assert timeline.schema == TIMELINE_SCHEMA and timeline.num_rows == round(sc.duration_s / sc.time_step_s)
    kills = [r for r in events.to_pylist() if r["event"] == "kill"]
    assert len({r["target_id"] for r in kills}) == len(kills) == s["kills"] + s["civil_killed"]
    killed = np.isfinite(fc.kill_time_s) & (fc.kill_time_s <= sc.duration_s)
    assert sorted(np.flatnonzero(killed).tolist()) == sorted(r["target_id"] for r in kills)
    # the same seed, byte-identical files
    for i in range(2):
        _, again = run(default_world) if i else (sc, fc)
        write_parquet(tmp_path / f"events{i}.parquet", again.events_table())
        write_parquet(tmp_path / f"timeline{i}.parquet", again.timeline_table())
    assert (tmp_path / "events0.parquet").read_bytes() == (tmp_path / "events1.parquet").read_bytes()
    assert (tmp_path / "timeline0.parquet").read_bytes() == (tmp_path / "timeline1.parquet").read_bytes()


def test_default_scenario_with_a_deep_magazine_saturates_channels(default_world):
    # with rounds never short, the fire channels are the bottleneck of the 170-threat raid
    sc, fc = run(default_world, rounds_per_launcher=40, reload_time_s=60.0)
    s = fc.summary()
    assert s["peak_channels_busy"] == sc.batteries[0].fire_channels
    assert s["blocked_no_channel"] > 0 and s["first_saturation_s"] is not None
    assert s["kills"] > 30 and s["mean_channel_holding_s"] > sc.batteries[0].kill_assessment_s
    other_seed = run_on_truth(sc, default_world[1], default_world[2],
                              TruthPicture(default_world[2], stream(1, 99), position_sigma_m=50.0,
                                           velocity_sigma_mps=5.0, max_range_m=250e3, confirm_delay_s=20.0),
                              seed=sc.seed + 1)
    assert not other_seed.events_table().equals(fc.events_table())  # the outcome draws depend on the seed


def erlang_b(channels: int, offered: float) -> float:
    """Erlang's loss formula by the textbook recursion B(k) = A B(k-1) / (k + A B(k-1)), B(0) = 1."""
    b = 1.0
    for k in range(1, channels + 1):
        b = offered * b / (k + offered * b)
    return b


def test_loss_system_counters_match_erlang_b():
    # Poisson arrivals of threats already inside the envelope, max_wait_s = 0 (a threat finding every channel
    # busy is lost), interceptors never short: a loss system with 3 servers. Blocking is insensitive to the
    # holding-time distribution; a freed channel is reused at the next whole-second step, so the effective holding
    # time is the measured one plus half a step on average.
    from tests.test_engagement_support import Flights, battery, drive, scenario, toward_origin

    rng = np.random.default_rng(5)
    duration, rate, channels = 3000.0, 0.12, 3
    sc = scenario([battery(fire_channels=channels, launchers=1, rounds_per_launcher=2000, max_wait_s=0.0)],
                  duration_s=duration)
    fl = Flights(duration)
    arrivals = np.cumsum(rng.exponential(1.0 / rate, 1000))
    for t0 in arrivals[arrivals < duration - 2.0]:
        fl.add(*toward_origin(40e3, rng.uniform(0.0, 360.0), 300.0), t0=float(t0))
    s = drive(sc, fl.truth()).summary()
    assert s["threat_arrivals"] == int(np.sum(arrivals < duration - 2.0))
    offered = s["threat_arrivals"] / s["observation_s"] * (s["mean_channel_holding_s"] + 0.5)
    blocked = s["blocked_no_channel"] / s["threat_arrivals"]
    assert blocked == pytest.approx(erlang_b(channels, offered), abs=0.05)
    assert s["engagements"] == s["threat_arrivals"] - s["blocked_no_channel"]


def test_batteries_report_the_capacity_of_the_one_shared_picture(default_world):
    """Two batteries configured with different track capacities share one picture: the tracker holds the first
    battery's capacity, and both report that one in the timeline."""
    sc, frame, truth = default_world
    first = sc.batteries[0].model_copy(update={"track_capacity": 40})
    second = sc.batteries[0].model_copy(update={"name": "second", "track_capacity": 70})
    sc = sc.model_copy(update={"batteries": [first, second], "duration_s": 60.0})
    assert sc.track_capacity == 40
    src = TruthPicture(truth, stream(sc.seed, 99), position_sigma_m=50.0, velocity_sigma_mps=5.0,
                       max_range_m=250e3, confirm_delay_s=20.0)
    timeline = run_on_truth(sc, frame, truth, src).timeline_table().to_pandas()
    assert set(timeline.battery) == {first.name, "second"}
    assert (timeline.track_capacity == 40).all()
