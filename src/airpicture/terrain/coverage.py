"""Low-altitude coverage of each radar over the terrain: the height above the ground at which a target becomes
visible, everywhere around the radar -- the coverage diagram of air-defence siting studies.

Along each of ``n_az`` radials from the antenna, the terrain is sampled every ``step_m`` (the radar's own axes
give the radials' directions; points on the great circle). With the effective-Earth geometry of
:mod:`airpicture.terrain.los`, each sample is seen at the slope ``y / x``; the steepest slope ``M`` of the samples
before a point masks it, and a target over that point is visible from the height ``h`` above the ground model
where its own slope reaches ``M``: ``(a + h)(cos(phi) - M sin(phi)) = a + h1``, i.e.
``h = (a + h1) / (cos(phi) - M sin(phi)) - a`` (never, if the denominator is not positive). Minus the terrain's
height there, clipped at 0, it is the height above the ground. A running maximum along each radial
(``numpy.maximum.accumulate``) does it for every radial at once.

The map for the report resamples the radials onto a square east/north grid (nearest radial and sample); the
radar's instrumented range bounds it (NaN beyond). Units: metres, radians inside.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from airpicture.columns import arrow_array
from airpicture.geodesy import LocalFrame
from airpicture.scenario import Radar, Scenario
from airpicture.sensors.geometry import SensorGeometry
from airpicture.terrain.grid import TerrainGrid

F64 = NDArray[np.float64]

#: Largest side of the report's coverage maps (cells).
MAP_CELLS = 240


@dataclass(frozen=True)
class PolarCoverage:
    """Per radial (A) and sample (S): azimuth (rad, radar axes), ground range (m), terrain height above the
    ground model (m) and the lowest visible height above the terrain (m; inf where nothing is visible)."""

    azimuth_rad: F64
    range_m: F64
    ground_m: F64
    visible_height_m: F64


def radial_points(geometry: SensorGeometry, earth_radius_m: float, azimuth_rad: F64, range_m: F64
                  ) -> tuple[F64, F64]:
    """Site east/north (A, S) of the ground points at ground ranges ``range_m`` along azimuths ``azimuth_rad``
    (clockwise from north in the radar's axes) from the ground point below the antenna."""
    r = earth_radius_m
    centre = geometry.position + np.array([0.0, 0.0, r])
    up = centre / np.linalg.norm(centre)
    east, north = geometry.rotation[0], geometry.rotation[1]  # the radar's axes in site axes
    ang = np.asarray(range_m, float)[None, :] / r
    az = np.asarray(azimuth_rad, float)[:, None]
    c, s = np.cos(ang), np.sin(ang)
    out = []
    for k in range(2):
        horiz = np.sin(az) * east[k] + np.cos(az) * north[k]
        out.append(r * (c * up[k] + s * horiz))
    return out[0], out[1]


def polar_coverage(grid: TerrainGrid, geometry: SensorGeometry, antenna_height_m: float, earth_radius_m: float,
                   k_factor: float, max_range_m: float, step_m: float, n_az: int = 720) -> PolarCoverage:
    """The lowest visible height above the terrain along ``n_az`` radials out to ``max_range_m``."""
    n_s = max(math.ceil(max_range_m / step_m), 2)
    rng = step_m * np.arange(1, n_s + 1, dtype=float)
    az = 2.0 * math.pi * np.arange(n_az) / n_az
    e, n = radial_points(geometry, earth_radius_m, az, rng)
    ground = grid.height_at(e, n)
    a = k_factor * earth_radius_m
    a1 = a + antenna_height_m
    phi = (rng / a)[None, :]
    slope = ((a + ground) * np.cos(phi) - a1) / ((a + ground) * np.sin(phi))
    steepest = np.maximum.accumulate(slope, axis=1)
    before = np.concatenate([np.full((n_az, 1), -np.inf), steepest[:, :-1]], axis=1)
    denom = np.cos(phi) - before * np.sin(phi)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.where(denom > 0.0, a1 / np.where(denom > 0.0, denom, 1.0) - a, np.inf)
    return PolarCoverage(az, rng, ground, np.maximum(h - ground, 0.0))


def coverage_map(cov: PolarCoverage, geometry: SensorGeometry, earth_radius_m: float, e: F64, n: F64) -> F64:
    """The lowest visible height above the terrain (m) at ground points (e, n) (nearest radial and sample; NaN
    beyond the last sample)."""
    r = earth_radius_m
    centre = geometry.position + np.array([0.0, 0.0, r])
    up = centre / np.linalg.norm(centre)
    pts = np.stack([e, n, np.sqrt(np.maximum(r * r - e * e - n * n, 0.0))], axis=-1)  # from the Earth's centre
    pts = pts / np.linalg.norm(pts, axis=-1, keepdims=True)
    ang = np.arctan2(np.linalg.norm(np.cross(pts, up), axis=-1), pts @ up)
    ge, gn = pts @ geometry.rotation[0], pts @ geometry.rotation[1]
    az = np.mod(np.arctan2(ge, gn), 2.0 * math.pi)
    n_az = cov.azimuth_rad.size
    ia = np.rint(az / (2.0 * math.pi) * n_az).astype(np.int64) % n_az
    step = cov.range_m[1] - cov.range_m[0]
    dist = ang * r
    js = np.rint(dist / step).astype(np.int64) - 1
    inside = dist <= cov.range_m[-1]
    out = cov.visible_height_m[ia, np.clip(js, 0, cov.range_m.size - 1)]
    out = np.where(js < 0, 0.0, out)  # at the radar itself
    return np.where(inside, out, np.nan)


def coverage_table(scenario: Scenario, frame: LocalFrame, grid: TerrainGrid, step_m: float) -> pa.Table:
    """``terrain.parquet``: on a square east/north grid over the DEM (within the radars' ranges), the ground
    elevation and, for each radar, the lowest visible height above the terrain (one row per radar and cell;
    ``sensor_id`` -1 and NaN heights when the scenario has no radar)."""
    from airpicture.sensors.placement import antenna_height_m, radar_geometry

    reach = max((r.max_range_m for r in scenario.sensors), default=0.0)
    e_lo, e_hi, n_lo, n_hi = grid.e0_m, grid.e_max_m, grid.n0_m, grid.n_max_m
    if reach > 0:
        e_lo, e_hi, n_lo, n_hi = max(e_lo, -reach), min(e_hi, reach), max(n_lo, -reach), min(n_hi, reach)
    cell = max(grid.cell_m, (e_hi - e_lo) / MAP_CELLS, (n_hi - n_lo) / MAP_CELLS)
    e = e_lo + cell * np.arange(int((e_hi - e_lo) / cell) + 1)
    n = n_lo + cell * np.arange(int((n_hi - n_lo) / cell) + 1)
    ee, nn = (x.ravel() for x in np.meshgrid(e, n))
    elevation = grid.elevation_at(ee, nn)
    radars: list[Radar | None] = list(scenario.sensors) or [None]
    parts = []
    for radar in radars:
        if radar is None:
            ids, vis = np.full(ee.size, -1, np.int64), np.full(ee.size, np.nan)
        else:
            geo = radar_geometry(radar, frame)
            cov = polar_coverage(grid, geo, antenna_height_m(radar, frame), frame.earth_radius_m,
                                 radar.refraction_k, radar.max_range_m, max(step_m, cell / 2.0))
            vis = coverage_map(cov, geo, frame.earth_radius_m, ee, nn)
            ids = np.full(ee.size, radar.id, np.int64)
        parts.append((ids, vis))
    k = len(parts)
    return pa.table({
        "sensor_id": arrow_array(np.concatenate([p[0] for p in parts]).astype(np.int64), pa.int64()),
        "e_m": arrow_array(np.tile(ee, k).astype(np.float64), pa.float64()),
        "n_m": arrow_array(np.tile(nn, k).astype(np.float64), pa.float64()),
        "elevation_m": arrow_array(np.tile(elevation, k).astype(np.float64), pa.float64()),
        "visible_height_m": arrow_array(np.concatenate([p[1] for p in parts]).astype(np.float64), pa.float64()),
    })
