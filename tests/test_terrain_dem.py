"""The DEM readers against known cells of tiles written here: SRTM .hgt (3 and 1 arc seconds, zipped or not,
big-endian, voids), GeoTIFF (tifffile), and the resampling onto the site's grid; their errors."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from airpicture.errors import InputError
from airpicture.geodesy import LocalFrame
from airpicture.terrain.dem import read_geotiff, read_hgt
from airpicture.terrain.grid import grid_from_dem


def known_tile(side: int) -> np.ndarray:
    """Heights that tell each cell apart: 7 row + 3 col - 500 (int16 range for 3601 x 3601 too)."""
    rows, cols = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    return (7 * rows + 3 * cols - 500) % 30000 - 1000


def write_raw(path: Path, h: np.ndarray) -> None:
    path.write_bytes(np.asarray(h, dtype=">i2").tobytes())  # SRTM: big-endian signed 16-bit


@pytest.mark.parametrize("side", [1201, 3601])
def test_hgt_cells_and_corners(tmp_path: Path, side: int) -> None:
    h = known_tile(side)
    h[10, 20] = -32768  # a void
    path = tmp_path / "S12W077.hgt"
    write_raw(path, h)
    dem = read_hgt(path)
    step = 1.0 / (side - 1)
    assert (dem.south_deg, dem.north_deg, dem.west_deg, dem.east_deg) == pytest.approx((-12, -11, -77, -76))
    assert dem.step_lat_deg == pytest.approx(step)
    # row i, column j lies at latitude north - i step, longitude west + j step
    for i, j in [(0, 0), (side - 1, side - 1), (100, 7), (500, side - 2)]:
        got = dem.sample(np.array([-11.0 - i * step]), np.array([-77.0 + j * step]))[0]
        assert got == pytest.approx(h[i, j])
    # halfway between four cells: their mean (bilinear)
    got = dem.sample(np.array([-11.0 - 100.5 * step]), np.array([-77.0 + 7.5 * step]))[0]
    assert got == pytest.approx(h[100:102, 7:9].mean())
    # the void took a nearest valid neighbour's height
    assert dem.height_m[10, 20] in {h[9, 20], h[11, 20], h[10, 19], h[10, 21]}
    assert np.isnan(dem.sample(np.array([-10.5]), np.array([-76.5]))[0])  # outside the tile


def test_hgt_zipped_and_corner_override(tmp_path: Path) -> None:
    h = known_tile(1201)
    raw = np.asarray(h, dtype=">i2").tobytes()
    path = tmp_path / "dem.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("N45E010.hgt", raw)
    with pytest.raises(InputError, match="south_deg and west_deg"):
        read_hgt(path)  # the zip's own name tells nothing
    dem = read_hgt(path, south_deg=45, west_deg=10)
    assert dem.north_deg == 46.0 and dem.west_deg == 10.0
    assert dem.height_m[3, 4] == h[3, 4]


@pytest.mark.parametrize("n_bytes", [0, 2 * 1200 * 1200, 2 * 1201 * 1201 + 2, 2 * 1201 * 1201 - 1])
def test_hgt_wrong_size_is_refused(tmp_path: Path, n_bytes: int) -> None:
    path = tmp_path / "N45E010.hgt"
    path.write_bytes(b"\0" * n_bytes)
    with pytest.raises(InputError, match=r"1201 x 1201 .*3601 x 3601") as err:
        read_hgt(path, source="s.toml")
    assert err.value.source == "s.toml" and err.value.problems[0].field == "terrain.file"


def test_hgt_missing_and_all_void(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        read_hgt(tmp_path / "N45E010.hgt")
    path = tmp_path / "N45E010.hgt"
    write_raw(path, np.full((1201, 1201), -32768))
    with pytest.raises(InputError, match="every cell is a void"):
        read_hgt(path)


def test_grid_from_dem_keeps_the_heights(tmp_path: Path) -> None:
    """Resampled onto the site's east/north grid, a cell's height is what the DEM says at that cell's
    latitude/longitude, minus the site's altitude (the ground model)."""
    h = known_tile(1201).astype(float)
    path = tmp_path / "N45E010.hgt"
    write_raw(path, h)
    dem = read_hgt(path)
    frame = LocalFrame.at(45.5, 10.5, 120.0)
    grid = grid_from_dem(dem, frame)
    assert grid.cell_m == pytest.approx(65.0, abs=0.7)  # the east-west spacing at 45.5 N
    rng = np.random.default_rng(1)
    e, n = rng.uniform(-30e3, 30e3, 200), rng.uniform(-40e3, 40e3, 200)
    lat, lon, _ = frame.to_geodetic(e, n, frame.up_from_height(e, n, 0.0))
    expected = dem.sample(lat, lon) - 120.0
    # bilinear of a bilinear: equal for this plane-like tile up to the grid's rounding of positions
    assert grid.height_at(e, n) == pytest.approx(expected, abs=1.0)
    assert grid.covers(e, n).all()
    assert not grid.covers(np.array([90e3]), np.array([0.0]))[0]


