"""Where a configured radar stands: its :class:`SensorGeometry` (antenna position and local axes) in the site
frame, from the scenario's ``e_m``/``n_m`` or latitude/longitude and its antenna height above the ground."""

from __future__ import annotations

from airpicture.geodesy import LocalFrame
from airpicture.scenario import Radar
from airpicture.sensors.geometry import SensorGeometry
from airpicture.truth.threats import place_en


def radar_geometry(radar: Radar, frame: LocalFrame) -> SensorGeometry:
    """Antenna ``radar.antenna_height_m`` above the spherical ground below the radar's place (site if unset)."""
    e, n = place_en(radar, frame)
    return SensorGeometry.at(radar.id, frame, e, n, radar.antenna_height_m)
