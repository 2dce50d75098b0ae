"""Where a configured radar stands: its :class:`SensorGeometry` (antenna position and local axes) in the site
frame, from the scenario's ``e_m``/``n_m`` or latitude/longitude, the ground's altitude there and the antenna
height above the ground."""

from __future__ import annotations

from typing import cast

from airpicture.geodesy import LocalFrame
from airpicture.scenario import Radar
from airpicture.sensors.geometry import SensorGeometry


def antenna_height_m(radar: Radar, frame: LocalFrame) -> float:
    """Height of the antenna above the scenario's spherical ground model, metres: ``antenna_height_m``, plus,
    when the radar's ground altitude ``altitude_m`` is given, how far that ground lies above the model (exactly
    for a latitude/longitude place; for an east/north place, above the site's altitude, which the model's
    ground keeps to within tens of metres out to 300 km)."""
    if radar.altitude_m is None:
        return float(radar.antenna_height_m)
    if radar.latitude_deg is not None:
        e, n, u = frame.to_enu(radar.latitude_deg, cast(float, radar.longitude_deg),
                               radar.altitude_m + radar.antenna_height_m)
        return float(frame.height_from_enu(e, n, u))
    return float(radar.altitude_m - frame.altitude_m + radar.antenna_height_m)


def radar_geometry(radar: Radar, frame: LocalFrame) -> SensorGeometry:
    """Antenna :func:`antenna_height_m` above the spherical ground below the radar's place (site if unset)."""
    from airpicture.truth.threats import place_en  # here: scenario validation imports this module, not the truth

    e, n = place_en(radar, frame)
    return SensorGeometry.at(radar.id, frame, e, n, antenna_height_m(radar, frame))
