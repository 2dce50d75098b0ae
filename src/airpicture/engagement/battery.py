"""A fire unit's fixed tables and its resources: fire channels, interceptors in flight, launchers and inventory.

Everything is abstract: a fire channel is a slot for one target under engagement, held from the engage decision
through launch to the kill assessment; an interceptor is "in flight" from launch to intercept; launchers hold
ready rounds and are reloaded from a pool of spares after ``reload_time_s``. Rounds are allotted to a salvo at
the engage decision (they are committed to it); a launcher whose last ready round is allotted starts its reload
then. Units: seconds from the scenario start, metres, m/s.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from airpicture.engagement.kernels import InterceptTables
from airpicture.geodesy import LocalFrame
from airpicture.placement import asset_positions, place_en
from airpicture.scenario import Battery, Scenario
from airpicture.seeding import ENGAGEMENT, IDENTIFICATION, stream
from airpicture.vocab import ALL_KINDS, Identity, TargetKind

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B1 = NDArray[np.bool_]


@dataclass
class Magazine:
    """Launchers (struct of arrays): ready rounds, rounds being reloaded and when, and the spare pool."""

    ready: I64
    loading: I64
    reload_done_s: F64
    spares: int
    rounds_per_launcher: int
    reload_time_s: float
    #: every reload started, in order: (launcher index, start time s, ready time s, rounds)
    reloads: list[tuple[int, float, float, int]] = field(default_factory=list)

    @classmethod
    def of(cls, battery: Battery) -> Magazine:
        n = battery.launchers
        mag = cls(np.full(n, battery.rounds_per_launcher, np.int64), np.zeros(n, np.int64), np.full(n, np.inf),
                  battery.reload_rounds, battery.rounds_per_launcher, battery.reload_time_s)
        for i in np.flatnonzero(mag.ready == 0):
            mag._start_reload(int(i), 0.0)
        return mag

    @property
    def ready_total(self) -> int:
        return int(self.ready.sum())

    @property
    def inventory_left(self) -> int:
        """Ready rounds + rounds being reloaded + spares (never negative)."""
        return int(self.ready.sum() + self.loading.sum()) + self.spares

    def advance(self, t: float) -> None:
        """Complete the reloads due by time ``t``."""
        done = self.reload_done_s <= t
        if done.any():
            self.ready[done] += self.loading[done]
            self.loading[done] = 0
            self.reload_done_s[done] = np.inf

    def take(self, t: float, n: int) -> I64:
        """Allot ``n`` ready rounds at time ``t`` (lowest-numbered loaded launcher first); return the launcher of
        each round. Emptied launchers start reloading at ``t``. Needs ``n <= ready_total``."""
        if n > self.ready_total:
            raise ValueError(f"asked for {n} rounds, {self.ready_total} ready")
        out = np.empty(n, np.int64)
        for j in range(n):  # n is a salvo size: a handful
            i = int(np.argmax(self.ready > 0))
            self.ready[i] -= 1
            out[j] = i
            if self.ready[i] == 0:
                self._start_reload(i, t)
        return out

    def _start_reload(self, i: int, t: float) -> None:
        q = min(self.rounds_per_launcher, self.spares)
        if q > 0 and self.loading[i] == 0:
            self.spares -= q
            self.loading[i] = q
            self.reload_done_s[i] = t + self.reload_time_s
            self.reloads.append((i, float(t), float(t + self.reload_time_s), int(q)))


@dataclass
class Engagement:
    """One engagement of a track by a battery: its salvo, its aim points and what the truth makes of them.

    The outcome of each interceptor is settled at the engage decision from the truth (which is known in
    advance), so the kill can be scheduled and the target vanish from the sensors at the intercept time; it
    is reported only once the intercept time has passed."""

    id: int
    battery: int
    track_id: int
    slot: int
    target_id: int
    kind: TargetKind
    identity: Identity
    asset: int
    start_s: float
    launch_s: F64
    intercept_s: F64
    aim_m: F64
    launcher: I64
    alive: B1
    before_leak: B1
    miss_distance_m: F64
    hit: B1
    draw: F64
    pk: float
    release_s: float
    kill_s: float = np.inf
    resolved: bool = False
    killed: bool = False

    def __post_init__(self) -> None:
        # the salvo's times as Python floats: fire control counts them every step, a few at a time
        self._times = tuple(zip(self.launch_s.tolist(), self.intercept_s.tolist(), strict=True))
        self._last_intercept_s = float(self.intercept_s.max())

    @property
    def interceptors(self) -> int:
        return int(self.launch_s.shape[0])

    @property
    def last_intercept_s(self) -> float:
        return self._last_intercept_s

    def in_flight(self, t: float) -> int:
        return sum(1 for launch, hit in self._times if launch <= t < hit)

    def committed(self, t: float) -> int:
        """Interceptors allotted and not yet at intercept (awaiting launch or flying) at ``t``."""
        return sum(1 for _, hit in self._times if t < hit)


@dataclass
class BatteryUnit:
    """A battery's fixed tables (per target kind, indexed like ``ALL_KINDS``), its random streams and its
    changing resources."""

    index: int
    config: Battery
    launcher_m: F64
    asset_index: I64
    asset_en: F64
    asset_radius_m: F64
    min_range_m: F64
    max_range_m: F64
    min_altitude_m: F64
    max_altitude_m: F64
    pk: F64
    unknown_kind_index: int
    max_engagements: int
    tables: InterceptTables  # the above as the compiled threat evaluation takes them
    magazine: Magazine
    outcome_rng: np.random.Generator
    identity_rng: np.random.Generator
    active: list[Engagement] = field(default_factory=list)
    waiting: bool = False  # some track may be in a waiting episode (skips the bookkeeping when none is)

    @property
    def name(self) -> str:
        return self.config.name

    @classmethod
    def build(cls, index: int, config: Battery, scenario: Scenario, frame: LocalFrame, seed: int) -> BatteryUnit:
        e, n = place_en(config, frame)
        launcher = np.array([e, n, float(frame.up_from_height(e, n, 0.0))])
        names = [a.name for a in scenario.assets]
        asset_idx = np.array([names.index(a) for a in config.defends], np.int64)
        all_en = asset_positions(scenario, frame)
        radius = np.array([a.radius_m for a in scenario.assets], float)
        env = [config.envelopes[k] for k in ALL_KINDS]
        tables = InterceptTables(
            asset_en=all_en[asset_idx], asset_radius_m=radius[asset_idx], launcher_m=launcher,
            speed_mps=float(config.interceptor_speed_mps),
            min_range_m=np.array([v.min_range_m for v in env]), max_range_m=np.array([v.max_range_m for v in env]),
            min_altitude_m=np.array([v.min_height_m for v in env]),
            max_altitude_m=np.array([v.max_height_m for v in env]), earth_radius_m=float(frame.earth_radius_m))
        return cls(
            index=index,
            config=config,
            launcher_m=launcher,
            asset_index=asset_idx,
            asset_en=tables.asset_en,
            asset_radius_m=tables.asset_radius_m,
            min_range_m=tables.min_range_m,
            max_range_m=tables.max_range_m,
            min_altitude_m=tables.min_altitude_m,
            max_altitude_m=tables.max_altitude_m,
            pk=np.array([config.pk[k] for k in ALL_KINDS]),
            unknown_kind_index=ALL_KINDS.index(config.unknown_kind),
            max_engagements=config.max_shots if config.doctrine == "shoot_look_shoot" else 1,
            tables=tables,
            magazine=Magazine.of(config),
            outcome_rng=stream(seed, ENGAGEMENT, index),
            identity_rng=stream(seed, IDENTIFICATION, index),
        )

    def channels_busy(self, t: float) -> int:
        return sum(1 for g in self.active if g.start_s <= t < g.release_s)

    def in_flight(self, t: float) -> int:
        return sum(g.in_flight(t) for g in self.active)

    def committed(self, t: float) -> int:
        return sum(g.committed(t) for g in self.active)

    def salvo_now(self, t: float) -> int:
        """Interceptors a new engagement would get at ``t``: the salvo size, cut to the ready rounds; 0 when
        that would break the in-flight limit (counting rounds allotted but not yet launched)."""
        c = self.config
        n = min(c.salvo_size, self.magazine.ready_total, c.max_in_flight)
        if n <= 0 or self.committed(t) + n > c.max_in_flight:
            return 0
        return n
