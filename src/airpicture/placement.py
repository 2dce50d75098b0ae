"""Where things are: the scenario's local frame, and the east/north place of its assets, radars and batteries.

Depends on :mod:`airpicture.geodesy` alone (the scenario models are only type hints here), so that validating a
scenario, the truth, the sensors, fire control and the report all read places the same way without importing one
another. Units: metres in the site's local East-North-Up frame; latitude/longitude in degrees at the boundary.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, cast

import numpy as np
from numpy.typing import NDArray

from airpicture.geodesy import LocalFrame

if TYPE_CHECKING:
    from airpicture.scenario import Radar, Scenario

__all__ = ["antenna_height_m", "asset_positions", "frame_of", "place_en"]


class _Place(Protocol):
    """A ground point given as ``e_m``/``n_m`` from the site or as ``latitude_deg``/``longitude_deg``."""

    e_m: float | None
    n_m: float | None
    latitude_deg: float | None
    longitude_deg: float | None


def frame_of(scenario: Scenario) -> LocalFrame:
    """The local East-North-Up frame centred on the scenario's site."""
    s = scenario.site
    return LocalFrame.at(s.latitude_deg, s.longitude_deg, s.altitude_m)


def place_en(place: _Place, frame: LocalFrame) -> tuple[float, float]:
    """East/north of a :class:`~airpicture.scenario.Place` (e/n or lat/lon; missing means the site), metres."""
    if place.latitude_deg is not None:
        return frame.ground_point(place.latitude_deg, cast(float, place.longitude_deg))
    return (place.e_m or 0.0, place.n_m or 0.0)


def asset_positions(scenario: Scenario, frame: LocalFrame) -> NDArray[np.float64]:
    """(A, 2) east/north of every defended asset, metres."""
    return np.array([place_en(a, frame) for a in scenario.assets], dtype=float).reshape(-1, 2)


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
