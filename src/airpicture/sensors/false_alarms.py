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

from airpicture.scenario import Radar
from airpicture.sensors.echoes import Echoes
from airpicture.sensors.physics import threshold_from_pfa

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

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


def scan_false_alarms(radar: Radar, rng: np.random.Generator, rotation: int) -> Echoes:
    """All false alarms of one rotation: noise first, then each clutter region in order."""
    return block_false_alarms(radar, [rng], [rotation])[0]


def block_false_alarms(radar: Radar, rngs: list[np.random.Generator],
                       rotations: list[int]) -> tuple[Echoes, I64]:
    """The false alarms of several rotations (``rngs[r]``: the stream of rotation ``rotations[r]``), rotation by
    rotation end to end, and how many each has. Each rotation draws from its own stream only: the noise's
    count, ranges, azimuths, elevations, range rates and exceedances, then each clutter region's in turn; the
    positions, times and statistics are then computed for all of them at once."""
    n_regions = len(radar.clutter)
    mean_noise = mean_noise_false_alarms(radar)
    widths = [sector_width_deg(c.azimuth_min_deg, c.azimuth_max_deg) for c in radar.clutter]
    el_top = min(radar.elevation_min_deg + radar.elevation_resolution_deg, radar.elevation_max_deg)
    v = radar.max_range_rate_mps
    rng_m: list[F64] = []
    az: list[F64] = []  # noise: radians; clutter: degrees clockwise from the region's start
    el_deg: list[F64] = []
    rr: list[F64] = []
    excess: list[F64] = []
    sizes = np.zeros((len(rngs), 1 + n_regions), np.int64)  # per rotation: noise, then each region
    for r, rng in enumerate(rngs):
        n = int(rng.poisson(mean_noise))
        rng_m.append(rng.uniform(radar.min_range_m, radar.max_range_m, n))
        az.append(rng.uniform(0.0, TWO_PI, n))
        el_deg.append(rng.uniform(radar.elevation_min_deg, radar.elevation_max_deg, n))
        if radar.range_rate:
            rr.append(rng.uniform(-v, v, n))
        excess.append(rng.standard_exponential(n))
        sizes[r, 0] = n
        for j, region in enumerate(radar.clutter):
            n = int(rng.poisson(region.false_alarms_per_scan))
            rng_m.append(rng.uniform(region.range_min_m, region.range_max_m, n))
            az.append(rng.uniform(0.0, widths[j], n))
            el_deg.append(rng.uniform(radar.elevation_min_deg, el_top, n))
            if radar.range_rate:
                rr.append(rng.uniform(-v, v, n))
            excess.append(rng.standard_exponential(n))
            sizes[r, j + 1] = n
    part = np.repeat(np.tile(np.arange(1 + n_regions), len(rngs)), sizes.reshape(-1))  # 0 noise, j + 1 region j
    rotation = np.repeat(np.asarray(rotations, np.int64), sizes.sum(axis=1))
    ranges = np.concatenate(rng_m) if rng_m else np.zeros(0)
    azimuth = np.concatenate(az) if az else np.zeros(0)
    clutter = part > 0
    if clutter.any():
        start_deg = np.array([0.0] + [c.azimuth_min_deg for c in radar.clutter])[part[clutter]]
        azimuth[clutter] = np.mod(np.radians(start_deg + azimuth[clutter]), TWO_PI)
    elevation = np.radians(np.concatenate(el_deg) if el_deg else np.zeros(0))
    rate = np.concatenate(rr) if radar.range_rate and rr else np.full(ranges.shape[0], np.nan)
    stat = float(threshold_from_pfa(radar.pfa)) + (np.concatenate(excess) if excess else np.zeros(0))
    start = math.radians(radar.start_azimuth_deg)
    frac = np.mod(azimuth - start, TWO_PI) / TWO_PI
    t = rotation * radar.scan_period_s + np.minimum(frac, np.nextafter(1.0, 0.0)) * radar.scan_period_s
    keep = ~clutter | ((ranges >= radar.min_range_m) & (ranges <= radar.max_range_m))
    counts = np.bincount(np.repeat(np.arange(len(rngs)), sizes.sum(axis=1))[keep], minlength=len(rngs))
    return Echoes(t[keep], ranges[keep], azimuth[keep], elevation[keep], rate[keep], stat[keep]), counts
