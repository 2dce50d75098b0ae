"""Terrain: digital elevation models (SRTM .hgt, GeoTIFF, synthetic relief), radar line of sight over them
(:mod:`.los`), terrain-following heights and low-altitude coverage maps (:mod:`.coverage`).

``airpicture.scenario`` is imported first: the ``[terrain]`` models (:mod:`.config`) build on its base model and
the scenario model refers to them, so either import order must find the other half finished. Only the models are
imported here (no Numba), so loading a scenario stays quick.
"""

from __future__ import annotations

import airpicture.scenario  # noqa: F401  (see the module doc)
from airpicture.terrain.config import GeoTiffTerrain, HgtTerrain, SyntheticTerrain, TerrainConfig

__all__ = ["GeoTiffTerrain", "HgtTerrain", "SyntheticTerrain", "TerrainConfig"]
