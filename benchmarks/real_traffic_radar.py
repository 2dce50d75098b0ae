"""Detections of recorded trajectories by a rotating 3-D radar, generated independently of airpicture's radar model
(nothing here imports ``airpicture``).

The radar stands at the site origin, its antenna ``antenna_height_m`` above the site's ground point (site ENU
(0, 0, h)), and measures range, azimuth (clockwise from north) and elevation (above the site's horizontal plane)
from the antenna. The beam points north at t = 0 (``start_azimuth_deg``) and turns clockwise, one turn per
``scan_period_s``.

Targets (:class:`real_traffic_data.Truth`: 1 s samples, cubic Hermite in between) are each seen at the instant
the beam crosses them. Crossing m of a target solves beta(t) = 2 pi m + a(t), with beta the unwrapped beam angle
and a the target's azimuth unwrapped continuously over its life (the beam turns far faster than any target's
azimuth, so beta - a increases strictly and each m has one root): a first guess from the 1 s samples (linear
interpolation of beta - a), then Newton steps on the interpolated trajectory. A crossing counts if the target
exists then and is inside the coverage (:func:`in_coverage`): slant range within [min, max], elevation within
the radar's limits and above the radar horizon of a 4/3-Earth (d <= sqrt(2 k R h_antenna) + sqrt(2 k R h_target),
d the ground distance, h heights above the spherical ground). A target inside the coverage is detected with
probability ``detection_probability``; its measurement is the true range, azimuth and elevation plus independent
Gaussian noise (sigmas ``sigma_range_m``, ``sigma_azimuth_deg``, ``sigma_elevation_deg``).

False alarms: Poisson, mean ``false_alarms_per_scan`` per rotation, uniform in measurement space over the coverage
(range in [min, max], azimuth in [0, 360), elevation within the limits -- what a constant false-alarm
probability per resolution cell gives), each stamped when the beam points at its azimuth.

Random streams: the detection draws and noise of the crossings in rotation m's time span [mT, (m + 1)T) come from
``SeedSequence(seed, spawn_key=(1, m))`` (two sets of values per target of the scene -- a target near north can
be crossed twice in one span --, so a target's draws do not depend on which others are visible), rotation m's
false alarms from ``(2, m)``. Times are rounded to whole microseconds (a tracker counting time in ``datetime`` sees the same
instants). Units: metres, seconds, degrees at the interface, radians inside.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import NDArray

from real_traffic_data import EARTH_RADIUS_M, Truth

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
TWO_PI = 2.0 * math.pi
GENERATOR_VERSION = 2  # bump when the generator changes (invalidates cached detections)


@dataclass(frozen=True)
class RadarSpec:
    """The simulated radar and its detection statistics."""

    scan_period_s: float = 5.0
    start_azimuth_deg: float = 0.0
    antenna_height_m: float = 20.0
    min_range_m: float = 2_000.0
    max_range_m: float = 250_000.0
    elevation_min_deg: float = -2.0
    elevation_max_deg: float = 60.0
    refraction_k: float = 4.0 / 3.0
    sigma_range_m: float = 50.0
    sigma_azimuth_deg: float = 0.15
    sigma_elevation_deg: float = 0.3
    detection_probability: float = 0.9
    false_alarms_per_scan: float = 20.0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Detections:
    """Every detection of a run in time order (struct of arrays); ``target`` is the truth index (-1: false
    alarm), kept apart from what the trackers see."""

    time_s: F64
    range_m: F64
    azimuth_deg: F64  # [0, 360), clockwise from north
    elevation_deg: F64
    target: I64

    def __len__(self) -> int:
        return int(self.time_s.size)

    def take(self, idx: NDArray) -> Detections:
        return Detections(self.time_s[idx], self.range_m[idx], self.azimuth_deg[idx], self.elevation_deg[idx],
                          self.target[idx])

    def fingerprint(self) -> str:
        h = hashlib.sha256()
        for a in (self.time_s, self.range_m, self.azimuth_deg, self.elevation_deg):
            h.update(np.ascontiguousarray(a).tobytes())
        return h.hexdigest()[:16]

    def as_dict(self) -> dict[str, np.ndarray]:
        return asdict(self)


def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def antenna(radar: RadarSpec) -> F64:
    return np.array([0.0, 0.0, radar.antenna_height_m])


def polar(pos: F64, radar: RadarSpec) -> tuple[F64, F64, F64]:
    """Site-ENU positions (K, 3) to range (m), azimuth (rad, [0, 2 pi), clockwise from north) and elevation
    (rad) from the antenna."""
    d = pos - antenna(radar)
    r = np.linalg.norm(d, axis=1)
    az = np.mod(np.arctan2(d[:, 0], d[:, 1]), TWO_PI)
    el = np.arcsin(np.clip(d[:, 2] / np.maximum(r, 1e-9), -1.0, 1.0))
    return r, az, el


def height_above_ground(pos: F64) -> F64:
    """Height (m) of site-ENU points above the spherical ground (radius 6,371 km) touching the site."""
    return np.sqrt(pos[:, 0] ** 2 + pos[:, 1] ** 2 + (pos[:, 2] + EARTH_RADIUS_M) ** 2) - EARTH_RADIUS_M


def in_coverage(pos: F64, radar: RadarSpec) -> NDArray[np.bool_]:
    """Whether site-ENU points (K, 3) are inside the radar's coverage: range, elevation limits and the 4/3-Earth
    radar horizon (see the module docstring)."""
    r, _, el = polar(pos, radar)
    h = np.maximum(height_above_ground(pos), 0.0)
    ke = radar.refraction_k * EARTH_RADIUS_M
    ground = EARTH_RADIUS_M * np.arctan2(np.hypot(pos[:, 0], pos[:, 1]), EARTH_RADIUS_M + pos[:, 2])
    horizon = np.sqrt(2.0 * ke * radar.antenna_height_m) + np.sqrt(2.0 * ke * h)
    el_deg = np.degrees(el)
    return ((r >= radar.min_range_m) & (r <= radar.max_range_m) & (el_deg >= radar.elevation_min_deg)
            & (el_deg <= radar.elevation_max_deg) & (ground <= horizon))


def beam_angle(t: F64 | float, radar: RadarSpec) -> F64:
    """Unwrapped beam angle (rad, clockwise from north) at times t."""
    return math.radians(radar.start_azimuth_deg) + TWO_PI * np.asarray(t, float) / radar.scan_period_s


def crossings(truth: Truth, radar: RadarSpec, t_stop: float, newton_steps: int = 4) -> tuple[I64, F64]:
    """Every beam crossing of every target within [0, t_stop): (target index, time s), both (K,).

    First guess per crossing: the root of beta(t) - a(t) - 2 pi m interpolated linearly between the target's 1 s
    samples (a unwrapped along the samples); then Newton steps on the Hermite-interpolated trajectory,
    t <- t - wrap(beta(t) - a(t)) / (w - da/dt), with da/dt from the interpolated velocity."""
    w = TWO_PI / radar.scan_period_s
    ids_l, t_l = [], []
    ant = antenna(radar)
    for i in range(len(truth)):
        a, b = truth.start[i], truth.start[i] + truth.count[i]
        ts = truth.t0[i] + np.arange(truth.count[i], dtype=float)
        d = truth.pos[a:b] - ant
        az = np.unwrap(np.arctan2(d[:, 0], d[:, 1]))
        g = np.maximum.accumulate((beam_angle(ts, radar) - az) / TWO_PI)  # turns of the beam relative to a
        m = np.arange(math.ceil(g[0]), math.floor(g[-1]) + 1)
        if m.size == 0:
            continue
        k = np.clip(np.searchsorted(g, m, side="left"), 1, g.size - 1)
        frac = (m - g[k - 1]) / np.maximum(g[k] - g[k - 1], 1e-12)
        ids_l.append(np.full(m.size, i, np.int64))
        t_l.append(ts[k - 1] + np.clip(frac, 0.0, 1.0))
    if not ids_l:
        return np.zeros(0, np.int64), np.zeros(0)
    ids, t = np.concatenate(ids_l), np.concatenate(t_l)
    for _ in range(newton_steps):
        p, v = truth.states(t, ids)
        d = p - ant
        rho2 = np.maximum(d[:, 0] ** 2 + d[:, 1] ** 2, 1.0)
        a_now = np.arctan2(d[:, 0], d[:, 1])
        a_rate = (d[:, 1] * v[:, 0] - d[:, 0] * v[:, 1]) / rho2
        resid = np.mod(beam_angle(t, radar) - a_now + math.pi, TWO_PI) - math.pi
        t = t - resid / np.maximum(w - a_rate, 0.1 * w)
    t = np.round(t, 6)
    keep = truth.alive(t, ids) & (t >= 0.0) & (t < t_stop)
    return ids[keep], t[keep]


def generate(truth: Truth, radar: RadarSpec, n_scans: int, seed: int) -> Detections:
    """All detections of ``n_scans`` rotations (times in [0, n_scans T)), deterministic for ``seed``."""
    T = radar.scan_period_s
    t_stop = n_scans * T
    ids, t = crossings(truth, radar, t_stop)
    pos, _ = truth.states(t, ids)
    visible = in_coverage(pos, radar)
    rotation = np.floor((beam_angle(t, radar) - math.radians(radar.start_azimuth_deg)) / TWO_PI).astype(np.int64)
    n_targets = len(truth)
    detected = np.zeros(t.size, bool)
    noise = np.zeros((t.size, 3))
    for m in np.unique(rotation):
        sel = np.flatnonzero(rotation == m)
        sel = sel[np.lexsort((t[sel], ids[sel]))]
        # a target near north can be crossed twice within one rotation's time span: its second crossing takes the
        # second set of draws
        second = np.r_[False, ids[sel][1:] == ids[sel][:-1]].astype(np.int64)
        rng = _rng(seed, 1, int(m))
        u = rng.random((2, n_targets))
        z = rng.standard_normal((2, n_targets, 3))
        detected[sel] = u[second, ids[sel]] < radar.detection_probability
        noise[sel] = z[second, ids[sel]]
    keep = visible & detected
    r, az, el = polar(pos[keep], radar)
    nz = noise[keep]
    r = r + radar.sigma_range_m * nz[:, 0]
    az = np.mod(az + math.radians(radar.sigma_azimuth_deg) * nz[:, 1], TWO_PI)
    el = el + math.radians(radar.sigma_elevation_deg) * nz[:, 2]
    tg_t, tg_id = t[keep], ids[keep]

    fa_t, fa_r, fa_az, fa_el = [], [], [], []
    el0, el1 = math.radians(radar.elevation_min_deg), math.radians(radar.elevation_max_deg)
    az0 = math.radians(radar.start_azimuth_deg)
    for m in range(n_scans):
        rng = _rng(seed, 2, m)
        n = int(rng.poisson(radar.false_alarms_per_scan))
        a = rng.uniform(0.0, TWO_PI, n)
        fa_az.append(a)
        fa_r.append(rng.uniform(radar.min_range_m, radar.max_range_m, n))
        fa_el.append(rng.uniform(el0, el1, n))
        # the beam is at azimuth a during rotation m at t = (m + ((a - az0) mod 2 pi) / 2 pi) T
        tt = np.round((m + np.mod(a - az0, TWO_PI) / TWO_PI) * T, 6)
        fa_t.append(np.minimum(tt, np.round((m + 1) * T - 1e-6, 6)))
    time_s = np.concatenate([tg_t, *fa_t])
    target = np.concatenate([tg_id, np.full(time_s.size - tg_t.size, -1, np.int64)])
    az_all = np.degrees(np.concatenate([az, *fa_az]))
    az_all = np.where(az_all >= 360.0, 0.0, az_all)
    order = np.lexsort((target, time_s))
    return Detections(time_s, np.concatenate([r, *fa_r]), az_all, np.degrees(np.concatenate([el, *fa_el])),
                      target).take(order)
