"""Replay of recorded flights from CSV or Parquet files.

Two column conventions are accepted (``format = "auto"`` detects which):

========================= ===================================== ===========================================
quantity                  OpenSky state vectors                 ``traffic`` library flight tables
========================= ===================================== ===========================================
time                      ``time`` (unix seconds)               ``timestamp`` (datetime, or unix seconds)
aircraft                  ``icao24``                            ``icao24``
latitude, longitude       ``lat``, ``lon`` (degrees)            ``latitude``, ``longitude`` (degrees)
height                    ``geoaltitude`` (metres, WGS84)        ``altitude`` (feet)
ground speed              ``velocity`` (m/s)                    ``groundspeed`` (knots)
course                    ``heading`` (deg from true north)     ``track`` (deg from true north)
vertical rate             ``vertrate`` (m/s)                    ``vertical_rate`` (ft/min)
========================= ===================================== ===========================================

Each aircraft's reports are sorted by time, split where reports are more than ``max_gap_s`` apart, converted to
the local ENU frame (velocities rotated from the aircraft's local axes to the site's), and interpolated onto the
scenario clock with cubic Hermite polynomials. Missing speed/course/vertical-rate values are filled from the
positions by finite differences.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pyarrow as pa

from airpicture.errors import InputError, Problem
from airpicture.geodesy import LocalFrame, enu_velocity_from_heading, rotate_enu_vectors
from airpicture.io import check_range, float_column, read_table, require_columns, row_label
from airpicture.scenario import Replay, Scenario
from airpicture.truth.builder import TruthBuilder
from airpicture.truth.table import END_EXIT, END_RUNNING, grid_times, interpolate, make_samples

FT = 0.3048
KT = 1852.0 / 3600.0
FPM = FT / 60.0

COLUMNS = {
    "opensky": {"time": "time", "id": "icao24", "lat": "lat", "lon": "lon", "alt": "geoaltitude",
                "speed": "velocity", "course": "heading", "vrate": "vertrate"},
    "traffic": {"time": "timestamp", "id": "icao24", "lat": "latitude", "lon": "longitude", "alt": "altitude",
                "speed": "groundspeed", "course": "track", "vrate": "vertical_rate"},
}
SCALE = {"opensky": {"alt": 1.0, "speed": 1.0, "vrate": 1.0}, "traffic": {"alt": FT, "speed": KT, "vrate": FPM}}


def detect_format(table: pa.Table, declared: str, source: str) -> str:
    if declared != "auto":
        cols = COLUMNS[declared]
        require_columns(table, list(cols.values()), source, f" for the {declared} format")
        return declared
    scores = {}
    for fmt, cols in COLUMNS.items():
        missing = [c for c in cols.values() if c not in table.column_names]
        if not missing:
            return fmt
        scores[fmt] = missing
    best = min(scores, key=lambda f: len(scores[f]))
    have = ", ".join(table.column_names) or "none"
    raise InputError(source, f"missing column(s) {', '.join(scores[best])} (closest format: {best}; OpenSky "
                             f"needs time, icao24, lat, lon, geoaltitude, velocity, heading, vertrate; traffic "
                             f"needs timestamp, icao24, latitude, longitude, altitude, groundspeed, track, "
                             f"vertical_rate); the file has: {have}")


def _time_column(table: pa.Table, name: str, source: str) -> np.ndarray:
    col = table.column(name)
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        values = col.to_pylist()
        out = np.empty(len(values))
        for i, v in enumerate(values):
            if v is None or not v.strip():
                out[i] = np.nan
                continue
            try:
                out[i] = float(v)
                continue
            except ValueError:
                pass
            try:
                ts = datetime.fromisoformat(v.strip())  # offsets (+02:00, Z) honoured; no offset: UTC
                out[i] = (ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)).timestamp()
            except ValueError:
                raise InputError(source, Problem(f"{row_label(source, i)}, column '{name}'",
                                                 f"expected a time (unix seconds or ISO 8601), got {v!r}")) from None
        return out
    return float_column(table, name, source, allow_null=True)


def read_flights(replay: Replay, source_field: str) -> dict[str, np.ndarray]:
    """Read a replay file into arrays (time_s relative to the file's first report, id, lat, lon, alt_m,
    speed_mps, course_deg, vrate_mps). Raises :class:`InputError` naming the file, row and column."""
    path = replay.file
    table = read_table(path)
    if table.num_rows == 0:
        raise InputError(path, "no rows: expected recorded flights (a header line and at least one report)")
    fmt = detect_format(table, replay.format, path)
    cols = COLUMNS[fmt]
    t = _time_column(table, cols["time"], path)
    ids_col = table.column(cols["id"])
    ids = np.array([("" if v is None else str(v)).strip() for v in ids_col.to_pylist()], dtype=object)
    lat = float_column(table, cols["lat"], path, allow_null=True)
    lon = float_column(table, cols["lon"], path, allow_null=True)
    alt = float_column(table, cols["alt"], path, allow_null=True) * SCALE[fmt]["alt"]
    speed = float_column(table, cols["speed"], path, allow_null=True) * SCALE[fmt]["speed"]
    course = float_column(table, cols["course"], path, allow_null=True)
    vrate = float_column(table, cols["vrate"], path, allow_null=True) * SCALE[fmt]["vrate"]
    required = {cols["time"]: t, cols["lat"]: lat, cols["lon"]: lon, cols["alt"]: alt}
    incomplete = (ids == "")
    for arr in required.values():
        incomplete |= ~np.isfinite(arr)
    if incomplete.any() and not replay.drop_incomplete_rows:
        i = int(np.argmax(incomplete))
        name = cols["id"] if ids[i] == "" else next(k for k, a in required.items() if not np.isfinite(a[i]))
        raise InputError(path, Problem(
            f"{row_label(path, i)}, column '{name}'",
            f"expected a value, got an empty or non-finite one (set {source_field}.drop_incomplete_rows = true "
            f"to skip such rows)"))
    keep = ~incomplete
    # dropped rows read as NaN (not checked), so that a bad value is reported on its own line
    check_range(np.where(keep, lat, np.nan), cols["lat"], path, -90, 90)
    check_range(np.where(keep, lon, np.nan), cols["lon"], path, -180, 180)
    check_range(np.where(keep, alt, np.nan), cols["alt"], path, -1000, 100e3)
    check_range(np.where(keep, speed, np.nan), cols["speed"], path, 0, 5000)
    if not keep.any():
        raise InputError(path, "no usable rows")
    t = t[keep]
    return {"time_s": t - t.min(), "id": ids[keep], "lat": lat[keep], "lon": lon[keep], "alt_m": alt[keep],
            "speed_mps": speed[keep], "course_deg": course[keep], "vrate_mps": vrate[keep]}


def add_replay(builder: TruthBuilder, scenario: Scenario, index: int, replay: Replay, frame: LocalFrame) -> None:
    f = read_flights(replay, f"replays[{index}]")
    t = f["time_s"] + replay.start_s
    # order by (aircraft, time) and drop repeated timestamps
    ids = f["id"].astype(str)
    uniq, code = np.unique(ids, return_inverse=True)
    order = np.lexsort((t, code))
    code, t = code[order], t[order]
    cols = {k: v[order] for k, v in f.items() if k not in ("time_s", "id")}
    dup = np.zeros(t.size, dtype=bool)
    dup[1:] = (code[1:] == code[:-1]) & (t[1:] - t[:-1] < 1e-6)
    keep = ~dup
    code, t = code[keep], t[keep]
    cols = {k: v[keep] for k, v in cols.items()}
    # split flights at long gaps
    new_seg = np.ones(t.size, dtype=bool)
    new_seg[1:] = (code[1:] != code[:-1]) | (t[1:] - t[:-1] > replay.max_gap_s)
    seg = np.cumsum(new_seg) - 1
    counts = np.bincount(seg)
    usable = counts[seg] >= 2
    code, t, seg = code[usable], t[usable], seg[usable]
    cols = {k: v[usable] for k, v in cols.items()}
    if t.size == 0:
        return
    _, seg = np.unique(seg, return_inverse=True)
    n_seg = int(seg.max()) + 1
    e, n, u = frame.to_enu(cols["lat"], cols["lon"], cols["alt_m"])
    ve, vn, vu = enu_velocity_from_heading(cols["speed_mps"], cols["course_deg"], cols["vrate_mps"])
    ve, vn, vu = rotate_enu_vectors(cols["lat"], cols["lon"], ve, vn, vu, frame.latitude_deg, frame.longitude_deg)
    pos = np.column_stack([e, n, u])
    vel = np.column_stack([ve, vn, vu])
    missing = ~np.isfinite(vel).all(axis=1)
    if missing.any():
        vel[missing] = _finite_difference(pos, t, seg)[missing]
    reports = make_samples(seg.astype(np.int64), t, np.concatenate([pos, vel], axis=1), n_seg)
    first = reports.time_s[reports._offsets[:-1]]
    last = reports.time_s[reports._offsets[1:] - 1]
    live = (last >= 0.0) & (first <= scenario.duration_s)
    idx = np.flatnonzero(live)
    if idx.size == 0:
        return
    owner, tq = grid_times(first[idx], last[idx], scenario.time_step_s, scenario.duration_s)
    x = interpolate(reports, idx[owner], tq)
    seg_code = code[np.searchsorted(seg, idx)]  # aircraft of each segment (seg is sorted)
    callsign = uniq[seg_code].astype(object)
    reason = np.where(last[idx] <= scenario.duration_s, END_EXIT, END_RUNNING).astype(object)
    asset_i = scenario.asset_index(replay.asset) if replay.asset is not None else -1
    builder.add(kind=replay.kind, hostile=replay.hostile, rcs_m2=replay.mean_rcs_m2,
                rcs_broadside_ratio=replay.rcs_broadside_ratio, asset_index=asset_i,
                start_s=np.maximum(first[idx], 0.0), end_s=last[idx], end_reason=reason, group=replay.name,
                callsign=callsign, owner=owner, t=tq, x=x)


def _finite_difference(pos: np.ndarray, t: np.ndarray, seg: np.ndarray) -> np.ndarray:
    """Velocity estimates (K, 3) from neighbouring reports of the same segment."""
    vel = np.zeros_like(pos)
    nxt = np.arange(1, t.size + 1)
    prv = np.arange(-1, t.size - 1)
    nxt = np.minimum(nxt, t.size - 1)
    prv = np.maximum(prv, 0)
    nxt = np.where(seg[nxt] == seg, nxt, np.arange(t.size))
    prv = np.where(seg[prv] == seg, prv, np.arange(t.size))
    dt = t[nxt] - t[prv]
    ok = dt > 0
    vel[ok] = (pos[nxt[ok]] - pos[prv[ok]]) / dt[ok, None]
    return vel


__all__ = ["COLUMNS", "add_replay", "detect_format", "read_flights"]
