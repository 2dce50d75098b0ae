"""Fire units: channels, launchers, interceptors, engagement envelopes, Pk and doctrine."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import Field, field_validator, model_validator

from airpicture.scenario.base import ALL_KINDS, DAY_S, MAX_LABEL_LENGTH, Strict, TargetKind, _doc, sane
from airpicture.scenario.places import Place


class Envelope(Strict):
    """Where an interceptor can meet a threat of one kind, measured from the battery."""

    old_names: ClassVar[dict[str, str]] = {"min_altitude_m": "min_height_m", "max_altitude_m": "max_height_m"}

    min_range_m: float = _doc("Minimum intercept range, metres", ge=0, le=5e6)
    max_range_m: float = _doc("Maximum intercept range, metres", gt=0, le=5e6)
    min_height_m: float = _doc("Lowest intercept height above the ground, metres (formerly min_altitude_m, still "
                               "read)", ge=0, le=2e6)
    max_height_m: float = _doc("Highest intercept height above the ground, metres (formerly max_altitude_m, still "
                               "read)", gt=0, le=2e6)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.min_range_m > self.max_range_m:
            raise ValueError(f"min_range_m ({self.min_range_m}) is greater than max_range_m ({self.max_range_m})")
        if self.min_height_m > self.max_height_m:
            raise ValueError(
                f"min_height_m ({self.min_height_m}) is greater than max_height_m ({self.max_height_m})"
            )
        return self


def _default_envelopes() -> dict[str, Envelope]:
    # Orders of magnitude from open sources on long-range SAM systems: ~150 km against aircraft, less
    # against small low fliers (horizon-limited anyway) and ~40 km against ballistic missiles.
    return {
        "aircraft": Envelope(min_range_m=3e3, max_range_m=150e3, min_height_m=10, max_height_m=27e3),
        "cruise_missile": Envelope(min_range_m=3e3, max_range_m=40e3, min_height_m=10, max_height_m=10e3),
        "drone": Envelope(min_range_m=3e3, max_range_m=60e3, min_height_m=10, max_height_m=10e3),
        "ballistic_missile": Envelope(min_range_m=5e3, max_range_m=40e3, min_height_m=2e3, max_height_m=25e3),
        "airliner": Envelope(min_range_m=3e3, max_range_m=150e3, min_height_m=10, max_height_m=27e3),
        "general_aviation": Envelope(min_range_m=3e3, max_range_m=150e3, min_height_m=10, max_height_m=27e3),
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
