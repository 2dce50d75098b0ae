"""The Python API (``import airpicture as ap``) against the command line it mirrors: the same files byte for
byte, the same tracks, the same sweep rows, the same validation messages; and a cheap ``import airpicture``."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
import tomli_w

import airpicture as ap
from airpicture.detections import Detections
from airpicture.errors import InputError
from airpicture.geodesy import LocalFrame
from airpicture.scenario import FixedAccuracy, Radar
from airpicture.sensors.placement import radar_geometry
from airpicture.sweep.spec import plan_sweep
from airpicture.testing.detections import linear_targets, scan
from tests.conftest import run_cli
from tests.sweep_support import without_wall_time, write_tiny


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return write_tiny(tmp_path_factory.mktemp("api"))


@pytest.fixture(scope="module")
def cli_run(tiny: Path) -> Path:
    """``airpicture run tiny.toml --seed 5`` in a fresh process: the reference folder."""
    out = tiny.parent / "cli-run"
    r = run_cli("run", str(tiny), "--seed", "5", "--out", str(out), "--quiet")
    assert r.returncode == 0, r.stderr
    return out


@pytest.fixture(scope="module")
def mem_run(tiny: Path) -> ap.Run:
    return ap.run(tiny, seed=5)


def test_import_is_cheap() -> None:
    code = ("import sys, airpicture as ap; ap.load_scenario('teaching'); ap.Run; "
            "print(sorted(m for m in ('numba', 'scipy', 'plotly', 'matplotlib', 'dask', 'pandas') "
            "if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "[]"


def test_top_level_names() -> None:
    from airpicture import api

    assert ap.run is api.run and ap.Simulation is api.Simulation and ap.load_run is api.load_run
    assert callable(ap.sweep) and "sweep" in dir(ap)
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        ap.nonsense  # noqa: B018


def test_with_overrides_applies_and_revalidates() -> None:
    base = ap.load_scenario("teaching")
    changed = base.with_overrides({"raids[0].count": 12, "batteries[0].doctrine": "shoot_look_shoot", "seed": 4})
    assert changed.raids[0].count == 12 and changed.batteries[0].doctrine == "shoot_look_shoot"
    assert changed.seed == 4
    assert base.raids[0].count != 12  # the original is unchanged (frozen)
    assert changed.with_overrides({}) == changed


@pytest.mark.parametrize("path, value", [
    ("raids[9].count", 3),             # no such list entry
    ("raids[0].cuont", 3),             # typo: a suggestion
    ("raids[0].count", -1),            # a value the schema refuses
    ("batteries[0].doctrine", "both"),  # not one of the choices
    ("raids.count", 2),                # a list without an index
])
def test_override_messages_are_the_sweeps(tmp_path: Path, path: str, value: object) -> None:
    """The same path or value in a sweep grid and in with_overrides: the same message after the field name."""
    write_tiny(tmp_path)
    sweep = {"name": "s", "scenario": "tiny.toml", "seeds_per_point": 1, "grid": {path: [value]}}
    with pytest.raises(InputError) as from_sweep:
        plan_sweep(sweep, "sweep.toml", tmp_path)
    with pytest.raises(InputError) as from_api:
        ap.load_scenario(tmp_path / "tiny.toml").with_overrides({path: value})
    (s,), (a,) = from_sweep.value.problems, from_api.value.problems
    assert s.field.startswith(f'grid."{path}"') and a.field == f'overrides."{path}"'
    assert a.message == s.message
    assert from_api.value.source == "scenario 'tiny'"


def test_run_save_writes_the_cli_folder_byte_for_byte(mem_run: ap.Run, cli_run: Path, tmp_path: Path) -> None:
    saved = mem_run.save(tmp_path / "saved")
    ref = _digest(cli_run)
    assert {"truth.parquet", "picture.parquet", "events.parquet", "report.html", "summary.json"} <= set(ref)
    assert _digest(saved) == ref


def test_run_into_a_folder_is_the_cli_folder(tiny: Path, cli_run: Path, tmp_path: Path) -> None:
    run = ap.run(tiny, seed=5, out=tmp_path / "out")
    assert run.folder == tmp_path / "out"
    assert _digest(tmp_path / "out") == _digest(cli_run)
    assert run.summary == ap.load_run(cli_run).summary


def test_tables_as_dataframes_and_arrow(mem_run: ap.Run, cli_run: Path) -> None:
    loaded = ap.load_run(cli_run)
    assert mem_run.names == loaded.names
    for name in mem_run.names:
        on_disk = pq.read_table(cli_run / f"{name}.parquet")
        assert mem_run.arrow(name).schema == on_disk.schema
        pd.testing.assert_frame_equal(mem_run.table(name), on_disk.to_pandas())
        pd.testing.assert_frame_equal(loaded.table(name), on_disk.to_pandas())
    assert isinstance(mem_run.events, pd.DataFrame) and len(mem_run.events) > 0
    assert set(mem_run.tables) == set(mem_run.names)
    assert mem_run.summary["engagement"] == loaded.summary["engagement"]
    with pytest.raises(KeyError, match="has no table 'nope'"):
        mem_run.arrow("nope")


def test_report_html_and_notebook_display(mem_run: ap.Run, cli_run: Path) -> None:
    page = mem_run.report()
    assert isinstance(page, str) and page == (cli_run / "report.html").read_text(encoding="utf-8")
    frame = page._repr_html_()
    assert frame.startswith("<iframe srcdoc=") and "<html" not in frame  # escaped into the attribute
    assert "airpicture run" in mem_run._repr_html_()


def test_load_run_refuses_what_is_not_a_results_folder(tmp_path: Path, cli_run: Path) -> None:
    with pytest.raises(InputError, match="folder not found"):
        ap.load_run(tmp_path / "missing")
    with pytest.raises(InputError, match="not a results folder"):
        ap.load_run(tmp_path)
    partial = tmp_path / "partial"
    partial.mkdir()
    for p in cli_run.iterdir():
        if p.name != "events.parquet":
            (partial / p.name).write_bytes(p.read_bytes())
    with pytest.raises(InputError, match=r"missing events\.parquet"):
        ap.load_run(partial)


def test_bad_seed_is_an_input_error(tiny: Path) -> None:
    with pytest.raises(InputError, match="seed"):
        ap.run(tiny, seed=-1)


def test_simulation_steps_are_the_run(tiny: Path, mem_run: ap.Run) -> None:
    sim = ap.Simulation(tiny, seed=5)
    steps = list(sim.steps())
    sc = sim.scenario
    assert [s.time_s for s in steps] == pytest.approx(np.arange(1, len(steps) + 1) * sc.time_step_s)
    assert len(steps) == round(sc.duration_s / sc.time_step_s)
    # the battery rows of every step are the timeline, in order
    batteries = pd.concat([s.batteries for s in steps], ignore_index=True)
    pd.testing.assert_frame_equal(batteries, mem_run.timeline)
    # every event recorded at a step is in the events table (after the run: those up to its end)
    events = pd.concat([s.events for s in steps], ignore_index=True)
    kept = events[events.time_s <= sc.duration_s]
    assert len(kept) > 0
    table = mem_run.events
    for row in kept[["time_s", "track_id", "event"]].itertuples(index=False):
        assert ((table.time_s == row.time_s) & (table.track_id == row.track_id) & (table.event == row.event)).any()
    # the picture at each epoch is picture.parquet's rows at that time
    picture = mem_run.picture
    for s in steps:
        rows = picture[np.isclose(picture.time_s, s.time_s)]
        if len(rows):
            np.testing.assert_array_equal(rows.track_id.to_numpy(), s.picture.track_id.to_numpy())
            np.testing.assert_array_equal(rows.e_m.to_numpy(), s.picture.e_m.to_numpy())
            np.testing.assert_array_equal(rows.target_id.to_numpy(), s.picture.target_id.to_numpy())
    assert sum(s.detections for s in steps) == len(mem_run.detections)
    # and the run it made is the run
    assert sim.result is not None and sim.result.summary == mem_run.summary
    for name in mem_run.names:
        pd.testing.assert_frame_equal(sim.result.table(name), mem_run.table(name))


def test_leaving_the_steps_early_leaves_no_result(tiny: Path) -> None:
    sim = ap.Simulation(tiny)
    steps = sim.steps()
    first = next(steps)
    steps.close()
    assert first.time_s == pytest.approx(1.0) and sim.result is None


SENSORS = {
    "site": {"latitude_deg": 34.5, "longitude_deg": -38.2},
    "sensors": [{"id": 3, "e_m": 100.0, "n_m": -50.0, "scan_period_s": 4.0, "max_range_m": 200000.0,
                 "accuracy": {"kind": "fixed", "range_m": 30.0, "azimuth_deg": 0.1, "elevation_deg": 0.2}}],
    "tracker": {"confirm_m": 3, "confirm_n": 4},
}


@pytest.fixture(scope="module")
def detections(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("track")
    frame = LocalFrame.at(34.5, -38.2, 0.0)
    radar = Radar.model_validate(SENSORS["sensors"][0])
    assert isinstance(radar.accuracy, FixedAccuracy)
    geo = radar_geometry(radar, frame)
    rng = np.random.default_rng(11)
    x0 = np.array([[30e3, 40e3, 5e3, -200.0, 0.0, 0.0], [-50e3, 10e3, 3e3, 100.0, 150.0, 0.0]])
    det = Detections.concat([scan(linear_targets(x0), 2, radar, geo, k, rng, pd=0.95, false_alarms=3.0)[0]
                             for k in range(25)])
    pacsv.write_csv(det.to_table(), d / "det.csv")
    (d / "sensors.toml").write_bytes(tomli_w.dumps(SENSORS).encode())
    return d


def test_track_is_the_track_command(detections: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli"
    r = run_cli("track", str(detections / "det.csv"), "--sensor", str(detections / "sensors.toml"), "--out", str(out),
                "--picture-period", "4", "--quiet")
    assert r.returncode == 0, r.stderr
    tracks_ref = pq.read_table(out / "tracks.parquet").to_pandas()
    picture_ref = pq.read_table(out / "picture.parquet").to_pandas()
    frame = pd.read_csv(detections / "det.csv")
    for sensors in (detections / "sensors.toml", SENSORS["sensors"]):
        tracker = None if not isinstance(sensors, list) else SENSORS["tracker"]
        site = None if not isinstance(sensors, list) else SENSORS["site"]
        got = ap.track(frame, sensors, tracker=tracker, picture_period=4.0, site=site)
        pd.testing.assert_frame_equal(got.tracks, tracks_ref)
        assert got.picture is not None
        pd.testing.assert_frame_equal(got.picture, picture_ref)
        assert got.stats["confirmed"] >= 2
    assert ap.track(detections / "det.csv", detections / "sensors.toml").picture is None


def test_track_input_errors_name_the_row(detections: Path) -> None:
    frame = pd.read_csv(detections / "det.csv")
    frame.loc[3, "range_m"] = -5.0
    with pytest.raises(InputError, match=r"detections: row 4, column .range_m."):
        ap.track(frame, detections / "sensors.toml")
    with pytest.raises(InputError, match="sensors\\[0\\]"):
        ap.track(frame, [{"id": 3, "scan_period": 4.0}])


def test_sweep_returns_the_cli_rows(tiny: Path, tmp_path: Path) -> None:
    sweep_file = tiny.parent / "sweep.toml"
    sweep_file.write_bytes(tomli_w.dumps({"name": "tiny-sweep", "scenario": "tiny.toml", "seed": 11,
                                          "seeds_per_point": 2, "grid": {"raids[0].count": [1, 2]}}).encode())
    r = run_cli("sweep", str(sweep_file), "--out", str(tmp_path / "cli"), "--workers", "1", "--quiet")
    assert r.returncode == 0, r.stderr
    ref = without_wall_time(pq.read_table(tmp_path / "cli" / "sweep.parquet")).to_pandas()
    rows = ap.sweep(ap.load_scenario(tiny), grid={"raids[0].count": [1, 2]}, seeds=2, seed=11, workers=1)
    assert len(rows) == 4
    pd.testing.assert_frame_equal(rows.drop(columns=["wall_time_s"]), ref)
    # with a folder: kept, and the same call resumes it (nothing re-run: identical wall times)
    folder = tmp_path / "kept"
    first = ap.sweep(tiny, grid={"raids[0].count": [1, 2]}, seeds=2, seed=11, workers=1, out=folder)
    assert (folder / "sweep.parquet").is_file()
    again = ap.sweep(tiny, grid={"raids[0].count": [1, 2]}, seeds=2, seed=11, workers=1, out=folder)
    pd.testing.assert_frame_equal(first, again)
    with pytest.raises(InputError, match=r'grid."raids\[0\].cuont"'):
        ap.sweep(tiny, grid={"raids[0].cuont": [1]}, seeds=1)
