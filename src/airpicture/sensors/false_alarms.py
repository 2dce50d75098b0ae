"""False alarms: thermal-noise crossings of the threshold over the whole coverage, plus clutter regions.

Noise: each resolution cell crosses the threshold with probability ``pfa`` per scan, independently, so the
number per scan is Poisson with mean ``pfa x cells`` (the binomial limit for many cells), where

    cells = (max_range - min_range) / range_resolution x 360 / azimuth_cell x elevation span / elevation_resolution

(each factor at least 1). Positions are uniform over the cells, i.e. uniform in range, azimuth and elevation
over the coverage. Each false alarm is time-stamped when the beam of its rotation sweeps its azimuth, and its
square-law statistic is noise known to exceed the threshold, ``T + Exp(1)``.

Clutter regions (residue of ground or sea clutter after processing) add their own Poisson number per scan,
uniform in range (so denser per unit area near the radar) and azimuth over the region, in the lowest elevation
cell; the part of a region outside the instrumented range reports nothing.

Range rate (when measured) of a false alarm is uniform over +- ``radar.max_range_rate_mps``.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from airpicture.scenario import ClutterRegion, Radar
from airpicture.sensors.echoes import Echoes
from airpicture.sensors.physics import noise_exceedance, threshold_from_pfa
from airpicture.sensors.scan_timing import sweep_time_s

F64 = NDArray[np.float64]

TWO_PI = 2.0 * math.pi


def resolution_cells(radar: Radar) -> float:
    """Number of resolution cells in the radar's coverage (range x azimuth x elevation)."""
    n_range = max((radar.max_range_m - radar.min_range_m) / radar.range_resolution_m, 1.0)
    n_azimuth = max(360.0 / radar.azimuth_cell_deg, 1.0)
    n_elevation = max((radar.elevation_max_deg - radar.elevation_min_deg) / radar.elevation_resolution_deg, 1.0)
    return n_range * n_azimuth * n_elevation


def mean_noise_false_alarms(radar: Radar) -> float:
    """Expected number of thermal-noise false alarms per scan: pfa x cells."""
    return radar.pfa * resolution_cells(radar)


def sector_width_deg(azimuth_min_deg: float, azimuth_max_deg: float) -> float:
    """Width of the sector from ``azimuth_min_deg`` clockwise to ``azimuth_max_deg`` (0 to 360 is a full turn)."""
    width = (azimuth_max_deg - azimuth_min_deg) % 360.0
    if width == 0.0 and azimuth_max_deg != azimuth_min_deg:
        width = 360.0
    return width


def _range_rate(radar: Radar, rng: np.random.Generator, n: int) -> F64:
    if not radar.range_rate:
        return np.full(n, np.nan)
    return rng.uniform(-radar.max_range_rate_mps, radar.max_range_rate_mps, n)


def noise_false_alarms(radar: Radar, rng: np.random.Generator, rotation: int) -> Echoes:
    """Thermal-noise false alarms of rotation ``rotation``."""
    n = int(rng.poisson(mean_noise_false_alarms(radar)))
    rng_m = rng.uniform(radar.min_range_m, radar.max_range_m, n)
    az = rng.uniform(0.0, TWO_PI, n)
    el = np.radians(rng.uniform(radar.elevation_min_deg, radar.elevation_max_deg, n))
    rr = _range_rate(radar, rng, n)
    stat = noise_exceedance(rng, float(threshold_from_pfa(radar.pfa)), n)
    t = sweep_time_s(az, rotation, math.radians(radar.start_azimuth_deg), radar.scan_period_s)
    return Echoes(t, rng_m, az, el, rr, stat)


def clutter_false_alarms(radar: Radar, region: ClutterRegion, rng: np.random.Generator,
                         rotation: int) -> Echoes:
    """False alarms of one clutter region during rotation ``rotation``."""
    n = int(rng.poisson(region.false_alarms_per_scan))
    rng_m = rng.uniform(region.range_min_m, region.range_max_m, n)
    width = sector_width_deg(region.azimuth_min_deg, region.azimuth_max_deg)
    az = np.mod(np.radians(region.azimuth_min_deg + rng.uniform(0.0, width, n)), TWO_PI)
    el_top = min(radar.elevation_min_deg + radar.elevation_resolution_deg, radar.elevation_max_deg)
    el = np.radians(rng.uniform(radar.elevation_min_deg, el_top, n))
    rr = _range_rate(radar, rng, n)
    stat = noise_exceedance(rng, float(threshold_from_pfa(radar.pfa)), n)
    keep = (rng_m >= radar.min_range_m) & (rng_m <= radar.max_range_m)
    t = sweep_time_s(az, rotation, math.radians(radar.start_azimuth_deg), radar.scan_period_s)
    return Echoes(t[keep], rng_m[keep], az[keep], el[keep], rr[keep], stat[keep])


def scan_false_alarms(radar: Radar, rng: np.random.Generator, rotation: int) -> Echoes:
    """All false alarms of one rotation: noise first, then each clutter region in order."""
    parts = [noise_false_alarms(radar, rng, rotation)]
    parts += [clutter_false_alarms(radar, region, rng, rotation) for region in radar.clutter]
    return Echoes.concat(parts)
