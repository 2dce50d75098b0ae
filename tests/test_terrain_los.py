"""Line of sight over terrain against hand-computed profiles: a single ridge on a flat Earth (the ray's height
by similar triangles), the same ridge on the 4/3 Earth (the ridge raised by the Earth bulge d1 d2 / (2 k R), the
path-profile rule of ITU-R P.526), and flat terrain, where the mask is the radar horizon
sqrt(2kRh1) + sqrt(2kRh2) and agrees with :func:`airpicture.sensors.physics.above_horizon`."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from airpicture.geodesy import LocalFrame
from airpicture.sensors.geometry import SensorGeometry
from airpicture.sensors.look_geometry import look_geometry
from airpicture.sensors.physics import above_horizon
from airpicture.terrain.grid import TerrainGrid
from airpicture.terrain.los import line_of_sight

FRAME = LocalFrame.at(45.5, 10.5, 200.0)
R = FRAME.earth_radius_m


def ridge_grid(distance_m: float, height_m: float, half_width_m: float = 200.0, extent_m: float = 80e3,
               cell_m: float = 100.0) -> TerrainGrid:
    """A north-south ridge (flat top ``2 half_width_m`` wide) ``distance_m`` east of the site, else flat 0."""
    coords = np.arange(-extent_m, extent_m + cell_m / 2, cell_m)
    ee, _ = np.meshgrid(coords, coords)
    h = np.where(np.abs(ee - distance_m) <= half_width_m + 1e-6, height_m, 0.0)
    return TerrainGrid(np.ascontiguousarray(h), np.ones(h.shape, bool), float(coords[0]), float(coords[0]), cell_m,
                       FRAME.altitude_m)


def clear(grid: TerrainGrid, antenna_m: float, target_e: np.ndarray, target_h: np.ndarray, k: float,
          step_m: float = 20.0, target_n: np.ndarray | None = None) -> np.ndarray:
    """Line of sight from an antenna ``antenna_m`` above the site's ground to targets east of it."""
    target_n = np.zeros_like(target_e) if target_n is None else target_n
    geo = SensorGeometry.at(1, FRAME, 0.0, 0.0, antenna_m)
    u = FRAME.up_from_height(target_e, target_n, target_h)
    state = np.column_stack([target_e, target_n, u, np.zeros((target_e.size, 3))])
    look = look_geometry(state, geo, R)
    return line_of_sight(grid, geo.position, antenna_m, R, k, state, look.height_m, look.ground_angle_rad, step_m)


@pytest.mark.parametrize(("ridge_m", "expect_clear"), [(55.0, True), (65.0, False), (0.0, True)])
def test_single_ridge_flat_earth_limit(ridge_m: float, expect_clear: bool) -> None:
    """k -> infinity: a flat Earth. Antenna 10 m, target 110 m at 20 km: the ray passes 60 m above the ridge
    at 10 km (similar triangles), +- 1 m over its 400 m top."""
    grid = ridge_grid(10e3, ridge_m)
    ok = clear(grid, 10.0, np.array([20e3]), np.array([110.0]), k=1e9)
    assert bool(ok[0]) is expect_clear


def test_single_ridge_flat_earth_threshold_over_heights() -> None:
    """The height at which a target 20 km away clears a 60 m ridge at 10 km: 2 * 60 - 10 = 110 m."""
    grid = ridge_grid(10e3, 60.0, half_width_m=0.0, cell_m=50.0)
    heights = np.array([100.0, 105.0, 115.0, 120.0])
    ok = clear(grid, 10.0, np.full(4, 20e3), heights, k=1e9, step_m=5.0)
    assert ok.tolist() == [False, False, True, True]


@pytest.mark.parametrize(("ridge_m", "expect_clear"), [(30.0, True), (43.0, False)])
def test_single_ridge_with_earth_bulge(ridge_m: float, expect_clear: bool) -> None:
    """4/3 Earth, antenna 10 m, target 110 m at 40 km, ridge at 20 km: the chord passes 60 m above the ground
    there, the Earth bulge d1 d2 / (2 k R) = 23.5 m lifts the ridge: it masks from 60 - 23.5 = 36.5 m."""
    k = 4.0 / 3.0
    bulge = 20e3 * 20e3 / (2.0 * k * R)
    assert bulge == pytest.approx(23.5, abs=0.2)
    grid = ridge_grid(20e3, ridge_m)
    ok = clear(grid, 10.0, np.array([40e3]), np.array([110.0]), k=k)
    assert bool(ok[0]) is expect_clear


