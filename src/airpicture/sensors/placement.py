"""Where a configured radar stands: its :class:`SensorGeometry` (antenna position and local axes) in the site
frame, from the scenario's ``e_m``/``n_m`` or latitude/longitude, the ground's altitude there and the antenna
height above the ground (:func:`airpicture.placement.antenna_height_m`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from airpicture.geodesy import LocalFrame
from airpicture.placement import antenna_height_m, place_en
from airpicture.sensors.geometry import SensorGeometry

if TYPE_CHECKING:
    from airpicture.scenario import Radar

__all__ = ["antenna_height_m", "radar_geometry"]


def radar_geometry(radar: Radar, frame: LocalFrame) -> SensorGeometry:
    """Antenna :func:`antenna_height_m` above the spherical ground below the radar's place (site if unset)."""
    e, n = place_en(radar, frame)
    return SensorGeometry.at(radar.id, frame, e, n, antenna_height_m(radar, frame))
