"""What the report draws, checked against independent computations: decimation (brute force), interpolation
(np.interp per target), the radar's polar coordinates (pymap3d, and the sensing stage's SensorGeometry), the
engagement timeline (hand-worked events) and the key figures and scan choice (pandas on the Parquet files)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pymap3d
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airpicture.geodesy import LocalFrame
from airpicture.report.decimate import bucket_series, nice_step, path_keep, with_breaks
from airpicture.report.engagements import engagement_timeline
from airpicture.report.keyfigures import key_figures
from airpicture.report.load import load_run
from airpicture.report.mapdata import (
    SortedTruth,
    frame_step,
    kill_times,
    picture_frames,
    position_at,
    sorted_truth,
    truth_paths,
)
from airpicture.report.ppi import choose_scan, scan_view, sensor_polar
from airpicture.sensors.geometry import SensorGeometry, cartesian_to_polar
from tests.test_report_support import teaching_batteries, write_full_run, write_teaching_run


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_full_run(tmp_path_factory.mktemp("report_data") / "run")


@pytest.fixture(scope="module")
def run(run_dir: Path):
    return load_run(run_dir)


# ------------------------------------------------------------------------------------------------ decimation
rows_strategy = st.lists(st.tuples(st.integers(0, 5), st.floats(0, 500, allow_nan=False)), min_size=0, max_size=80)


@settings(max_examples=150, deadline=None)
@given(rows=rows_strategy, step=st.sampled_from([1.0, 7.0, 30.0]))
def test_path_keep_against_brute_force(rows: list[tuple[int, float]], step: float) -> None:
    rows = sorted(set(rows))
    owner = np.array([r[0] for r in rows], dtype=np.int64)
    t = np.array([r[1] for r in rows], dtype=float)
    keep = path_keep(owner, t, step)
    expected = []
    for i, (o, ti) in enumerate(rows):
        first = i == 0 or rows[i - 1][0] != o
        last = i == len(rows) - 1 or rows[i + 1][0] != o
        new_bucket = first or (ti // step) != (rows[i - 1][1] // step)
        expected.append(first or last or new_bucket)
    assert keep.tolist() == expected


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=300),
       max_points=st.integers(1, 50))
def test_bucket_series_keeps_the_peaks(values: list[float], max_points: int) -> None:
    v = np.array(values)
    t = np.arange(v.size, dtype=float)
    tt, vv = bucket_series(t, v, max_points)
    assert tt.size <= max(max_points, 1) or tt.size == v.size <= max_points
    assert vv.max() == v.max()
    size = int(np.ceil(v.size / max_points)) if v.size > max_points else 1
    for j, start in enumerate(range(0, v.size, size)):
        assert vv[j] == max(values[start:start + size])
        assert tt[j] == start


def test_with_breaks_separates_owners() -> None:
    owner = np.array([3, 3, 4, 9, 9, 9])
    x = np.arange(6.0)
    (out,) = with_breaks(owner, x)
    assert np.isnan(out).sum() == 2
    assert out[~np.isnan(out)].tolist() == x.tolist()
    assert np.flatnonzero(np.isnan(out)).tolist() == [2, 4]


def test_nice_step_is_round_and_bounded() -> None:
    assert nice_step(900.0, 100, 1.0) == 10.0
    assert nice_step(86400.0, 100, 1.0) == 900.0
    assert nice_step(60.0, 100, 1.0) == 1.0
    assert nice_step(900.0, 100, 4.0) == 12.0  # a multiple of the truth step


# ------------------------------------------------------------------------------------------------ positions
def test_position_at_matches_np_interp_per_target() -> None:
    rng = np.random.default_rng(4)
    tids, times, es, ns = [], [], [], []
    for k in range(5):
        t = np.sort(rng.uniform(0, 100, 12))
        tids.append(np.full(t.size, k))
        times.append(t)
        es.append(rng.normal(0, 1e4, t.size))
        ns.append(rng.normal(0, 1e4, t.size))
    tid = np.concatenate(tids)
    st_ = SortedTruth(tid, np.concatenate(times), np.concatenate(es), np.concatenate(ns), np.zeros(tid.size), None,
                      None, np.zeros(tid.size), [("drone", True)], np.zeros(5, dtype=np.int64))
    q_tid = rng.integers(0, 5, 200)
    q_t = rng.uniform(-10, 110, 200)
    e, n, _ = position_at(st_, q_tid, q_t)
    for k in range(5):
        m = q_tid == k
        np.testing.assert_allclose(e[m], np.interp(q_t[m], times[k], es[k]) * 1e-3, rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(n[m], np.interp(q_t[m], times[k], ns[k]) * 1e-3, rtol=1e-12, atol=1e-9)


def test_sensor_polar_agrees_with_pymap3d_and_sensor_geometry() -> None:
    frame = LocalFrame.at(34.5, -38.2, 20.0)
    rng = np.random.default_rng(8)
    antenna_en = (35_000.0, -52_000.0)
    height = 30.0
    antenna = np.array([*antenna_en, float(frame.up_from_height(*antenna_en, height))])
    e = rng.uniform(-250e3, 250e3, 50)
    n = rng.uniform(-250e3, 250e3, 50)
    u = frame.up_from_height(e, n, rng.uniform(0, 20e3, 50))
    r, az, el = sensor_polar(frame, antenna, np.column_stack([e, n, u]))
    # pymap3d: the antenna and the points as WGS84 positions, then azimuth/elevation/range at the antenna
    lat, lon, h = pymap3d.enu2geodetic(e, n, u, 34.5, -38.2, 20.0)
    alat, alon, ah = pymap3d.enu2geodetic(*antenna, 34.5, -38.2, 20.0)
    az_ref, el_ref, r_ref = pymap3d.geodetic2aer(lat, lon, h, alat, alon, ah)
    np.testing.assert_allclose(r, r_ref, rtol=1e-9)
    np.testing.assert_allclose(np.degrees(az), az_ref, atol=1e-7)
    np.testing.assert_allclose(np.degrees(el), el_ref, atol=1e-7)
    geo = SensorGeometry.at(1, frame, *antenna_en, height)
    r2, az2, el2 = cartesian_to_polar(geo.to_local(np.column_stack([e, n, u])))
    np.testing.assert_allclose(r, r2, rtol=1e-9)
    np.testing.assert_allclose(az, az2, atol=1e-9)
    np.testing.assert_allclose(el, el2, atol=1e-9)


# ------------------------------------------------------------------------------------------------ engagements
def _events(rows: list[tuple]) -> dict[str, np.ndarray]:
    cols = list(zip(*rows, strict=True))
    return {"time_s": np.array(cols[0], float), "target_id": np.array(cols[1], np.int64),
            "event": np.array(cols[2], object), "interceptors": np.array(cols[3], float),
            "intercept_time_s": np.array(cols[4], float), "battery": np.array(["b"] * len(rows), object),
            "detail": np.array([""] * len(rows), object)}


def test_engagement_timeline_by_hand() -> None:
    nan = np.nan
    events = _events([
        (3.0, 4, "no-channel", 0, nan),
        (5.0, 0, "engage", 1, 30.0), (8.0, 0, "launch", 1, 30.0), (30.0, 0, "miss", 1, 30.0),
        (10.0, 2, "engage", 2, 40.0), (15.0, 2, "launch", 1, 40.0), (18.0, 2, "launch", 1, 43.0),
        (43.0, 2, "miss", 2, 43.0), (50.0, 2, "engage", 1, 70.0), (55.0, 2, "launch", 1, 70.0),
        (70.0, 2, "kill", 1, 70.0),
        (20.0, 3, "engage", 2, nan),
        (60.0, 0, "leak", 0, nan), (300.0, 3, "survived", 0, nan),
    ])
    targets = {"target_id": np.arange(5), "kind": np.array(["drone"] * 5, object),
               "hostile": np.array([True, True, True, True, False]),
               "callsign": np.array(["a", "b", "c", "d", "e"], object)}
    tl = engagement_timeline(events, targets)
    assert tl.target_id.tolist() == [0, 2, 3]
    assert tl.outcome.tolist() == ["leak", "kill", "survived"]
    assert tl.first_s.tolist() == [5.0, 10.0, 20.0]
    assert tl.last_s.tolist() == [30.0, 70.0, 20.0]
    assert tl.label == ["a · drone", "c · drone", "d · drone"]
    assert tl.flyout_row.tolist() == [0, 1, 1, 1]
    assert sorted(zip(tl.flyout_start_s.tolist(), tl.flyout_end_s.tolist(), strict=True)) == [
        (8.0, 30.0), (15.0, 40.0), (18.0, 43.0), (55.0, 70.0)]
    assert tl.mark_row["kill"].tolist() == [1] and tl.mark_time_s["kill"].tolist() == [70.0]
    assert tl.mark_row["leak"].tolist() == [0]
    assert tl.mark_row["miss"].tolist() == [0, 1]


# ------------------------------------------------------------------------------------------------ whole-run views
def _read(run_dir: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(run_dir / f"{name}.parquet")


def test_key_figures_match_pandas(run, run_dir: Path) -> None:
    ev = _read(run_dir, "events")
    tg = _read(run_dir, "targets")
    hostile = set(tg.target_id[tg.hostile])
    engaged = set(ev.target_id[ev.event.isin(["engage", "launch"])])
    killed = set(ev.target_id[ev.event == "kill"])
    leaked = set(ev.target_id[ev.event == "leak"]) - killed
    survived = hostile - killed - leaked
    figures = {label: value for _, label, value in key_figures(run, sorted_truth(run))}
    assert figures["Threats engaged"] == f"{len(engaged & hostile)} of {len(hostile)}"
    assert figures["Threats killed"] == str(len(killed & hostile))
    assert figures["Leakers (threats that reached their asset)"] == str(len(leaked & hostile))
    assert figures["Threats that survived (neither killed nor leaked by the end)"] == str(len(survived))
    assert figures["Outcome of every threat (killed + leaked + survived = threats)"] == (
        f"{len(killed & hostile)} + {len(leaked & hostile)} + {len(survived)} = {len(hostile)}")
    assert figures["Interceptors launched"] == str(int(ev.interceptors[ev.event == "launch"].sum()))
    tl = _read(run_dir, "timeline")
    assert figures["Most fire channels busy (of)"] == f"{tl.channels_busy.max():.0f} ({tl.fire_channels.max():.0f})"
    truth = _read(run_dir, "truth")
    kill_t = ev[ev.event == "kill"].groupby("target_id").time_s.min()
    cut = truth.time_s.to_numpy() <= truth.target_id.map(kill_t).fillna(np.inf).to_numpy()
    assert figures["Most targets in the sky at once"] == str(truth[cut].groupby("time_s").size().max())
    assert killed, "the synthetic run should contain kills for this test to mean something"


OUTCOME = "Outcome of every threat (killed + leaked + survived = threats)"
FIRST_SATURATION = "First saturation (a threat had to wait: no channel, no interceptor or no track slot)"
WAITS = "Waits for a saturated resource (episodes, not threats: one threat may wait several times)"
NOT_ENGAGEABLE = ("Not engageable: tracks first seen out of the envelope or too late to intercept (events, once "
                  "per track and battery; not saturation)")
GIVEN_UP = "Given up: tracks that waited longer than max_wait_s (abandon events)"
FALSE_PER_EPOCH = "False tracks in the picture, mean per epoch (tracks matching no target at that epoch)"
FALSE_OVER_RUN = ("False tracks over the run (confirmed tracks that never matched any target; summary.json "
                  "tracking.false_tracks)")


@pytest.fixture(scope="module", params=["teaching", "one fire channel"])
def real_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real runs of the teaching scenario: as built in, and saturated (one fire channel, 20 s patience)."""
    changes = {} if request.param == "teaching" else {
        "batteries": teaching_batteries(fire_channels=1, max_wait_s=20.0)}
    return write_teaching_run(tmp_path_factory.mktemp("report_data") / "real", **changes)


