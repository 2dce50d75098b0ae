"""Picture scoring over time: per-epoch GOSPA rows, continuity, false tracks, time to track, RMSE, summary."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from airpicture.errors import InputError
from airpicture.io import write_parquet
from airpicture.metrics import DEFINITIONS, PictureScorer, score_tables, truth_at_epochs
from airpicture.metrics.scorer import METRICS_COLUMNS, TARGET_COLUMNS
from airpicture.truth.table import Targets, Truth, make_samples

C = 1000.0


def _x(e: float, n: float = 0.0, u: float = 1000.0, ve: float = 0.0, vn: float = 0.0, vu: float = 0.0):
    return [e, n, u, ve, vn, vu]


def _epoch(s: PictureScorer, t: float, truths: dict[int, list[float]], tracks: dict[int, list[float]]) -> None:
    s.add_epoch(t, np.array(list(truths), dtype=np.int64), np.array(list(truths.values())).reshape(-1, 6),
                np.array(list(tracks), dtype=np.int64), np.array(list(tracks.values())).reshape(-1, 6))


def _rows(table) -> list[dict]:
    return table.to_pylist()


def test_hand_built_sequence() -> None:
    """Two targets 50 km apart; track 10 follows target 0 with a gap, target 1 is handed from 20 to 21,
    track 99 is a false track far from everything, track 30 passes near target 1 once."""
    s = PictureScorer(C)
    far = _x(500_000.0)
    t0, t1 = _x(0.0), _x(50_000.0)
    near0 = _x(30.0, 40.0)  # 50 m from target 0
    near1 = _x(50_000.0, 0.0, 1_100.0)  # 100 m above target 1
    _epoch(s, 1.0, {0: t0, 1: t1}, {99: far})
    _epoch(s, 2.0, {0: t0, 1: t1}, {10: near0, 20: near1, 99: far})
    _epoch(s, 3.0, {0: t0, 1: t1}, {20: near1, 99: far})
    _epoch(s, 4.0, {0: t0, 1: t1}, {10: near0, 21: near1, 99: far})
    _epoch(s, 5.0, {1: t1}, {10: near0, 21: near1})  # target 0 destroyed: track 10 is now false at this epoch
    metrics, targets, summary = s.finish(target_ids=np.array([0, 1, 2]),
                                         first_detection_s=np.array([0.5, 1.2, np.nan]))
    m = _rows(metrics)
    assert [r["time_s"] for r in m] == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert [r["n_truth"] for r in m] == [2, 2, 2, 2, 1]
    assert [r["n_tracks"] for r in m] == [1, 3, 2, 3, 2]
    assert [r["n_assigned"] for r in m] == [0, 2, 1, 2, 1]
    assert [r["n_missed"] for r in m] == [2, 0, 1, 0, 0]
    assert [r["n_false"] for r in m] == [1, 1, 1, 1, 1]
    half = C**2 / 2
    assert [r["localisation_m2"] for r in m] == pytest.approx([0, 2500 + 10_000, 10_000, 12_500, 10_000])
    assert [r["missed_m2"] for r in m] == pytest.approx([2 * half, 0, half, 0, 0])
    assert [r["false_m2"] for r in m] == pytest.approx([half] * 5)
    assert [r["gospa_m"] for r in m] == pytest.approx(
        np.sqrt([3 * half, 12_500 + half, 10_000 + 2 * half, 12_500 + half, 10_000 + half]))
    assert [r["id_switches"] for r in m] == [0, 0, 0, 1, 0]
    assert [r["track_breaks"] for r in m] == [0, 0, 0, 1, 0]

    tg = {r["target_id"]: r for r in _rows(targets)}
    assert sorted(tg) == [0, 1, 2]
    assert (tg[0]["scored_epochs"], tg[0]["tracked_epochs"]) == (4, 2)
    assert tg[0]["tracked_fraction"] == pytest.approx(0.5)
    assert (tg[0]["id_switches"], tg[0]["track_breaks"], tg[0]["tracks_used"]) == (0, 1, 1)
    assert tg[0]["first_track_s"] == 2.0 and tg[0]["time_to_track_s"] == pytest.approx(1.5)
    assert tg[0]["rmse_position_m"] == pytest.approx(50.0)
    assert (tg[1]["id_switches"], tg[1]["track_breaks"], tg[1]["tracks_used"]) == (1, 0, 2)
    assert tg[1]["time_to_track_s"] == pytest.approx(0.8)
    assert tg[1]["tracked_fraction"] == pytest.approx(4 / 5)
    assert tg[1]["rmse_position_m"] == pytest.approx(100.0)
    assert tg[2]["scored_epochs"] == 0
    for col in ("first_detection_s", "first_track_s", "time_to_track_s", "rmse_position_m", "tracked_fraction"):
        assert tg[2][col] is None  # nulls in the table, not NaN

    assert summary["epochs"] == 5
    assert summary["id_switches"] == 1 and summary["track_breaks"] == 1
    assert summary["confirmed_tracks"] == 4  # 10, 20, 21, 99
    assert summary["false_tracks"] == 1  # 99 only: 10 was assigned at some epoch
    assert summary["tracked_fraction"] == pytest.approx(6 / 9)
    assert summary["time_to_track_mean_s"] == pytest.approx((1.5 + 0.8) / 2)
    assert summary["time_to_track_median_s"] == pytest.approx((1.5 + 0.8) / 2)
    assert summary["rmse_position_m"] == pytest.approx(np.sqrt((2 * 2500 + 4 * 10_000) / 6))
    assert summary["gospa_mean_m"] == pytest.approx(np.mean([r["gospa_m"] for r in m]))
    assert summary["gospa_missed_mean_m2"] == pytest.approx(3 * half / 5)
    assert summary["targets_tracked"] == 2 and summary["targets_scored"] == 2
    json.dumps(summary, allow_nan=False)


def test_every_column_and_summary_key_is_defined() -> None:
    s = PictureScorer(C)
    _epoch(s, 0.0, {0: _x(0.0)}, {1: _x(5.0)})
    metrics, targets, summary = s.finish()
    assert metrics.column_names == list(METRICS_COLUMNS)
    assert targets.column_names == list(TARGET_COLUMNS)
    names = set(metrics.column_names) | set(targets.column_names) | set(summary)
    assert names <= set(DEFINITIONS), names - set(DEFINITIONS)
    assert set(DEFINITIONS) <= names, set(DEFINITIONS) - names


def test_rmse_on_a_known_offset() -> None:
    rng = np.random.default_rng(3)
    s = PictureScorer(5000.0)
    offset = np.array([30.0, -40.0, 120.0, 1.0, 2.0, -2.0])  # |p| = 130 m, |v| = 3 m/s
    for k in range(20):
        x = np.column_stack([rng.uniform(-1e5, 1e5, (8, 3)), rng.normal(0, 200, (8, 3))])
        s.add_epoch(float(k), np.arange(8), x, np.arange(100, 108), x + offset)
    _, targets, summary = s.finish()
    assert summary["rmse_position_m"] == pytest.approx(130.0, rel=1e-12)
    assert summary["rmse_velocity_mps"] == pytest.approx(3.0, rel=1e-12)
    assert np.allclose(targets.column("rmse_position_m").to_numpy(), 130.0, rtol=1e-12)
    assert summary["tracked_fraction"] == 1.0
    assert summary["id_switches"] == summary["track_breaks"] == summary["false_tracks"] == 0


def test_detections_recorded_during_the_run_give_time_to_track() -> None:
    s = PictureScorer(C)
    s.add_detections(np.array([3.2, 2.5, 9.0]), np.array([0, -1, 0]))
    s.add_detections(np.array([2.9, 4.1]), np.array([0, 1]))
    for t in range(1, 8):
        tracks = {7: _x(10.0)} if t >= 5 else {}
        _epoch(s, float(t), {0: _x(0.0), 1: _x(90_000.0)}, tracks)
    _, targets, summary = s.finish()
    tg = {r["target_id"]: r for r in _rows(targets)}
    assert tg[0]["first_detection_s"] == pytest.approx(2.9)
    assert tg[0]["time_to_track_s"] == pytest.approx(5.0 - 2.9)
    assert tg[1]["first_detection_s"] == pytest.approx(4.1)
    assert tg[1]["time_to_track_s"] is None  # detected, never tracked
    assert summary["time_to_track_mean_s"] == pytest.approx(2.1)


def test_empty_and_trackless_runs_give_json_safe_summaries(tmp_path) -> None:
    empty = PictureScorer(C).finish()
    assert empty.metrics.num_rows == 0 and empty.targets.num_rows == 0
    assert empty.summary["gospa_mean_m"] is None and empty.summary["rmse_position_m"] is None
    json.dumps(empty.summary, allow_nan=False)
    s = PictureScorer(C)
    _epoch(s, 0.0, {0: _x(0.0)}, {})
    _epoch(s, 1.0, {}, {})
    out = s.finish()
    assert out.metrics.column("gospa_m").to_pylist() == pytest.approx([C / np.sqrt(2), 0.0])
    assert out.summary["rmse_position_m"] is None and out.summary["tracked_fraction"] == 0.0
    json.dumps(out.summary, allow_nan=False)
    write_parquet(tmp_path / "m.parquet", out.metrics)
    write_parquet(tmp_path / "t.parquet", out.targets)
    back = pq.read_table(tmp_path / "t.parquet")
    assert back.column("time_to_track_s").null_count == 1


def _random_epochs(seed: int, n_epochs: int = 40):
    rng = np.random.default_rng(seed)
    p = rng.uniform(-20_000, 20_000, (30, 3))
    v = rng.normal(0, 150, (30, 3))
    out = []
    for k in range(n_epochs):
        alive = np.flatnonzero(rng.random(30) < 0.9)
        x = np.column_stack([p + v * k, v])
        seen = rng.choice(30, 20, replace=False)
        tx = x[seen] + rng.normal(0, 300, (20, 6))
        tid = seen * 10 + (k // 10) * (seen % 3 == 0)
        out.append((float(k), alive, x[alive], tid.astype(np.int64), tx))
    return out


@pytest.mark.parametrize("batch_rows", [1, 37, 1_000_000])
def test_result_does_not_depend_on_batching(batch_rows: int) -> None:
    epochs = _random_epochs(5)
    ref = PictureScorer(C)
    times = np.array([e[0] for e in epochs])
    ref.add_epochs(times,
                   np.repeat(np.arange(len(epochs)), [e[1].size for e in epochs]),
                   np.concatenate([e[1] for e in epochs]), np.concatenate([e[2] for e in epochs]),
                   np.repeat(np.arange(len(epochs)), [e[3].size for e in epochs]),
                   np.concatenate([e[3] for e in epochs]), np.concatenate([e[4] for e in epochs]))
    expected = ref.finish()
    s = PictureScorer(C, batch_rows=batch_rows, batch_pairs=None if batch_rows > 1 else 50)
    for e in epochs:
        s.add_epoch(*e)
    got = s.finish()
    assert got.metrics.equals(expected.metrics)
    assert got.targets.equals(expected.targets)
    assert got.summary == expected.summary
    assert expected.summary["id_switches"] > 0 and expected.summary["track_breaks"] > 0


def test_per_epoch_gospa_matches_single_epoch_function() -> None:
    from airpicture.metrics import gospa

    epochs = _random_epochs(9, n_epochs=15)
    s = PictureScorer(C)
    for e in epochs:
        s.add_epoch(*e)
    m = s.finish().metrics
    for row, e in zip(m.to_pylist(), epochs, strict=True):
        r = gospa(e[2][:, :3], e[4][:, :3], C)
        assert row["gospa_m"] == pytest.approx(r.total_m, rel=1e-12)
        assert (row["n_missed"], row["n_false"]) == (r.n_missed, r.n_false)


def test_bad_epochs_are_refused() -> None:
    s = PictureScorer(C)
    _epoch(s, 1.0, {0: _x(0.0)}, {})
    with pytest.raises(ValueError, match="increase"):
        _epoch(s, 1.0, {0: _x(0.0)}, {})
    with pytest.raises(ValueError, match="repeated track"):
        s.add_epoch(2.0, np.array([0]), np.zeros((1, 6)), np.array([3, 4, 3]), np.zeros((3, 6)))
    with pytest.raises(ValueError, match="repeated"):
        s.add_epoch(3.0, np.array([0, 0]), np.zeros((2, 6)), np.zeros(0, np.int64), np.zeros((0, 6)))
    with pytest.raises(ValueError, match="shape"):
        s.add_epoch(4.0, np.array([0]), np.zeros((1, 3)), np.zeros(0, np.int64), np.zeros((0, 6)))
    with pytest.raises(ValueError):
        PictureScorer(0.0)


# ------------------------------------------------------------------------------------------------ offline


def _straight_truth() -> Truth:
    """Three targets flying straight east at 200 m/s: 0 over [0, 60] s, 1 over [10, 40] s, 2 over [30, 60] s."""
    start = np.array([0.0, 10.0, 30.0])
    end = np.array([60.0, 40.0, 60.0])
    tid, t, x = [], [], []
    for i in range(3):
        ts = np.arange(start[i], end[i] + 1e-9, 1.0)
        tid.append(np.full(ts.size, i))
        t.append(ts)
        x.append(np.column_stack([200.0 * ts, np.full(ts.size, 20_000.0 * i), np.full(ts.size, 3000.0),
                                  np.full(ts.size, 200.0), np.zeros(ts.size), np.zeros(ts.size)]))
    samples = make_samples(np.concatenate(tid), np.concatenate(t), np.concatenate(x), 3)
    s = np.array(["aircraft"] * 3)
    targets = Targets(kind=s, hostile=np.ones(3, bool), rcs_m2=np.ones(3), asset_index=np.zeros(3, np.int64),
                      start_s=start, end_s=end, end_reason=np.array(["running"] * 3),
                      group=np.array(["a"] * 3), callsign=np.array(["x0", "x1", "x2"]))
    return Truth(targets, samples)


def test_truth_at_epochs_matches_alive_mask() -> None:
    truth = _straight_truth()
    times = np.arange(0.0, 65.0, 2.5)
    kill = np.array([np.inf, 25.0, np.nan])
    epoch, target, x = truth_at_epochs(truth, times, kill)
    mask = truth.alive(times) & (times[:, None] < np.array([np.inf, 25.0, np.inf]))
    ref_epoch, ref_target = np.nonzero(mask)
    assert np.array_equal(epoch, ref_epoch) and np.array_equal(target, ref_target)
    assert np.allclose(x[:, 0], 200.0 * times[epoch])


def test_score_tables_on_a_picture_with_offset_and_gaps() -> None:
    truth = _straight_truth()
    epochs = np.arange(0.0, 61.0, 1.0)
    ep, tid, x = truth_at_epochs(truth, epochs)
    # the picture follows every target with a 60 m error, except target 2 before t = 35 s
    keep = ~((tid == 2) & (epochs[ep] < 35.0))
    p_time = epochs[ep][keep]
    p_id = 100 + tid[keep]
    p_x = x[keep] + np.array([0.0, 60.0, 0.0, 0.0, 0.0, 0.0])
    first_det = np.array([0.0, 10.0, 31.0])
    metrics, targets, summary = score_tables(truth, p_time, p_id, p_x, 2000.0, epoch_time_s=epochs,
                                             first_detection_s=first_det)
    assert metrics.num_rows == epochs.size
    assert summary["rmse_position_m"] == pytest.approx(60.0)
    tg = {r["target_id"]: r for r in targets.to_pylist()}
    assert tg[2]["time_to_track_s"] == pytest.approx(4.0)
    assert tg[2]["tracked_fraction"] == pytest.approx(26 / 31)
    assert summary["false_tracks"] == 0
    assert sum(metrics.column("n_missed").to_pylist()) == 5
    # killing target 0 at 20 s: its track after that becomes false at every epoch from 20 s to 60 s
    _, _, killed = score_tables(truth, p_time, p_id, p_x, 2000.0, epoch_time_s=epochs,
                                kill_time_s=np.array([20.0, np.inf, np.inf]))
    # scored target-epochs: target 0 over [0, 20) s (20), target 1 (31), target 2 (31); untracked: 5 of target 2
    assert killed["tracked_fraction"] == pytest.approx(77 / 82)
    assert summary["tracked_fraction"] == pytest.approx(118 / 123)
    assert killed["gospa_false_mean_m2"] == pytest.approx(41 * 2000.0**2 / 2 / epochs.size)


def test_score_tables_default_epochs_are_picture_times() -> None:
    truth = _straight_truth()
    ep, tid, x = truth_at_epochs(truth, np.array([12.0, 20.0]))
    metrics, _, summary = score_tables(truth, np.array([12.0, 12.0, 20.0]), np.array([1, 2, 1]),
                                       np.stack([x[0], x[1], x[2]]), 2000.0)
    assert metrics.column("time_s").to_pylist() == [12.0, 20.0]
    assert summary["confirmed_tracks"] == 2


def test_score_tables_reports_bad_rows() -> None:
    truth = _straight_truth()
    x = np.zeros((2, 6))
    with pytest.raises(InputError, match=r"tracks\.csv: line 3, column 'time_s'.*not a scoring epoch"):
        score_tables(truth, np.array([1.0, 1.5]), np.array([1, 2]), x, 2000.0, epoch_time_s=np.array([1.0, 2.0]),
                     source="tracks.csv")
    with pytest.raises(InputError, match=r"row 2, column 'track_id'.*twice"):
        score_tables(truth, np.array([1.0, 1.0]), np.array([4, 4]), x, 2000.0, source="p.parquet")
    bad = x.copy()
    bad[1, 2] = np.nan
    with pytest.raises(InputError, match="row 2"):
        score_tables(truth, np.array([1.0, 2.0]), np.array([4, 4]), bad, 2000.0, source="p.parquet")


def test_default_scenario_with_noisy_picture_gives_textbook_rmse() -> None:
    """Every target followed by its own track with N(0, sigma^2) errors per axis: E|e|^2 = 3 sigma^2."""
    from airpicture.scenario import builtin_path, load_scenario
    from airpicture.truth import generate_truth

    sc = load_scenario(builtin_path("default"))
    truth = generate_truth(sc)
    epochs = np.arange(0.0, sc.duration_s + 1e-9, sc.metrics.picture_period_s)
    ep, tid, x = truth_at_epochs(truth, epochs)
    rng = np.random.default_rng(1)
    sigma, sigma_v = 5.0, 2.0
    noise = np.column_stack([rng.normal(0, sigma, (ep.size, 3)), rng.normal(0, sigma_v, (ep.size, 3))])
    metrics, targets, summary = score_tables(truth, epochs[ep], 5000 + tid, x + noise, sc.metrics.gospa_cutoff_m,
                                             epoch_time_s=epochs)
    assert summary["rmse_position_m"] == pytest.approx(sigma * np.sqrt(3), rel=0.01)
    assert summary["rmse_velocity_mps"] == pytest.approx(sigma_v * np.sqrt(3), rel=0.01)
    assert summary["tracked_fraction"] == 1.0
    assert summary["id_switches"] == summary["track_breaks"] == summary["false_tracks"] == 0
    assert summary["confirmed_tracks"] == summary["targets_scored"] == int(np.unique(tid).size)
    assert np.array_equal(metrics.column("n_truth").to_numpy(), np.bincount(ep, minlength=epochs.size))
    assert sum(metrics.column("n_missed").to_pylist()) == 0
