"""Scenario files: pydantic models of the TOML format and loading with clear errors.

Frames and units: positions are local East-North-Up metres from the scenario site (``e_m``, ``n_m``), or WGS84
``latitude_deg``/``longitude_deg``; heights are metres above the ground (a sphere of the local Earth radius
through the site; a ``[terrain]`` rises above it); azimuths are degrees clockwise from north; times are seconds from the
scenario start.

Every model forbids unknown keys (with a "did you mean" suggestion) and non-finite numbers.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from airpicture.errors import InputError, Problem

ThreatKind = Literal["aircraft", "cruise_missile", "drone", "ballistic_missile"]
CivilKind = Literal["airliner", "general_aviation"]
TargetKind = Literal["aircraft", "cruise_missile", "drone", "ballistic_missile", "airliner", "general_aviation"]
THREAT_KINDS: tuple[str, ...] = ("aircraft", "cruise_missile", "drone", "ballistic_missile")
ALL_KINDS: tuple[str, ...] = (*THREAT_KINDS, "airliner", "general_aviation")
#: Largest seed: seeds are stored as signed 64-bit integers in the tables.
MAX_SEED = 2**63 - 1
#: Names used in folder names: a letter or digit first (never "." or ".."), then letters, digits, "_", ".", "-".
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
MAX_NAME_LENGTH = 100
#: Longest free text (descriptions, display names): it is copied into results, reports and messages.
MAX_DESCRIPTION_LENGTH = 2000
MAX_LABEL_LENGTH = 200
#: Largest scenario, sweep or sensor file read, bytes, and deepest nesting of tables and arrays in one.
MAX_FILE_BYTES = 16 * 2**20
MAX_NESTING = 32
#: Scenarios last at most a day; times in them stay within a few days of the start.
DAY_S = 86400.0

#: Typical radar cross sections (m^2), textbook orders of magnitude (e.g. Skolnik, *Introduction to Radar
#: Systems*, table 2.2): fighter ~ 2-6, small cruise missile ~ 0.1, small drone ~ 0.01-0.1, re-entry vehicle
#: ~ 0.05, airliner ~ 20-100, light aircraft ~ 1-2.
DEFAULT_RCS_M2: dict[str, float] = {
    "aircraft": 5.0,
    "cruise_missile": 0.1,
    "drone": 0.05,
    "ballistic_missile": 0.05,
    "airliner": 40.0,
    "general_aviation": 2.0,
}


class Strict(BaseModel):
    """Base of every scenario model: frozen, unknown keys refused with a suggestion, finite numbers only, and
    strict types (no text read as a number, no true read as 1, no 2.5 read as a count; an integer is a valid
    float)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, validate_default=True, strict=True)

    @model_validator(mode="before")
    @classmethod
    def _refuse_unknown_keys(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            known = set(cls.model_fields)
            for info in cls.model_fields.values():
                if info.alias:
                    known.add(info.alias)
            unknown = [k for k in data if k not in known]
            if unknown:
                msgs = []
                for key in unknown:
                    close = difflib.get_close_matches(str(key), sorted(known), n=1, cutoff=0.6)
                    hint = (f"; did you mean '{close[0]}'?" if close
                            else f"; expected one of: {', '.join(sorted(known))}")
                    msgs.append(f"unknown key '{key}'{hint}")
                raise ValueError("; ".join(msgs))
        return data


def _doc(text: str, **kw: Any) -> Any:
    return Field(description=text, **kw)


def check_name(v: Any) -> Any:
    """A name used in a folder name: refuse what could escape that folder or hide it."""
    if isinstance(v, str) and not re.fullmatch(NAME_PATTERN, v):
        raise ValueError(f"{v[:60]!r} is not a usable name: expected letters, digits, '_', '.' and '-', starting "
                         "with a letter or digit (the name becomes a folder name, so '.', '..', '/' and spaces "
                         "are refused)")
    return v


def sane(name: str, lo: float | None = None, hi: float | None = None, why: str = "") -> Any:
    """A validator refusing ``name`` outside [lo, hi] -- bounds no sensible study exceeds, given with the reason
    (unlike a field's plain limits, which only say the number)."""

    def check(cls: type, v: Any) -> Any:
        if isinstance(v, int | float) and not isinstance(v, bool):
            shown = f"{v:,}" if isinstance(v, int) else f"{v:g}"
            if lo is not None and v < lo:
                raise ValueError(f"{shown} is below {lo:g}: {why}")
            if hi is not None and v > hi:
                raise ValueError(f"{shown} is above {hi:,.0f}: {why}" if float(hi).is_integer() else
                                 f"{shown} is above {hi:g}: {why}")
        return v

    check.__name__ = f"_sane_{name}"
    return field_validator(name)(classmethod(check))  # type: ignore[arg-type]


PositiveFloat = Annotated[float, Field(gt=0)]
#: a point [east, north] in metres: a TOML array of two numbers
PointEN = Annotated[tuple[Annotated[float, Field(ge=-5e6, le=5e6)], Annotated[float, Field(ge=-5e6, le=5e6)]],
                    BeforeValidator(lambda v: tuple(v) if isinstance(v, list) else v)]
NonNegFloat = Annotated[float, Field(ge=0)]


# --------------------------------------------------------------------------------------------- site & places
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


# --------------------------------------------------------------------------------------------- sensors
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


# --------------------------------------------------------------------------------------------- batteries
class Envelope(Strict):
    """Where an interceptor can meet a threat of one kind, measured from the battery."""

    min_range_m: float = _doc("Minimum intercept range, metres", ge=0, le=5e6)
    max_range_m: float = _doc("Maximum intercept range, metres", gt=0, le=5e6)
    min_altitude_m: float = _doc("Minimum intercept altitude, metres", ge=0, le=2e6)
    max_altitude_m: float = _doc("Maximum intercept altitude, metres", gt=0, le=2e6)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.min_range_m > self.max_range_m:
            raise ValueError(f"min_range_m ({self.min_range_m}) is greater than max_range_m ({self.max_range_m})")
        if self.min_altitude_m > self.max_altitude_m:
            raise ValueError(
                f"min_altitude_m ({self.min_altitude_m}) is greater than max_altitude_m ({self.max_altitude_m})"
            )
        return self


def _default_envelopes() -> dict[str, Envelope]:
    # Orders of magnitude from open sources on long-range SAM systems: ~150 km against aircraft, less
    # against small low fliers (horizon-limited anyway) and ~40 km against ballistic missiles.
    return {
        "aircraft": Envelope(min_range_m=3e3, max_range_m=150e3, min_altitude_m=10, max_altitude_m=27e3),
        "cruise_missile": Envelope(min_range_m=3e3, max_range_m=40e3, min_altitude_m=10, max_altitude_m=10e3),
        "drone": Envelope(min_range_m=3e3, max_range_m=60e3, min_altitude_m=10, max_altitude_m=10e3),
        "ballistic_missile": Envelope(min_range_m=5e3, max_range_m=40e3, min_altitude_m=2e3, max_altitude_m=25e3),
        "airliner": Envelope(min_range_m=3e3, max_range_m=150e3, min_altitude_m=10, max_altitude_m=27e3),
        "general_aviation": Envelope(min_range_m=3e3, max_range_m=150e3, min_altitude_m=10, max_altitude_m=27e3),
    }


def _default_pk() -> dict[str, float]:
    return {
        "aircraft": 0.8,
        "cruise_missile": 0.7,
        "drone": 0.8,
        "ballistic_missile": 0.5,
        "airliner": 0.9,
        "general_aviation": 0.9,
    }


class Battery(Place):
    """A fire unit: fire channels, launchers, interceptors and a doctrine. Modelled abstractly."""

    name: str = _doc("Unique battery name", min_length=1, max_length=MAX_LABEL_LENGTH)
    defends: list[str] = _doc("Names of the defended assets this battery protects", min_length=1, max_length=1000)
    track_capacity: int = _doc(
        "Tracks the surveillance picture can hold. Batteries share one picture: its capacity is the first "
        "battery's unless tracker.capacity is set", default=100, ge=0, le=10_000_000)
    fire_channels: int = _doc("Targets under engagement at once", default=6, ge=0)
    max_in_flight: int = _doc("Interceptors guided at once", default=12, ge=0)
    launchers: int = _doc("Number of launchers", default=8, ge=0)
    rounds_per_launcher: int = _doc("Ready rounds on each launcher", default=4, ge=0)
    reload_rounds: int = _doc("Spare rounds for reloading launchers", default=32, ge=0)
    reload_time_s: float = _doc("Time to reload an empty launcher, seconds", default=1800.0, ge=0, le=DAY_S)
    reaction_time_s: float = _doc("Delay from decision to launch, seconds", default=5.0, ge=0, le=DAY_S)
    launch_interval_s: float = _doc("Minimum time between launches of one salvo, seconds", default=3.0, ge=0,
                                    le=DAY_S)
    interceptor_speed_mps: float = _doc("Interceptor mean flyout speed, m/s", default=1200.0, gt=0, le=20000)
    kill_assessment_s: float = _doc("Time after intercept before the outcome is known, seconds", default=5.0, ge=0,
                                    le=DAY_S)
    firm_track_velocity_sigma_mps: float | None = _doc(
        "Fire-control quality: a track is engaged only once the standard deviation of its velocity (per axis, "
        "sqrt(trace / 3) of its velocity covariance) has been at most this, m/s (it then stays firm) -- a track of "
        "two or three looks aims the interceptors too roughly; omit to engage every confirmed track at once",
        default=30.0, gt=0, le=1e5)
    correction_radius_m: float = _doc(
        "An interceptor can only hit if the true target is within this distance of the aim point", default=1500.0, gt=0,
        le=1e6)

    _sane_channels = sane("fire_channels", hi=10_000, why="a battery guides a handful to a few dozen engagements "
                          "at once")
    _sane_in_flight = sane("max_in_flight", hi=100_000, why="a battery guides a few dozen interceptors at once")
    _sane_launchers = sane("launchers", hi=10_000, why="a battery has a few to a few dozen launchers")
    _sane_rounds = sane("rounds_per_launcher", hi=1_000_000, why="a launcher holds a few to a few dozen ready "
                        "rounds (a million already models an inexhaustible magazine)")
    _sane_reload = sane("reload_rounds", hi=1_000_000, why="a battery's spare rounds number in the hundreds at most")
    doctrine: Literal["salvo", "shoot_look_shoot"] = _doc(
        "Firing doctrine: 'salvo' engages a track once with salvo_size interceptors; 'shoot_look_shoot' fires "
        "salvo_size, waits for the kill assessment and fires again (up to max_shots) while the track persists",
        default="salvo",
    )
    salvo_size: int = _doc("Interceptors per engagement (salvo) or per shot (shoot-look-shoot)", default=2, ge=1,
                           le=1000)
    max_shots: int = _doc("Most shots per threat under shoot-look-shoot", default=2, ge=1, le=1000)
    pk: dict[str, Annotated[float, Field(ge=0, le=1)]] = _doc(
        "Single-shot probability of kill per target kind, in [0, 1]", default_factory=_default_pk
    )
    envelopes: dict[str, Envelope] = _doc("Engagement envelope per target kind", default_factory=_default_envelopes)
    misidentification_probability: float = _doc(
        "Probability that a civil track is identified as hostile", default=0.0, ge=0, le=1
    )
    engage_unknown: bool = _doc(
        "Also engage tracks of unknown identity (tracks born of false alarms) that close on a defended asset",
        default=False,
    )
    unknown_kind: TargetKind = _doc("Kind assumed for the envelope and Pk of an unknown track", default="aircraft")
    max_wait_s: float | None = _doc(
        "Longest a threat waits for a channel or interceptor before this battery gives it up, seconds "
        "(unset: as long as it stays engageable; 0: a threat finding no free channel is never engaged)",
        default=None, ge=0, le=DAY_S,
    )

    @model_validator(mode="after")
    def _salvo_fits(self) -> Self:
        if self.max_in_flight > 0 and self.salvo_size > self.max_in_flight:
            raise ValueError(
                f"salvo_size ({self.salvo_size}) exceeds max_in_flight ({self.max_in_flight}); a salvo could "
                "never be launched"
            )
        return self

    @field_validator("pk", "envelopes")
    @classmethod
    def _known_kinds(cls, v: dict[str, Any]) -> dict[str, Any]:
        for key in v:
            if key not in ALL_KINDS:
                raise ValueError(f"unknown target kind '{key}'; expected one of {', '.join(ALL_KINDS)}")
        return v

    @field_validator("pk", mode="after")
    @classmethod
    def _fill_pk(cls, v: dict[str, float]) -> dict[str, float]:
        return {**_default_pk(), **v}

    @field_validator("envelopes", mode="after")
    @classmethod
    def _fill_envelopes(cls, v: dict[str, Envelope]) -> dict[str, Envelope]:
        return {**_default_envelopes(), **v}


# --------------------------------------------------------------------------------------------- motion profiles
class StraightProfile(Strict):
    """Straight constant-velocity flight from the start point to the asset."""

    kind: Literal["straight"] = "straight"
    dive_distance_m: float = _doc("Descend linearly to the ground over the last metres (0: no dive)", default=0.0, ge=0,
                                  le=5e6)


class WaypointProfile(Strict):
    """A route through waypoints, turning at each with a coordinated turn at bounded lateral acceleration."""

    kind: Literal["waypoints"] = "waypoints"
    waypoints_m: list[PointEN] = _doc(
        "Route points [east, north] in metres from the site, flown in order before the asset", min_length=1,
        max_length=1000)
    waypoint_jitter_m: float = _doc("Standard deviation of a random offset per threat and waypoint, metres",
                                    default=0.0, ge=0, le=1e6)
    max_lateral_accel_mps2: float = _doc("Lateral acceleration in turns, m/s^2 (sets the turn radius v^2/a)",
                                         default=30.0, gt=0, le=1000)
    dive_distance_m: float = _doc("Descend linearly to the ground over the last metres (0: no dive)", default=0.0, ge=0,
                                  le=5e6)


class CruiseProfile(Strict):
    """Low-altitude cruise at constant height above the ground, optional waypoints, pop-up and dive at the end."""

    kind: Literal["cruise"] = "cruise"
    waypoints_m: list[PointEN] = _doc("Optional route points [east, north], metres from the site",
                                                  default_factory=list, max_length=1000)
    waypoint_jitter_m: float = _doc("Standard deviation of a random offset per waypoint, metres", default=0.0, ge=0,
                                    le=1e6)
    max_lateral_accel_mps2: float = _doc("Lateral acceleration in turns, m/s^2", default=20.0, gt=0, le=1000)
    popup_distance_m: float = _doc("Distance to go at which the missile climbs (0: no pop-up)", default=0.0, ge=0,
                                   le=5e6)
    popup_altitude_m: float = _doc("Height reached in the pop-up, metres", default=500.0, ge=0, le=1e5)
    dive_distance_m: float = _doc("Distance to go over which it dives to the ground", default=2000.0, ge=0, le=5e6)


class LoiterProfile(Strict):
    """A slow drone that flies to a loiter point near the asset, circles, then dives on the asset."""

    kind: Literal["loiter"] = "loiter"
    loiter_distance_m: float = _doc("Distance of the loiter circle's centre from the asset, metres", default=10e3, ge=0,
                                    le=5e6)
    loiter_radius_m: float = _doc("Radius of the loiter circle, metres", default=2000.0, gt=0, le=1e6)
    loiter_time_s: float = _doc("Time spent circling, seconds", default=120.0, ge=0, le=DAY_S)
    dive_distance_m: float = _doc("Descend to the ground over the last metres", default=1000.0, ge=0, le=5e6)


class BallisticProfile(Strict):
    """A ballistic arc under central gravity from a launch point on the ground to the asset."""

    kind: Literal["ballistic"] = "ballistic"
    apogee_m: float = _doc("Height of the apogee above the ground, metres", gt=0, le=2e6)
    ballistic_coefficient_kg_m2: float | None = _doc(
        "m / (Cd A) for atmospheric drag, kg/m^2 (omit: no drag)", default=None, gt=0, le=1e7
    )


Profile = Annotated[
    StraightProfile | WaypointProfile | CruiseProfile | LoiterProfile | BallisticProfile,
    Field(discriminator="kind"),
]


class Signature(Strict):
    """How a target looks to a radar: its radar cross section (fields shared by raids, traffic and replays)."""

    rcs_m2: float | None = _doc(
        "Mean radar cross section, m^2 (default per kind); with rcs_broadside_ratio, the head-on (nose or tail) "
        "value", default=None, gt=0, le=1e6)
    rcs_broadside_ratio: float = _doc(
        "Aspect dependence: RCS broadside / head-on (1: the same from every aspect). The RCS seen at aspect "
        "angle a between the target's velocity and the line of sight is rcs_m2 (1 + (ratio - 1) sin^2 a)",
        default=1.0, gt=0, le=1000)

    @property
    def mean_rcs_m2(self) -> float:
        kind: str = getattr(self, "kind")  # noqa: B009 -- every subclass has a kind
        return self.rcs_m2 if self.rcs_m2 is not None else DEFAULT_RCS_M2[kind]


class Raid(Signature):
    """A group of threats of one kind launched over a time window from an approach sector toward one asset."""

    name: str = _doc("Display name", default="raid", max_length=MAX_LABEL_LENGTH)
    kind: ThreatKind = _doc("Threat kind")
    count: int = _doc("Number of threats", ge=0, le=1_000_000)
    asset: str = _doc("Name of the defended asset the threats fly to")
    launch_start_s: float = _doc("First launch (appearance) time, seconds", default=0.0, ge=0)
    launch_spread_s: float = _doc("Launch times are uniform over [start, start + spread], seconds", default=0.0, ge=0)

    _sane_launch_start = sane("launch_start_s", hi=DAY_S, why="a scenario lasts at most a day (duration_s <= "
                              "86400 s); a raid launched later never appears")
    _sane_launch_spread = sane("launch_spread_s", hi=DAY_S, why="a scenario lasts at most a day (duration_s <= "
                               "86400 s)")
    azimuth_min_deg: float = _doc("Approach sector start: azimuth from the asset to the launch points, degrees",
                                  default=0.0, ge=0, le=360)
    azimuth_max_deg: float = _doc("Approach sector end (clockwise from azimuth_min_deg), degrees",
                                  default=360.0, ge=0, le=360)
    start_distance_m: float = _doc("Distance from the asset at launch/appearance, metres", gt=0, le=5e6)
    speed_mps: float | None = _doc("Speed, m/s (not used for ballistic profiles)", default=None, gt=0, le=20000)
    altitude_m: float = _doc("Flight height above the ground, metres", default=1000.0, ge=0, le=1e5)
    profile: Profile = _doc("Motion profile", default_factory=StraightProfile)

    @model_validator(mode="after")
    def _speed_needed(self) -> Self:
        if self.speed_mps is None and self.profile.kind != "ballistic":
            raise ValueError("speed_mps is required (a number > 0) unless the profile is ballistic")
        if self.profile.kind == "ballistic" and self.kind != "ballistic_missile":
            raise ValueError("a ballistic profile needs kind = 'ballistic_missile'")
        return self


class CivilTraffic(Signature):
    """Civil flights crossing the area on straight lines at cruise height; not threats."""

    name: str = _doc("Display name", default="civil", max_length=MAX_LABEL_LENGTH)
    kind: CivilKind = _doc("Civil aircraft type", default="airliner")
    count: int = _doc("Number of flights", ge=0, le=1_000_000)
    start_s: float = _doc("Earliest entry time, seconds (negative: already flying at time 0)", default=-3600.0,
                          ge=-86400, le=DAY_S)
    spread_s: float = _doc("Entry times are uniform over [start, start + spread], seconds", default=7200.0, ge=0,
                           le=2 * DAY_S)
    area_radius_m: float = _doc("Flights enter and leave on this circle around the site, metres", default=300e3, gt=0,
                                le=5e6)
    max_offset_m: float = _doc("Largest closest-approach distance of a route from the site, metres",
                               default=200e3, ge=0, le=5e6)
    speed_min_mps: float = _doc("Slowest ground speed, m/s", default=200.0, gt=0, le=400)
    speed_max_mps: float = _doc("Fastest ground speed, m/s", default=260.0, gt=0, le=400)
    altitude_min_m: float = _doc("Lowest cruise height, metres", default=8000.0, ge=0, le=1e5)
    altitude_max_m: float = _doc("Highest cruise height, metres", default=12000.0, ge=0, le=1e5)

    @model_validator(mode="after")
    def _ranges(self) -> Self:
        if self.speed_min_mps > self.speed_max_mps:
            raise ValueError("speed_min_mps must not exceed speed_max_mps")
        if self.altitude_min_m > self.altitude_max_m:
            raise ValueError("altitude_min_m must not exceed altitude_max_m")
        if self.max_offset_m >= self.area_radius_m:
            raise ValueError("max_offset_m must be less than area_radius_m")
        return self


class Replay(Signature):
    """Recorded flights replayed from a CSV or Parquet file (OpenSky state vectors or `traffic` tables)."""

    name: str = _doc("Display name", default="replay", max_length=MAX_LABEL_LENGTH)
    file: str = _doc("Path to the CSV or Parquet file, relative to the scenario file", min_length=1, max_length=4096)
    format: Literal["auto", "opensky", "traffic"] = _doc("Column convention (auto: detect)", default="auto")
    start_s: float = _doc("Scenario time at which the file's first timestamp is played, seconds", default=0.0,
                          ge=-365 * DAY_S, le=DAY_S)
    kind: TargetKind = _doc("Target kind given to every flight in the file", default="airliner")
    hostile: bool = _doc("Whether these flights are threats", default=False)
    asset: str | None = _doc("Asset the flights threaten (hostile replays only)", default=None)
    drop_incomplete_rows: bool = _doc("Skip rows with empty position fields instead of refusing the file",
                                      default=False)
    max_gap_s: float = _doc("A flight with a longer gap between reports is split into separate targets, seconds",
                            default=60.0, gt=0, le=DAY_S)


# --------------------------------------------------------------------------------------------- tracker & metrics
class CvModel(Strict):
    """Nearly-constant-velocity motion (white-noise acceleration)."""

    kind: Literal["cv"] = "cv"
    accel_sigma_mps2: float = _doc("Process noise: white acceleration standard deviation, m/s^2", default=5.0, gt=0,
                                   le=1e4)


class BallisticModel(Strict):
    """Constant velocity plus known gravity (-9.81 m/s^2 up) with white-acceleration noise."""

    kind: Literal["ballistic"] = "ballistic"
    accel_sigma_mps2: float = _doc("Process noise, m/s^2", default=5.0, gt=0, le=1e4)


class ImmModel(Strict):
    """Interacting multiple models: a quiet CV model and a manoeuvring model (a high-noise CV, or a pair of
    coordinated turns left and right at ``turn_rate_deg_s``). The defaults -- quiet flight at 1 m/s^2 and
    standard-rate turns (3 deg/s) with 3 m/s^2 -- are the tracker's default model, chosen on recorded air
    traffic (see BENCHMARKS.md)."""

    kind: Literal["imm"] = "imm"
    accel_sigma_mps2: float = _doc("Process noise of the quiet CV model, m/s^2", default=1.0, gt=0, le=1e4)
    manoeuvre: Literal["cv", "ct"] = _doc("Second model: high-noise CV, or coordinated turns left and right",
                                          default="ct")
    manoeuvre_accel_sigma_mps2: float = _doc("Process noise of the manoeuvring model(s), m/s^2", default=3.0, gt=0,
                                             le=1e4)
    turn_rate_deg_s: float = _doc("Turn rate of the coordinated-turn models (manoeuvre = 'ct'), degrees/s",
                                  default=3.0, gt=0, le=90)
    switch_probability: float = _doc("Probability of leaving a model per second (below 0.5)", default=0.05, gt=0,
                                     lt=0.5)


TrackerModel = Annotated[CvModel | BallisticModel | ImmModel, Field(discriminator="kind")]


#: vertical velocity prior of a new track unless configured (or the model is ballistic), m/s
DEFAULT_VERTICAL_SPEED_PRIOR_MPS = 30.0


class TrackerConfig(Strict):
    """The multi-target tracker building the air picture from all sensors' detections."""

    model: TrackerModel = _doc(
        "Motion model (default: the IMM of quiet flight and standard-rate turns, see ImmModel; a manoeuvre harder "
        "than the model expects is caught by manoeuvre_recovery_accel_mps2)", default_factory=ImmModel)
    association: Literal["gnn", "jpda"] = _doc("Data association", default="gnn")
    confirmed_first: bool = _doc(
        "Confirmed tracks take the detections first (by the chosen association); tentative tracks then take the "
        "detections they left by GNN (a hard decision per look, so a candidate born of a false alarm is not held "
        "alive by partial updates, and a new candidate cannot take a confirmed track's detection). False: all "
        "tracks associate jointly", default=True)
    defer_at_window_end: bool = _doc(
        "With confirmed_first: a new track (one detection so far) whose azimuth gate the beam has not yet left "
        "at the end of a window associates in the next window, with the detections that follow, so that two "
        "new targets close together are not mixed up by where the window ends (its detections wait at most one "
        "window; confirmed tracks never wait)", default=True)
    new_targets: Literal["adaptive", "none"] = _doc(
        "'adaptive': the density against which an association is scored is at least that of the detections "
        "that started new tracks over each radar's last rotation (false alarms and new targets), spread over its "
        "coverage -- when many targets appear at once, a candidate track then does not take a neighbour's "
        "detection for want of another explanation; 'none': the clutter density alone", default="adaptive")
    manoeuvre_recovery_accel_mps2: float | None = _doc(
        "Manoeuvre recovery: a confirmed track that a look swept without a detection in its gate tries the "
        "detections no confirmed track took once more, predicted with this white-acceleration noise (m/s^2; the "
        "model's own where larger), and is updated with it -- a target turning harder than the model expects is "
        "kept instead of lost and re-started; omit to turn off", default=20.0, gt=0, le=1e4)
    gate_probability: float = _doc("Chi-square gate probability", default=0.9999, gt=0, lt=1)
    detection_probability: float = _doc("Pd assumed by JPDA and the track score", default=0.9, gt=0, le=1)
    clutter_density: float | None = _doc(
        "False-alarm density assumed by the association, per m^3; omit to derive it from each radar (Pfa per "
        "resolution cell, plus its clutter regions): uniform per cell, as a constant-false-alarm-rate radar gives",
        default=None, gt=0, le=1.0)
    initial_speed_sigma_mps: float = _doc(
        "Velocity prior of a new track (single-point initiation): standard deviation of each horizontal velocity "
        "component, m/s", default=300.0, gt=0, le=1e5)
    initial_vertical_speed_sigma_mps: float | None = _doc(
        "Velocity prior of a new track along the local vertical (at the detection), m/s; omit for 30 m/s "
        "(aircraft, cruise missiles and drones rarely climb or descend faster), or initial_speed_sigma_mps with "
        "the ballistic model (a ballistic missile climbs and falls at kilometres per second)", default=None, gt=0,
        le=1e5)
    confirmation: Literal["score", "m_of_n"] = _doc(
        "'score': sequential test on the track score (the log likelihood ratio of target against false alarms, "
        "summed over the track's looks: each hit adds ln Pd + ln N(innovation) - ln(clutter density), each miss "
        "ln(1 - Pd); Blackman & Popoli 1999, sec. 6.2): a tentative track is confirmed when its score reaches "
        "confirm_score and deleted when it falls below tentative_delete_score; a confirmed track is deleted "
        "when its score falls delete_score_drop below its highest -- so confirmation comes sooner where false "
        "alarms are sparse and later where they are dense, and deletion waits longer where Pd is low. "
        "'m_of_n': confirm after confirm_m hits in the first confirm_n looks, delete after delete_misses "
        "consecutive misses", default="score")
    confirm_score: float = _doc("confirmation = 'score': confirm a tentative track when its score reaches this "
                                "(a false alarm's candidate reaches a score s with probability at most e^-s)",
                                default=6.0, gt=0, le=100)
    confirm_min_hits: int = _doc(
        "confirmation = 'score': a tentative track is confirmed only once it has this many hits as well (the score "
        "alone needs two; fire control waits for a firm velocity itself: firm_track_velocity_sigma_mps)",
        default=1, ge=1, le=100)
    confirm_false_rate: float = _doc(
        "confirmation = 'score': false confirmations tolerated per scan and radar; where false alarms are dense "
        "the threshold rises above confirm_score to ln(false alarms per scan / this) -- each false alarm starts a "
        "candidate, which reaches a score s with probability at most e^-s -- the false alarms per scan from each "
        "radar's Pfa, resolution cells and clutter regions over its coverage (or clutter_density)",
        default=0.05, gt=0, le=10)
    tentative_delete_score: float = _doc("confirmation = 'score': delete a tentative track whose score falls "
                                         "below this", default=-3.0, lt=0, ge=-100)
    delete_score_drop: float = _doc(
        "confirmation = 'score': delete a confirmed track whose score falls this far below its highest (ln 1000 "
        "= 6.9: three misses at Pd 0.9, six at Pd 0.7)", default=5.5, gt=0, le=100)
    detection_probability_estimate: bool = _doc(
        "Estimate each radar's Pd from the looks at confirmed tracks (hits / looks, starting from "
        "detection_probability as a prior worth detection_probability_prior_looks looks) and use it in the track "
        "score and JPDA; false: detection_probability throughout", default=True)
    detection_probability_prior_looks: float = _doc(
        "Weight of detection_probability in the Pd estimate, in looks", default=50.0, gt=0, le=1e9)
    confirm_m: int = _doc("confirmation = 'm_of_n': confirm a track after M hits ...", default=3, ge=1, le=1000)
    confirm_n: int = _doc("... in its first N looks", default=4, ge=1, le=1000)
    delete_misses: int = _doc(
        "confirmation = 'm_of_n': delete a confirmed track after this many consecutive misses (also sets the "
        "default coast limit, delete_coast_s)", default=3, ge=1, le=1000)
    delete_position_sigma_m: float = _doc("Delete a track whose position sigma exceeds this, metres",
                                          default=10e3, gt=0, le=1e7)
    picture_max_misses: int | None = _doc(
        "A confirmed track missed by more than this many looks in a row stays in the tracker (a detection brings "
        "it back, under the same id) but is left out of the published picture until then -- where Pd is low the "
        "score rule keeps a track through several misses, and a target that has landed or gone should not linger "
        "in the picture meanwhile; omit to publish every confirmed track", default=2, ge=0, le=1000)
    picture_max_age_scans: float | None = _doc(
        "A confirmed track not updated for longer than this many scans of the slowest radar is left out of the "
        "published picture until a detection brings it back (same id) -- the tracks no look sweeps, so that "
        "picture_max_misses never counts a miss: over a radar's cone of silence, beyond its range or below its "
        "horizon. The default, 4, gives them one scan more than picture_max_misses = 2 gives a missed track; omit "
        "to publish them however long they coast", default=4.0, gt=0, le=1e6)
    picture_in_coverage: bool = _doc(
        "Leave out of the published picture a confirmed track predicted above every radar's highest elevation "
        "(the cone of silence over a radar): it coasts on and comes back under the same id when a radar sees its "
        "target again, but meanwhile no radar supports it. Off by default: a radar sits by what it defends, and "
        "the threat diving on it crosses its cone last", default=False)
    delete_outside_coverage: bool = _doc(
        "Delete a track as soon as its predicted position lies beyond every radar's instrumented range or below "
        "every radar's horizon (by more than one standard deviation of the prediction): no radar can see its "
        "target any more", default=True)
    delete_coast_s: float | None = _doc(
        "Delete a track not updated for this long, seconds (omit: one more than the misses that delete a confirmed "
        "track -- delete_misses, or those taking its score delete_score_drop down at the current Pd estimate -- "
        "times the longest scan period); "
        "catches tracks that no radar looks at (predicted outside every coverage)", default=None, gt=0, le=1e9)
    capacity: int | None = _doc("Track capacity (default: the first battery's track_capacity, else 100)",
                                default=None, ge=0, le=10_000_000)
    capacity_rule: Literal["keep_existing", "keep_threatening"] = _doc(
        "At capacity: refuse newcomers, or drop the confirmed track farthest from every asset for a closer one",
        default="keep_existing",
    )

    @property
    def vertical_speed_prior_mps(self) -> float:
        """The vertical velocity prior of a new track in use (see ``initial_vertical_speed_sigma_mps``), m/s."""
        if self.initial_vertical_speed_sigma_mps is not None:
            return self.initial_vertical_speed_sigma_mps
        return self.initial_speed_sigma_mps if self.model.kind == "ballistic" else DEFAULT_VERTICAL_SPEED_PRIOR_MPS

    @model_validator(mode="after")
    def _m_of_n(self) -> Self:
        if self.confirm_m > self.confirm_n:
            raise ValueError("confirm_m must not exceed confirm_n")
        return self


class MetricsConfig(Strict):
    """How the picture is scored against the truth."""

    gospa_cutoff_m: float = _doc("GOSPA cut-off distance c, metres (p = 2, alpha = 2)", default=5000.0, gt=0, le=1e7)
    picture_period_s: float = _doc("Epoch spacing at which the picture is scored and published, seconds",
                                   default=1.0, gt=0, le=DAY_S)

    _sane_picture_period = sane("picture_period_s", lo=0.01, why="an air picture is published every few seconds; "
                                "epochs less than 10 ms apart show nothing the radars (scanning every second or "
                                "more) could")


# --------------------------------------------------------------------------------------------- scenario
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


from airpicture.terrain.config import TerrainConfig  # noqa: E402  (builds on Strict above)


class Scenario(Strict):
    """A complete scenario: where, how long, what defends, what flies."""

    name: str = _doc("Short name, used for the results folder runs/<name>-<time>: letters, digits, '_', '.', '-', "
                     "starting with a letter or digit", min_length=1, max_length=MAX_NAME_LENGTH,
                     json_schema_extra={"pattern": NAME_PATTERN})
    description: str = _doc("One-line description", default="", max_length=MAX_DESCRIPTION_LENGTH)
    seed: int = _doc("Random seed; the same seed gives byte-identical results", default=0, ge=0, le=MAX_SEED)
    duration_s: float = _doc("Simulated time, seconds", gt=0, le=86400)
    time_step_s: float = _doc("Truth sampling step and engine step, seconds", default=1.0, gt=0, le=60)

    _name = field_validator("name")(classmethod(lambda cls, v: check_name(v)))  # type: ignore[arg-type]
    _sane_time_step = sane("time_step_s", lo=1e-3, why="the engine step and truth sampling interval; steps under "
                           "a millisecond resolve nothing the radars or fire control can see")
    site: Site = _doc("Origin of the local frame")
    assets: list[Asset] = _doc("Defended assets", min_length=1, max_length=1000)
    sensors: list[Sensor] = _doc("Surveillance sensors", default_factory=list, max_length=100)
    batteries: list[Battery] = _doc("Fire units", default_factory=list, max_length=100)
    raids: list[Raid] = _doc("Raids of threats", default_factory=list, max_length=1000)
    civil_traffic: list[CivilTraffic] = _doc("Civil flights crossing the area", default_factory=list,
                                             max_length=1000)
    replays: list[Replay] = _doc("Recorded flights replayed from files", default_factory=list, max_length=100)
    tracker: TrackerConfig = _doc("Tracker settings", default_factory=TrackerConfig)
    metrics: MetricsConfig = _doc("Scoring settings", default_factory=MetricsConfig)
    terrain: TerrainConfig | None = _doc("Elevation model masking the radars (omit: smooth Earth)", default=None)

    @model_validator(mode="after")
    def _references(self) -> Self:
        names = [a.name for a in self.assets]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"asset names must be unique; repeated: {', '.join(sorted(dup))}")
        known = set(names)

        def check(ref: str, where: str) -> None:
            if ref not in known:
                close = difflib.get_close_matches(ref, sorted(known), n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                raise ValueError(f"{where} refers to unknown asset '{ref}'{hint} (assets: {', '.join(names)})")

        for i, r in enumerate(self.raids):
            check(r.asset, f"raids[{i}].asset")
        for i, b in enumerate(self.batteries):
            for j, a in enumerate(b.defends):
                check(a, f"batteries[{i}].defends[{j}]")
        for i, rp in enumerate(self.replays):
            if rp.asset is not None:
                check(rp.asset, f"replays[{i}].asset")
            elif rp.hostile:
                raise ValueError(f"replays[{i}] is hostile and needs an asset")
        ids = [s.id for s in self.sensors]
        if len(set(ids)) != len(ids):
            raise ValueError("sensor ids must be unique")
        check_radars_above_ground(self.site, self.sensors)
        bnames = [b.name for b in self.batteries]
        if len(set(bnames)) != len(bnames):
            raise ValueError("battery names must be unique")
        if self.time_step_s > self.duration_s:
            raise ValueError("time_step_s must not exceed duration_s")
        return self

    @property
    def track_capacity(self) -> int | None:
        if self.tracker.capacity is not None:
            return self.tracker.capacity
        if self.batteries:
            return self.batteries[0].track_capacity
        return 100

    def asset_index(self, name: str) -> int:
        return [a.name for a in self.assets].index(name)

    def with_overrides(self, overrides: Mapping[str, Any]) -> Scenario:
        """This scenario with field-path overrides applied and validated again, e.g.
        ``scenario.with_overrides({"raids[1].count": 40, "batteries[0].doctrine": "shoot_look_shoot"})``.

        Paths and error messages are those of a sweep's ``[fixed]`` and ``[grid]`` tables; raises
        :class:`~airpicture.errors.InputError` naming every path or value refused."""
        from airpicture.sweep.spec import override_scenario

        return override_scenario(self, overrides)


# --------------------------------------------------------------------------------------------- loading
BUILTIN_PACKAGE = "airpicture.scenarios"
DEFAULT_SCENARIO = "default"


def _loc_to_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            # discriminated-union tags and validator names are not part of the user's path
            if part in ("function-after", "function-before") or str(part).startswith("function-"):
                continue
            out += ("." if out else "") + str(part)
    return out


def _describe_input(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _clean_loc(loc: tuple[Any, ...], data: Any) -> tuple[Any, ...]:
    """Drop discriminator tags (e.g. ``'straight'``) that pydantic inserts into union locations."""
    out: list[Any] = []
    cur = data
    for part in loc:
        if isinstance(cur, Mapping):
            if part in cur:
                out.append(part)
                cur = cur[part]
                continue
            if isinstance(part, str) and cur.get("kind") == part:
                continue  # tag of a discriminated union
            out.append(part)
            cur = None
        elif isinstance(cur, list) and isinstance(part, int):
            out.append(part)
            cur = cur[part] if 0 <= part < len(cur) else None
        else:
            out.append(part)
            cur = None
    return tuple(out)


_FIELD_PREFIX = re.compile(r"^([A-Za-z_]\w*(?:\[\d+\])?(?:\.[A-Za-z_]\w*(?:\[\d+\])?)*): (.+)$", re.S)


def problems_from_validation(err: ValidationError, data: Any) -> list[Problem]:
    problems = []
    for e in err.errors(include_url=False):
        loc = _clean_loc(tuple(e["loc"]), data)
        path = _loc_to_path(loc) or "(top level)"
        msg = str(e["msg"])
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        etype = e["type"]
        if etype == "missing":
            msg = "required field is missing"
        elif etype not in ("value_error", "assertion_error") and "input" in e:
            msg = f"{msg} (got {_describe_input(e['input'])})"
        if etype == "finite_number":
            msg = f"expected a finite number (got {_describe_input(e.get('input'))})"
        named = _FIELD_PREFIX.match(msg) if not loc else None
        if named:  # a whole-scenario check that names the field it is about: "sensors[0].altitude_m: ..."
            path, msg = named.group(1), named.group(2)
        problems.append(Problem(path, msg))
    return problems


def parse_scenario(data: Mapping[str, Any], source: str, base_dir: Path | None = None) -> Scenario:
    """Validate a scenario mapping; raise :class:`InputError` naming ``source`` on failure.

    Replay file paths are resolved against ``base_dir`` (the scenario file's folder).
    """
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        raise InputError(source, problems_from_validation(err, data)) from None
    if base_dir is not None and scenario.replays:
        replays = []
        for rp in scenario.replays:
            p = Path(rp.file)
            if not p.is_absolute():
                p = (base_dir / p).resolve()
            replays.append(rp.model_copy(update={"file": str(p)}))
        scenario = scenario.model_copy(update={"replays": replays})
    if scenario.terrain is not None:
        from airpicture.terrain.load import resolve_terrain

        scenario = resolve_terrain(scenario, source, base_dir)
    _check_finite(scenario, source)
    return scenario


def _check_finite(model: Any, source: str, path: str = "") -> None:
    """Belt and braces: floats inside tuples (waypoints) are not covered by allow_inf_nan on every version."""
    if isinstance(model, BaseModel):
        for name in type(model).model_fields:
            _check_finite(getattr(model, name), source, f"{path}.{name}" if path else name)
    elif isinstance(model, (list, tuple)):
        for i, v in enumerate(model):
            _check_finite(v, source, f"{path}[{i}]")
    elif isinstance(model, dict):
        for k, v in model.items():
            _check_finite(v, source, f"{path}.{k}")
    elif isinstance(model, float) and not math.isfinite(model):
        raise InputError(source, Problem(path, f"expected a finite number (got {model})"))


def builtin_names() -> list[str]:
    files = resources.files(BUILTIN_PACKAGE)
    return sorted(p.name[:-5] for p in files.iterdir() if p.name.endswith(".toml"))


def builtin_path(name: str) -> Path:
    return Path(str(resources.files(BUILTIN_PACKAGE).joinpath(f"{name}.toml")))


def resolve_scenario_path(ref: str | None) -> Path:
    """Map ``None`` (the default), a built-in name or a file path to a file path."""
    if ref is None:
        return builtin_path(DEFAULT_SCENARIO)
    p = Path(ref)
    if p.suffix == ".toml" or p.exists() or "/" in ref:
        if not p.exists():
            raise InputError(str(p), "file not found")
        if p.is_dir():
            raise InputError(str(p), "is a folder; expected a scenario .toml file")
        return p
    if ref in builtin_names():
        return builtin_path(ref)
    close = difflib.get_close_matches(ref, builtin_names(), n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    raise InputError(ref, f"no such built-in scenario or file{hint} (built-in: {', '.join(builtin_names())})")


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file (scenario, sweep or sensor file) with clear errors: not found, unreadable, too large,
    not UTF-8, malformed, nested too deeply. A UTF-8 byte-order mark (as some editors write) is accepted."""
    try:
        with path.open("rb") as f:
            text = f.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise InputError(str(path), "file not found") from None
    except IsADirectoryError:
        raise InputError(str(path), "is a folder; expected a TOML file") from None
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror}") from None
    if len(text) > MAX_FILE_BYTES:
        raise InputError(str(path), f"larger than {MAX_FILE_BYTES // 2**20} MiB; a scenario, sweep or sensor file "
                                    "is a few kilobytes (put recorded data in a replay or detections file)")
    try:
        decoded = text.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"not UTF-8 text (byte {exc.start}); expected a TOML file") from None
    try:
        data = tomllib.loads(decoded)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(str(path), f"malformed TOML: {exc}") from None
    except RecursionError:
        raise InputError(str(path), f"arrays or tables nested too deeply (at most {MAX_NESTING} levels)") from None
    where = _too_deep(data, MAX_NESTING)
    if where is not None:
        where = where if len(where) <= 80 else where[:77] + "..."
        raise InputError(str(path), Problem(where or "(top level)",
                                            f"nested more than {MAX_NESTING} levels deep; expected a few levels"))
    return data


def _too_deep(data: Any, limit: int) -> str | None:
    """The path of a value nested more than ``limit`` levels deep in ``data`` (None if there is none); iterative,
    so it cannot itself run out of stack."""
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        value, where, depth = stack.pop()
        if depth > limit:
            return where
        if isinstance(value, dict):
            stack.extend((v, f"{where}.{k}" if where else str(k), depth + 1) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, f"{where}[{i}]", depth + 1) for i, v in enumerate(value))
    return None


def load_scenario(ref: str | Path | None = None) -> Scenario:
    """Load and validate a scenario by built-in name, file path, or ``None`` for the default."""
    path = resolve_scenario_path(None if ref is None else str(ref))
    data = read_toml(path)
    return parse_scenario(data, str(path), base_dir=path.parent)


def scenario_to_toml_dict(scenario: Scenario) -> dict[str, Any]:
    """The scenario as resolved (defaults filled in), in a form ``tomli_w`` can write (no None values)."""

    def strip(obj: Any) -> Any:
        if isinstance(obj, dict):
            return {k: strip(v) for k, v in obj.items() if v is not None}
        if isinstance(obj, (list, tuple)):
            return [strip(v) for v in obj]
        return obj

    return strip(scenario.model_dump(mode="json"))
