"""The sensing stage: determinism, independence from how time is cut into windows, kills, looks, ordering."""

from __future__ import annotations

import functools
import io
import itertools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from airpicture.detections import DETECTION_COLUMNS, DetectionLabels, Detections
from airpicture.io import write_parquet
from airpicture.sensors import SensingStage, simulate_detections
from airpicture.sensors.radar import RadarSimulator
from tests.radar_support import FRAME, at_height, scenario, straight_truth

SENSORS = [
    {"id": 7, "scan_period_s": 4.0, "start_azimuth_deg": 30.0, "pfa": 1e-5, "max_range_m": 80e3,
     "swerling": 1, "range_rate": True},
    {"id": 2, "scan_period_s": 2.5, "e_m": 3000.0, "n_m": -2000.0, "antenna_height_m": 30.0, "pfa": 1e-5,
     "max_range_m": 60e3, "swerling": 3, "clutter": [{"range_max_m": 10e3, "false_alarms_per_scan": 3.0}]},
]
DURATION = 40.0


def make_truth(n: int = 40, seed: int = 1):
    rng = np.random.default_rng(seed)
    bearing = rng.uniform(0, 2 * np.pi, n)
    dist = rng.uniform(5e3, 55e3, n)
    p = at_height(dist * np.sin(bearing), dist * np.cos(bearing), rng.uniform(100, 9000, n))
    heading = rng.uniform(0, 2 * np.pi, n)
    speed = rng.uniform(30, 600, n)
    v = np.column_stack([speed * np.sin(heading), speed * np.cos(heading), np.zeros(n)])
    start = rng.uniform(-10, 20, n)
    return straight_truth(p, v, rcs_m2=rng.uniform(0.1, 5, n), start_s=np.maximum(start, 0.0),
                          end_s=np.maximum(start, 0.0) + rng.uniform(5, 40, n), step_s=1.0, duration_s=DURATION)


SCENARIO = scenario(SENSORS, duration_s=DURATION)
TRUTH = make_truth()
NO_KILLS = np.full(TRUTH.n_targets, np.inf)


@functools.cache
def whole_run() -> tuple[Detections, DetectionLabels]:
    return simulate_detections(SCENARIO, TRUTH)


def windows(stage: SensingStage, edges, kills=NO_KILLS) -> tuple[Detections, DetectionLabels]:
    dets, labs = [], []
    for t0, t1 in itertools.pairwise(edges):
        d, lab, looks = stage.between(t0, t1, kills)
        assert [lk.sensor_id for lk in looks] == [7, 2]
        dets.append(d)
        labs.append(lab)
    return Detections.concat(dets), DetectionLabels.concat(labs)


def assert_same(a: tuple[Detections, DetectionLabels], b: tuple[Detections, DetectionLabels]) -> None:
    for f in DETECTION_COLUMNS:
        np.testing.assert_array_equal(getattr(a[0], f), getattr(b[0], f), err_msg=f)
    np.testing.assert_array_equal(a[1].target_id, b[1].target_id)
    np.testing.assert_array_equal(a[1].merged, b[1].merged)


def test_whole_run_is_sorted_and_has_both_sensors_targets_and_false_alarms() -> None:
    det, lab = whole_run()
    t, s = det.time_s, det.sensor_id
    assert np.all((t[1:] > t[:-1]) | ((t[1:] == t[:-1]) & (s[1:] >= s[:-1])))  # sorted by (time, sensor)
    assert set(det.sensor_id.tolist()) == {7, 2}
    assert (lab.target_id >= 0).sum() > 100 and (lab.target_id == -1).sum() > 10
    assert np.all(det.time_s >= 0) and np.all(det.time_s < DURATION)
    assert np.all(np.isnan(det.range_rate_mps[det.sensor_id == 2]))
    assert not np.any(np.isnan(det.range_rate_mps[det.sensor_id == 7]))
    assert np.all((det.azimuth_deg >= 0) & (det.azimuth_deg < 360))
    # targets appear only inside their lives
    real = lab.target_id >= 0
    assert np.all(det.time_s[real] >= TRUTH.targets.start_s[lab.target_id[real]])
    assert np.all(det.time_s[real] <= TRUTH.targets.end_s[lab.target_id[real]])


