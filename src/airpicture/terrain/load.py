"""From a scenario's ``[terrain]`` table to the terrain grid the stages use, with clear errors; where the
radars stand on it.

The grid is built once per (terrain table, site) in a process and kept (a sweep's runs share it). Checks made
when a scenario file is loaded (:func:`resolve_terrain`): the file exists and is a DEM, and it covers every
radar, battery and defended asset; each radar's antenna, standing on the DEM, is above the ground model.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from airpicture.errors import InputError, Problem
from airpicture.geodesy import LocalFrame
from airpicture.terrain.config import GeoTiffTerrain, HgtTerrain, SyntheticTerrain, TerrainConfig
from airpicture.terrain.grid import TerrainGrid, grid_from_dem

if TYPE_CHECKING:
    from airpicture.scenario import Scenario

#: Terrain samples along one line of sight are never closer than this (metres): finer than any DEM we read.
MIN_STEP_M = 10.0


def _frame(scenario: Scenario) -> LocalFrame:
    s = scenario.site
    return LocalFrame.at(s.latitude_deg, s.longitude_deg, s.altitude_m)


#: Grids built in this process, by (terrain table as JSON, file size and time, site); the newest few kept.
_GRIDS: dict[tuple[str, LocalFrame], TerrainGrid] = {}
_KEEP = 4


def _build_grid(config: TerrainConfig, frame: LocalFrame, source: str) -> TerrainGrid:
    if isinstance(config, SyntheticTerrain):
        from airpicture.terrain.synthetic import synthetic_grid

        return synthetic_grid(config.seed, config.extent_m, config.cell_m, config.relief_m, config.feature_m,
                              config.valley_azimuth_deg, config.valley_width_m, frame.altitude_m)
    from airpicture.terrain.dem import read_geotiff, read_hgt

    if isinstance(config, HgtTerrain):
        dem = read_hgt(config.file, source, "terrain.file", config.south_deg, config.west_deg)
    else:
        dem = read_geotiff(config.file, source, "terrain.file", config.nodata)
    grid = grid_from_dem(dem, frame)
    if not grid.covered.any():
        raise InputError(source, Problem("terrain.file", f"{config.file}: the DEM (latitudes {dem.south_deg:g} to "
                                                         f"{dem.north_deg:g}, longitudes {dem.west_deg:g} to "
                                                         f"{dem.east_deg:g}) is nowhere near the site; expected "
                                                         "a DEM of the scenario's area"))
    return grid


def load_grid(config: TerrainConfig, frame: LocalFrame, source: str = "scenario") -> TerrainGrid:
    """The terrain of ``config`` on the site's grid (cached per table, file version and site)."""
    key = config.model_dump_json()
    if isinstance(config, HgtTerrain | GeoTiffTerrain):
        try:
            st = Path(config.file).stat()
            key += f"|{st.st_size}|{st.st_mtime_ns}"
        except OSError:
            pass  # the reader says what is wrong with the path
    grid = _GRIDS.get((key, frame))
    if grid is None:
        grid = _build_grid(config, frame, source)
        while len(_GRIDS) >= _KEEP:
            del _GRIDS[next(iter(_GRIDS))]
        _GRIDS[(key, frame)] = grid
    return grid


def terrain_grid(scenario: Scenario, source: str = "scenario") -> TerrainGrid | None:
    """The scenario's terrain grid, or None without ``[terrain]``."""
    if scenario.terrain is None:
        return None
    return load_grid(scenario.terrain, _frame(scenario), source)


def profile_step_m(scenario: Scenario, grid: TerrainGrid) -> float:
    """Spacing of the terrain samples along a line of sight: ``profile_step_m`` or the grid's cell size."""
    config = scenario.terrain
    step = config.profile_step_m if config is not None and config.profile_step_m is not None else grid.cell_m
    return max(float(step), MIN_STEP_M)


def follows_terrain(scenario: Scenario, profile_kind: str) -> bool:
    """Whether threats of this motion profile keep their height above the terrain."""
    return scenario.terrain is not None and profile_kind in scenario.terrain.follow_profiles


def resolve_terrain(scenario: Scenario, source: str, base_dir: Path | None) -> Scenario:
    """The scenario with its DEM path made absolute (relative to ``base_dir``, the scenario file's folder); the
    DEM is read and checked (it covers every radar, battery and asset; antennas stand above the ground model).
    Without ``base_dir`` (a results folder's resolved scenario) the path is kept and nothing is read."""
    config = scenario.terrain
    if config is None or base_dir is None:
        return scenario
    if isinstance(config, HgtTerrain | GeoTiffTerrain):
        p = Path(config.file).expanduser()
        if not p.is_absolute():
            p = (base_dir / p).resolve()
        config = config.model_copy(update={"file": str(p)})
        scenario = scenario.model_copy(update={"terrain": config})
    grid = terrain_grid(scenario, source)
    assert grid is not None
    check_coverage(scenario, grid, source)
    with_terrain_altitudes(scenario, source)
    return scenario


def check_coverage(scenario: Scenario, grid: TerrainGrid, source: str) -> None:
    """Refuse a DEM that does not cover a radar, a battery or a defended asset."""
    from airpicture.truth.threats import place_en

    frame = _frame(scenario)
    places: list[tuple[str, Any]] = [(f"sensors[{i}]", r) for i, r in enumerate(scenario.sensors)]
    places += [(f"batteries[{i}]", b) for i, b in enumerate(scenario.batteries)]
    places += [(f"assets[{i}]", a) for i, a in enumerate(scenario.assets)]
    problems = []
    for where, place in places:
        e, n = place_en(place, frame)
        if not bool(grid.covers(np.array([e]), np.array([n]))[0]):
            problems.append(Problem(where, f"at east {e:.0f} m, north {n:.0f} m from the site, outside the DEM "
                                           f"(which covers east {grid.e0_m:.0f} to {grid.e_max_m:.0f} m, north "
                                           f"{grid.n0_m:.0f} to {grid.n_max_m:.0f} m where it has data); expected "
                                           "a DEM covering every radar, battery and asset"))
    if problems:
        raise InputError(source, problems)


def with_terrain_altitudes(scenario: Scenario, source: str = "scenario") -> Scenario:
    """The scenario with each radar's ground ``altitude_m`` read from the DEM where it was omitted (the radar
    stands on the terrain); unchanged without ``[terrain]``."""
    grid = terrain_grid(scenario, source)
    if grid is None:
        return scenario
    from airpicture.sensors.placement import antenna_height_m
    from airpicture.truth.threats import place_en

    frame = _frame(scenario)
    radars = []
    for i, radar in enumerate(scenario.sensors):
        if radar.altitude_m is None:
            e, n = place_en(radar, frame)
            alt = float(grid.elevation_at(np.array([e]), np.array([n]))[0])
            radar = radar.model_copy(update={"altitude_m": round(alt, 3)})
        h = antenna_height_m(radar, frame)
        if h < 0.0 or not math.isfinite(h):
            raise InputError(source, Problem(f"sensors[{i}].altitude_m", f"the antenna stands {-h:.0f} m below the "
                                                                         "scenario's ground model (site.altitude_m = "
                                                                         f"{frame.altitude_m:g} m); expected the "
                                                                         "site's altitude at or below the radars' "
                                                                         "ground"))
        radars.append(radar)
    return scenario.model_copy(update={"sensors": radars})
