"""Radar line of sight over terrain: is the straight ray from the antenna to the target above every terrain
sample between them? Vectorised over a batch of looks (one compiled loop, no Python loop per target).

Geometry: the same effective-Earth model as the radar horizon (:func:`airpicture.sensors.physics.above_horizon`):
standard refraction bends rays as if the Earth's radius were ``k R`` (k = 4/3) and rays were straight. On that
sphere a point at central angle ``phi`` from the radar and height ``h`` above the ground model is seen from the
antenna (height ``h1``) at horizontal offset ``x = (a + h) sin(phi)`` and vertical offset ``y = (a + h) cos(phi) -
(a + h1)``, with ``a = k R``. The target is masked when some terrain sample between them is seen above the ray to
the target: ``y / x > y_t / x_t``. The ground distance is that of the true Earth, the angle on the effective one is
``phi = s / a`` (as in the horizon). Over terrain at height 0 (the ground model), the steepest sample is the
tangent point and the test is the horizon itself (``sqrt(2 a h1) + sqrt(2 a h2)`` to first order).

Samples are taken every ``step_m`` along the great circle from the radar to the target's ground point (both
ends excluded), over the stretch that crosses the terrain grid only: beyond it the ground is the smooth model,
whose masking is the radar horizon, tested apart. Terrain heights are bilinear on the grid (:mod:`.grid`).
Samples go by chunks: a chunk whose ray stays above the highest terrain of the grid blocks it crosses is skipped
(:func:`block_maxima`; the ray's height over a chunk is convex, so its lowest point is found in closed form).
Within a chunk, angles by recurrence (two rotations per sample, no trigonometric call). Units: metres, radians.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from airpicture.compiled import njit
from airpicture.terrain.grid import TerrainGrid, bilinear_one

F64 = NDArray[np.float64]
BOOL = NDArray[np.bool_]

#: Samples are taken in chunks of this many; a chunk whose ray stays above the highest terrain of the blocks of
#: ``BLOCK_CELLS`` x ``BLOCK_CELLS`` grid cells it crosses is skipped without sampling (same answer, sooner).
CHUNK_SAMPLES = 16
BLOCK_CELLS = 8
_BLOCK_MAXIMA: dict[int, tuple[TerrainGrid, F64]] = {}


@njit(cache=True, nogil=True, inline="always")
def _clip(ax: float, ay: float, bx: float, by: float, x_lo: float, x_hi: float, y_lo: float,
          y_hi: float) -> tuple[float, float]:
    """The fractions [f0, f1] of the segment a -> b inside the box (f0 > f1: none), Liang-Barsky."""
    f0, f1 = 0.0, 1.0
    dx, dy = bx - ax, by - ay
    for p, q in ((-dx, ax - x_lo), (dx, x_hi - ax), (-dy, ay - y_lo), (dy, y_hi - ay)):
        if p == 0.0:
            if q < 0.0:
                return 1.0, 0.0
        else:
            r = q / p
            if p < 0.0:
                f0 = max(f0, r)
            else:
                f1 = min(f1, r)
    return f0, f1


@njit(cache=True, nogil=True, inline="always")
def _ray_floor(a: float, a1: float, m: float, phi_a: float, phi_b: float) -> float:
    """The lowest height above the effective sphere of the ray ``y = m x`` from the antenna over the central
    angles [phi_a, phi_b]: ``g(phi) = a1 / (cos(phi) - m sin(phi)) - a`` is convex where finite (a secant), so
    its minimum is at an end or at its stationary angle ``atan(-m)``."""
    phi_s = math.atan(-m)
    phi = min(max(phi_s, phi_a), phi_b)
    d = math.cos(phi) - m * math.sin(phi)
    if d <= 0.0:
        return math.inf
    return a1 / d - a


@njit(cache=True, nogil=True, inline="always")
def _block_max(hmax: F64, e0: float, n0: float, block: float, ea: float, na: float, eb: float, nb: float) -> float:
    """Highest terrain (>= 0, the ground model outside the grid) over the blocks touching the box of a-b."""
    nbj, nbi = hmax.shape
    i_lo = math.floor((min(ea, eb) - e0) / block)
    i_hi = math.floor((max(ea, eb) - e0) / block)
    j_lo = math.floor((min(na, nb) - n0) / block)
    j_hi = math.floor((max(na, nb) - n0) / block)
    top = 0.0
    for j in range(max(j_lo, 0), min(j_hi, nbj - 1) + 1):
        for i in range(max(i_lo, 0), min(i_hi, nbi - 1) + 1):
            top = max(top, hmax[j, i])
    return top


class TerrainTables(NamedTuple):
    """The terrain as the compiled line of sight reads it: heights above the ground model ``h[j, i]`` (m) at
    ``(e0 + i / inv_cell, n0 + j / inv_cell)``, their block maxima (:func:`block_maxima`) and the grid's bounds
    widened by two cells, ``box = [e_lo, e_hi, n_lo, n_hi]`` (m)."""

    h: F64
    hmax: F64
    e0: float
    n0: float
    inv_cell: float  # 1 / cell size, 1/m
    box: F64


class Antenna(NamedTuple):
    """The radar as the compiled line of sight sees it: Earth radius (m), refraction factor k, the unit vector from
    the Earth's centre through the antenna, ``a1`` = k R + antenna height (m), and the sample spacing (m)."""

    radius: float
    k: float
    radar_up: F64
    a1: float
    step: float