@pytest.mark.parametrize("k", [4.0 / 3.0, 1.0])
@pytest.mark.parametrize(("h1", "h2"), [(10.0, 30.0), (30.0, 300.0), (500.0, 50.0)])
def test_flat_terrain_is_the_radar_horizon(k: float, h1: float, h2: float) -> None:
    """Terrain at the ground model's height everywhere: visible up to sqrt(2kRh1) + sqrt(2kRh2), not beyond."""
    grid = ridge_grid(0.0, 0.0, extent_m=200e3, cell_m=500.0)
    horizon = math.sqrt(2 * k * R * h1) + math.sqrt(2 * k * R * h2)
    d = horizon * np.array([0.97, 0.99, 1.01, 1.03])
    ok = clear(grid, h1, d, np.full(4, h2), k=k, step_m=50.0)
    assert ok.tolist() == [True, True, False, False]


FLAT_600_KM = ridge_grid(0.0, 0.0, extent_m=600e3, cell_m=2000.0)


def test_beyond_the_grid_only_the_horizon_masks() -> None:
    """Past the grid's edge the ground is the smooth model: the profile test leaves it to the horizon test (a
    target far below the horizon, with no terrain grid under its path, is not masked by the profile)."""
    flat = ridge_grid(0.0, 0.0, extent_m=10e3, cell_m=1000.0)
    aside = TerrainGrid(flat.height_m, flat.covered, -10e3, 90e3, 1000.0, flat.site_altitude_m)  # 90 km north
    assert clear(aside, 10.0, np.array([200e3]), np.array([10.0]), k=4 / 3, step_m=50.0)[0]
    # on the grid, the flat ground near the radar masks the same target (it is 120 km below the horizon)
    assert not clear(flat, 10.0, np.array([200e3]), np.array([10.0]), k=4 / 3, step_m=50.0)[0]
    geo = SensorGeometry.at(1, FRAME, 0.0, 0.0, 10.0)
    state = np.array([[200e3, 0.0, FRAME.up_from_height(200e3, 0.0, 10.0), 0.0, 0.0, 0.0]])
    look = look_geometry(state, geo, R)
    assert not above_horizon(look.ground_angle_rad, 10.0, look.height_m, R, 4 / 3)[0]
    high = ridge_grid(30e3, 3000.0, extent_m=60e3, cell_m=500.0)  # a ridge on the grid still masks
    assert not clear(high, 10.0, np.array([200e3]), np.array([5000.0]), k=4 / 3, step_m=50.0)[0]


@settings(max_examples=60, deadline=None)
@given(h1=st.floats(2.0, 800.0), h2=st.floats(0.0, 3000.0), frac=st.floats(0.3, 1.7),
       bearing=st.floats(0.0, 2 * math.pi), k=st.sampled_from([1.0, 4.0 / 3.0, 2.0]))
def test_flat_terrain_agrees_with_the_horizon_test(h1: float, h2: float, frac: float, bearing: float,
                                                   k: float) -> None:
    """Over terrain at height 0 the mask and :func:`above_horizon` agree, except within 0.5 % of the horizon
    (the terrain is sampled every 50 m, the tangent point falls between two samples)."""
    assume(abs(frac - 1.0) >= 0.005)
    horizon = math.sqrt(2 * k * R * h1) + math.sqrt(2 * k * R * h2)
    d = horizon * frac
    assume(d < 590e3)
    grid = FLAT_600_KM
    e, n = np.array([d * math.sin(bearing)]), np.array([d * math.cos(bearing)])
    ok = clear(grid, h1, e, np.array([h2]), k=k, step_m=50.0, target_n=n)
    geo = SensorGeometry.at(1, FRAME, 0.0, 0.0, h1)
    state = np.column_stack([e, n, FRAME.up_from_height(e, n, h2), np.zeros((1, 3))])
    look = look_geometry(state, geo, R)
    assert bool(ok[0]) == bool(above_horizon(look.ground_angle_rad, h1, look.height_m, R, k)[0])