def test_key_figures_of_a_real_run_agree_with_its_summary(real_dir: Path) -> None:
    import json

    from airpicture.engagement.fire_control import SATURATION_EVENTS
    from airpicture.report.keyfigures import SATURATION

    assert SATURATION == SATURATION_EVENTS
    run = load_run(real_dir)
    summary = json.loads((real_dir / "summary.json").read_text())
    e = summary["engagement"]
    figures = {label: value for _, label, value in key_figures(run, sorted_truth(run))}
    assert e["kills"] + e["leakers"] + e["survived"] == e["threats"]
    assert figures["Threats killed"] == str(e["kills"])
    assert figures["Leakers (threats that reached their asset)"] == str(e["leakers"])
    assert figures["Threats that survived (neither killed nor leaked by the end)"] == str(e["survived"])
    assert figures[OUTCOME] == f"{e['kills']} + {e['leakers']} + {e['survived']} = {e['threats']}"
    assert figures["Interceptors launched"] == str(e["interceptors_expended"])
    ev = _read(real_dir, "events")
    if e["first_saturation_s"] is None:
        assert figures[FIRST_SATURATION] == "none" and figures[WAITS] == "none"
    else:
        first = ev[ev.event.isin(SATURATION_EVENTS)].sort_values("time_s", kind="stable").iloc[0]
        assert first.time_s == e["first_saturation_s"]
        assert figures[FIRST_SATURATION] == f"{e['first_saturation_s']:g} s ({first.event})"
        counts = ev.event.value_counts()
        assert figures[WAITS] == (", ".join(f"{k} {counts[k]}" for k in SATURATION_EVENTS[:2] if k in counts) or "none")
    assert figures[NOT_ENGAGEABLE] == str(int((ev.event == "out-of-envelope").sum()))
    assert figures[GIVEN_UP] == str(int((ev.event == "abandon").sum()))
    assert figures[FALSE_OVER_RUN] == str(summary["tracking"]["false_tracks"])
    assert figures[FALSE_PER_EPOCH] == f"{_read(real_dir, 'metrics').n_false.mean():.1f}"


