"""The whole scenario: where, how long, what defends, what flies; cross-references between its parts."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any, Self

from pydantic import field_validator, model_validator

from airpicture.scenario.base import (
    MAX_DESCRIPTION_LENGTH,
    MAX_NAME_LENGTH,
    MAX_SEED,
    NAME_PATTERN,
    Strict,
    _doc,
    check_name,
    sane,
)
from airpicture.scenario.batteries import Battery
from airpicture.scenario.places import Asset, Site
from airpicture.scenario.sensors import Sensor, check_radars_above_ground
from airpicture.scenario.threats import CivilTraffic, Raid, Replay
from airpicture.scenario.tracker import MetricsConfig, TrackerConfig
from airpicture.terrain.config import TerrainConfig


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
