"""The simulated fire-channel blocking probability against Erlang's loss formula.

The battery is configured as an Erlang loss system: Poisson threat arrivals (a Poisson number of threats launched
uniformly over the window: a Poisson process), ``fire_channels`` servers, no waiting (``max_wait_s = 0``: a threat
finding every channel busy is never engaged), and no other limit (interceptors, launchers, rounds in flight all
unbounded in practice; Pk = 1 so no threat is engaged twice). Holding times are nearly constant (reaction +
flyout + kill assessment); we rely on the insensitivity of the Erlang loss system: the blocking probability of
M/G/c/c depends on the holding-time distribution only through its mean. Every threat flies the same straight
profile from the same distance to the battery's own asset, so it becomes engageable a fixed time after launch and
the arrivals at the battery are the launches' Poisson process, shifted.
"""

from __future__ import annotations

import numpy as np
import pytest

from airpicture.scenario import Battery, parse_scenario
from airpicture.seeding import stream
from airpicture.sweep.analysis import arrival_period, erlang_b, t_interval

CHANNELS = 3
RATE_PER_S = 0.065  # threat launches per second: offered load about 0.065 x 37 s = 2.4 erlangs
SPREAD_S = 2000.0
REPLICATIONS = 10


def loss_system_scenario(count: int, seed: int, spread_s: float = SPREAD_S, with_radar: bool = False) -> dict:
    envelope = {"min_range_m": 0.0, "max_range_m": 30000.0, "min_height_m": 0.0, "max_height_m": 20000.0}
    data = {
        "name": "erlang-loss-system", "seed": seed, "duration_s": spread_s + 200.0,
        "site": {"latitude_deg": 34.5, "longitude_deg": -38.2},
        "assets": [{"name": "base", "e_m": 0.0, "n_m": 0.0, "radius_m": 1000.0}],
        "batteries": [{
            "name": "battery", "e_m": 0.0, "n_m": 0.0, "defends": ["base"], "fire_channels": CHANNELS,
            "max_in_flight": 100000, "launchers": 1000, "rounds_per_launcher": 1000, "reload_rounds": 0,
            "reaction_time_s": 2.0, "launch_interval_s": 0.0, "interceptor_speed_mps": 1000.0,
            "kill_assessment_s": 5.0, "doctrine": "salvo", "salvo_size": 1, "pk": {"aircraft": 1.0},
            "envelopes": {"aircraft": envelope}, "max_wait_s": 0.0,
        }],
        "raids": [{"name": "poisson", "kind": "aircraft", "count": count, "asset": "base",
                   "launch_spread_s": spread_s, "start_distance_m": 60000.0, "speed_mps": 250.0,
                   "height_m": 5000.0}],
    }
    if with_radar:
        data["sensors"] = [{"kind": "surveillance_radar", "id": 1, "scan_period_s": 2.0, "max_range_m": 100000.0,
                            "pfa": 1e-9, "sensitivity": {"kind": "reference", "snr_db": 40.0}}]
    return data


def _check_against_erlang(blocking_per_run: list[float], holding_s: float) -> None:
    """Erlang B at the design arrival rate and the simulated mean holding time lies in the 95% t-interval of the
    per-run blocking fractions (runs are independent; arrivals within a run are not)."""
    load = RATE_PER_S * holding_s
    iv = t_interval(blocking_per_run, 0.95)
    expected = float(erlang_b(CHANNELS, load))
    assert iv.low <= expected <= iv.high, (iv, expected, load)
    # The check has power: one channel more or fewer would be rejected.
    assert not iv.low <= float(erlang_b(CHANNELS - 1, load)) <= iv.high
    assert not iv.low <= float(erlang_b(CHANNELS + 1, load)) <= iv.high


@pytest.mark.slow
def test_blocking_with_a_perfect_picture_matches_erlang_b():
    truth_picture = pytest.importorskip("airpicture.testing.truth_picture")
    if "max_wait_s" not in Battery.model_fields:
        pytest.skip("the battery has no max_wait_s yet: a pure loss system cannot be configured")
    from airpicture.truth import frame_of, generate_truth

    counts = stream(1, 99).poisson(RATE_PER_S * SPREAD_S, size=REPLICATIONS)
    blocking, holding, engaged = [], [], []
    for r, n in enumerate(counts.tolist()):
        sc = parse_scenario(loss_system_scenario(n, 1000 + r), "erlang test")
        truth = generate_truth(sc)
        exact = truth_picture.TruthPicture(truth, stream(sc.seed, 77), position_sigma_m=0.0, velocity_sigma_mps=0.0)
        s = truth_picture.run_on_truth(sc, frame_of(sc), truth, exact).summary()
        assert s["threat_arrivals"] == n  # every threat reached the battery once: the arrival process is the raid's
        assert s["kills"] == n - s["blocked_no_channel"]  # every engaged threat killed, none engaged twice
        blocking.append(s["blocked_no_channel"] / s["threat_arrivals"])
        holding.append(s["mean_channel_holding_s"])
        engaged.append(s["kills"])
    _check_against_erlang(blocking, float(np.average(holding, weights=engaged)))


@pytest.mark.slow
def test_blocking_end_to_end_through_a_sweep_matches_erlang_b(tmp_path):
    """Radar, tracker and fire control together, run by the sweep machinery on two local processes: shorter
    raids than above (the whole chain costs more per simulated second), so a wider interval."""
    from airpicture.engine import run_scenario
    from airpicture.sweep import LocalProcesses, plan_sweep, run_sweep

    spread = 1200.0
    probe = run_scenario(parse_scenario(loss_system_scenario(2, 1, 100.0, with_radar=True), "probe"))
    if "blocked_no_channel" not in probe.summary.get("engagement", {}):
        pytest.skip("the engine does not report engagement.blocked_no_channel yet")
    import tomli_w

    (tmp_path / "erlang.toml").write_bytes(tomli_w.dumps(loss_system_scenario(1, 1, spread, True)).encode())
    counts = stream(2, 99).poisson(RATE_PER_S * spread, size=8).tolist()
    # One grid point per Poisson-drawn raid size, one seed each: the sweep's rows are the replications.
    spec = {"name": "erlang", "scenario": "erlang.toml", "seed": 5, "seeds_per_point": 1,
            "grid": {"raids[0].count": counts}}
    plan = plan_sweep(spec, str(tmp_path / "sweep.toml"), tmp_path)
    backend = LocalProcesses(2)
    try:
        table = run_sweep(plan, tmp_path / "out", backend, figures=False).table
    finally:
        backend.close()
    assert table.column("error").null_count == len(table)
    arrivals = table.column("engagement.threat_arrivals").to_numpy()
    blocked = table.column("engagement.blocked_no_channel").to_numpy()
    holding = table.column("engagement.mean_channel_holding_s").to_numpy()
    # A track broken and re-initiated would arrive twice and break the Poisson assumption: require it rare.
    assert np.all(arrivals <= 1.05 * np.array(counts)), (arrivals, counts)
    _check_against_erlang((blocked / arrivals).tolist(), float(np.average(holding, weights=arrivals - blocked)))
    # The figures' arrival rate, over the period the threats arrive, is the raids' own: arrivals / spread (the
    # period estimate from 8 runs of ~80 arrivals has a standard error of about 2%).
    period = arrival_period(table.column("engagement.arrival_p10_s").to_numpy(),
                            table.column("engagement.arrival_p90_s").to_numpy(), arrivals)
    assert arrivals.sum() / period.sum() == pytest.approx(arrivals.sum() / (spread * len(counts)), rel=0.08)
