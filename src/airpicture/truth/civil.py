"""Truth for civil traffic: straight level flights crossing the area around the site.

Each flight enters on a circle of ``area_radius_m`` around the site, flies a straight chord whose closest
approach to the site is uniform within ``max_offset_m``, at a uniform speed and height, and ends when it
leaves the circle. Entry times may be negative, so traffic is already present at time 0.
"""

from __future__ import annotations

import numpy as np

from airpicture.geodesy import LocalFrame
from airpicture.scenario import CivilTraffic, Scenario
from airpicture.truth.builder import TruthBuilder
from airpicture.truth.table import END_EXIT
from airpicture.truth.threats import add_straight_flights


def add_civil(builder: TruthBuilder, scenario: Scenario, traffic: CivilTraffic, frame: LocalFrame,
              rng: np.random.Generator) -> None:
    n = traffic.count
    if n == 0:
        return
    heading = rng.uniform(0.0, 2 * np.pi, n)  # clockwise from north
    offset = rng.uniform(-traffic.max_offset_m, traffic.max_offset_m, n)
    speed = rng.uniform(traffic.speed_min_mps, traffic.speed_max_mps, n)
    height = rng.uniform(traffic.height_min_m, traffic.height_max_m, n)
    t0 = traffic.start_s + rng.uniform(0.0, traffic.spread_s, n)
    u = np.stack([np.sin(heading), np.cos(heading)], axis=1)  # east, north
    normal = np.stack([u[:, 1], -u[:, 0]], axis=1)
    closest = normal * offset[:, None]
    half = np.sqrt(traffic.area_radius_m**2 - offset**2)
    start = closest - u * half[:, None]
    end = closest + u * half[:, None]
    callsigns = np.array([f"{traffic.name}-{i + 1:03d}" for i in range(n)], dtype=object)
    add_straight_flights(builder, kind=traffic.kind, hostile=False, rcs_m2=traffic.mean_rcs_m2,
                         rcs_broadside_ratio=traffic.rcs_broadside_ratio, group=traffic.name,
                         start_en=start, end_en=end, speed=speed, height=height, t0=t0,
                         duration_s=scenario.duration_s, step_s=scenario.time_step_s, frame=frame,
                         callsigns=callsigns, end_reason=END_EXIT)
