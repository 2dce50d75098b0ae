"""Surveillance sensors: radars, their sensitivity, accuracy and clutter regions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal, Self

from pydantic import Field, field_validator, model_validator

from airpicture.scenario.base import MAX_LABEL_LENGTH, Strict, _doc, sane
from airpicture.scenario.places import Place, Site


class ReferenceSensitivity(Strict):
    """Sensitivity given as the single-look SNR of a reference target at a reference range."""

    kind: Literal["reference"] = "reference"
    snr_db: float = _doc("SNR of a 1 m^2 (or rcs_m2) target at range_m, dB", default=20.0, ge=-30, le=100)
    range_m: float = _doc("Reference range, metres", default=100e3, gt=0, le=1e7)
    rcs_m2: float = _doc("Reference radar cross section, m^2", default=1.0, gt=0, le=1e6)


class RadarEquationSensitivity(Strict):
    """Sensitivity from the monostatic radar equation SNR = Pt G^2 lambda^2 sigma n / ((4 pi)^3 R^4 k T0 F B L)."""

    kind: Literal["radar_equation"] = "radar_equation"
    peak_power_w: float = _doc("Transmitted peak power, W", gt=0, le=1e10)
    antenna_gain_db: float = _doc("Antenna gain (transmit = receive), dBi", ge=0, le=60)
    frequency_hz: float = _doc("Carrier frequency, Hz", gt=1e6, le=1e12)
    noise_figure_db: float = _doc("Receiver noise figure, dB", default=3.0, ge=0, le=30)
    losses_db: float = _doc("System losses, dB", default=6.0, ge=0, le=60)
    bandwidth_hz: float = _doc("Receiver noise bandwidth, Hz", default=1e6, gt=0, le=1e11)
    pulses_integrated: int = _doc("Coherently integrated pulses per look", default=1, ge=1, le=1_000_000)


Sensitivity = Annotated[ReferenceSensitivity | RadarEquationSensitivity, Field(discriminator="kind")]


class FixedAccuracy(Strict):
    """Measurement noise with fixed standard deviations."""

    kind: Literal["fixed"] = "fixed"
    range_m: float = _doc("Range noise standard deviation, metres", default=50.0, gt=0, le=1e5)
    azimuth_deg: float = _doc("Azimuth noise standard deviation, degrees", default=0.2, gt=0, le=90)
    elevation_deg: float = _doc("Elevation noise standard deviation, degrees", default=0.3, gt=0, le=90)


class SnrAccuracy(Strict):
    """SNR-dependent noise: sigma = resolution / (k sqrt(2 SNR)), combined in quadrature with a floor."""

    kind: Literal["snr"] = "snr"
    range_floor_m: float = _doc("Range error floor (bias, quantisation), metres", default=10.0, gt=0, le=1e5)
    azimuth_floor_deg: float = _doc("Azimuth error floor, degrees", default=0.05, gt=0, le=90)
    elevation_floor_deg: float = _doc("Elevation error floor, degrees", default=0.1, gt=0, le=90)
    angle_slope: float = _doc("Monopulse slope k_m in sigma = beamwidth / (k_m sqrt(2 SNR))", default=1.6, gt=0,
                              le=100)


Accuracy = Annotated[FixedAccuracy | SnrAccuracy, Field(discriminator="kind")]


class ClutterRegion(Strict):
    """A region of extra false alarms (ground or sea clutter residue) in radar polar coordinates."""

    range_min_m: float = _doc("Inner range of the region, metres", default=0.0, ge=0, le=5e6)
    range_max_m: float = _doc("Outer range of the region, metres", gt=0, le=5e6)
    azimuth_min_deg: float = _doc("Sector start, degrees clockwise from north", default=0.0, ge=0, le=360)
    azimuth_max_deg: float = _doc("Sector end (clockwise from start), degrees", default=360.0, ge=0, le=360)
    false_alarms_per_scan: float = _doc("Mean number of clutter false alarms per scan in the region", ge=0)

    _sane_false_alarms = sane("false_alarms_per_scan", hi=1e5, why="a region with more than 100,000 false alarms "
                              "every scan is a jammed radar, not clutter residue")

    @model_validator(mode="after")
    def _ranges(self) -> Self:
        if self.range_min_m >= self.range_max_m:
            raise ValueError("range_min_m must be less than range_max_m")
        if self.azimuth_min_deg == self.azimuth_max_deg:
            raise ValueError("azimuth_min_deg equals azimuth_max_deg: an empty sector (use 0 and 360 for all round)")
        return self


class Radar(Place):
    """A rotating surveillance radar."""

    kind: Literal["surveillance_radar"] = "surveillance_radar"
    id: int = _doc("sensor_id written on every detection", ge=0, le=2**31 - 1)
    name: str = _doc("Display name", default="radar", max_length=MAX_LABEL_LENGTH)
    antenna_height_m: float = _doc("Antenna height above the ground, metres", default=10.0, ge=0, le=30000)
    altitude_m: float | None = _doc(
        "WGS84 ellipsoidal height of the ground at the radar (a hill, a ship's deck), metres; omit for the "
        "scenario's ground (the site's altitude on the spherical Earth model). Must not lie below that ground "
        "model", default=None, ge=-500, le=9000)
    scan_period_s: float = _doc("Time of one 360 degree rotation, seconds", default=10.0, gt=0, le=600)
    start_azimuth_deg: float = _doc("Beam azimuth at time 0, degrees clockwise from north", default=0.0, ge=0, lt=360)
    azimuth_beamwidth_deg: float = _doc("Two-way 3 dB azimuth beamwidth, degrees", default=1.5, gt=0, le=360)
    elevation_min_deg: float = _doc("Lowest elevation covered, degrees", default=-1.0, ge=-10, le=90)
    elevation_max_deg: float = _doc("Highest elevation covered, degrees", default=60.0, ge=-10, le=90)
    min_range_m: float = _doc("Blind range (eclipsing), metres", default=1000.0, ge=0, le=5e6)
    max_range_m: float = _doc("Instrumented range, metres", default=300e3, gt=0, le=5e6)
    pfa: float = _doc("Probability of false alarm per resolution cell per scan", default=1e-6, gt=0, lt=1)
    range_resolution_m: float = _doc("Range resolution (cell size), metres", default=150.0, gt=0)
    azimuth_resolution_deg: float | None = _doc(
        "Azimuth resolution, degrees (default: the beamwidth)", default=None, gt=0, le=360
    )
    elevation_resolution_deg: float = _doc("Elevation resolution (cell size), degrees", default=2.0, gt=0, le=180)
    sensitivity: Sensitivity = _doc("How strong echoes are", default_factory=ReferenceSensitivity)
    swerling: int = _doc("Target fluctuation model: Swerling case 0 (steady), 1 or 3", default=1)
    accuracy: Accuracy = _doc("Measurement noise model", default_factory=FixedAccuracy)
    range_rate: bool = _doc("Also measure range rate (Doppler)", default=False)
    range_rate_sigma_mps: float = _doc("Range-rate noise standard deviation, m/s", default=2.0, gt=0, le=1e4)
    max_range_rate_mps: float = _doc(
        "Largest range rate the radar reports (unambiguous Doppler interval +-), m/s; false alarms are uniform "
        "over it", default=1500.0, gt=0, le=1e5)
    refraction_k: float = _doc(
        "Effective-Earth-radius factor of the radar horizon (4/3: standard atmosphere; 1: no refraction)",
        default=4.0 / 3.0, ge=0.5, le=4.0)
    clutter: list[ClutterRegion] = _doc("Regions of extra false alarms", default_factory=list, max_length=1000)

    _sane_pfa = sane("pfa", hi=1e-2, why="a surveillance radar sets its detection threshold for a false-alarm "
                     "probability per cell of about 1e-4 to 1e-8; above 1e-2, one cell in a hundred would alarm at "
                     "every scan")
    _sane_range_resolution = sane("range_resolution_m", lo=1.0, why="1 m takes 150 MHz of bandwidth, finer than "
                                  "any surveillance radar resolves")
    _sane_beamwidth = sane("azimuth_beamwidth_deg", lo=0.1, why="the narrowest surveillance beams are about half a "
                           "degree wide")
    _sane_azimuth_resolution = sane("azimuth_resolution_deg", lo=0.01, why="finer than a hundredth of a degree "
                                    "is not a surveillance radar's resolution")
    _sane_elevation_resolution = sane("elevation_resolution_deg", lo=0.01, why="finer than a hundredth of a degree "
                                      "is not a surveillance radar's resolution")
    _sane_scan_period = sane("scan_period_s", lo=0.1, why="the fastest rotating surveillance radars turn about "
                             "once a second")

    @field_validator("swerling")
    @classmethod
    def _swerling(cls, v: int) -> int:
        if v not in (0, 1, 3):
            raise ValueError(f"unknown Swerling case {v}; expected 0, 1 or 3")
        return v

    @model_validator(mode="after")
    def _coverage(self) -> Self:
        if self.elevation_min_deg >= self.elevation_max_deg:
            raise ValueError("elevation_min_deg must be less than elevation_max_deg")
        if self.min_range_m >= self.max_range_m:
            raise ValueError("min_range_m must be less than max_range_m")
        return self

    @property
    def azimuth_cell_deg(self) -> float:
        return self.azimuth_resolution_deg if self.azimuth_resolution_deg is not None else self.azimuth_beamwidth_deg


# One sensor kind today; ``kind`` defaults to it, so files may omit it. New kinds will make this a union
# discriminated on ``kind``.
Sensor = Radar


def check_radars_above_ground(site: Site, sensors: Sequence[Radar]) -> None:
    """Refuse a radar whose antenna, given its ground ``altitude_m``, lies below the scenario's spherical ground
    model (the model has no terrain below the site's altitude)."""
    from airpicture.geodesy import LocalFrame
    from airpicture.placement import antenna_height_m

    frame = LocalFrame.at(site.latitude_deg, site.longitude_deg, site.altitude_m)
    for i, radar in enumerate(sensors):
        h = antenna_height_m(radar, frame)
        if h < 0.0:
            raise ValueError(f"sensors[{i}].altitude_m: the antenna ({radar.altitude_m:g} m ground + "
                             f"{radar.antenna_height_m:g} m mast) lies {-h:.0f} m below the scenario's ground "
                             f"model (site.altitude_m = {site.altitude_m:g} m, no terrain); expected a ground "
                             f"altitude at least {(radar.altitude_m or 0.0) - h:.0f} m")