@njit(cache=True, nogil=True, inline="always")
def _clear_one(ter: TerrainTables, ant: Antenna, px: float, py: float, pz: float, target_height: float,
               theta: float) -> bool:
    """Whether one target (site ENU px, py, pz; height and central angle from the radar) is in sight."""
    h, hmax, e0, n0, inv_cell, box = ter.h, ter.hmax, ter.e0, ter.n0, ter.inv_cell, ter.box
    radius, k, radar_up, a1, step = ant.radius, ant.k, ant.radar_up, ant.a1, ant.step
    n_seg = int(math.ceil(radius * theta / step))  # noqa: RUF046  (an int in compiled code too)
    if n_seg < 2:
        return True
    sin_theta = math.sin(theta)
    if sin_theta < 1e-15:
        return True
    cz = pz + radius
    norm = math.sqrt(px * px + py * py + cz * cz)
    t0, t1 = px / norm, py / norm
    # only the stretch over the grid can mask: beyond it the ground is the smooth model, whose masking is the
    # radar horizon (tested apart); clip the chord between the ground points to the grid (+ 2 cells)
    f0, f1 = _clip(radius * radar_up[0], radius * radar_up[1], radius * t0, radius * t1, box[0], box[1], box[2],
                   box[3])
    if f0 > f1:
        return True
    a = k * radius
    cos_theta = math.cos(theta)
    psi = theta / k
    a2 = a + target_height
    xt = a2 * math.sin(psi)
    yt = a2 * math.cos(psi) - a1
    m = yt / xt
    j0 = max(1, int(f0 * n_seg))
    j1 = min(n_seg - 1, int(f1 * n_seg) + 1)
    d = theta / n_seg
    sd, cd = math.sin(d), math.cos(d)
    de = psi / n_seg
    sde, cde = math.sin(de), math.cos(de)
    block = BLOCK_CELLS / inv_cell
    ja = j0
    while ja <= j1:
        jb = min(ja + CHUNK_SAMPLES - 1, j1)
        # skip the chunk when the ray stays above the highest terrain of the blocks it crosses
        wa, wb = math.sin(theta - ja * d) / sin_theta, math.sin(ja * d) / sin_theta
        ea, na = radius * (wa * radar_up[0] + wb * t0), radius * (wa * radar_up[1] + wb * t1)
        wa, wb = math.sin(theta - jb * d) / sin_theta, math.sin(jb * d) / sin_theta
        eb, nb = radius * (wa * radar_up[0] + wb * t0), radius * (wa * radar_up[1] + wb * t1)
        if _ray_floor(a, a1, m, ja * de, jb * de) > _block_max(hmax, e0, n0, block, ea, na, eb, nb):
            ja = jb + 1
            continue
        s, c = math.sin((ja - 1) * d), math.cos((ja - 1) * d)  # sin, cos of j d (true Earth)
        se, ce = math.sin((ja - 1) * de), math.cos((ja - 1) * de)  # sin, cos of j de (effective Earth)
        for _ in range(ja, jb + 1):
            s, c = s * cd + c * sd, c * cd - s * sd
            se, ce = se * cde + ce * sde, ce * cde - se * sde
            wr = (sin_theta * c - cos_theta * s) / sin_theta
            wt = s / sin_theta
            e = radius * (wr * radar_up[0] + wt * t0)
            n = radius * (wr * radar_up[1] + wt * t1)
            ah = a + bilinear_one(h, e0, n0, inv_cell, e, n)
            if (ah * ce - a1) * xt > yt * (ah * se):
                return False
        ja = jb + 1
    return True


