"""What flies: raids of threats and their motion profiles, civil traffic, recorded flights replayed."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Self

from pydantic import Field, model_validator

from airpicture.scenario.base import (
    DAY_S,
    DEFAULT_RCS_M2,
    MAX_LABEL_LENGTH,
    CivilKind,
    PointEN,
    Strict,
    TargetKind,
    ThreatKind,
    _doc,
    sane,
)


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

    old_names: ClassVar[dict[str, str]] = {"popup_altitude_m": "popup_height_m"}

    kind: Literal["cruise"] = "cruise"
    waypoints_m: list[PointEN] = _doc("Optional route points [east, north], metres from the site",
                                                  default_factory=list, max_length=1000)
    waypoint_jitter_m: float = _doc("Standard deviation of a random offset per waypoint, metres", default=0.0, ge=0,
                                    le=1e6)
    max_lateral_accel_mps2: float = _doc("Lateral acceleration in turns, m/s^2", default=20.0, gt=0, le=1000)
    popup_distance_m: float = _doc("Distance to go at which the missile climbs (0: no pop-up)", default=0.0, ge=0,
                                   le=5e6)
    popup_height_m: float = _doc("Height above the ground reached in the pop-up, metres (formerly popup_altitude_m, "
                                 "still read)", default=500.0, ge=0, le=1e5)
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

    old_names: ClassVar[dict[str, str]] = {"altitude_m": "height_m"}

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
    height_m: float = _doc("Flight height above the ground, metres (formerly altitude_m, still read; altitude_m "
                           "elsewhere is a WGS84 ellipsoidal height)", default=1000.0, ge=0, le=1e5)
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

    old_names: ClassVar[dict[str, str]] = {"altitude_min_m": "height_min_m", "altitude_max_m": "height_max_m"}

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
    height_min_m: float = _doc("Lowest cruise height above the ground, metres (formerly altitude_min_m, still read)",
                               default=8000.0, ge=0, le=1e5)
    height_max_m: float = _doc("Highest cruise height above the ground, metres (formerly altitude_max_m, still read)",
                               default=12000.0, ge=0, le=1e5)

    @model_validator(mode="after")
    def _ranges(self) -> Self:
        if self.speed_min_mps > self.speed_max_mps:
            raise ValueError("speed_min_mps must not exceed speed_max_mps")
        if self.height_min_m > self.height_max_m:
            raise ValueError("height_min_m must not exceed height_max_m")
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
