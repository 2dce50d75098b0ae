"""Helpers for the engagement tests: small scenarios, hand-made straight-line truths and a driving loop.

No tests here. Geometry of the hand-worked cases: the site, the asset and the battery sit at the ENU origin; the
battery's launcher point is therefore (0, 0, 0). Threats fly straight at constant ENU velocity (optionally
turning once), so the constant-velocity prediction is exact until the turn.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from airpicture.engagement import FireControl
from airpicture.geodesy import LocalFrame
from airpicture.picture import Picture
from airpicture.scenario import Scenario, parse_scenario
from airpicture.testing.truth_picture import TruthPicture
from airpicture.truth import Truth
from airpicture.truth.builder import TruthBuilder

SITE = {"latitude_deg": 10.0, "longitude_deg": 20.0, "altitude_m": 0.0}

#: A generous aircraft envelope and a test battery at the origin with Pk = 1 and one-interceptor salvos.
ENVELOPE = {"min_range_m": 3000.0, "max_range_m": 51000.0, "min_height_m": 0.0, "max_height_m": 20000.0}


def battery(**over: Any) -> dict[str, Any]:
    b: dict[str, Any] = {
        "name": "battery-1", "e_m": 0.0, "n_m": 0.0, "defends": ["airbase"], "fire_channels": 6, "max_in_flight": 12,
        "launchers": 8, "rounds_per_launcher": 4, "reload_rounds": 0, "reload_time_s": 600.0,
        "reaction_time_s": 5.0, "launch_interval_s": 0.0, "interceptor_speed_mps": 1200.0,
        "kill_assessment_s": 5.0, "correction_radius_m": 1500.0, "doctrine": "salvo", "salvo_size": 1,
        "pk": {k: 1.0 for k in ("aircraft", "cruise_missile", "drone", "ballistic_missile", "airliner",
                                 "general_aviation")},
        "envelopes": {k: dict(ENVELOPE) for k in ("aircraft", "cruise_missile", "drone", "ballistic_missile",
                                                  "airliner", "general_aviation")},
    }
    b.update(over)
    return b


def scenario(batteries: list[dict[str, Any]], duration_s: float = 400.0, asset_radius_m: float = 1000.0,
             seed: int = 7) -> Scenario:
    data = {
        "name": "engagement-test", "seed": seed, "duration_s": duration_s, "time_step_s": 1.0, "site": SITE,
        "assets": [{"name": "airbase", "e_m": 0.0, "n_m": 0.0, "radius_m": asset_radius_m}],
        "batteries": batteries,
    }
    return parse_scenario(data, "test.toml")


def frame_of_test() -> LocalFrame:
    return LocalFrame.at(SITE["latitude_deg"], SITE["longitude_deg"], SITE["altitude_m"])


class Flights:
    """Builds a truth of straight flights (ENU, constant velocity, optionally one instant turn)."""

    def __init__(self, duration_s: float) -> None:
        self.duration_s = duration_s
        self.builder = TruthBuilder()

    def add(self, start_m: tuple[float, float, float], velocity_mps: tuple[float, float, float], t0: float = 0.0,
            t1: float | None = None, hostile: bool = True, kind: str = "aircraft",
            turn_s: float | None = None, velocity_after_mps: tuple[float, float, float] | None = None) -> int:
        """Add one target; it ends at ``t1`` (default: when it reaches the origin horizontally, else the end).
        Returns its target id."""
        p0 = np.asarray(start_m, float)
        v0 = np.asarray(velocity_mps, float)
        v1 = v0 if velocity_after_mps is None else np.asarray(velocity_after_mps, float)
        ts = turn_s if turn_s is not None else np.inf
        if t1 is None:
            speed_h = float(np.hypot(v0[0], v0[1]))
            t1 = t0 + float(np.hypot(p0[0], p0[1])) / speed_h if turn_s is None and speed_h > 0 else self.duration_s
        grid = np.arange(np.ceil(t0), np.floor(t1) + 1e-9, 1.0)
        t = np.unique(np.concatenate([[t0, t1], grid, [ts] if t0 < ts < t1 else []]))
        before = np.minimum(t, ts) - t0
        after = np.maximum(t - ts, 0.0)
        pos = p0 + np.outer(before, v0) + np.outer(after, v1)
        vel = np.where((t < ts)[:, None], v0, v1)
        tid = self.builder.n
        self.builder.add(kind=kind, hostile=hostile, rcs_m2=1.0, asset_index=0 if hostile else -1,
                         start_s=np.array([t0]), end_s=np.array([t1]), end_reason=np.array(["impact"], object),
                         group="test", callsign=np.array([f"t{tid}"], object), owner=np.zeros(t.size, np.int64),
                         t=t, x=np.concatenate([pos, vel], axis=1))
        return tid

    def truth(self) -> Truth:
        return self.builder.build()


def toward_origin(distance_m: float, azimuth_deg: float, speed_mps: float, up_m: float = 0.0
                  ) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """Start point at ``distance_m`` on ``azimuth_deg`` (clockwise from north) and a velocity to the origin."""
    az = np.radians(azimuth_deg)
    e, n = distance_m * np.sin(az), distance_m * np.cos(az)
    return (float(e), float(n), up_m), (float(-speed_mps * np.sin(az)), float(-speed_mps * np.cos(az)), 0.0)


def drive(sc: Scenario, truth: Truth, picture=None, seed: int | None = None, capacity_refused=None,
          until_s: float | None = None) -> FireControl:
    """Run fire control over the scenario, stepping at 1, 2, ... s with ``picture(t, kill_time_s)`` (default: the
    exact truth, one track per target with id ``target_id + 1000``); ``finish`` at the end."""
    fc = FireControl(sc, frame_of_test(), truth, sc.seed if seed is None else seed)
    if picture is None:
        exact = TruthPicture(truth, np.random.default_rng(0), position_sigma_m=0.0, velocity_sigma_mps=0.0)
        picture = exact.at
    end = sc.duration_s if until_s is None else until_s
    for i in range(1, round(end) + 1):
        t = float(i)
        if capacity_refused is not None:
            for target in capacity_refused(t):
                fc.record_capacity_refused(t, target)
        pic, followed = picture(t, fc.kill_time_s)
        fc.step(t, pic, followed)
    fc.finish(end)
    return fc


def events(fc: FireControl, event: str | None = None) -> list[dict[str, Any]]:
    rows = fc.events_table().to_pylist()
    return [r for r in rows if event is None or r["event"] == event]


def empty_picture(t: float) -> tuple[Picture, np.ndarray]:
    return Picture.empty(t), np.zeros(0, np.int64)
