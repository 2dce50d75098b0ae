"""The terrain on the scenario's local grid: heights above the spherical ground model on a regular east/north
grid, with bilinear look-ups compiled with Numba (one call answers a whole batch of points).

A grid node ``(e, n)`` is the point of the spherical ground whose site-ENU east/north coordinates are ``(e, n)``
(the ground point below a target has its ENU ``(e, n)`` scaled by ``R / |c|``, with ``c`` the target's position
from the Earth's centre). Heights are metres above the ground model (the site's altitude): a DEM cell at
altitude ``A`` has ``A - site.altitude_m``. Outside the grid the ground is the model itself (height 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from airpicture.compiled import njit
from airpicture.geodesy import LocalFrame
from airpicture.terrain.dem import Dem

F64 = NDArray[np.float64]

#: Largest resampled grid (nodes): about 70 MB of float64 (a 1-arc-second tile is resampled at ~30 m).
MAX_NODES = 8_000_000


@njit(cache=True, nogil=True, inline="always")
def bilinear_one(h: F64, e0: float, n0: float, inv_cell: float, e: float, n: float) -> float:
    """Bilinear height at (e, n); 0 (the ground model) outside the grid."""
    x = (e - e0) * inv_cell
    y = (n - n0) * inv_cell
    ny, nx = h.shape
    if x < 0.0 or y < 0.0 or x > nx - 1 or y > ny - 1:
        return 0.0
    i = min(int(x), nx - 2)
    j = min(int(y), ny - 2)
    fx = x - i
    fy = y - j
    return ((1.0 - fy) * ((1.0 - fx) * h[j, i] + fx * h[j, i + 1])
            + fy * ((1.0 - fx) * h[j + 1, i] + fx * h[j + 1, i + 1]))


@njit(cache=True, nogil=True)
def _bilinear(h: F64, e0: float, n0: float, inv_cell: float, e: F64, n: F64, out: F64, grad: F64) -> None:
    ny, nx = h.shape
    for k in range(e.shape[0]):
        out[k] = bilinear_one(h, e0, n0, inv_cell, e[k], n[k])
        x = (e[k] - e0) * inv_cell
        y = (n[k] - n0) * inv_cell
        if x < 0.0 or y < 0.0 or x > nx - 1 or y > ny - 1:
            grad[k, 0] = 0.0
            grad[k, 1] = 0.0
            continue
        i = min(int(x), nx - 2)
        j = min(int(y), ny - 2)
        fx = x - i
        fy = y - j
        grad[k, 0] = ((1.0 - fy) * (h[j, i + 1] - h[j, i]) + fy * (h[j + 1, i + 1] - h[j + 1, i])) * inv_cell
        grad[k, 1] = ((1.0 - fx) * (h[j + 1, i] - h[j, i]) + fx * (h[j + 1, i + 1] - h[j, i + 1])) * inv_cell


@dataclass(frozen=True)
class TerrainGrid:
    """Heights above the ground model (m) at ``(e0_m + i cell_m, n0_m + j cell_m)`` in ``height_m[j, i]``;
    ``covered[j, i]`` says whether the DEM had data there (False: filled with the ground model)."""

    height_m: F64
    covered: NDArray[np.bool_]
    e0_m: float
    n0_m: float
    cell_m: float
    site_altitude_m: float

    @property
    def shape(self) -> tuple[int, int]:
        return self.height_m.shape  # type: ignore[return-value]

    @property
    def e_max_m(self) -> float:
        return self.e0_m + (self.height_m.shape[1] - 1) * self.cell_m

    @property
    def n_max_m(self) -> float:
        return self.n0_m + (self.height_m.shape[0] - 1) * self.cell_m

    def height_at(self, e: F64, n: F64) -> F64:
        """Bilinear height above the ground model (m) at ground points (e, n); 0 outside the grid."""
        return self.height_and_slope(e, n)[0]

    def height_and_slope(self, e: F64, n: F64) -> tuple[F64, F64]:
        """Bilinear height (m) and its gradient (K, 2) (d/de, d/dn, m per m) at ground points (e, n)."""
        e = np.ascontiguousarray(e, dtype=float)
        shape = e.shape
        e = e.ravel()
        n = np.ascontiguousarray(n, dtype=float).ravel()
        out = np.empty(e.size)
        grad = np.empty((e.size, 2))
        if e.size:
            _bilinear(self.height_m, self.e0_m, self.n0_m, 1.0 / self.cell_m, e, n, out, grad)
        return out.reshape(shape), grad.reshape((*shape, 2))

    def covers(self, e: F64, n: F64) -> NDArray[np.bool_]:
        """Whether the DEM had data at (the nearest node to) each ground point."""
        e, n = np.asarray(e, float), np.asarray(n, float)
        i = np.rint((e - self.e0_m) / self.cell_m)
        j = np.rint((n - self.n0_m) / self.cell_m)
        inside = (i >= 0) & (j >= 0) & (i < self.height_m.shape[1]) & (j < self.height_m.shape[0])
        ii = np.where(inside, i, 0).astype(np.int64)
        jj = np.where(inside, j, 0).astype(np.int64)
        return inside & self.covered[jj, ii]

    def elevation_at(self, e: F64, n: F64) -> F64:
        """Height above mean sea level (m) at ground points: the grid's height plus the site's altitude."""
        return self.height_at(e, n) + self.site_altitude_m


#: The nodes' latitudes and longitudes are computed exactly every this many nodes and interpolated between
#: (bilinear; the mapping is smooth: under a millimetre off over 100 km grids).
GEODETIC_STRIDE = 16


def _geodetic_of_nodes(frame: LocalFrame, e: F64, n: F64) -> tuple[F64, F64]:
    """(ny, nx) latitude and longitude (degrees) of the ground points at the grid's nodes."""
    from scipy.ndimage import map_coordinates

    s = GEODETIC_STRIDE
    step_e, step_n = e[1] - e[0] if e.size > 1 else 1.0, n[1] - n[0] if n.size > 1 else 1.0
    ce = e[0] + step_e * s * np.arange(-(-(e.size - 1) // s) + 1)  # every s-th node, past the last one
    cn = n[0] + step_n * s * np.arange(-(-(n.size - 1) // s) + 1)
    ge, gn = np.meshgrid(ce, cn)
    lat, lon, _ = frame.to_geodetic(ge.ravel(), gn.ravel(), frame.up_from_height(ge, gn, 0.0).ravel())
    jj, ii = np.meshgrid(np.arange(n.size) / s, np.arange(e.size) / s, indexing="ij")
    return tuple(map_coordinates(np.asarray(v, float).reshape(ge.shape), [jj, ii], order=1)  # type: ignore[return-value]
                 for v in (lat, lon))


def grid_from_dem(dem: Dem, frame: LocalFrame) -> TerrainGrid:
    """Resample ``dem`` onto the site's east/north grid (bilinear), at the DEM's finer spacing (east-west away
    from the equator), over the DEM's footprint; coarser if that would exceed :data:`MAX_NODES` nodes."""
    r = frame.earth_radius_m
    mid_lat = math.radians(0.5 * (dem.south_deg + dem.north_deg))
    cell = max(min(math.radians(dem.step_lat_deg), math.radians(dem.step_lon_deg) * math.cos(mid_lat)) * r, 1.0)
    lat_b = np.array([dem.south_deg, dem.south_deg, dem.north_deg, dem.north_deg,
                      dem.south_deg, dem.north_deg, 0.5 * (dem.south_deg + dem.north_deg),
                      0.5 * (dem.south_deg + dem.north_deg)])
    lon_b = np.array([dem.west_deg, dem.east_deg, dem.west_deg, dem.east_deg,
                      0.5 * (dem.west_deg + dem.east_deg), 0.5 * (dem.west_deg + dem.east_deg),
                      dem.west_deg, dem.east_deg])
    e_b, n_b, _ = frame.to_enu(lat_b, lon_b, np.full(lat_b.size, frame.altitude_m))
    e0, e1 = float(np.floor(e_b.min() / cell) * cell), float(np.ceil(e_b.max() / cell) * cell)
    n0, n1 = float(np.floor(n_b.min() / cell) * cell), float(np.ceil(n_b.max() / cell) * cell)
    nx, ny = round((e1 - e0) / cell) + 1, round((n1 - n0) / cell) + 1
    if nx * ny > MAX_NODES:  # coarsen rather than exhaust memory
        cell *= math.sqrt(nx * ny / MAX_NODES)
        nx, ny = int((e1 - e0) / cell) + 1, int((n1 - n0) / cell) + 1
    e = np.asarray(e0 + cell * np.arange(nx), dtype=np.float64)
    n = np.asarray(n0 + cell * np.arange(ny), dtype=np.float64)
    lat, lon = _geodetic_of_nodes(frame, e, n)
    h = dem.sample(lat, lon)
    covered = np.isfinite(h)
    height = np.where(covered, h - frame.altitude_m, 0.0)
    return TerrainGrid(np.ascontiguousarray(height), covered, e0, n0, cell, frame.altitude_m)
