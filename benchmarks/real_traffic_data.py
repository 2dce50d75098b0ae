"""Truth for the real-traffic tracker benchmark: recorded ADS-B flights made into smooth, sampled trajectories.

Source: the sample data shipped inside the wheel of the ``traffic`` package, version 2.13 (``pip download
--no-deps traffic==2.13`` into a cache folder; the package is never installed or imported). The gzip'd JSON files
``traffic/data/samples/<collection>/<name>.json.gz`` are read straight out of the wheel (a zip file): a list of
records, or (some files) a pandas "columns" dict, with ``timestamp`` (ms since 1970), ``icao24``, ``latitude``,
``longitude`` (degrees), ``altitude`` (barometric, ft), ``groundspeed`` (kt), ``track`` (deg), ``vertical_rate``
(ft/min), ``onground`` (some files) and ``callsign``. Only time, identity, latitude, longitude, altitude, the
ground flag and the ground speed are used.

Cleaning, per aircraft (``icao24``), in this order -- every step counts what it removes (:class:`CleaningReport`);
the per-collection parameters are in :data:`RULES`:

1. rows without a position or an altitude, or with a timestamp already seen for that aircraft, are dropped;
2. on-ground rows are dropped: ``onground`` true (where the file has the flag), a ground speed below
   ``min_groundspeed_kt`` (50 kt: no powered aircraft flies slower; 0 for gliders) or an altitude below
   -1,000 ft or above 60,000 ft;
3. stale positions (latitude and longitude exactly those of the previous report: the receiver repeated the last
   decoded position) are dropped;
4. the track is split into segments where reports are more than ``max_gap_s`` apart (20 s for the 1 s
   collections, 30 s for the 5 s calibration flights, 60 s for the sparse glider reports);
5. altitude outliers and jumps: a Hampel filter (running median over about +-10 s, at least +-2 reports) drops a
   report whose altitude is more than max(4 x 1.4826 x MAD, 200 ft) from the running median;
6. impossible positions: the same filter on local east and north coordinates (floor 300 m for the 1 s
   collections, 600 m for the others), then any report whose implied speed from its previous and to its next
   report both exceed ``max_jump_speed_mps`` (400 m/s; 120 m/s for gliders);
7. segments shorter than 60 s or with fewer than 10 reports left are dropped;
8. each segment is converted to local ENU and smoothed: per axis, a cubic smoothing spline
   (``scipy.interpolate.UnivariateSpline``, smoothing factor n sigma^2, i.e. residuals of rms sigma), sampled
   every second with velocities from its derivative. Vertical sigma 8 m (25 ft altitude steps); horizontal sigma
   50 m for the 1 s collections (their position times jitter by up to ~0.5 s: tens of metres along track), 50 m
   for the calibration flights (5 s reports linearly interpolated between sparser raw positions, with kinks) and
   100 m for the gliders (reports ~9 s apart, tens of metres of noise);
9. a smoothed segment that is not physically plausible (horizontal speed above ``max_speed_mps`` -- 350 m/s,
   100 m/s for gliders --, vertical speed above 60 m/s, or acceleration above 30 m/s^2 at any sample) is dropped.

Barometric altitude is used as height above the WGS84 ellipsoid (a few hundred metres off the geometric height:
irrelevant for a plausible truth). Geodetic positions are converted with ``pymap3d`` (WGS84 ellipsoid).

Frames and units: site East-North-Up metres (tangent plane at the site, ``u`` up from the site's ellipsoid
point), seconds, m/s. A truth is a set of *targets*, each a block of samples on a 1 s grid (position and
velocity); between samples the position is the cubic Hermite interpolant of the two samples' positions and
velocities (:meth:`Truth.states`).
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import os
import subprocess
import sys
import warnings
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pymap3d
from numpy.typing import NDArray
from scipy.interpolate import UnivariateSpline
from scipy.ndimage import median_filter

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

TRAFFIC_VERSION = "2.13"
WHEEL = f"traffic-{TRAFFIC_VERSION}-py3-none-any.whl"
SAMPLES = "traffic/data/samples/"
FT = 0.3048
KT = 1852.0 / 3600.0
EARTH_RADIUS_M = 6_371_000.0
CLEANING_VERSION = 1  # bump when the cleaning or smoothing changes (invalidates the cached truths)


def cache_dir() -> Path:
    """Where the wheel and the generated data are kept: ``$AIRPICTURE_BENCH_CACHE`` or
    ``~/.cache/airpicture-bench`` (outside the repository)."""
    return Path(os.environ.get("AIRPICTURE_BENCH_CACHE", "~/.cache/airpicture-bench")).expanduser()


def wheel_path(cache: Path | None = None) -> Path:
    """The ``traffic`` wheel in the cache, downloaded with pip (no dependencies, not installed) if absent."""
    cache = cache or cache_dir()
    path = cache / WHEEL
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                        f"traffic=={TRAFFIC_VERSION}", "-d", str(cache)], check=True)
    return path


def sample_names(collection: str, cache: Path | None = None) -> list[str]:
    """Names (``collection/name.json.gz``) of the gzip'd JSON samples of one collection in the wheel."""
    with zipfile.ZipFile(wheel_path(cache)) as z:
        prefix = f"{SAMPLES}{collection}/"
        return sorted(n[len(SAMPLES):] for n in z.namelist() if n.startswith(prefix) and n.endswith(".json.gz"))


