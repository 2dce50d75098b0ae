"""Where things are: the site (origin of the local frame), ground places and defended assets."""

from __future__ import annotations

from typing import Self

from pydantic import model_validator

from airpicture.scenario.base import MAX_LABEL_LENGTH, Strict, _doc


class Site(Strict):
    """The scenario origin: local East-North-Up axes are centred here, on the ground."""

    latitude_deg: float = _doc("WGS84 geodetic latitude of the site, degrees", ge=-90, le=90)
    longitude_deg: float = _doc("WGS84 longitude of the site, degrees east", ge=-180, le=180)
    altitude_m: float = _doc("Ellipsoidal height of the ground at the site, metres", default=0.0, ge=-500, le=9000)


class Place(Strict):
    """A ground point: either ``e_m``/``n_m`` from the site, or ``latitude_deg``/``longitude_deg``."""

    e_m: float | None = _doc("East offset from the site, metres", default=None, ge=-2e6, le=2e6)
    n_m: float | None = _doc("North offset from the site, metres", default=None, ge=-2e6, le=2e6)
    latitude_deg: float | None = _doc("WGS84 latitude, degrees (instead of e_m/n_m)", default=None, ge=-90, le=90)
    longitude_deg: float | None = _doc(
        "WGS84 longitude, degrees east (instead of e_m/n_m)", default=None, ge=-180, le=180
    )

    @model_validator(mode="after")
    def _one_form(self) -> Self:
        enu = (self.e_m is not None, self.n_m is not None)
        geo = (self.latitude_deg is not None, self.longitude_deg is not None)
        if any(geo) and any(enu):
            raise ValueError("give either e_m/n_m or latitude_deg/longitude_deg, not both")
        if any(geo) and not all(geo):
            raise ValueError("latitude_deg and longitude_deg must be given together")
        return self


class Asset(Place):
    """A defended asset (airbase, port, city district). Threats fly to their assigned asset."""

    name: str = _doc("Unique name the raids and batteries refer to", min_length=1, max_length=MAX_LABEL_LENGTH)
    radius_m: float = _doc("A threat that comes this close (horizontally) is a leaker, metres", default=1000.0, gt=0,
                           le=1e6)