def block_maxima(grid: TerrainGrid) -> F64:
    """The highest node of each block of ``BLOCK_CELLS`` x ``BLOCK_CELLS`` cells and the nodes bordering it (all a
    bilinear look-up inside the block reads), at least 0; kept with the grid."""
    cached = _BLOCK_MAXIMA.get(id(grid))
    if cached is not None and cached[0] is grid:
        return cached[1]
    h = grid.height_m
    b = BLOCK_CELLS
    nj, ni = -(-(h.shape[0] - 1) // b), -(-(h.shape[1] - 1) // b)
    padded = np.full((nj * b + 1, ni * b + 1), -np.inf)
    padded[: h.shape[0], : h.shape[1]] = h
    inner = padded[:-1, :-1].reshape(nj, b, ni, b).max(axis=(1, 3))
    top = np.maximum(inner, padded[b::b, :-1].reshape(nj, ni, b).max(axis=2))  # each block's far row ...
    top = np.maximum(top, padded[:-1, b::b].reshape(nj, b, ni).max(axis=1))  # ... far column ...
    top = np.maximum(top, padded[b::b, b::b])  # ... and far corner
    out = np.ascontiguousarray(np.maximum(top, 0.0))
    if len(_BLOCK_MAXIMA) > 8:
        _BLOCK_MAXIMA.clear()
    _BLOCK_MAXIMA[id(grid)] = (grid, out)
    return out


def _box(grid: TerrainGrid) -> F64:
    """The grid's east/north bounds widened by two cells (the bilinear reach and the chord's bulge)."""
    m = 2.0 * grid.cell_m
    return np.array([grid.e0_m - m, grid.e_max_m + m, grid.n0_m - m, grid.n_max_m + m])


@njit(cache=True, nogil=True)
def _line_of_sight(ter: TerrainTables, ant: Antenna, position: F64, target_height: F64, ground_angle: F64,
                   out: NDArray[np.bool_]) -> None:
    for i in range(position.shape[0]):
        out[i] = _clear_one(ter, ant, position[i, 0], position[i, 1], position[i, 2], target_height[i],
                            ground_angle[i])


@njit(cache=True, nogil=True)
def _first_clear(ter: TerrainTables, ant: Antenna, position: F64, target_height: F64, ground_angle: F64,
                 offsets: NDArray[np.int64], candidate: NDArray[np.bool_], out: NDArray[np.bool_]) -> None:
    for t in range(offsets.shape[0] - 1):
        for i in range(offsets[t], offsets[t + 1]):
            if candidate[i]:
                ok = _clear_one(ter, ant, position[i, 0], position[i, 1], position[i, 2], target_height[i],
                                ground_angle[i])
                out[i] = ok
                if ok:
                    break


def _tables(grid: TerrainGrid) -> TerrainTables:
    return TerrainTables(grid.height_m, block_maxima(grid), float(grid.e0_m), float(grid.n0_m), 1.0 / grid.cell_m,
                         _box(grid))


def _antenna(radar_position: F64, antenna_height_m: float, earth_radius_m: float, k_factor: float,
             step_m: float) -> Antenna:
    centre = np.asarray(radar_position, float) + np.array([0.0, 0.0, earth_radius_m])
    return Antenna(float(earth_radius_m), float(k_factor), np.ascontiguousarray(centre / np.linalg.norm(centre)),
                   float(k_factor) * float(earth_radius_m) + float(antenna_height_m), float(step_m))


def first_unmasked(grid: TerrainGrid, radar_position: F64, antenna_height_m: float, earth_radius_m: float,
                   k_factor: float, target_position: F64, target_height_m: F64, ground_angle_rad: F64,
                   step_m: float, offsets: NDArray[np.int64], candidate: NDArray[np.bool_]) -> BOOL:
    """Each target's masked samples up to its first unmasked one: the samples of target t are rows
    ``offsets[t]:offsets[t + 1]`` (in time order); only ``candidate`` rows are tested, in order, until one is in
    sight. (K,) False at the masked rows tested, True elsewhere (untested rows included) -- what the first
    visibility of a target needs at a fraction of the cost of testing every row."""
    pos = np.ascontiguousarray(np.asarray(target_position, float)[:, :3])
    out = np.ones(pos.shape[0], dtype=bool)
    if pos.shape[0]:
        _first_clear(_tables(grid), _antenna(radar_position, antenna_height_m, earth_radius_m, k_factor, step_m), pos,
                     np.ascontiguousarray(target_height_m, dtype=float),
                     np.ascontiguousarray(ground_angle_rad, dtype=float),
                     np.ascontiguousarray(offsets, dtype=np.int64), np.ascontiguousarray(candidate, dtype=bool), out)
    return out


def line_of_sight(grid: TerrainGrid, radar_position: F64, antenna_height_m: float, earth_radius_m: float,
                  k_factor: float, target_position: F64, target_height_m: F64, ground_angle_rad: F64,
                  step_m: float) -> BOOL:
    """(K,) True where the terrain does not mask the target.

    ``radar_position``: the antenna in site ENU (m); ``antenna_height_m``: its height above the ground model;
    ``target_position`` (K, >=3): targets in site ENU; ``target_height_m`` and ``ground_angle_rad`` (K,): their
    heights above the ground model and central angles from the radar (as in
    :class:`~airpicture.sensors.look_geometry.LookGeometry`); ``step_m``: spacing of the terrain samples.
    """
    pos = np.ascontiguousarray(np.asarray(target_position, float)[:, :3])
    out = np.ones(pos.shape[0], dtype=bool)
    if pos.shape[0]:
        _line_of_sight(_tables(grid), _antenna(radar_position, antenna_height_m, earth_radius_m, k_factor, step_m),
                       pos, np.ascontiguousarray(target_height_m, dtype=float),
                       np.ascontiguousarray(ground_angle_rad, dtype=float), out)
    return out
