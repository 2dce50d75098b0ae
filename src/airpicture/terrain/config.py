"""The ``[terrain]`` table of scenario files: which digital elevation model (DEM) the radars and low fliers see.

Three sources, chosen by ``kind``:

- ``hgt``: an SRTM tile (``N45E010.hgt``, or the same zipped as distributed: ``N45E010.hgt.zip``), 1 or 3 arc
  seconds, big-endian int16 metres, voids -32768 (filled from their nearest valid cells);
- ``geotiff``: a single-band GeoTIFF in geographic coordinates (WGS84 latitude/longitude, e.g. SRTM or Copernicus
  GLO-30 GeoTIFFs); read with ``tifffile`` (the ``terrain`` extra: ``pip install 'airpicture[terrain]'``);
- ``synthetic``: a seeded fractal relief generated on the site's local grid, for teaching (no file).

Paths are relative to the scenario file. Elevations are metres above mean sea level and are compared with the
site's ``altitude_m`` (the scenario's spherical ground lies at that altitude): a DEM cell at the site's altitude
is on the ground model, higher cells rise above it.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from airpicture.scenario.base import Strict, _doc

#: Motion profiles that can follow the terrain at their height above ground.
FOLLOWING_PROFILES = ("cruise", "loiter")


class _TerrainCommon(Strict):
    follow_profiles: list[Literal["cruise", "loiter"]] = _doc(
        "Motion profiles whose threats keep their height_m above the terrain (terrain following) instead of "
        "above the smooth ground model", default_factory=lambda: list(FOLLOWING_PROFILES), max_length=2)
    profile_step_m: float | None = _doc(
        "Spacing of the terrain samples along each radar-target line of sight, metres (default: the DEM's cell "
        "size)", default=None, ge=10.0, le=5000.0)


class HgtTerrain(_TerrainCommon):
    """An SRTM height tile (.hgt or .hgt.zip): 1201 x 1201 (3 arc seconds) or 3601 x 3601 (1 arc second) cells."""

    kind: Literal["hgt"] = "hgt"
    file: str = _doc("Path to the .hgt or .hgt.zip tile, relative to the scenario file", min_length=1,
                     max_length=4096)
    south_deg: int | None = _doc("Latitude of the tile's southern edge, degrees (default: from the file name, "
                                 "e.g. N45E010 -> 45)", default=None, ge=-90, le=89)
    west_deg: int | None = _doc("Longitude of the tile's western edge, degrees (default: from the file name, "
                                "e.g. N45E010 -> 10)", default=None, ge=-180, le=179)


class GeoTiffTerrain(_TerrainCommon):
    """A single-band GeoTIFF in WGS84 latitude/longitude (needs the optional ``tifffile`` package)."""

    kind: Literal["geotiff"] = "geotiff"
    file: str = _doc("Path to the .tif file, relative to the scenario file", min_length=1, max_length=4096)
    nodata: float | None = _doc("Value marking voids (default: the file's GDAL_NODATA tag, else -32768)",
                                default=None)


class SyntheticTerrain(_TerrainCommon):
    """A seeded fractal relief on the site's local grid, for teaching: hills of about ``relief_m`` with
    features of about ``feature_m``, optionally cut by a valley that runs from ``valley_azimuth_deg`` to the
    site."""

    kind: Literal["synthetic"] = "synthetic"
    seed: int = _doc("Random seed of the relief", default=1, ge=0, le=2**32 - 1)
    extent_m: float = _doc("Half-width of the square relief around the site, metres", default=60e3, gt=0, le=500e3)
    cell_m: float = _doc("Grid spacing, metres", default=100.0, ge=10.0, le=5000.0)
    relief_m: float = _doc("Height of the highest hills above the lowest ground, metres", default=800.0, ge=0,
                           le=9000)
    feature_m: float = _doc("Typical width of a hill, metres", default=8000.0, gt=0, le=500e3)
    valley_azimuth_deg: float | None = _doc(
        "Direction from the site (degrees clockwise from north) of a valley running to the site at the site's "
        "altitude; omit for none", default=None, ge=0, lt=360)
    valley_width_m: float = _doc("Width of the valley floor, metres", default=3000.0, gt=0, le=100e3)

    @model_validator(mode="after")
    def _size(self) -> Self:
        from airpicture.terrain.grid import MAX_NODES

        side = 2 * int(self.extent_m // self.cell_m) + 1
        if side * side > MAX_NODES:
            raise ValueError(f"extent_m {self.extent_m:g} at cell_m {self.cell_m:g} makes {side} x {side} nodes; "
                             f"expected at most {MAX_NODES:,} (a larger cell_m or a smaller extent_m)")
        return self


TerrainConfig = Annotated[HgtTerrain | GeoTiffTerrain | SyntheticTerrain, Field(discriminator="kind")]
