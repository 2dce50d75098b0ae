"""Helpers of the decision-log and explanation tests: a one-threat scenario the tests bend to produce each cause of
a leak, run end to end by the engine. No tests here.

The base: an airbase (2 km leak radius) at the site with a radar (20 m antenna, 2 s rotation, strong echoes) and
a battery beside it (Pk 1 and a 10 km correction radius: it kills what it engages unless a test says otherwise);
one combat aircraft ("strike-001") flying straight at it from 60 km at 300 m/s and 3 km
height, so it is in view, detected and tracked within seconds and would reach the airbase's radius at
(60 - 2) km / 300 m/s = 193 s; the run lasts 240 s.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from airpicture.engine import run_scenario, write_run
from airpicture.scenario import parse_scenario

THREAT = "strike-001"

BASE: dict[str, Any] = {
    "name": "one-threat",
    "description": "One combat aircraft against one battery",
    "seed": 4,
    "duration_s": 240.0,
    "time_step_s": 1.0,
    "site": {"latitude_deg": 34.5, "longitude_deg": -38.2, "altitude_m": 0.0},
    "assets": [{"name": "airbase", "e_m": 0.0, "n_m": 0.0, "radius_m": 2000.0}],
    "sensors": [{"kind": "surveillance_radar", "id": 1, "name": "search", "e_m": 0.0, "n_m": 0.0,
                 "antenna_height_m": 20.0, "scan_period_s": 2.0, "max_range_m": 100000.0, "swerling": 0,
                 "sensitivity": {"kind": "reference", "snr_db": 30.0, "range_m": 100000.0, "rcs_m2": 1.0},
                 "accuracy": {"kind": "fixed", "range_m": 20.0, "azimuth_deg": 0.1, "elevation_deg": 0.1}}],
    "batteries": [{"name": "battery-1", "e_m": 500.0, "n_m": 0.0, "defends": ["airbase"], "pk": {"aircraft": 1.0},
                   "correction_radius_m": 10000.0}],
    "raids": [{"name": "strike", "kind": "aircraft", "count": 1, "asset": "airbase", "launch_start_s": 0.0,
               "launch_spread_s": 0.0, "azimuth_min_deg": 10.0, "azimuth_max_deg": 10.0,
               "start_distance_m": 60000.0, "speed_mps": 300.0, "height_m": 3000.0, "rcs_m2": 5.0}],
}


def scenario_dict(**changes: Any) -> dict[str, Any]:
    """The base scenario with dotted-key changes: ``{"batteries.0.fire_channels": 0}`` or whole fields."""
    data = copy.deepcopy(BASE)
    for key, value in changes.items():
        parts = key.split("__")
        node: Any = data
        for p in parts[:-1]:
            node = node[int(p)] if p.isdigit() else node.setdefault(p, {})
        last = parts[-1]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return data


def one_threat_run(folder: Path, **changes: Any) -> Path:
    """Run the base scenario with ``changes`` (keys joined by double underscores, e.g.
    ``batteries__0__fire_channels=0``) and write its results folder (no report: faster)."""
    sc = parse_scenario(scenario_dict(**changes), "test scenario")
    return write_run(run_scenario(sc), folder, report=False)