def read_sample(name: str, cache: Path | None = None) -> dict[str, np.ndarray]:
    """Columns of one sample file (``collection/name.json.gz``): ``time_s`` (s since 1970), ``icao24`` (str),
    ``callsign``, ``lat_deg``, ``lon_deg``, ``alt_ft``, ``groundspeed_kt`` and ``onground`` (float: 1, 0, or NaN
    where the file has no flag). Missing values are NaN."""
    with zipfile.ZipFile(wheel_path(cache)) as z:
        data = json.loads(gzip.decompress(z.read(SAMPLES + name)))
    if isinstance(data, dict):  # pandas "columns" orient: {column: {row: value}}
        keys = list(data["timestamp"])
        rows = [{c: data[c].get(k) for c in data} for k in keys]
    else:
        rows = data

    def num(key: str) -> F64:
        return np.array([np.nan if r.get(key) is None else float(r[key]) for r in rows], dtype=float)

    return {
        "time_s": num("timestamp") / 1000.0,
        "icao24": np.array([str(r.get("icao24")) for r in rows]),
        "callsign": np.array([str(r.get("callsign") or "") for r in rows]),
        "lat_deg": num("latitude"),
        "lon_deg": num("longitude"),
        "alt_ft": num("altitude"),
        "groundspeed_kt": num("groundspeed"),
        "onground": num("onground"),
    }


@dataclass(frozen=True)
class CleaningRules:
    """Per-collection cleaning parameters (see the module docstring)."""

    max_gap_s: float = 20.0
    min_groundspeed_kt: float = 50.0  # used only where the file has no on-ground flag
    position_floor_m: float = 300.0
    altitude_floor_ft: float = 200.0
    hampel_half_window_s: float = 10.0
    min_duration_s: float = 60.0
    min_reports: int = 10
    max_jump_speed_mps: float = 400.0
    sigma_horizontal_m: float = 10.0
    sigma_vertical_m: float = 8.0
    max_speed_mps: float = 350.0
    max_vertical_speed_mps: float = 60.0
    max_accel_mps2: float = 30.0


RULES = {
    # 1 s reports whose position times jitter by up to ~0.5 s (along-track noise of tens of metres)
    "collections": CleaningRules(sigma_horizontal_m=50.0),
    # 5 s reports linearly interpolated between sparser raw positions (kinks every few samples)
    "calibration": CleaningRules(max_gap_s=30.0, position_floor_m=600.0, sigma_horizontal_m=50.0),
    # ~9 s reports (up to ~30 s apart), tens of metres of position noise; gliders fly below 100 m/s
    "gliders": CleaningRules(max_gap_s=60.0, min_groundspeed_kt=0.0, position_floor_m=600.0,
                             sigma_horizontal_m=100.0, max_jump_speed_mps=120.0, max_speed_mps=100.0),
}


