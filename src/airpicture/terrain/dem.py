"""Digital elevation models on a latitude/longitude grid: SRTM ``.hgt`` tiles (read with NumPy) and GeoTIFFs
(read with the optional ``tifffile``).

An SRTM tile named ``N45E010`` covers latitudes 45..46 and longitudes 10..11 degrees; it holds 1201 x 1201
(3 arc seconds) or 3601 x 3601 (1 arc second) big-endian signed 16-bit heights in metres, row by row from the
northern edge, each row from the western edge; the edge rows and columns repeat those of the neighbouring tiles
(grid points, not areas). Voids are -32768. (NASA/USGS, *SRTM Topography*, SRTM documentation, 2009.)

Voids are filled with the height of their nearest valid cell (a plain, deterministic choice; a tile with voids
only is refused). Units: degrees, metres above mean sea level.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from airpicture.errors import InputError, Problem

F64 = NDArray[np.float64]

HGT_VOID = -32768
#: Cells per side of an SRTM tile -> arc seconds per cell.
HGT_SIZES = {1201: 3, 3601: 1}
_HGT_NAME = re.compile(r"^([NS])(\d{2})([EW])(\d{3})", re.IGNORECASE)
#: Largest DEM read (cells): a 1-arc-second tile has 13 million.
MAX_CELLS = 40_000_000


@dataclass(frozen=True)
class Dem:
    """Heights (m) on a regular latitude/longitude grid: ``height_m[i, j]`` at latitude ``north_deg - i *
    step_lat_deg`` and longitude ``west_deg + j * step_lon_deg`` (row 0 is the northern edge)."""

    height_m: F64
    north_deg: float
    west_deg: float
    step_lat_deg: float
    step_lon_deg: float

    @property
    def south_deg(self) -> float:
        return self.north_deg - (self.height_m.shape[0] - 1) * self.step_lat_deg

    @property
    def east_deg(self) -> float:
        return self.west_deg + (self.height_m.shape[1] - 1) * self.step_lon_deg

    def contains(self, lat_deg: F64, lon_deg: F64) -> NDArray[np.bool_]:
        lat, lon = np.asarray(lat_deg, float), np.asarray(lon_deg, float)
        return (lat >= self.south_deg) & (lat <= self.north_deg) & (lon >= self.west_deg) & (lon <= self.east_deg)

    def sample(self, lat_deg: F64, lon_deg: F64) -> F64:
        """Bilinear height (m) at the points (NaN outside the grid)."""
        from scipy.ndimage import map_coordinates

        lat, lon = np.asarray(lat_deg, float), np.asarray(lon_deg, float)
        rows = (self.north_deg - lat) / self.step_lat_deg
        cols = (lon - self.west_deg) / self.step_lon_deg
        out = map_coordinates(self.height_m, [rows.ravel(), cols.ravel()], order=1, mode="nearest")
        out = out.reshape(lat.shape)
        return np.where(self.contains(lat, lon), out, np.nan)


def fill_voids(height: NDArray, void: NDArray[np.bool_], source: str, field: str) -> F64:
    """Heights as float with each void cell given its nearest valid cell's height (searched within a window
    around each cluster of voids; the whole tile when voids are everywhere)."""
    out = np.asarray(height, dtype=float)
    if not void.any():
        return out
    if void.all():
        raise InputError(source, Problem(field, "every cell is a void (no height at all); expected a DEM with "
                                                "heights"))
    from scipy.ndimage import distance_transform_edt, find_objects, label

    out = out.copy()
    labels, _ = label(void, structure=np.ones((3, 3)))
    for where in find_objects(labels):
        pad = 1 + max(sl.stop - sl.start for sl in where)  # a valid cell lies within the cluster's size
        while True:
            win = tuple(slice(max(sl.start - pad, 0), min(sl.stop + pad, n)) for sl, n in zip(where, void.shape,
                                                                                                 strict=True))
            sub = void[win]
            if not sub.all():
                break
            pad *= 2
        _, (ri, ci) = distance_transform_edt(sub, return_indices=True)
        block = out[win]
        out[win] = np.where(sub, block[ri, ci], block)
    return out


def hgt_corner(path: Path, source: str, field: str) -> tuple[int, int]:
    """(south, west) degrees of a tile from its SRTM name (``N45E010``, ``S12W077.hgt.zip``)."""
    m = _HGT_NAME.match(path.name)
    if not m:
        raise InputError(source, Problem(field, f"cannot tell where the tile '{path.name}' lies: expected an SRTM "
                                                "name such as N45E010.hgt, or give south_deg and west_deg"))
    lat = int(m.group(2)) * (1 if m.group(1).upper() == "N" else -1)
    lon = int(m.group(4)) * (1 if m.group(3).upper() == "E" else -1)
    return lat, lon


def _hgt_bytes(path: Path, source: str, field: str) -> bytes:
    try:
        if path.name.lower().endswith(".zip"):
            with zipfile.ZipFile(path) as z:
                names = [n for n in z.namelist() if n.lower().endswith(".hgt")]
                if len(names) != 1:
                    raise InputError(source, Problem(field, f"{path}: expected a zip holding one .hgt tile, found "
                                                            f"{len(names)}"))
                info = z.getinfo(names[0])
                if info.file_size > 2 * 3601 * 3601:
                    raise InputError(source, Problem(field, f"{path}: the tile inside is {info.file_size} bytes; "
                                                            f"expected {2 * 1201 * 1201} or {2 * 3601 * 3601}"))
                return z.read(names[0])
        size = path.stat().st_size
        if size > 2 * 3601 * 3601:
            raise InputError(source, Problem(field, f"{path}: {size} bytes; expected {2 * 1201 * 1201} (3 arc "
                                                    f"seconds) or {2 * 3601 * 3601} (1 arc second)"))
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(source, Problem(field, f"{path}: file not found; expected an SRTM .hgt tile (paths are "
                                                "relative to the scenario file)")) from None
    except IsADirectoryError:
        raise InputError(source, Problem(field, f"{path}: is a folder; expected an SRTM .hgt tile")) from None
    except zipfile.BadZipFile:
        raise InputError(source, Problem(field, f"{path}: not a readable zip file; expected a .hgt.zip tile")) \
            from None
    except OSError as exc:
        raise InputError(source, Problem(field, f"{path}: cannot read: {exc.strerror}")) from None


def read_hgt(path: str | Path, source: str = "", field: str = "terrain.file", south_deg: int | None = None,
             west_deg: int | None = None) -> Dem:
    """Read an SRTM tile (``.hgt`` or ``.hgt.zip``). Its size decides the resolution; its corner comes from the
    file name unless ``south_deg``/``west_deg`` are given. Raises :class:`InputError` (``source``, ``field``)."""
    path = Path(path)
    source = source or str(path)
    raw = _hgt_bytes(path, source, field)
    cells = len(raw) // 2
    side = round(cells**0.5)
    if len(raw) % 2 or side * side != cells or side not in HGT_SIZES:
        raise InputError(source, Problem(field, f"{path}: {len(raw)} bytes is not an SRTM tile; expected "
                                                f"{2 * 1201 * 1201} (1201 x 1201 cells, 3 arc seconds) or "
                                                f"{2 * 3601 * 3601} (3601 x 3601, 1 arc second)"))
    if south_deg is None or west_deg is None:
        s, w = hgt_corner(path, source, field)
        south_deg = s if south_deg is None else south_deg
        west_deg = w if west_deg is None else west_deg
    h = np.frombuffer(raw, dtype=">i2").reshape(side, side)
    step = 1.0 / (side - 1)
    return Dem(fill_voids(h, h == HGT_VOID, source, field), float(south_deg + 1), float(west_deg), step, step)


def write_hgt(path: str | Path, height_m: NDArray) -> None:
    """Write a (1201, 1201) or (3601, 3601) height array (row 0 = north) as an SRTM tile; NaN becomes a void."""
    h = np.asarray(height_m, dtype=float)
    if h.shape[0] != h.shape[1] or h.shape[0] not in HGT_SIZES:
        raise ValueError(f"an SRTM tile is 1201 x 1201 or 3601 x 3601 cells, got {h.shape}")
    out = np.where(np.isnan(h), HGT_VOID, np.clip(np.round(np.nan_to_num(h)), -32767, 32767)).astype(">i2")
    Path(path).write_bytes(out.tobytes())


# GeoTIFF tags and keys (GeoTIFF 1.1, OGC 19-008r4).
_PIXEL_SCALE, _TIEPOINT, _GEOKEYS, _GDAL_NODATA = 33550, 33922, 34735, 42113
_MODEL_TYPE_GEOGRAPHIC = 2
_RASTER_PIXEL_IS_POINT = 2


def read_geotiff(path: str | Path, source: str = "", field: str = "terrain.file",
                 nodata: float | None = None) -> Dem:
    """Read a single-band GeoTIFF in geographic coordinates (degrees) with ``tifffile``."""
    path = Path(path)
    source = source or str(path)
    try:
        import tifffile
    except ImportError:
        raise InputError(source, Problem(field, "reading GeoTIFF needs the optional package tifffile: pip install "
                                                "'airpicture[terrain]' (or use an SRTM .hgt tile)")) from None
    if not path.is_file():
        raise InputError(source, Problem(field, f"{path}: file not found; expected a GeoTIFF (paths are relative "
                                                "to the scenario file)"))
    try:
        with tifffile.TiffFile(path) as tif:
            page = tif.pages.first
            tags = page.tags
            if _PIXEL_SCALE not in tags or _TIEPOINT not in tags:
                raise InputError(source, Problem(field, f"{path}: no GeoTIFF georeferencing (ModelPixelScale and "
                                                        "ModelTiepoint tags); expected a GeoTIFF DEM"))
            scale = tags[_PIXEL_SCALE].value
            tie = tags[_TIEPOINT].value
            keys: Any = tags[_GEOKEYS].value if _GEOKEYS in tags else ()
            if nodata is None and _GDAL_NODATA in tags:
                nodata = float(str(tags[_GDAL_NODATA].value).strip("\x00 "))
            if page.shape[0] * page.shape[1] > MAX_CELLS:
                raise InputError(source, Problem(field, f"{path}: {page.shape} cells; expected at most "
                                                        f"{MAX_CELLS:,} (crop the DEM to the scenario's area)"))
            data = page.asarray()
    except InputError:
        raise
    except Exception as exc:  # tifffile raises many types for broken files
        raise InputError(source, Problem(field, f"{path}: not a readable TIFF ({exc}); expected a GeoTIFF DEM")) \
            from None
    geokeys = {int(keys[i]): int(keys[i + 3]) for i in range(4, 4 + 4 * int(keys[3]), 4)} if len(keys) >= 4 else {}
    if geokeys.get(1024) != _MODEL_TYPE_GEOGRAPHIC:
        raise InputError(source, Problem(field, f"{path}: not in geographic (latitude/longitude) coordinates; "
                                                "expected a WGS84 lat/lon GeoTIFF (reproject it, e.g. gdalwarp "
                                                "-t_srs EPSG:4326)"))
    data = np.asarray(data)
    if data.ndim == 3:
        data = data[..., 0] if data.shape[-1] <= 4 else data[0]
    if data.ndim != 2 or min(data.shape) < 2:
        raise InputError(source, Problem(field, f"{path}: image of shape {data.shape}; expected one band of at "
                                                "least 2 x 2 heights"))
    dx, dy = float(scale[0]), float(scale[1])
    i0, j0, x0, y0 = float(tie[0]), float(tie[1]), float(tie[3]), float(tie[4])
    west, north = x0 - i0 * dx, y0 + j0 * dy
    if geokeys.get(1025) != _RASTER_PIXEL_IS_POINT:  # pixel is area: the tie point is a corner, heights at centres
        west, north = west + dx / 2, north - dy / 2
    void = ~np.isfinite(data) | (data == (HGT_VOID if nodata is None else nodata))
    return Dem(fill_voids(np.where(void, 0, data), void, source, field), north, west, dy, dx)