def test_ridge_behind_the_target_or_beside_the_path_does_not_mask() -> None:
    """Only terrain between antenna and target counts: a high ridge beyond the target, or off the path."""
    grid = ridge_grid(15e3, 2000.0)
    assert clear(grid, 10.0, np.array([10e3]), np.array([50.0]), k=4 / 3)[0]
    north = ridge_grid(15e3, 2000.0)
    hm = north.height_m.copy()
    coords = north.n0_m + north.cell_m * np.arange(hm.shape[0])
    hm[np.abs(coords) < 5e3, :] = 0.0  # a gap 10 km wide in the ridge around the east axis
    gap = TerrainGrid(hm, north.covered, north.e0_m, north.n0_m, north.cell_m, north.site_altitude_m)
    assert clear(gap, 10.0, np.array([30e3]), np.array([50.0]), k=4 / 3)[0]
    assert not clear(gap, 10.0, np.array([30e3]), np.array([50.0]), k=4 / 3, target_n=np.array([12e3]))[0]


def test_batch_equals_one_by_one() -> None:
    rng = np.random.default_rng(3)
    from airpicture.terrain.synthetic import synthetic_grid

    grid = synthetic_grid(4, 40e3, 200.0, 900.0, 6000.0, 30.0, 2000.0, FRAME.altitude_m)
    e, n = rng.uniform(-40e3, 40e3, 300), rng.uniform(-40e3, 40e3, 300)
    h = rng.uniform(0.0, 1500.0, 300)
    batch = clear(grid, 700.0, e, h, k=4 / 3, step_m=100.0, target_n=n)
    single = np.array([clear(grid, 700.0, e[i : i + 1], h[i : i + 1], k=4 / 3, step_m=100.0,
                             target_n=n[i : i + 1])[0] for i in range(300)])
    assert np.array_equal(batch, single)
    assert 0 < batch.sum() < 300  # the relief masks some, not all


def reference_clear(grid: TerrainGrid, antenna_m: float, e: np.ndarray, n: np.ndarray, h: np.ndarray, k: float,
                    step_m: float) -> np.ndarray:
    """A plain NumPy reference: every sample of every path (no clipping, no skipping), bilinear heights from
    :meth:`TerrainGrid.height_at`, the effective-Earth slope comparison; targets from a radar at the site."""
    out = np.ones(e.size, bool)
    a = k * R
    for i in range(e.size):
        c = np.array([e[i], n[i], FRAME.up_from_height(e[i], n[i], h[i]) + R])
        ut = c / np.linalg.norm(c)
        ur = np.array([0.0, 0.0, 1.0])
        theta = math.acos(min(1.0, float(ut @ ur)))
        n_seg = math.ceil(R * theta / step_m)
        if n_seg < 2:
            continue
        f = np.arange(1, n_seg) / n_seg
        w = (np.sin((1 - f) * theta)[:, None] * ur + np.sin(f * theta)[:, None] * ut) / math.sin(theta)
        ground = grid.height_at(R * w[:, 0], R * w[:, 1])
        phi = f * theta / k
        psi = theta / k
        xt, yt = (a + h[i]) * math.sin(psi), (a + h[i]) * math.cos(psi) - (a + antenna_m)
        x, y = (a + ground) * np.sin(phi), (a + ground) * np.cos(phi) - (a + antenna_m)
        out[i] = not np.any(y * xt > yt * x)
    return out


def test_compiled_kernel_against_a_plain_reference() -> None:
    """Clipping to the grid and skipping chunks under the block maxima change nothing: the compiled test agrees
    with a sample-everything NumPy reference over a rugged relief, for low and high targets near and far."""
    from airpicture.terrain.synthetic import synthetic_grid

    grid = synthetic_grid(9, 30e3, 150.0, 1200.0, 3000.0, 200.0, 2000.0, FRAME.altitude_m)
    rng = np.random.default_rng(11)
    k = 4.0 / 3.0
    r = rng.uniform(2e3, 80e3, 250)
    b = rng.uniform(0.0, 2 * math.pi, 250)
    e, n = r * np.sin(b), r * np.cos(b)
    h = np.concatenate([rng.uniform(0.0, 300.0, 150), rng.uniform(300.0, 4000.0, 100)])
    antenna = 40.0 + float(grid.height_at(np.array([0.0]), np.array([0.0]))[0])
    got = clear(grid, antenna, e, h, k=k, step_m=75.0, target_n=n)
    want = reference_clear(grid, antenna, e, n, h, k, 75.0)
    assert 20 < want.sum() < 230
    assert np.array_equal(got, want)