@dataclass
class CleaningReport:
    """What the cleaning removed, in rows (reports) and segments."""

    rows: int = 0
    aircraft: int = 0
    no_position_or_altitude: int = 0
    duplicate_time: int = 0
    on_ground: int = 0
    repeated_position: int = 0
    segments_after_gap_split: int = 0
    altitude_outliers: int = 0
    position_outliers: int = 0
    position_jumps: int = 0
    short_segments: int = 0
    short_segment_rows: int = 0
    implausible_segments: int = 0
    segments_kept: int = 0
    rows_kept: int = 0

    def add(self, other: CleaningReport) -> None:
        for k, v in asdict(other).items():
            setattr(self, k, getattr(self, k) + v)


@dataclass(frozen=True)
class Segment:
    """One cleaned, continuous piece of one aircraft's flight: report times (s since 1970) and WGS84 position."""

    icao24: str
    callsign: str
    time_s: F64
    lat_deg: F64
    lon_deg: F64
    alt_m: F64


def _hampel_mask(t: F64, x: F64, half_window_s: float, floor: float) -> NDArray[np.bool_]:
    """True where x is within max(4 x 1.4826 x MAD, floor) of its running median (window +-half_window_s,
    converted to reports at the segment's median spacing, at least +-2 reports)."""
    if x.size < 5:
        return np.ones(x.size, bool)
    step = float(np.median(np.diff(t))) if t.size > 1 else 1.0
    half = max(2, round(half_window_s / max(step, 1e-3)))
    size = 2 * half + 1
    med = median_filter(x, size=size, mode="nearest")
    dev = np.abs(x - med)
    mad = median_filter(dev, size=size, mode="nearest")
    return dev <= np.maximum(4.0 * 1.4826 * mad, floor)


def _jump_mask(t: F64, e: F64, n: F64, max_speed: float) -> NDArray[np.bool_]:
    """False for a report whose implied speed from its previous and to its next report both exceed max_speed
    (an isolated impossible position); the first and last reports are judged on their one neighbour."""
    if t.size < 3:
        return np.ones(t.size, bool)
    dt = np.maximum(np.diff(t), 1e-3)
    v = np.hypot(np.diff(e), np.diff(n)) / dt
    fast = v > max_speed
    bad = np.zeros(t.size, bool)
    bad[1:-1] = fast[:-1] & fast[1:]
    bad[0] = fast[0] and not fast[1]
    bad[-1] = fast[-1] and not fast[-2]
    return ~bad


def clean(cols: dict[str, np.ndarray], rules: CleaningRules) -> tuple[list[Segment], CleaningReport]:
    """Steps 1-7 of the module docstring on one file's columns; segments in (aircraft, time) order."""
    rep = CleaningReport(rows=int(cols["time_s"].size))
    ok = np.isfinite(cols["lat_deg"]) & np.isfinite(cols["lon_deg"]) & np.isfinite(cols["alt_ft"]) \
        & np.isfinite(cols["time_s"])
    rep.no_position_or_altitude = int((~ok).sum())
    idx = np.flatnonzero(ok)
    icao = cols["icao24"]
    rep.aircraft = len(set(icao[idx].tolist()))
    order = idx[np.lexsort((cols["time_s"][idx], icao[idx]))]
    segments: list[Segment] = []
    starts = np.flatnonzero(np.r_[True, icao[order][1:] != icao[order][:-1]])
    bounds = np.r_[starts, order.size]
    for a, b in itertools.pairwise(bounds):
        rows = order[a:b]
        t = cols["time_s"][rows]
        dup = np.r_[False, np.diff(t) == 0.0]
        rep.duplicate_time += int(dup.sum())
        rows = rows[~dup]
        alt = cols["alt_ft"][rows]
        flag = cols["onground"][rows]
        gs = cols["groundspeed_kt"][rows]
        ground = ((np.isfinite(flag) & (flag > 0.5)) | (np.nan_to_num(gs, nan=np.inf) < rules.min_groundspeed_kt)
                  | (alt < -1000.0) | (alt > 60000.0))
        rep.on_ground += int(ground.sum())
        rows = rows[~ground]
        lat, lon = cols["lat_deg"][rows], cols["lon_deg"][rows]
        stale = np.r_[False, (np.diff(lat) == 0.0) & (np.diff(lon) == 0.0)]
        rep.repeated_position += int(stale.sum())
        rows = rows[~stale]
        if rows.size == 0:
            continue
        t = cols["time_s"][rows]
        cut = np.flatnonzero(np.diff(t) > rules.max_gap_s) + 1
        for piece in np.split(rows, cut):
            rep.segments_after_gap_split += 1
            seg = _clean_piece(cols, piece, rules, rep)
            if seg is not None:
                segments.append(seg)
    return segments, rep


