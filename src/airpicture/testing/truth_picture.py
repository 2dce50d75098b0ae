"""A stand-in air picture made from the truth plus noise, and a loop that drives fire control with it.

For engagement-only studies, tests and benchmarks, where the radar and tracker would only add time: every
target alive (and not destroyed) within ``max_range_m`` of the site holds one confirmed track after
``confirm_delay_s``, with Gaussian position and velocity errors drawn afresh each step. Track ids are
``target_id + track_id_offset``. Frame and units: local ENU metres, m/s, seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from airpicture.engagement.fire_control import FireControl
from airpicture.geodesy import LocalFrame
from airpicture.picture import Picture
from airpicture.scenario import Scenario
from airpicture.truth import Truth

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass
class TruthPicture:
    """Picture of the truth at any time, with noise from ``rng``."""

    truth: Truth
    rng: np.random.Generator
    position_sigma_m: float = 100.0
    velocity_sigma_mps: float = 10.0
    max_range_m: float = np.inf
    confirm_delay_s: float = 0.0
    track_id_offset: int = 1000

    def at(self, t: float, kill_time_s: F64) -> tuple[Picture, I64]:
        """The picture at ``t`` and the target each track follows."""
        tg = self.truth.targets
        live = np.flatnonzero((tg.start_s + self.confirm_delay_s <= t) & (t <= tg.end_s) & (kill_time_s > t))
        x = self.truth.state_at(live, np.full(live.size, float(t)))
        near = np.hypot(x[:, 0], x[:, 1]) <= self.max_range_m
        live, x = live[near], x[near]
        k = live.size
        x = x + np.concatenate([self.rng.normal(0.0, self.position_sigma_m, (k, 3)),
                                self.rng.normal(0.0, self.velocity_sigma_mps, (k, 3))], axis=1)
        sig = np.array([self.position_sigma_m] * 3 + [self.velocity_sigma_mps] * 3) ** 2
        p = np.broadcast_to(np.diag(sig), (k, 6, 6)).copy()
        pic = Picture(float(t), live.astype(np.int64) + self.track_id_offset, x, p, np.full(k, float(t)))
        return pic, live.astype(np.int64)


def run_on_truth(scenario: Scenario, frame: LocalFrame, truth: Truth, source: TruthPicture,
                 seed: int | None = None) -> FireControl:
    """Drive a :class:`FireControl` over the whole scenario with pictures from ``source``: one step at the end
    of every ``time_step_s`` window, then ``finish`` at the scenario's end."""
    fc = FireControl(scenario, frame, truth, scenario.seed if seed is None else seed)
    dt = scenario.time_step_s
    n = round(scenario.duration_s / dt)
    for i in range(1, n + 1):
        t = min(i * dt, scenario.duration_s)
        pic, followed = source.at(t, fc.kill_time_s)
        fc.step(t, pic, followed)
    fc.finish(scenario.duration_s)
    return fc