def test_windows_of_any_size_give_the_whole_run() -> None:
    whole = whole_run()
    for step in (1.0, 0.7, 3.3, 10.0):
        edges = np.append(np.arange(0.0, DURATION, step), DURATION)
        assert_same(windows(SensingStage(SCENARIO, TRUTH, FRAME), edges), whole)


@settings(max_examples=15, deadline=None)
@given(cuts=st.lists(st.floats(0.0, DURATION), min_size=0, max_size=25))
def test_random_partitions_give_the_whole_run(cuts: list[float]) -> None:
    edges = np.unique(np.concatenate([[0.0, DURATION], cuts]))
    assert_same(windows(SensingStage(SCENARIO, TRUTH, FRAME), edges), whole_run())


def test_kills_remove_a_target_from_its_kill_time_on_and_nothing_else() -> None:
    whole_det, whole_lab = whole_run()
    victims = np.unique(whole_lab.target_id[whole_lab.target_id >= 0])[:5]
    kills = NO_KILLS.copy()
    kills[victims] = 12.0 + np.arange(victims.size) * 3.0
    det, lab = windows(SensingStage(SCENARIO, TRUTH, FRAME), np.arange(0.0, DURATION + 0.5, 1.0), kills)
    real = whole_lab.target_id >= 0
    dropped = np.zeros(len(whole_lab), dtype=bool)
    dropped[real] = kills[whole_lab.target_id[real]] <= whole_det.time_s[real]
    assert dropped.sum() > 0
    assert_same((det, lab), (whole_det.take(~dropped), whole_lab.take(~dropped)))


def test_looks_describe_each_sensors_sweep() -> None:
    stage = SensingStage(SCENARIO, TRUTH, FRAME)
    _, _, looks = stage.between(5.0, 6.0, NO_KILLS)
    first, second = looks
    assert (first.sensor_id, first.start_s, first.end_s) == (7, 5.0, 6.0)
    assert first.az_start_deg == (30.0 + 360.0 * 5.0 / 4.0) % 360.0
    assert first.sweep_deg == 90.0
    assert second.az_start_deg == (360.0 * 5.0 / 2.5) % 360.0 and second.sweep_deg == 144.0
    _, _, looks = stage.between(6.0, 16.0, NO_KILLS)
    assert [lk.sweep_deg for lk in looks] == [360.0, 360.0]


def test_a_scan_does_not_depend_on_other_scans() -> None:
    radar = SCENARIO.sensors[0]
    a = RadarSimulator(radar, FRAME, TRUTH, seed=SCENARIO.seed, sensor_index=0)
    for k in range(5):
        a.scan(k)
    b = RadarSimulator(radar, FRAME, TRUTH, seed=SCENARIO.seed, sensor_index=0)
    assert_same(a.scan(5), b.scan(5))
    c = RadarSimulator(radar, FRAME, TRUTH, seed=SCENARIO.seed + 1, sensor_index=0)
    assert not np.array_equal(a.scan(5)[0].range_m, c.scan(5)[0].range_m)


def parquet_bytes(det: Detections, lab: DetectionLabels, folder) -> tuple[bytes, bytes]:
    write_parquet(folder / "d.parquet", det.to_table())
    write_parquet(folder / "l.parquet", lab.to_table(det))
    return (folder / "d.parquet").read_bytes(), (folder / "l.parquet").read_bytes()


def test_same_seed_gives_byte_identical_parquet_in_another_process(tmp_path) -> None:
    det, lab = simulate_detections(SCENARIO, TRUTH)
    (tmp_path / "a").mkdir()
    here = parquet_bytes(det, lab, tmp_path / "a")
    code = (
        "import sys; from pathlib import Path\n"
        "from tests.test_radar_stage import SCENARIO, TRUTH, parquet_bytes\n"
        "from airpicture.sensors import simulate_detections\n"
        "d, l = simulate_detections(SCENARIO, TRUTH)\n"
        "out = Path(sys.argv[1]); out.mkdir()\n"
        "parquet_bytes(d, l, out)\n"
    )
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "b")], check=True, cwd=str(root))
    there = ((tmp_path / "b" / "d.parquet").read_bytes(), (tmp_path / "b" / "l.parquet").read_bytes())
    assert here == there
    table = pq.read_table(io.BytesIO(here[0]))
    assert table.column_names == list(DETECTION_COLUMNS)