def _clean_piece(cols: dict[str, np.ndarray], rows: I64, rules: CleaningRules,
                 rep: CleaningReport) -> Segment | None:
    t = cols["time_s"][rows]
    keep = _hampel_mask(t, cols["alt_ft"][rows], rules.hampel_half_window_s, rules.altitude_floor_ft)
    rep.altitude_outliers += int((~keep).sum())
    rows, t = rows[keep], t[keep]
    if rows.size:
        lat0, lon0 = float(np.median(cols["lat_deg"][rows])), float(np.median(cols["lon_deg"][rows]))
        e, n, _ = pymap3d.geodetic2enu(cols["lat_deg"][rows], cols["lon_deg"][rows], 0.0, lat0, lon0, 0.0)
        keep = (_hampel_mask(t, e, rules.hampel_half_window_s, rules.position_floor_m)
                & _hampel_mask(t, n, rules.hampel_half_window_s, rules.position_floor_m))
        rep.position_outliers += int((~keep).sum())
        rows, t, e, n = rows[keep], t[keep], e[keep], n[keep]
        keep = _jump_mask(t, e, n, rules.max_jump_speed_mps)
        rep.position_jumps += int((~keep).sum())
        rows, t = rows[keep], t[keep]
    if rows.size < rules.min_reports or (t[-1] - t[0]) < rules.min_duration_s:
        rep.short_segments += 1
        rep.short_segment_rows += int(rows.size)
        return None
    return Segment(str(cols["icao24"][rows[0]]), str(cols["callsign"][rows[0]]), t,
                   cols["lat_deg"][rows], cols["lon_deg"][rows], cols["alt_ft"][rows] * FT)


