"""A seeded synthetic relief for teaching and for the shipped DEM sample: rolling hills made by spectral
synthesis (Gaussian noise filtered to a power spectrum falling as ``f^-beta`` above the hill size, the usual
model of natural topography: e.g. Turcotte, *Fractals and Chaos in Geology and Geophysics*, ch. 7), scaled to
the asked relief, optionally cut by a valley running from one direction to the site with its floor at the
site's altitude.

Heights are metres above the ground model (the site's altitude), on the site's east/north grid.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from airpicture.terrain.grid import TerrainGrid

F64 = NDArray[np.float64]

SPECTRAL_EXPONENT = 3.2  # power spectrum ~ f^-beta (beta ~ 2 + 2H with Hurst exponent H ~ 0.6)
#: Heights are shaped as x^p (x in [0, 1]) after scaling: broad lowlands, steeper summits, as in real relief.
SHAPE_EXPONENT = 1.6


def fractal_relief(seed: int, nx: int, ny: int, cell_m: float, relief_m: float, feature_m: float) -> F64:
    """(ny, nx) heights in [0, relief_m] with hills about ``feature_m`` wide."""
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x7E77A1]))
    noise = rng.standard_normal((ny, nx))
    fy = np.fft.fftfreq(ny, d=cell_m)[:, None]
    fx = np.fft.rfftfreq(nx, d=cell_m)[None, :]
    f = np.hypot(fx, fy)
    f0 = 1.0 / (4.0 * feature_m)  # the spectrum flattens only beyond a few hills: ranges and plains
    amplitude = (np.maximum(f, f0) / f0) ** (-SPECTRAL_EXPONENT / 2.0)
    amplitude[0, 0] = 0.0
    h = np.fft.irfft2(np.fft.rfft2(noise) * amplitude, s=(ny, nx))
    lo, hi = float(h.min()), float(h.max())
    return ((h - lo) / max(hi - lo, 1e-12)) ** SHAPE_EXPONENT * relief_m


def carve_valley(height: F64, e: F64, n: F64, azimuth_deg: float, width_m: float, length_m: float) -> F64:
    """Lower ``height`` (on nodes at ``e``, ``n``) towards 0 along the segment from the site (0, 0) to
    ``length_m`` in the direction ``azimuth_deg`` (clockwise from north): a flat floor ``width_m`` wide with
    walls rising over another width, and a basin of the same size around the site."""
    az = math.radians(azimuth_deg)
    ue, un = math.sin(az), math.cos(az)
    along = np.clip(e * ue + n * un, 0.0, length_m)
    d = np.hypot(e - along * ue, n - along * un)
    half = width_m / 2.0
    wall = np.clip((d - half) / (2.0 * width_m), 0.0, 1.0)
    keep = wall * wall * (3.0 - 2.0 * wall)  # smoothstep: 0 on the floor, 1 beyond the walls
    return height * keep


def synthetic_grid(seed: int, extent_m: float, cell_m: float, relief_m: float, feature_m: float,
                   valley_azimuth_deg: float | None, valley_width_m: float, site_altitude_m: float) -> TerrainGrid:
    """The relief of a :class:`~airpicture.terrain.config.SyntheticTerrain` on a square grid of half-width
    ``extent_m`` around the site."""
    n_side = math.floor(extent_m / cell_m) * 2 + 1
    coords = (np.arange(n_side) - n_side // 2) * cell_m
    h = fractal_relief(seed, n_side, n_side, cell_m, relief_m, feature_m)
    if valley_azimuth_deg is not None:
        ee, nn = np.meshgrid(coords, coords)
        h = carve_valley(h, ee, nn, valley_azimuth_deg, valley_width_m, 2.0 * extent_m)
    return TerrainGrid(np.ascontiguousarray(h), np.ones(h.shape, bool), float(coords[0]), float(coords[0]),
                       float(cell_m), site_altitude_m)
