"""Helpers of the report tests: a small results folder (the truth stage's output written directly, so these
tests do not depend on the engine's wiring) with synthetic later-stage tables in the results-folder schemas, and
real results folders of the built-in ``teaching`` scenario run end to end by the engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import tomli_w

from airpicture.io import write_json, write_parquet
from airpicture.scenario import builtin_path, parse_scenario, read_toml, scenario_to_toml_dict
from airpicture.tables import targets_table, truth_table
from airpicture.testing.results import synthesize_stages
from airpicture.truth import generate_truth

SMALL_SCENARIO = {
    "name": "small",
    "description": "A few threats of every kind against one battery, five simulated minutes",
    "seed": 11,
    "duration_s": 300.0,
    "time_step_s": 1.0,
    "site": {"latitude_deg": 34.5, "longitude_deg": -38.2, "altitude_m": 20.0},
    "assets": [{"name": "airbase", "e_m": 0.0, "n_m": 0.0, "radius_m": 2000.0},
               {"name": "port", "latitude_deg": 34.35, "longitude_deg": -38.0, "radius_m": 1500.0}],
    "sensors": [{"kind": "surveillance_radar", "id": 7, "name": "search", "e_m": 500.0, "n_m": 800.0,
                 "antenna_height_m": 25.0, "scan_period_s": 6.0, "max_range_m": 200000.0},
                {"kind": "surveillance_radar", "id": 9, "name": "gap filler", "latitude_deg": 34.52,
                 "longitude_deg": -38.21, "scan_period_s": 3.0, "max_range_m": 80000.0}],
    "batteries": [{"name": "battery-1", "e_m": 1500.0, "n_m": -1000.0, "defends": ["airbase", "port"],
                   "launchers": 4, "rounds_per_launcher": 4}],
    "raids": [
        {"name": "jets", "kind": "aircraft", "count": 5, "asset": "airbase", "azimuth_min_deg": 330.0,
         "azimuth_max_deg": 30.0, "start_distance_m": 90000.0, "speed_mps": 300.0, "height_m": 5000.0},
        {"name": "cm", "kind": "cruise_missile", "count": 8, "asset": "port", "launch_spread_s": 60.0,
         "azimuth_min_deg": 60.0, "azimuth_max_deg": 120.0, "start_distance_m": 50000.0, "speed_mps": 250.0,
         "height_m": 40.0, "profile": {"kind": "cruise"}},
        {"name": "drones", "kind": "drone", "count": 6, "asset": "airbase", "azimuth_min_deg": 200.0,
         "azimuth_max_deg": 260.0, "start_distance_m": 12000.0, "speed_mps": 55.0, "height_m": 800.0},
        {"name": "bm", "kind": "ballistic_missile", "count": 2, "asset": "airbase", "launch_start_s": 20.0,
         "azimuth_min_deg": 10.0, "azimuth_max_deg": 40.0, "start_distance_m": 150000.0,
         "profile": {"kind": "ballistic", "apogee_m": 50000.0}},
    ],
    "civil_traffic": [{"name": "airliners", "count": 4, "start_s": -900.0, "spread_s": 900.0,
                       "area_radius_m": 200000.0, "max_offset_m": 100000.0}],
}


def write_truth_run(folder: Path, scenario: dict | None = None) -> Path:
    """A results folder as the truth stage writes it: scenario.toml, summary.json, truth and targets tables."""
    sc = parse_scenario(scenario or SMALL_SCENARIO, "test scenario")
    truth = generate_truth(sc)
    folder.mkdir(parents=True, exist_ok=True)
    write_parquet(folder / "truth.parquet", truth_table(truth))
    write_parquet(folder / "targets.parquet", targets_table(truth, sc))
    (folder / "scenario.toml").write_bytes(tomli_w.dumps(scenario_to_toml_dict(sc)).encode())
    write_json(folder / "summary.json", {"scenario": sc.name, "targets": {"total": truth.n_targets}})
    return folder


def write_full_run(folder: Path, seed: int = 5) -> Path:
    """A results folder with every table: the truth stage's plus synthetic later stages."""
    write_truth_run(folder)
    synthesize_stages(folder, np.random.default_rng(seed))
    return folder


def write_teaching_run(folder: Path, **changes: Any) -> Path:
    """A real results folder (report.html included): the built-in teaching scenario (8 targets, 300 s, about a
    second to run) with ``changes`` replacing its top-level fields, e.g. ``batteries=[]``."""
    from airpicture.engine import run_scenario, write_run

    path = builtin_path("teaching")
    scenario = parse_scenario({**read_toml(path), **changes}, str(path), base_dir=path.parent)
    return write_run(run_scenario(scenario), folder)


def teaching_batteries(**changes: Any) -> list[dict[str, Any]]:
    """The teaching scenario's batteries with ``changes`` applied to each (e.g. ``fire_channels=1``)."""
    return [{**b, **changes} for b in read_toml(builtin_path("teaching"))["batteries"]]