# --------------------------------------------------------------------------------------------- truth
@dataclass(frozen=True)
class Truth:
    """Targets as blocks of 1 s samples. Block i covers times ``t0[i] + k`` for k < ``count[i]`` (seconds from
    the scene start); its samples are rows ``start[i] : start[i] + count[i]`` of ``pos`` / ``vel`` ((S, 3), site
    ENU metres and m/s). ``name[i]`` says where the target came from."""

    t0: F64
    count: I64
    start: I64
    pos: F64
    vel: F64
    name: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return int(self.t0.size)

    @property
    def t_end(self) -> F64:
        """Time of each target's last sample, seconds."""
        return self.t0 + (self.count - 1).astype(float)

    def alive(self, t: F64 | float, idx: I64 | None = None) -> NDArray[np.bool_]:
        """Whether targets ``idx`` (all if None) exist at times ``t`` (scalar or matching ``idx``)."""
        sel = slice(None) if idx is None else idx
        t = np.asarray(t, float)
        return (t >= self.t0[sel]) & (t <= self.t_end[sel])

    def states(self, t: F64 | float, idx: I64 | None = None) -> tuple[F64, F64]:
        """Positions and velocities (K, 3) of targets ``idx`` (all if None) at times ``t`` (scalar or (K,)),
        clamped to each target's time span: cubic Hermite interpolation between the two neighbouring samples
        (exact at the samples, C1 in position)."""
        idx = np.arange(len(self)) if idx is None else np.asarray(idx, np.int64)
        t = np.broadcast_to(np.asarray(t, float), idx.shape)
        s = np.clip(t - self.t0[idx], 0.0, np.maximum(self.count[idx] - 1, 0).astype(float))
        k = np.minimum(np.floor(s).astype(np.int64), np.maximum(self.count[idx] - 2, 0))
        u = (s - k)[:, None]
        a = self.start[idx] + k
        b = np.minimum(a + 1, self.start[idx] + self.count[idx] - 1)
        p0, p1, v0, v1 = self.pos[a], self.pos[b], self.vel[a], self.vel[b]
        u2, u3 = u * u, u * u * u
        h00, h10, h01, h11 = 2 * u3 - 3 * u2 + 1, u3 - 2 * u2 + u, -2 * u3 + 3 * u2, u3 - u2
        pos = h00 * p0 + h10 * v0 + h01 * p1 + h11 * v1  # dt = 1 s
        vel = (6 * u2 - 6 * u) * p0 + (3 * u2 - 4 * u + 1) * v0 + (-6 * u2 + 6 * u) * p1 + (3 * u2 - 2 * u) * v1
        return pos, vel

    def window(self, t_start: float, t_stop: float) -> Truth:
        """The targets existing in [t_start, t_stop], cut to it and re-timed so that t_start is 0."""
        first = np.maximum(np.ceil(t_start - self.t0), 0).astype(np.int64)
        last = np.minimum(np.floor(t_stop - self.t0), self.count - 1).astype(np.int64)
        keep = np.flatnonzero(last - first >= 1)
        parts_p, parts_v, t0, count = [], [], [], []
        for i in keep:
            a, b = self.start[i] + first[i], self.start[i] + last[i] + 1
            parts_p.append(self.pos[a:b])
            parts_v.append(self.vel[a:b])
            t0.append(self.t0[i] + first[i] - t_start)
            count.append(b - a)
        return _assemble(parts_p, parts_v, t0, count, [self.name[i] for i in keep])

    def rotated(self, angle_rad: float, time_shift_s: float = 0.0, suffix: str = "") -> Truth:
        """A copy turned by ``angle_rad`` clockwise (seen from above) about the site's vertical, each target's
        times shifted by ``time_shift_s``."""
        c, s = np.cos(angle_rad), np.sin(angle_rad)
        rot = np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])  # (e, n) -> clockwise turn
        return Truth(self.t0 + time_shift_s, self.count.copy(), self.start.copy(), self.pos @ rot.T,
                     self.vel @ rot.T, [n + suffix for n in self.name])

    def fingerprint(self) -> str:
        h = hashlib.sha256()
        for a in (self.t0, self.count, self.pos, self.vel):
            h.update(np.ascontiguousarray(a).tobytes())
        return h.hexdigest()[:16]

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, t0=self.t0, count=self.count, start=self.start, pos=self.pos, vel=self.vel,
                 name=np.array(self.name))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> Truth:
        with np.load(path) as z:
            return cls(z["t0"], z["count"], z["start"], z["pos"], z["vel"], [str(n) for n in z["name"]])


def concatenate(truths: list[Truth]) -> Truth:
    """All targets of several truths in one (in order)."""
    offsets = np.cumsum([0] + [t.pos.shape[0] for t in truths[:-1]])
    return Truth(np.concatenate([t.t0 for t in truths]), np.concatenate([t.count for t in truths]),
                 np.concatenate([t.start + o for t, o in zip(truths, offsets, strict=True)]),
                 np.concatenate([t.pos for t in truths]), np.concatenate([t.vel for t in truths]),
                 [n for t in truths for n in t.name])


def _assemble(parts_p: list[F64], parts_v: list[F64], t0: list[float], count: list[int], names: list[str]) -> Truth:
    count_a = np.array(count, dtype=np.int64)
    start = np.r_[0, np.cumsum(count_a)[:-1]].astype(np.int64) if count_a.size else np.zeros(0, np.int64)
    return Truth(np.array(t0, float), count_a, start,
                 np.concatenate(parts_p) if parts_p else np.zeros((0, 3)),
                 np.concatenate(parts_v) if parts_v else np.zeros((0, 3)), names)


