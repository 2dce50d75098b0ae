"""Make the synthetic DEM tile shipped with the ``terrain`` scenario.

Writes ``src/airpicture/scenarios/data/N34W039.hgt.zip``: an SRTM-format tile (1201 x 1201 cells, 3 arc seconds,
big-endian int16 metres, zipped as SRTM tiles are distributed) covering latitudes 34..35 N and longitudes 39..38
W -- open ocean in reality, so the relief cannot be mistaken for a real place. The relief is the synthetic one of
:mod:`airpicture.terrain.synthetic` (spectral fractal hills up to 1100 m above a plain at 150 m) with a valley
running from the north-north-east to a basin around the scenario's airbase at 34.5 N, 38.5 W. A few cells are
left void (-32768), as in real SRTM tiles, so the reader's void filling is exercised.

Usage: python tools/make_dem_sample.py
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np

from airpicture.geodesy import LocalFrame
from airpicture.terrain.dem import write_hgt
from airpicture.terrain.synthetic import synthetic_grid

SOUTH, WEST = 34, -39
SITE = LocalFrame.at(34.5, -38.5, 150.0)
SIDE = 1201
OUT = Path(__file__).resolve().parents[1] / "src/airpicture/scenarios/data/N34W039.hgt.zip"


def main() -> None:
    grid = synthetic_grid(seed=16, extent_m=62e3, cell_m=90.0, relief_m=1400.0, feature_m=6000.0,
                          valley_azimuth_deg=15.0, valley_width_m=2500.0, site_altitude_m=SITE.altitude_m)
    step = 1.0 / (SIDE - 1)
    lat = SOUTH + 1.0 - step * np.arange(SIDE)  # row 0: the northern edge
    lon = WEST + step * np.arange(SIDE)
    lat2, lon2 = np.meshgrid(lat, lon, indexing="ij")
    e, n, _ = SITE.to_enu(lat2.ravel(), lon2.ravel(), np.full(lat2.size, SITE.altitude_m))
    height = grid.elevation_at(e, n).reshape(SIDE, SIDE)
    rng = np.random.default_rng(16)
    voids = rng.integers(0, SIDE, (40, 2))
    height[voids[:, 0], voids[:, 1]] = np.nan
    buf = io.BytesIO()
    tmp = OUT.with_suffix(".tmp")
    write_hgt(tmp, height)
    data = tmp.read_bytes()
    tmp.unlink()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        info = zipfile.ZipInfo("N34W039.hgt", date_time=(2026, 1, 1, 0, 0, 0))  # fixed: reproducible bytes
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, data)
    OUT.write_bytes(buf.getvalue())
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e6:.2f} MB; heights {np.nanmin(height):.0f} to "
          f"{np.nanmax(height):.0f} m)")


if __name__ == "__main__":
    main()