def test_geotiff_cells(tmp_path: Path) -> None:
    tifffile = pytest.importorskip("tifffile")
    h = known_tile(1201)[:300, :400].astype(np.int16)
    h[5, 6] = -9999
    step = 1.0 / 1200
    west, north = 10.0, 46.0
    keys = [1, 1, 0, 3, 1024, 0, 1, 2, 1025, 0, 1, 1, 2048, 0, 1, 4326]  # geographic, pixel is area, WGS 84
    path = tmp_path / "dem.tif"
    tifffile.imwrite(path, h, extratags=[
        (33550, "d", 3, (step, step, 0.0)),
        (33922, "d", 6, (0.0, 0.0, 0.0, west - step / 2, north + step / 2, 0.0)),  # the first pixel's corner
        (34735, "H", len(keys), keys),
        (42113, "s", 0, "-9999"),
    ])
    dem = read_geotiff(path)
    assert dem.north_deg == pytest.approx(north) and dem.west_deg == pytest.approx(west)
    for i, j in [(0, 0), (299, 399), (17, 250)]:
        assert dem.sample(np.array([north - i * step]), np.array([west + j * step]))[0] == pytest.approx(h[i, j])
    assert dem.height_m[5, 6] != -9999  # the void was filled


def test_geotiff_not_geographic_is_refused(tmp_path: Path) -> None:
    tifffile = pytest.importorskip("tifffile")
    keys = [1, 1, 0, 1, 1024, 0, 1, 1]  # projected
    path = tmp_path / "utm.tif"
    tifffile.imwrite(path, np.zeros((4, 4), np.int16), extratags=[
        (33550, "d", 3, (30.0, 30.0, 0.0)), (33922, "d", 6, (0, 0, 0, 500000.0, 5e6, 0)), (34735, "H", 8, keys)])
    with pytest.raises(InputError, match="geographic"):
        read_geotiff(path)
    plain = tmp_path / "plain.tif"
    tifffile.imwrite(plain, np.zeros((4, 4), np.int16))
    with pytest.raises(InputError, match="georeferencing"):
        read_geotiff(plain)


def test_void_clusters_take_their_nearest_valid_cell(tmp_path: Path) -> None:
    """Voids in clusters (a 6 x 6 block, a corner, a line) get the height of a valid cell at the smallest
    distance (brute force over every valid cell nearby)."""
    h = known_tile(1201)
    voids = np.zeros(h.shape, bool)
    voids[100:106, 200:206] = True
    voids[:3, :4] = True
    voids[700, 300:340] = True
    h[voids] = -32768
    path = tmp_path / "N45E010.hgt"
    write_raw(path, h)
    dem = read_hgt(path)
    for i, j in np.argwhere(voids):
        lo_i, lo_j = max(i - 25, 0), max(j - 25, 0)
        win = ~voids[lo_i : i + 26, lo_j : j + 26]
        vi, vj = np.nonzero(win)
        d2 = (vi + lo_i - i) ** 2 + (vj + lo_j - j) ** 2
        nearest = {int(h[vi[k] + lo_i, vj[k] + lo_j]) for k in np.flatnonzero(d2 == d2.min())}
        assert int(dem.height_m[i, j]) in nearest, (i, j)
    assert np.array_equal(dem.height_m[~voids], h[~voids])
