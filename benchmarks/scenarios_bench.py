"""Detections for the tracker benchmarks, generated independently of airpicture's radar model.

One rotating surveillance radar at the site origin (antenna ``antenna_height_m`` above a flat ground) sweeps
clockwise from north, one turn per ``scan_period_s``. ``n_targets`` aircraft fly for the whole run at constant
speed and height, each with a constant, gentle turn rate (a share fly straight); they start spread uniformly over
a ring around the radar. Every target is seen once per scan, at the instant the beam crosses it, with
probability ``detection_probability``; its measurement is the true range, azimuth and elevation from the antenna
plus independent Gaussian noise. False alarms are Poisson distributed per scan, uniform over the coverage
either in measurement space (range, azimuth, elevation: a constant false-alarm probability per radar cell, the
default) or in volume, each time-stamped when the beam points at its azimuth.

Frames and units: flat local East-North-Up metres centred on the radar's ground point, seconds from the start,
azimuth clockwise from north in degrees, elevation above the horizontal in degrees. Times are rounded to whole
microseconds so that a tracker counting time as ``datetime`` sees exactly the same instants.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

TWO_PI = 2.0 * np.pi
CLEARANCE_HORIZON_S = 600.0  # targets are drawn to stay min_range_m clear of the radar at least this long


@dataclass(frozen=True)
class BenchScenario:
    """What the benchmark sky and radar look like. Distances in metres, angles in degrees, times in seconds."""

    n_targets: int = 100
    n_scans: int = 24
    scan_period_s: float = 5.0
    detection_probability: float = 0.9
    false_alarms_per_scan: float | None = None  # default: max(20, 10 % of n_targets)
    # "polar": uniform in (range, azimuth, elevation), as constant false-alarm probability per radar cell gives;
    # "cartesian": uniform in the coverage volume (m^3)
    false_alarm_model: Literal["polar", "cartesian"] = "polar"
    sigma_range_m: float = 50.0
    sigma_azimuth_deg: float = 0.2
    sigma_elevation_deg: float = 0.3
    antenna_height_m: float = 10.0
    area_radius_m: float = 150e3  # targets start uniformly (per area) between min_start_range_m and this
    min_start_range_m: float = 20e3
    min_range_m: float = 10e3  # no target comes closer than this (redrawn if it would)
    coverage_min_range_m: float = 1e3  # false alarms are spread over this coverage: ranges ...
    coverage_max_range_m: float = 200e3
    coverage_max_elevation_deg: float = 40.0  # ... all azimuths, elevations from 0 to this
    altitude_m: tuple[float, float] = (1000.0, 12000.0)
    speed_mps: tuple[float, float] = (150.0, 300.0)
    turning_share: float = 0.5
    max_turn_rate_deg_s: float = 1.0
    seed: int = 1

    @property
    def false_alarm_rate(self) -> float:
        """Mean number of false alarms per scan."""
        if self.false_alarms_per_scan is not None:
            return float(self.false_alarms_per_scan)
        return float(max(20.0, 0.1 * self.n_targets))

    @property
    def duration_s(self) -> float:
        return self.n_scans * self.scan_period_s

    def clutter_density_polar(self) -> float:
        """Mean false alarms per scan per unit measurement volume (per m rad rad) over the coverage: the density
        itself when the false alarms are uniform in measurement space (``false_alarm_model="polar"``)."""
        volume = ((self.coverage_max_range_m - self.coverage_min_range_m) * TWO_PI
                  * np.radians(self.coverage_max_elevation_deg))
        return self.false_alarm_rate / volume

    def clutter_density_m3(self) -> float:
        """Mean false alarms per scan per m^3 over the coverage volume: the density itself when the false
        alarms are uniform in volume (``false_alarm_model="cartesian"``)."""
        volume = ((self.coverage_max_range_m**3 - self.coverage_min_range_m**3) / 3.0 * TWO_PI
                  * np.sin(np.radians(self.coverage_max_elevation_deg)))
        return self.false_alarm_rate / volume

    def to_dict(self) -> dict:
        d = asdict(self)
        d["false_alarms_per_scan"] = self.false_alarm_rate
        return d


@dataclass(frozen=True)
class Fleet:
    """Constant-speed, constant-turn-rate aircraft: start position (N, 3) ENU metres (u is the height), speed
    m/s, initial heading and turn rate in radians and rad/s (heading clockwise from north)."""

    start: F64
    speed_mps: F64
    heading0_rad: F64
    turn_rate_rad_s: F64

    def __len__(self) -> int:
        return int(self.speed_mps.shape[0])

    def positions(self, t: F64 | float, idx: NDArray | None = None) -> F64:
        """Positions (K, 3) ENU metres of targets ``idx`` (all if None) at times ``t`` (scalar or (K,))."""
        sel = slice(None) if idx is None else idx
        p0, v, h0, w = self.start[sel], self.speed_mps[sel], self.heading0_rad[sel], self.turn_rate_rad_s[sel]
        t = np.broadcast_to(np.asarray(t, float), v.shape)
        # Closed form of the constant-turn arc, written with sinc so that w = 0 (straight flight) needs no
        # special case: the chord has length v t sinc(w t / 2) along the mean heading h0 + w t / 2.
        half = 0.5 * w * t
        chord = v * t * np.sinc(half / np.pi)
        mid = h0 + half
        return np.stack([p0[:, 0] + chord * np.sin(mid), p0[:, 1] + chord * np.cos(mid), p0[:, 2]], axis=1)

    def velocities(self, t: F64 | float, idx: NDArray | None = None) -> F64:
        """Velocities (K, 3) ENU m/s at times ``t``."""
        sel = slice(None) if idx is None else idx
        v, h0, w = self.speed_mps[sel], self.heading0_rad[sel], self.turn_rate_rad_s[sel]
        h = h0 + w * np.broadcast_to(np.asarray(t, float), v.shape)
        return np.stack([v * np.sin(h), v * np.cos(h), np.zeros_like(v)], axis=1)


@dataclass(frozen=True)
class BenchDetections:
    """Every detection of the run in time order, struct of arrays, with the truth label kept apart
    (``target_id`` -1 for a false alarm, never shown to a tracker)."""

    time_s: F64
    range_m: F64
    azimuth_deg: F64  # [0, 360), clockwise from north
    elevation_deg: F64
    scan: I64
    target_id: I64

    def __len__(self) -> int:
        return int(self.time_s.shape[0])

    def take(self, idx: NDArray) -> BenchDetections:
        return BenchDetections(self.time_s[idx], self.range_m[idx], self.azimuth_deg[idx], self.elevation_deg[idx],
                               self.scan[idx], self.target_id[idx])


@dataclass(frozen=True)
class BenchData:
    scenario: BenchScenario
    fleet: Fleet
    detections: BenchDetections
    antenna: F64 = field(default_factory=lambda: np.zeros(3))  # (3,) ENU metres

    def beam_azimuth_deg(self, t: F64 | float) -> F64:
        """Beam azimuth at time t, degrees clockwise from north in [0, 360)."""
        return np.mod(360.0 * np.asarray(t, float) / self.scenario.scan_period_s, 360.0)

    def epochs(self) -> F64:
        """Scoring epochs: the end of every scan, seconds."""
        return self.scenario.scan_period_s * np.arange(1, self.scenario.n_scans + 1, dtype=float)


# --------------------------------------------------------------------------------------------- generation
def _draw_fleet(sc: BenchScenario, rng: np.random.Generator) -> Fleet:
    n = sc.n_targets
    start = np.zeros((n, 3))
    speed = np.zeros(n)
    heading = np.zeros(n)
    turn = np.zeros(n)
    todo = np.arange(n)
    horizon = max(sc.duration_s, CLEARANCE_HORIZON_S)  # fixed, so that a shorter run has the same fleet
    probe_t = np.linspace(0.0, horizon, int(horizon) + 1)
    while todo.size:
        m = todo.size
        # Uniform over the annulus [min_start_range, area_radius] (area-uniform radius).
        r = np.sqrt(rng.uniform(sc.min_start_range_m**2, sc.area_radius_m**2, m))
        bearing = rng.uniform(0.0, TWO_PI, m)
        start[todo, 0] = r * np.sin(bearing)
        start[todo, 1] = r * np.cos(bearing)
        start[todo, 2] = rng.uniform(*sc.altitude_m, m)
        speed[todo] = rng.uniform(*sc.speed_mps, m)
        heading[todo] = rng.uniform(0.0, TWO_PI, m)
        turning = rng.random(m) < sc.turning_share
        turn[todo] = np.where(turning, np.radians(rng.uniform(-sc.max_turn_rate_deg_s, sc.max_turn_rate_deg_s, m)),
                              0.0)
        fleet = Fleet(start, speed, heading, turn)
        # Redraw any target that would pass closer than min_range_m to the radar during the run.
        closest = np.full(m, np.inf)
        for t in probe_t:
            p = fleet.positions(t, todo)
            closest = np.minimum(closest, np.hypot(p[:, 0], p[:, 1]))
        todo = todo[closest < sc.min_range_m]
    return Fleet(start, speed, heading, turn)


def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def _polar(d: F64) -> tuple[F64, F64, F64]:
    """(K, 3) ENU offsets from the antenna to range (m), azimuth (rad, [0, 2 pi)), elevation (rad)."""
    r = np.linalg.norm(d, axis=1)
    az = np.mod(np.arctan2(d[:, 0], d[:, 1]), TWO_PI)
    el = np.arcsin(d[:, 2] / r)
    return r, az, el


def _azimuth_deg(a: F64) -> F64:
    """Radians to degrees in [0, 360) (a value a hair below 360 rounds to 360.0 in floating point: made 0)."""
    deg = np.mod(np.degrees(a), 360.0)
    return np.where(deg >= 360.0, 0.0, deg)


def _wrap_pi(a: F64) -> F64:
    return np.mod(a + np.pi, TWO_PI) - np.pi


def beam_crossings(fleet: Fleet, antenna: F64, scan_period_s: float, n_crossings: int,
                   iterations: int = 8) -> F64:
    """Times (n_crossings, N) s at which the beam (north at t = 0, turning clockwise) crosses each target.

    Crossing n of a target solves beta(t) = 2 pi n + a(t), with beta the unwrapped beam angle and a the target's
    azimuth unwrapped continuously from its previous crossing. Fixed-point iteration converges because a target's
    azimuth rate is far below the beam's. Near north a crossing can fall just outside scan n's time span, so a
    scan may see a target twice or not at all, as a real rotating radar would.
    """
    w = TWO_PI / scan_period_s
    n_targets = len(fleet)
    _, a_prev, _ = _polar(fleet.positions(np.zeros(n_targets)) - antenna)
    out = np.empty((n_crossings, n_targets))
    for n in range(n_crossings):
        a = a_prev.copy()
        for _ in range(iterations):
            t = (TWO_PI * n + a) / w
            _, az, _ = _polar(fleet.positions(t) - antenna)
            a = a_prev + _wrap_pi(az - a_prev)
        out[n] = (TWO_PI * n + a) / w
        a_prev = a
    return out


def generate(sc: BenchScenario) -> BenchData:
    """The benchmark run: truth and every detection, deterministic for ``sc.seed``."""
    fleet = _draw_fleet(sc, _rng(sc.seed, 1))
    antenna = np.array([0.0, 0.0, sc.antenna_height_m])
    T = sc.scan_period_s
    s_r, s_az, s_el = sc.sigma_range_m, np.radians(sc.sigma_azimuth_deg), np.radians(sc.sigma_elevation_deg)
    n_targets = len(fleet)

    # Targets: detection and noise drawn per crossing from its own stream, so that a shorter run is a prefix.
    crossings = np.round(beam_crossings(fleet, antenna, T, sc.n_scans + 1), 6)
    seen = np.empty(crossings.shape, dtype=bool)
    noise = np.empty((*crossings.shape, 3))
    for n in range(crossings.shape[0]):
        rng = _rng(sc.seed, 2, n)
        seen[n] = rng.random(n_targets) < sc.detection_probability
        noise[n] = rng.standard_normal((n_targets, 3))
    keep = seen & (crossings >= 0.0) & (crossings < sc.duration_s)
    n_idx, ids = np.nonzero(keep)
    t_tg = crossings[n_idx, ids]
    r, az, el = _polar(fleet.positions(t_tg, ids) - antenna)
    nz = noise[n_idx, ids]
    r_tg = r + s_r * nz[:, 0]
    az_tg = np.mod(az + s_az * nz[:, 1], TWO_PI)
    el_tg = el + s_el * nz[:, 2]

    # False alarms, scan by scan, each scan from its own stream.
    fa = []
    for k in range(sc.n_scans):
        rng = _rng(sc.seed, 3, k)
        m = int(rng.poisson(sc.false_alarm_rate))
        az_k = rng.uniform(0.0, TWO_PI, m)
        t_k = np.minimum(np.round(k * T + az_k / TWO_PI * T, 6), np.round((k + 1) * T - 1e-6, 6))
        u_r, u_el = rng.random(m), rng.random(m)
        r0, r1, el1 = sc.coverage_min_range_m, sc.coverage_max_range_m, np.radians(sc.coverage_max_elevation_deg)
        if sc.false_alarm_model == "polar":  # uniform in range and elevation
            r_k, el_k = r0 + u_r * (r1 - r0), u_el * el1
        else:  # uniform in volume: range density ~ r^2, elevation density ~ cos(el) (inverse CDFs)
            r_k, el_k = np.cbrt(r0**3 + u_r * (r1**3 - r0**3)), np.arcsin(u_el * np.sin(el1))
        fa.append((t_k, r_k, az_k, el_k))
    fa_t, fa_r, fa_az, fa_el = (np.concatenate([f[i] for f in fa]) for i in range(4))

    time_s = np.concatenate([t_tg, fa_t])
    target_id = np.concatenate([ids, np.full(fa_t.size, -1)]).astype(np.int64)
    order = np.lexsort((target_id, time_s))
    det = BenchDetections(
        time_s=time_s,
        range_m=np.concatenate([r_tg, fa_r]),
        azimuth_deg=_azimuth_deg(np.concatenate([az_tg, fa_az])),
        elevation_deg=np.degrees(np.concatenate([el_tg, fa_el])),
        scan=np.floor(time_s / T).astype(np.int64),
        target_id=target_id,
    ).take(order)
    return BenchData(sc, fleet, det, antenna)


def windows(data: BenchData, step_s: float) -> list[tuple[float, float, NDArray]]:
    """Split the run into consecutive windows [t0, t1) of ``step_s`` (the engine's step): (t0, t1, indices of
    the detections inside, in time order)."""
    T = data.scenario.scan_period_s
    n = round(data.scenario.duration_s / step_s)
    if not np.isclose(n * step_s, data.scenario.duration_s) or not np.isclose(T / step_s, round(T / step_s)):
        raise ValueError(f"window step {step_s} s must divide the scan period {T} s")
    edges = np.round(np.arange(n + 1) * step_s, 6)
    cut = np.searchsorted(data.detections.time_s, edges, side="left")
    return [(float(edges[i]), float(edges[i + 1]), np.arange(cut[i], cut[i + 1])) for i in range(n)]