def test_the_saturated_run_shows_its_saturation(real_dir: Path) -> None:
    run = load_run(real_dir)
    figures = {label: value for _, label, value in key_figures(run, sorted_truth(run))}
    if run.scenario.batteries[0].fire_channels > 1:  # the built-in teaching run is not saturated
        assert figures[FIRST_SATURATION] == "none"
        return
    assert figures[FIRST_SATURATION] != "none" and "no-channel" in figures[WAITS]
    assert figures[GIVEN_UP] != "0"


def test_headline_shows_survived_threats(real_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from airpicture.cli import _print_headline

    summary = json.loads((real_dir / "summary.json").read_text())
    e = summary["engagement"]
    _print_headline(summary, real_dir, 0.5)
    out = " ".join(capsys.readouterr().out.split())
    assert (f"threats {e['threats']}: kills {e['kills']}, leakers {e['leakers']}, survived {e['survived']}; "
            f"interceptors {e['interceptors_expended']}") in out


def test_truth_paths_start_and_end_where_the_truth_does(run, run_dir: Path) -> None:
    st_ = sorted_truth(run)
    kills = kill_times(run)
    truth = _read(run_dir, "truth")
    truth = truth[truth.time_s.to_numpy() <= kills[truth.target_id.to_numpy()]]
    ends = truth.groupby("target_id").agg(t0=("time_s", "min"), t1=("time_s", "max"))
    paths = truth_paths(st_, 10.0)
    ident = np.concatenate([p.ident for p in paths])
    times = np.concatenate([p.time_s for p in paths])
    ok = np.isfinite(ident)
    got = pd.DataFrame({"target_id": ident[ok].astype(int), "t": times[ok]}).groupby("target_id").t.agg(["min", "max"])
    pd.testing.assert_series_equal(got["min"].sort_index(), ends.t0.sort_index(), check_names=False)
    pd.testing.assert_series_equal(got["max"].sort_index(), ends.t1.sort_index(), check_names=False)
    assert ok.sum() < len(truth) / 5, "paths should be decimated"


def test_frames_show_every_live_target_at_each_time(run, run_dir: Path) -> None:
    st_ = sorted_truth(run)
    step = frame_step(run)
    frames = picture_frames(run, st_, step)
    truth = _read(run_dir, "truth")
    kills = kill_times(run)
    truth = truth[truth.time_s.to_numpy() <= kills[truth.target_id.to_numpy()]]
    counts = truth.groupby("time_s").size()
    for f, t in enumerate(frames.times_s):
        got = sorted(np.concatenate([p.ident for p in frames.truth[f]]).astype(int).tolist())
        assert got == sorted(truth.target_id[truth.time_s == t].tolist())
        assert len(got) == counts.get(t, 0)
    pic = _read(run_dir, "picture")
    f = len(frames.times_s) // 2
    t = frames.times_s[f]
    got = sorted(np.concatenate([p.ident for p in frames.tracks[f]]).astype(int).tolist())
    assert got == sorted(pic.track_id[pic.time_s == t].tolist())


def test_scan_choice_is_the_rotation_with_most_target_detections(run, run_dir: Path) -> None:
    det = _read(run_dir, "detections")
    lab = _read(run_dir, "detection_labels")
    sensor, index = choose_scan(run)
    first = run.scenario.sensors[0]
    assert sensor.id == first.id
    mine = det[det.sensor_id == first.id].assign(target_id=lab.target_id[det.sensor_id == first.id])
    rotation = np.floor(mine.time_s / first.scan_period_s).astype(int)
    per = mine[mine.target_id >= 0].groupby(rotation[mine.target_id >= 0]).size()
    assert index == per.idxmax()
    scan = scan_view(run, sorted_truth(run), sensor, index)
    assert scan.range_km.size == int((rotation == index).sum())
    assert scan.n_false == int(((rotation == index) & (mine.target_id < 0)).sum())
    # every labelled detection's target is among the truth drawn for that rotation (in the sky during it)
    seen = set(mine.target_id[(rotation == index) & (mine.target_id >= 0)])
    assert seen <= set(scan.truth_target_id.tolist())


def test_crowded_runs_get_fewer_snapshots_and_path_points(run, monkeypatch: pytest.MonkeyPatch) -> None:
    import airpicture.report.mapdata as md

    # 300 s: 100 snapshots at most -> a 5 s step; at most 120 points per path -> 5 s
    assert md.frame_step(run) == 5.0
    assert md.path_step(run) == 5.0
    monkeypatch.setattr(md, "FRAME_POINTS_BUDGET", 1)  # -> the floor of 20 snapshots: 15 s
    monkeypatch.setattr(md, "PATH_POINTS_BUDGET", 1)  # -> the floor of 20 points per path: 15 s
    assert md.frame_step(run) == 15.0
    assert md.path_step(run) == 15.0
