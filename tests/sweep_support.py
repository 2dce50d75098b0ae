"""Helpers of the sweep tests: a tiny scenario (a few targets, one minute) and sweep files around it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import tomli_w

TINY_SCENARIO = """
name = "tiny"
description = "Three threats, one radar, one battery, one simulated minute"
seed = 3
duration_s = 60.0
time_step_s = 1.0

[site]
latitude_deg = 34.5
longitude_deg = -38.2

[[assets]]
name = "base"
e_m = 0.0
n_m = 0.0
radius_m = 2000.0

[[sensors]]
kind = "surveillance_radar"
id = 1
scan_period_s = 4.0
max_range_m = 60000.0

[[batteries]]
name = "battery"
defends = ["base"]

[[raids]]
name = "cruise"
kind = "cruise_missile"
count = 3
asset = "base"
launch_spread_s = 20.0
azimuth_min_deg = 10.0
azimuth_max_deg = 50.0
start_distance_m = 15000.0
speed_mps = 250.0
height_m = 100.0

[[raids]]
name = "drones"
kind = "drone"
count = 1
asset = "base"
start_distance_m = 5000.0
speed_mps = 50.0
height_m = 500.0
"""


def write_tiny(folder: Path) -> Path:
    path = folder / "tiny.toml"
    path.write_text(TINY_SCENARIO, encoding="utf-8")
    return path


def sweep_data(**changes: Any) -> dict[str, Any]:
    """A sweep over the tiny scenario: 3 raid sizes x 2 doctrines x 2 seeds (12 runs)."""
    data: dict[str, Any] = {
        "name": "tiny-sweep",
        "scenario": "tiny.toml",
        "seed": 11,
        "seeds_per_point": 2,
        "grid": {"raids[0].count": [1, 2, 4], "batteries[0].doctrine": ["salvo", "shoot_look_shoot"]},
    }
    data.update(changes)
    return data


def write_sweep(folder: Path, name: str = "sweep.toml", **changes: Any) -> Path:
    write_tiny(folder)
    path = folder / name
    path.write_bytes(tomli_w.dumps(sweep_data(**changes)).encode())
    return path


def without_wall_time(table: pa.Table) -> pa.Table:
    return table.drop_columns(["wall_time_s"])