def smooth(t: F64, enu: F64, rules: CleaningRules, t_ref: float) -> tuple[float, F64, F64] | None:
    """Steps 8-9: smoothing splines through the segment's ENU positions (K, 3) at times t; returns the first
    sample time (s from ``t_ref``, a whole second), positions and velocities on a 1 s grid, or None if the
    result is implausible."""
    sig = (rules.sigma_horizontal_m, rules.sigma_horizontal_m, rules.sigma_vertical_m)
    grid = np.arange(np.ceil(t[0] - t_ref), np.floor(t[-1] - t_ref) + 1.0)
    if grid.size < 2:
        return None
    tt = t - t_ref
    pos, vel, acc = (np.empty((grid.size, 3)) for _ in range(3))
    for k in range(3):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            spl = UnivariateSpline(tt, enu[:, k], k=3, s=t.size * sig[k] ** 2)
        pos[:, k] = spl(grid)
        vel[:, k] = spl.derivative(1)(grid)
        acc[:, k] = spl.derivative(2)(grid)
    plausible = (np.all(np.hypot(vel[:, 0], vel[:, 1]) <= rules.max_speed_mps)
                 and np.all(np.abs(vel[:, 2]) <= rules.max_vertical_speed_mps)
                 and np.all(np.linalg.norm(acc, axis=1) <= rules.max_accel_mps2))
    return (float(grid[0]), pos, vel) if plausible else None


def _smoothed_truth(placed, rules: CleaningRules, rep: CleaningReport) -> Truth:
    """Smooth and sample (steps 8-9) each ``(segment, ENU positions (K, 3), time reference s, name)`` of
    ``placed``; implausible ones are counted and dropped."""
    parts_p, parts_v, t0, count, names = [], [], [], [], []
    for seg, enu, t_ref, name in placed:
        res = smooth(seg.time_s, enu, rules, t_ref)
        if res is None:
            rep.implausible_segments += 1
            continue
        first, pos, vel = res
        rep.segments_kept += 1
        rep.rows_kept += int(seg.time_s.size)
        parts_p.append(pos)
        parts_v.append(vel)
        t0.append(first)
        count.append(pos.shape[0])
        names.append(name or f"{seg.icao24}/{seg.callsign.strip()}@{seg.time_s[0]:.0f}")
    return _assemble(parts_p, parts_v, t0, count, names)


def truth_from_segments(segments: list[Segment], rules: CleaningRules, site_lat: float, site_lon: float,
                        t_ref: float, rep: CleaningReport, names: list[str] | None = None) -> Truth:
    """Segments in the site's ENU frame (pymap3d, WGS84), smoothed and sampled (steps 8-9); times from t_ref."""
    def placed():
        for j, seg in enumerate(segments):
            e, n, u = pymap3d.geodetic2enu(seg.lat_deg, seg.lon_deg, seg.alt_m, site_lat, site_lon, 0.0)
            yield seg, np.stack([e, n, u], axis=1), t_ref, names[j] if names else None
    return _smoothed_truth(placed(), rules, rep)


def truth_from_placed(segments: list[Segment], centres_en: F64, time_offsets_s: F64, rules: CleaningRules,
                      rep: CleaningReport) -> Truth:
    """Single flights placed around the radar: segment j's local East-North offsets about its own median point
    (pymap3d ENU, WGS84) are laid around the site ENU point ``centres_en[j]``, with its heights above the
    ellipsoid kept as heights above the site's spherical ground (R = 6,371 km): u = sqrt((R + h)^2 - e^2 - n^2)
    - R. Its times are shifted so that ``time_offsets_s[j]`` (s since 1970) becomes 0. Then smoothed (8-9)."""
    def placed():
        for j, seg in enumerate(segments):
            lat0, lon0 = float(np.median(seg.lat_deg)), float(np.median(seg.lon_deg))
            e, n, _ = pymap3d.geodetic2enu(seg.lat_deg, seg.lon_deg, np.zeros_like(seg.alt_m), lat0, lon0, 0.0)
            e = e + centres_en[j, 0]
            n = n + centres_en[j, 1]
            u = np.sqrt((EARTH_RADIUS_M + seg.alt_m) ** 2 - e * e - n * n) - EARTH_RADIUS_M
            yield seg, np.stack([e, n, u], axis=1), float(time_offsets_s[j]), None
    return _smoothed_truth(placed(), rules, rep)
